"""Plugins extend more than architectures: a plugin can add a subcommand to the command line."""

from __future__ import annotations

import pytest

from ganzoo.cli import main
from ganzoo.errors import GanzooError
from ganzoo.plugin import CommandSpec, hookimpl
from ganzoo.registry import reset_default_registry
from ganzoo.testing import registry_with


class GreetingPlugin:
    """A ten-line plugin that adds ``ganzoo greet NAME``."""

    @hookimpl
    def ganzoo_cli_commands(self):
        def greet(args):
            if args.name == "nobody":
                raise GanzooError("NAME must name somebody. Received: NAME='nobody'.")
            print(f"hello {args.name}")
            return 0

        return [CommandSpec("greet", "say hello", lambda p: p.add_argument("name"), greet),
                CommandSpec("list", "tries to shadow a built-in", lambda p: None, greet)]


@pytest.fixture
def with_greeting_plugin():
    reset_default_registry(registry_with(GreetingPlugin(), builtins=True))
    yield
    reset_default_registry()


def test_a_plugin_adds_a_subcommand(with_greeting_plugin, capsys):
    with pytest.warns(UserWarning, match="replace the built-in command 'list'"):
        assert main(["greet", "ada"]) == 0
    assert capsys.readouterr().out == "hello ada\n"


def test_a_plugin_command_reports_bad_input_like_a_built_in_one(with_greeting_plugin, capsys):
    with pytest.warns(UserWarning):
        assert main(["greet", "nobody"]) == 2
    assert capsys.readouterr().err.strip() == (
        "ganzoo greet: error: NAME must name somebody. Received: NAME='nobody'.")


def test_built_in_commands_do_not_load_plugins(monkeypatch, capsys):
    monkeypatch.setattr("ganzoo.cli._add_plugin_commands",
                        lambda subparsers: pytest.fail("plugins were loaded for --version"))
    with pytest.raises(SystemExit):
        main(["--version"])


class PlainSavedModelFormat:
    """A plugin adding the export format 'plain-savedmodel': the serving function saved as
    is, with the metadata in a JSON file beside it."""

    @hookimpl
    def ganzoo_export_formats(self):
        import json

        import tensorflow as tf

        from ganzoo.plugin import ExportFormatSpec

        def write(function, path, metadata):
            module = tf.Module()
            module.serve = function
            module.variables_ = list(function.get_concrete_function().variables)
            tf.saved_model.save(module, str(path))
            (path / "meta.json").write_text(json.dumps(metadata))

        def runner(path):
            loaded = tf.saved_model.load(str(path))  # keeps the variables alive
            return lambda inputs: loaded.serve(
                *[tf.constant(v) for v in inputs.values()])["image"].numpy()

        def read_metadata(path):
            return json.loads((path / "meta.json").read_text())

        return [ExportFormatSpec("plain-savedmodel", "_plain", "TensorFlow", write, runner,
                                 read_metadata, summary="a test format")]


def test_a_plugin_adds_an_export_format_that_is_checked_like_a_built_in_one(tmp_path):
    import ganzoo

    registry = registry_with(PlainSavedModelFormat(), builtins=True)
    run = ganzoo.train("dcgan", steps=1, batch_size=8, out=tmp_path, progress=False,
                       registry=registry).run
    report = ganzoo.export(run.path, formats="plain-savedmodel,onnx", registry=registry,
                           repeats=1, progress=False)
    row = report.file("plain-savedmodel")
    assert row.ok and row.max_diff <= 1e-4, row.message
    assert (run.path / "export" / "generator_plain" / "meta.json").is_file()
    with pytest.raises(GanzooError, match="Did you mean 'plain-savedmodel'"):
        ganzoo.export(run.path, formats="plain-savedmodle", registry=registry, progress=False)


def test_the_command_example_in_the_plugin_guide_adds_a_working_subcommand(capsys):
    import re
    import types
    from pathlib import Path

    guide = Path(__file__).resolve().parents[1] / "docs" / "plugins.md"
    source = re.search(r"```python\n(\"\"\"ganzoo greet NAME.*?)```", guide.read_text(),
                       re.DOTALL).group(1)
    module = types.ModuleType("greet_plugin")
    exec(compile(source, "docs/plugins.md", "exec"), module.__dict__)
    reset_default_registry(registry_with(module))
    try:
        assert main(["greet", "ada"]) == 0
        assert capsys.readouterr().out == "hello ada\n"
        assert main(["greet", " "]) == 2
        assert "NAME must not be blank. Received: NAME=' '." in capsys.readouterr().err
    finally:
        reset_default_registry()


def test_built_in_command_help_does_not_import_tensorflow():
    import subprocess
    import sys

    probe = ("import sys\nfrom ganzoo.cli import main\ntry:\n    main(['train', '--help'])\n"
             "except SystemExit:\n    pass\nprint('tensorflow' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            timeout=120)
    assert result.stdout.strip().splitlines()[-1] == "False", result.stderr
