"""The plugin contract and the registry: how plugins are found, and what happens when they clash
or break."""

from __future__ import annotations

import ast
import inspect
import json
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from ganzoo import hookspecs
from ganzoo.errors import DuplicateNameError, PluginError, UnknownNameError
from ganzoo.plugin import ArchitectureSpec, Paper, hookimpl
from ganzoo.registry import PluginLoadWarning, Registry

BUILT_IN_ARCHITECTURES = ("mlp-gan", "dcgan", "cgan", "sngan", "lsgan", "acgan", "fastgan",
                          "cfastgan")
BUILT_IN_PLUGINS = {*BUILT_IN_ARCHITECTURES, "losses", "datasets"}
PACKAGE = Path(__file__).resolve().parents[1] / "ganzoo"


def tiny_spec(name: str) -> ArchitectureSpec:
    from ganzoo.architectures import mlp_gan

    return ArchitectureSpec(name=name, summary="test", paper=Paper("A paper", "https://arxiv.org"),
                            build_generator=mlp_gan.build_generator,
                            build_discriminator=mlp_gan.build_discriminator)


class PluginProviding:
    def __init__(self, *names: str) -> None:
        self.names = names

    @hookimpl
    def ganzoo_architectures(self):
        return [tiny_spec(name) for name in self.names]


def test_built_in_plugins_arrive_through_the_entry_point_group(registry):
    entry_points = {ep.name: ep for ep in metadata.entry_points(group="ganzoo")}
    assert BUILT_IN_PLUGINS <= set(entry_points)
    for name in BUILT_IN_ARCHITECTURES:
        provider = registry.provider(name)
        assert provider.name == name
        assert provider.distribution == "ganzoo"
        assert entry_points[name].value == f"ganzoo.architectures.{name.replace('-', '_')}"


@pytest.mark.parametrize("module", sorted((PACKAGE / "architectures").glob("[!_]*.py")),
                         ids=lambda p: p.stem)
def test_built_in_architectures_import_only_the_public_plugin_api(module):
    # typing: TYPE_CHECKING, under which a module that imports Keras in its builders names it.
    # A variant builds on the module of the architecture it varies (`from ganzoo.architectures
    # import fastgan`), as a third-party variant would import it from the installed package.
    allowed = {"__future__", "math", "typing", "keras", "tensorflow", "ganzoo.plugin",
               "ganzoo.blocks", "ganzoo.architectures"}
    imported = set()
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.ImportFrom):
            imported.add(node.module)
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    assert imported <= allowed, f"{module.name} imports {sorted(imported - allowed)}"


def test_every_hook_is_documented():
    hooks = [f for name, f in inspect.getmembers(hookspecs, inspect.isfunction)
             if name.startswith("ganzoo_")]
    assert {f.__name__ for f in hooks} >= {"ganzoo_architectures", "ganzoo_losses",
                                           "ganzoo_datasets"}
    for hook in hooks:
        assert hook.__doc__ and len(hook.__doc__.split()) > 10, f"{hook.__name__} is undocumented"


def test_an_unknown_name_suggests_close_matches_and_lists_the_available_ones(registry):
    with pytest.raises(UnknownNameError) as caught:
        registry.architecture("dcgna")
    message = str(caught.value)
    assert "Unknown architecture 'dcgna'" in message
    assert "Did you mean 'dcgan'" in message
    assert "Available: acgan, cfastgan, cgan, dcgan, fastgan, lsgan, mlp-gan, sngan" in message


def test_two_plugins_with_the_same_name_make_it_an_error_naming_both_distributions(empty_registry):
    empty_registry.register(PluginProviding("twin", "solo"), "first", "gan-one", "1.0")
    empty_registry.register(PluginProviding("twin"), "second", "gan-two", "2.3")
    with pytest.warns(PluginLoadWarning, match="twin"):
        empty_registry.architectures()
    with pytest.raises(DuplicateNameError) as caught:
        empty_registry.architecture("twin")
    assert "gan-one 1.0" in str(caught.value) and "gan-two 2.3" in str(caught.value)
    assert empty_registry.architecture("solo").name == "solo"


def test_a_hook_returning_the_wrong_type_marks_only_that_plugin_broken(empty_registry):
    class Broken:
        @hookimpl
        def ganzoo_architectures(self):
            return "dcgan"

    empty_registry.register(PluginProviding("fine"), "good")
    empty_registry.register(Broken(), "bad")
    with pytest.warns(PluginLoadWarning, match="'bad'.*must return a list"):
        assert set(empty_registry.architectures()) == {"fine"}
    assert [p.name for p in empty_registry.plugins if not p.ok] == ["bad"]


