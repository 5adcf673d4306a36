"""``ganzoo-edge MODEL --n 16 --out grid.png``: a grid of images from an exported generator."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from ganzoo_edge import dataset
from ganzoo_edge._images import grid
from ganzoo_edge._model import EdgeError, load


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, received {text!r}")
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, received {value}")
    return value


def _index(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, received {text!r}")
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, received {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ganzoo-edge",
        description="Draw images from a generator exported by 'ganzoo export' (.onnx or "
                    ".tflite) and save them as a PNG grid. Needs no TensorFlow.")
    parser.add_argument("model", metavar="MODEL", help="generator.onnx or generator*.tflite")
    parser.add_argument("--out", metavar="FILE.png", help="PNG file to write")
    parser.add_argument("--n", type=_count, default=16, help="number of images (default 16)")
    parser.add_argument("--label", type=_index,
                        help="class to draw, for conditional generators (default: every class)")
    parser.add_argument("--seed", type=_index, default=0, help="seed of the latents")
    parser.add_argument("--threads", type=_count, help="CPU threads (default: one per core)")
    dataset.add_arguments(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if (args.out is None) == (args.out_dir is None):
        print("ganzoo-edge: error: give one of --out FILE.png (a grid) or --out-dir DIR (a data "
              "set).", file=sys.stderr)
        return 2
    if args.out_dir is not None:
        try:
            print(dataset.run(args, load(args.model, threads=args.threads)))
        except EdgeError as error:
            print(f"ganzoo-edge: error: {error}", file=sys.stderr)
            return error.exit_code
        return 0
    try:
        out = Path(args.out)
        if out.suffix.lower() != ".png":
            raise EdgeError(f"--out must be a .png file. Received: {args.out!r}.")
        if not out.parent.exists():
            raise EdgeError(f"The folder of --out does not exist: {str(out.parent)!r}.")
        generator = load(args.model, threads=args.threads)
        images = generator.generate(args.n, label=args.label, seed=args.seed)
        conditional_grid = generator.num_classes and args.label is None
        grid(images, columns=min(generator.num_classes, 10) if conditional_grid else None
             ).save(out)
    except EdgeError as error:
        print(f"ganzoo-edge: error: {error}", file=sys.stderr)
        return error.exit_code
    meta = generator.metadata
    print(f"Wrote {len(images)} images from {meta.get('architecture')} (step "
          f"{meta.get('training_step')}, {meta.get('format')} {meta.get('precision')}) to {out}")
    return 0
