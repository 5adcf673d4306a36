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