def test_a_plugin_object_with_a_misspelled_hook_is_refused(empty_registry):
    class Misspelled:
        @hookimpl
        def ganzoo_architecture(self):
            return []

    with pytest.raises(PluginError, match="ganzoo_architecture"):
        empty_registry.register(Misspelled(), "typo")


@pytest.fixture
def broken_distribution(tmp_path: Path) -> Path:
    """An installed distribution whose plugin module raises on import."""
    (tmp_path / "exploding_plugin.py").write_text("raise RuntimeError('boom at import')\n")
    info = tmp_path / "exploding_gan-0.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: exploding-gan\nVersion: 0.3\n")
    (info / "entry_points.txt").write_text("[ganzoo]\nexploding = exploding_plugin\n")
    return tmp_path


def test_a_plugin_that_raises_on_import_is_skipped_with_a_warning(broken_distribution,
                                                                   monkeypatch):
    monkeypatch.syspath_prepend(str(broken_distribution))
    with pytest.warns(PluginLoadWarning, match="'exploding'.*exploding-gan 0.3.*boom at import"):
        registry = Registry()
    assert {"dcgan", "cgan", "mlp-gan"} <= set(registry.architectures())
    broken = [p for p in registry.plugins if not p.ok]
    assert [(p.name, p.distribution) for p in broken] == [("exploding", "exploding-gan")]


def test_ganzoo_list_marks_a_broken_plugin(broken_distribution):
    listing = subprocess.run([sys.executable, "-m", "ganzoo", "list"], capture_output=True,
                             text=True, env=_env_with_path(broken_distribution), timeout=120)
    assert listing.returncode == 0, listing.stderr
    assert "dcgan" in listing.stdout
    broken_row = [line for line in listing.stdout.splitlines() if "BROKEN" in line]
    assert len(broken_row) == 1 and "exploding" in broken_row[0] and "boom" in broken_row[0]


def test_disabled_plugins_are_not_loaded(monkeypatch):
    monkeypatch.setenv("GANZOO_DISABLE_PLUGINS", "cgan, mlp-gan")
    assert not {"cgan", "mlp-gan"} & set(Registry().architectures())
    assert "dcgan" in Registry().architectures()


def _env_with_path(path: Path) -> dict:
    import os

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(path), env.get("PYTHONPATH")]))
    return env



def test_autoload_off_keeps_only_the_plugins_that_ship_with_ganzoo(monkeypatch):
    monkeypatch.setenv("GANZOO_DISABLE_PLUGIN_AUTOLOAD", "1")
    registry = Registry()
    assert {p.distribution for p in registry.plugins} == {"ganzoo"}
    assert "dcgan" in registry.architectures() and "wgan-gp" not in registry.architectures()


def test_tracing_prints_every_plugin_load_and_hook_call(monkeypatch, capsys):
    monkeypatch.setenv("GANZOO_TRACE_PLUGINS", "1")
    Registry().architectures()
    trace = capsys.readouterr().err
    assert "ganzoo trace: loading entry point dcgan = ganzoo.architectures.dcgan" in trace
    assert "ganzoo trace: dcgan.ganzoo_architectures() -> ['dcgan']" in trace


# Name clashes, empty plugins, misspelt hooks, import failures (issue 10, item 6) --------------

def item_of_kind(kind: str, name: str):
    from ganzoo.plugin import CommandSpec, DatasetSpec, LossSpec

    return {"architecture": lambda: tiny_spec(name),
            "loss": lambda: LossSpec(name, "impostor", lambda c: c.real_logits,
                                     lambda c: c.fake_logits),
            "dataset": lambda: DatasetSpec(name, "impostor", lambda: None),
            "command": lambda: CommandSpec(name, "impostor", lambda p: None, lambda a: 0)}[kind]()


class Impostor:
    """A third-party plugin providing one item whose name a built-in already has."""

    def __init__(self, kind: str, name: str) -> None:
        self.item = item_of_kind(kind, name)
        hook = {"architecture": "ganzoo_architectures", "loss": "ganzoo_losses",
                "dataset": "ganzoo_datasets", "command": "ganzoo_cli_commands"}[kind]
        setattr(self, hook, hookimpl(specname=hook)(lambda: [self.item]))


@pytest.mark.parametrize("kind, name", [("architecture", "dcgan"), ("loss", "hinge"),
                                        ("dataset", "digits"), ("command", "list")])
