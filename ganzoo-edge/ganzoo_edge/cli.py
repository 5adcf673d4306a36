"""``ganzoo-edge MODEL --n 16 --out grid.png``: a grid of images from an exported generator."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from ganzoo_edge import dataset
from ganzoo_edge._errors import EdgeError
from ganzoo_edge._model import load
from ganzoo_edge.images import grid, grid_columns, to_uint8
from ganzoo_edge.latents import MAX_SEED, read_latents

PROG = "ganzoo-edge"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        # One line, as for every other error of the runner (and of `ganzoo`), not a usage block.
        self.exit(2, f"{PROG}: error: {message} (see '{PROG} --help')\n")


def _integer(minimum: int):
    """An argparse type for integers of at least `minimum`, whose error says what it expected."""
    expected = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum:
            raise argparse.ArgumentTypeError(f"expected {expected}, received {text!r}")
        return value

    return parse


_count, _index = _integer(1), _integer(0)


def _seed(text: str) -> int:
    """A seed of latents: an integer from 0 to `MAX_SEED`."""
    value = _index(text)
    if value > MAX_SEED:
        raise argparse.ArgumentTypeError(f"expected an integer from 0 to {MAX_SEED}, "
                                         f"received {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Draw images from a generator exported by 'ganzoo export' (.onnx or "
                    ".tflite) and save them as a PNG grid. Needs no TensorFlow.")
    parser.add_argument("model", metavar="MODEL", help="generator.onnx or generator*.tflite")
    parser.add_argument("--out", metavar="FILE.png", help="PNG file to write (a grid)")
    parser.add_argument("--n", type=_count, help="number of images (default 16)")
    parser.add_argument("--label", metavar="CLASS",
                        help="class to draw, a name or an index, for conditional generators "
                             "(default: every class)")
    parser.add_argument("--seed", type=_seed, help="seed of the latents (default 0)")
    parser.add_argument("--latents", metavar="Z.npy",
                        help="draw these latents (a .npy array [n, latent_dim], e.g. from "
                             "'ganzoo project') instead of --n latents of --seed")
    parser.add_argument("--threads", type=_count, help="CPU threads (default: one per core)")
    parser.add_argument("--verbose", action="store_true",
                        help="show the runtimes' own log messages (or set GANZOO_VERBOSE=1)")
    dataset.add_arguments(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    verbose = "--verbose" in sys.argv or os.environ.get("GANZOO_VERBOSE", "0") not in ("", "0")
    if argv is None and not verbose:
        # The runtimes' native notices ("INFO: Created TensorFlow Lite XNNPACK delegate") go to
        # file descriptor 2; ganzoo-edge's own messages and errors are Python's (issue 12).
        sys.stderr = os.fdopen(os.dup(2), "w", buffering=1)
        os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
    args = build_parser().parse_args(argv)
    if (args.out is None) == (args.out_dir is None):
        print(f"{PROG}: error: give one of --out FILE.png (a grid) or --out-dir DIR (a data "
              f"set).", file=sys.stderr)
        return 2
    if args.latents is not None and (args.n, args.seed, args.out_dir) != (None, None, None):
        print(f"{PROG}: error: --latents draws the latents of its file into a grid (--out): "
              f"leave out --n, --seed and --out-dir.", file=sys.stderr)
        return 2
    try:
        if args.out_dir is not None:
            print(dataset.run(args, load(args.model, threads=args.threads)))
            return 0
        out = _checked_out(args.out)
        generator = load(args.model, threads=args.threads)
        if args.latents is None:
            images = generator.generate(args.n or 16, label=args.label, seed=args.seed or 0)
        else:
            z = read_latents(args.latents, generator.latent_dim)
            images = to_uint8(generator(z, generator.labels(len(z), args.label)))
        _save(grid(images, columns=grid_columns(generator.num_classes, args.label)), out)
    except EdgeError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return error.exit_code
    meta = generator.metadata
    print(f"Wrote {len(images)} images from {meta.get('architecture')} (step "
          f"{meta.get('training_step')}, {meta.get('format')} {meta.get('precision')}) to {out}")
    return 0


def _checked_out(text: str) -> Path:
    out = Path(text)
    if out.is_dir():
        raise EdgeError(f"--out is a folder; give the path of a .png file to write. "
                        f"Received: {text!r}.")
    if out.suffix.lower() != ".png":
        raise EdgeError(f"--out must be a .png file. Received: {text!r}.")
    if not out.parent.is_dir():
        raise EdgeError(f"The folder of --out does not exist: {str(out.parent)!r}.")
    return out


def _save(picture, out: Path) -> None:
    # Through a temporary sibling, so a failed write never leaves a half picture at --out.
    partial = out.with_name(f".{out.name}.partial")
    try:
        picture.save(partial, format="PNG")
        os.replace(partial, out)
    except OSError as error:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        raise EdgeError(f"Cannot write --out {str(out)!r}: {error.strerror or error}. Choose "
                        f"another file.") from error
