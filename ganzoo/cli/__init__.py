"""The ``ganzoo`` command. Each subcommand lives in its own module and calls the Python API."""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Sequence

from ganzoo.cli import list as list_command
from ganzoo.cli import sample as sample_command
from ganzoo.cli import train as train_command
from ganzoo.errors import GanzooError

SUBCOMMANDS = (list_command, train_command, sample_command)


def build_parser() -> argparse.ArgumentParser:
    import ganzoo

    parser = argparse.ArgumentParser(prog="ganzoo", description="Train, sample and export GANs.")
    parser.add_argument("--version", action="version", version=f"ganzoo {ganzoo.__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in SUBCOMMANDS:
        command.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter out
    args = build_parser().parse_args(argv)
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
