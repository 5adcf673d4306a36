"""The ``ganzoo`` command. Each subcommand lives in its own module and calls the Python API."""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Sequence

from ganzoo.cli import eval as eval_command
from ganzoo.cli import export as export_command
from ganzoo.cli import interpolate as interpolate_command
from ganzoo.cli import listing as list_command
from ganzoo.cli import plugins as plugins_command
from ganzoo.cli import sample as sample_command
from ganzoo.cli import train as train_command
from ganzoo.errors import GanzooError

SUBCOMMANDS = (list_command, train_command, sample_command, interpolate_command, eval_command,
               export_command, plugins_command)


def build_parser(plugin_commands: bool = True) -> argparse.ArgumentParser:
    import ganzoo

    parser = argparse.ArgumentParser(prog="ganzoo", description="Train, sample and export GANs.")
    parser.add_argument("--version", action="version", version=f"ganzoo {ganzoo.__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in SUBCOMMANDS:
        command.add_parser(subparsers)
    if plugin_commands:
        _add_plugin_commands(subparsers)
    return parser


def _add_plugin_commands(subparsers) -> None:
    from ganzoo.registry import default_registry

    built_in = set(subparsers.choices)
    for name, provided in sorted(default_registry().commands().items()):
        if name in built_in:
            warnings.warn(f"Plugin {provided.plugin.name!r} ({provided.plugin.origin}) tries to "
                          f"replace the built-in command {name!r}; it is ignored.")
            continue
        parser = subparsers.add_parser(name, help=f"{provided.spec.help} "
                                                  f"[{provided.plugin.origin}]")
        provided.spec.add_arguments(parser)
        parser.set_defaults(handler=provided.spec.run)


def _needs_plugin_commands(argv: Sequence[str]) -> bool:
    # Loading plugins imports TensorFlow (seconds); built-in commands and --version do not wait.
    words = [a for a in argv if not a.startswith("-")]
    built_in = {getattr(module, "NAME", module.__name__.rsplit(".", 1)[1])
                for module in SUBCOMMANDS}
    if not words:
        return not argv or argv[0] in ("-h", "--help")
    return words[0] not in built_in or argv[0] in ("-h", "--help")


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter out
    argv = list(sys.argv[1:] if argv is None else argv)
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
