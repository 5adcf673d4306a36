"""The ``ganzoo`` command. Each subcommand lives in its own module and calls the Python API.

The built-in subcommands come through the ``ganzoo_cli_commands`` hook like a plugin's: this
module is the built-in plugin (entry point ``commands``) and each module listed in
`BUILT_IN_COMMANDS` defines ``COMMAND``, a `CommandSpec`. Adding a built-in subcommand is one
module with a ``COMMAND`` and its name in that tuple.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import os
import sys
import warnings
from collections.abc import Mapping, Sequence

from ganzoo.cli import _quiet
from ganzoo.errors import GanzooError
from ganzoo.plugin import CommandSpec, hookimpl

# Modules under ganzoo/cli/, in the order `ganzoo --help` lists them.
BUILT_IN_COMMANDS = ("listing", "train", "sample", "interpolate", "project", "eval", "export",
                     "serve", "plugins")


@hookimpl
def ganzoo_cli_commands() -> list[CommandSpec]:
    return [importlib.import_module(f"ganzoo.cli.{module}").COMMAND
            for module in BUILT_IN_COMMANDS]


def build_parser(plugin_commands: bool = True) -> argparse.ArgumentParser:
    import ganzoo

    parser = argparse.ArgumentParser(prog="ganzoo", description="Train, sample and export GANs.")
    parser.add_argument("--version", action="version", version=f"ganzoo {ganzoo.__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_commands(subparsers, _built_in_registry().commands())
    if plugin_commands:
        _add_plugin_commands(subparsers)
    _add_verbose_flag(parser, subparsers)
    return parser


def _add_verbose_flag(parser: argparse.ArgumentParser, subparsers) -> None:
    # main() reads the flag before parsing (it must act before TensorFlow is imported); it is
    # declared here, before and after the command, so that --help lists it.
    text = "show TensorFlow's own log messages and warnings (or set GANZOO_VERBOSE=1)"
    parser.add_argument(_quiet.VERBOSE_FLAG, action="store_true", help=text)
    for command in subparsers.choices.values():
        command.add_argument(_quiet.VERBOSE_FLAG, action="store_true", help=text,
                             default=argparse.SUPPRESS)


@functools.cache
def _built_in_registry():
    # Only this plugin: loading every entry point imports every plugin module (a third-party
    # one may import TensorFlow at its top, seconds), which built-in commands do not need.
    import ganzoo
    from ganzoo.registry import CORE_DISTRIBUTION, Registry

    registry = Registry(autoload=False)
    registry.register(sys.modules[__name__], "commands", CORE_DISTRIBUTION, ganzoo.__version__)
    return registry


def _add_plugin_commands(subparsers) -> None:
    from ganzoo.registry import default_registry

    # The registry settles name clashes (a built-in wins, with a warning); the names already
    # added are those built-ins.
    commands = default_registry().commands()
    _add_commands(subparsers, {name: provided for name, provided in sorted(commands.items())
                               if name not in subparsers.choices})


def _add_commands(subparsers, commands: Mapping) -> None:
    from ganzoo.registry import CORE_DISTRIBUTION

    for name, provided in commands.items():
        spec, plugin = provided.spec, provided.plugin
        built_in = plugin.distribution == CORE_DISTRIBUTION
        parser = subparsers.add_parser(
            name, help=spec.help if built_in else f"{spec.help} [{plugin.origin}]",
            description=spec.description or spec.help, epilog=spec.epilog or None,
            formatter_class=(argparse.RawDescriptionHelpFormatter if spec.epilog
                             else argparse.HelpFormatter))
        spec.add_arguments(parser)
        parser.set_defaults(handler=spec.run)


def _needs_plugin_commands(argv: Sequence[str]) -> bool:
    # Loading plugins imports their modules (a third-party one may import TensorFlow, seconds);
    # built-in commands and --version do not wait for them.
    words = [a for a in argv if not a.startswith("-")]
    if not words:
        return not argv or argv[0] in ("-h", "--help")
    return words[0] not in _built_in_registry().commands() or argv[0] in ("-h", "--help")


def main(argv: Sequence[str] | None = None) -> int:
    entry_point = argv is None
    argv = list(sys.argv[1:] if argv is None else argv)
    loud = _quiet.verbose(argv)
    _quiet.configure(loud)  # before TensorFlow is imported
    # Only a whole process's stderr is filtered; a caller of main() keeps its own.
    with _quiet.native_stderr_filtered(loud or not entry_point):
        try:
            return _run(argv)
        except BrokenPipeError:
            # The reader of a pipe stopped early (`ganzoo list | head -3`): not an error of
            # ours. Python would report the flush at exit too, so stdout goes to devnull.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 1


def _run(argv: list[str]) -> int:
    args = build_parser(_needs_plugin_commands(argv)).parse_args(argv)
    # Warnings meant for the user (skipped images, broken plugins) read as one line each.
    previous_format = warnings.formatwarning
    warnings.formatwarning = lambda message, category, *_: (
        f"ganzoo {args.command}: warning: {message}\n")
    try:
        return args.handler(args)
    except GanzooError as error:
        print(f"ganzoo {args.command}: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print(f"ganzoo {args.command}: interrupted", file=sys.stderr)
        return 130
    finally:
        warnings.formatwarning = previous_format