def test_a_built_in_wins_over_a_third_party_plugin_of_the_same_name_with_one_warning(kind, name):
    from ganzoo.testing import registry_with

    registry = registry_with(builtins=True)
    impostor = Impostor(kind, name)
    registry.register(impostor, "impostor", "impostor-gan", "1.0")
    with pytest.warns(PluginLoadWarning) as warned:
        provided = registry.lookup(kind, name)
        registry.lookup(kind, name)
    assert provided.plugin.distribution == "ganzoo" and provided.spec is not impostor.item
    assert len(warned) == 1
    message = str(warned[0].message)
    assert f"built-in {kind} {name!r}" in message and "impostor-gan 1.0" in message
    assert "GANZOO_DISABLE_PLUGINS=impostor" in message


def test_list_plugins_returns_what_ganzoo_plugins_json_prints(capsys):
    import ganzoo
    from ganzoo.cli import main

    assert main(["plugins", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert ganzoo.list_plugins() == printed
    described = {p["name"]: p for p in printed}
    assert described["dcgan"]["provides"] == {"architectures": ["dcgan"]}
    assert described["dcgan"]["status"] == "ok" and described["dcgan"]["distribution"] == "ganzoo"


def test_the_name_readme_gave_before_list_plugins_still_works():
    import ganzoo
    from ganzoo.cli.plugins import describe_plugins

    assert describe_plugins is ganzoo.list_plugins


def test_ganzoo_plugins_shows_both_sides_of_a_clash_with_a_built_in_as_a_conflict():
    from ganzoo import list_plugins
    from ganzoo.testing import registry_with

    registry = registry_with(builtins=True)
    registry.register(PluginProviding("dcgan"), "evil", "evil-gan", "1.0")
    described = {p["name"]: p for p in list_plugins(registry)}
    assert described["evil"]["status"] == described["dcgan"]["status"] == "conflict"
    assert "GANZOO_DISABLE_PLUGINS=evil" in described["evil"]["error"]
    assert described["mlp-gan"]["status"] == "ok"


def test_an_old_dcgan_run_still_samples_with_a_plugin_that_also_provides_dcgan(tmp_path):
    import ganzoo
    from ganzoo.runs import Run
    from ganzoo.testing import registry_with

    run = ganzoo.train("dcgan", steps=1, batch_size=8, out=tmp_path, progress=False,
                       registry=registry_with(builtins=True)).run
    clashing = registry_with(PluginProviding("dcgan"), builtins=True)
    with pytest.warns(PluginLoadWarning, match="built-in architecture 'dcgan'"):
        generator = Run.open(run.path).load_generator(registry=clashing)
    assert generator.output_shape == (None, 28, 28, 1)


def test_an_entry_point_without_hookimpl_is_a_warning_and_named_in_ganzoo_plugins(
        empty_registry):
    from ganzoo import list_plugins

    forgot = type(sys)("forgot_the_marker")
    forgot.ganzoo_architecture = lambda: [tiny_spec("unseen")]
    with pytest.warns(PluginLoadWarning, match=r"'forgot' \(forgot-gan 0.1\) provides nothing: "
                                               r".*without @hookimpl.*'ganzoo_architectures'"):
        empty_registry.register(forgot, "forgot", "forgot-gan", "0.1")
    [described] = list_plugins(empty_registry)
    assert described["status"] == "provides nothing"
    assert "Did you mean 'ganzoo_architectures'?" in described["error"]


def test_a_misspelt_hook_suggests_the_hook_it_resembles(empty_registry):
    class Misspelled:
        @hookimpl
        def ganzoo_dataset(self):
            return []

    with pytest.raises(PluginError, match=r"'ganzoo_dataset'\. Did you mean 'ganzoo_datasets'\?"):
        empty_registry.register(Misspelled(), "typo")


def test_a_plugin_that_fails_to_import_names_the_file_and_line(broken_distribution, monkeypatch):
    from ganzoo import list_plugins

    (broken_distribution / "exploding_plugin.py").write_text(
        "import os\n\n\ndef explode():\n    raise RuntimeError('boom at import')\n\n\nexplode()\n")
    monkeypatch.syspath_prepend(str(broken_distribution))
    where = f"{broken_distribution / 'exploding_plugin.py'}:5"
    with pytest.warns(PluginLoadWarning, match=re.escape(where)):
        registry = Registry()
    [described] = [p for p in list_plugins(registry) if p["name"] == "exploding"]
    assert described["status"] == "failed to load" and where in described["error"]


def test_the_built_in_commands_arrive_through_the_command_hook(registry):
    from ganzoo.cli import build_parser

    commands = registry.commands()
    subparsers = next(a for a in build_parser(plugin_commands=False)._actions
                      if a.dest == "command")
    assert set(subparsers.choices) <= set(commands)
    for name in subparsers.choices:
        assert (commands[name].plugin.name, commands[name].plugin.distribution) == (
            "commands", "ganzoo")


def test_ganzoo_list_shows_which_plugin_a_built_in_name_ignores(capsys):
    from ganzoo.cli import main
    from ganzoo.registry import reset_default_registry
    from ganzoo.testing import registry_with

    clashing = registry_with(builtins=True)
    clashing.register(PluginProviding("dcgan"), "evil", "evil-gan", "1.0")
    reset_default_registry(clashing)
    try:
        assert main(["list"]) == 0
    finally:
        reset_default_registry()
    rows = capsys.readouterr().out.splitlines()
    assert any(row.startswith("dcgan") and "dcgan (ganzoo " in row for row in rows)
    [conflict] = [row for row in rows if "CONFLICT" in row]
    assert "evil-gan 1.0" in conflict and "GANZOO_DISABLE_PLUGINS=evil" in conflict


def test_tracing_prints_the_whole_traceback_of_a_plugin_that_fails_to_import(
        broken_distribution, monkeypatch, capsys):
    monkeypatch.syspath_prepend(str(broken_distribution))
    monkeypatch.setenv("GANZOO_TRACE_PLUGINS", "1")
    with pytest.warns(PluginLoadWarning):
        Registry()
    trace = capsys.readouterr().err
    assert "Traceback (most recent call last)" in trace
    assert f'File "{broken_distribution / "exploding_plugin.py"}", line 1' in trace


# The contract's own version -------------------------------------------------------------------

def plugin_requiring(contract) -> object:
    """A plugin module providing one architecture and requiring `contract`."""
    module = type(sys)("contract_plugin")
    module.requires_contract = contract
    module.ganzoo_architectures = hookimpl(lambda: [tiny_spec("contracted")])
    return module


def next_major() -> str:
    from ganzoo.plugin import CONTRACT_VERSION

    return f">={int(CONTRACT_VERSION.split('.')[0]) + 1}.0"


def test_ganzoo_plugins_shows_the_contract_version(capsys):
    import ganzoo
    from ganzoo.cli import main
    from ganzoo.plugin import CONTRACT_VERSION

    assert re.fullmatch(r"\d+\.\d+", CONTRACT_VERSION)
    assert main(["plugins"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first == f"ganzoo {ganzoo.__version__}, plugin contract {CONTRACT_VERSION}"


@pytest.mark.parametrize("contract", ["current", "compatible", "range"])
def test_a_plugin_requiring_the_current_contract_loads(empty_registry, contract):
    from ganzoo.plugin import CONTRACT_VERSION

    needed = {"current": f">={CONTRACT_VERSION}", "compatible": f"~={CONTRACT_VERSION}",
              "range": f">=1.0,<{next_major().removeprefix('>=')}"}[contract]
    info = empty_registry.register(plugin_requiring(needed), "contracted", "contracted-gan", "1.0")
    assert info.requires_contract == needed
    assert empty_registry.architecture("contracted").name == "contracted"


def test_a_plugin_requiring_a_newer_contract_is_refused_naming_it_and_both_versions(
        empty_registry):
    from ganzoo.plugin import CONTRACT_VERSION

    with pytest.raises(PluginError) as refused:
        empty_registry.register(plugin_requiring(next_major()), "future")
    message = str(refused.value)
    assert message.startswith(f"Plugin 'future' requires plugin contract {next_major()}; ")
    assert f"has contract {CONTRACT_VERSION}." in message and "\n" not in message
    assert "contracted" not in empty_registry.architectures()


@pytest.mark.parametrize("contract", ["2.0", 2.0, "newest"])
def test_a_requires_contract_that_is_not_a_specifier_is_refused_with_the_value(empty_registry,
                                                                               contract):
    with pytest.raises(PluginError, match=re.escape(f"Received: requires_contract="
                                                    f"{contract!r}.")):
        empty_registry.register(plugin_requiring(contract), "vague")


def test_an_installed_plugin_requiring_a_newer_contract_is_skipped_and_shown_failed(
        tmp_path, monkeypatch):
    from ganzoo import list_plugins

    (tmp_path / "future_plugin.py").write_text(
        "from ganzoo.plugin import hookimpl\n\n"
        f"requires_contract = {next_major()!r}\n\n\n"
        "@hookimpl\ndef ganzoo_architectures():\n    return []\n")
    info = tmp_path / "future_gan-3.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: future-gan\nVersion: 3.0\n")
    (info / "entry_points.txt").write_text("[ganzoo]\nfuture = future_plugin\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.warns(PluginLoadWarning, match=r"'future' \(future-gan 3.0\) is skipped: .*"
                                               + re.escape(f"requires plugin contract "
                                                           f"{next_major()}")):
        registry = Registry()
    assert "dcgan" in registry.architectures()
    [described] = [p for p in list_plugins(registry) if p["name"] == "future"]
    assert described["status"] == "failed to load"
    assert described["requires_contract"] == next_major()
