"""``ganzoo sample``: draw new images from a trained run."""

from __future__ import annotations

import argparse

from ganzoo.cli._types import non_negative_int, positive_int
from ganzoo.plugin import CommandSpec


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", metavar="RUN", help="run directory printed by 'ganzoo train'")
    parser.add_argument("--out", required=True, metavar="FILE.png", help="PNG file to write")
    parser.add_argument("--n", type=positive_int, default=64, help="number of images (default 64)")
    parser.add_argument("--label", type=non_negative_int,
                        help="class to draw, for conditional runs (default: every class)")
    parser.add_argument("--seed", type=non_negative_int, default=0)
    parser.add_argument("--step", type=step_or_best, metavar="STEP|best",
                        help="checkpoint step, or 'best' for the lowest FID kept by "
                             "--eval-every (default: latest)")


def step_or_best(text: str) -> int | str:
    return "best" if text == "best" else positive_int(text)


def run(args: argparse.Namespace) -> int:
    import ganzoo

    images = ganzoo.sample(args.run, n=args.n, label=args.label, seed=args.seed, out=args.out,
                           step=args.step)
    print(f"Wrote {len(images)} images to {args.out}")
    return 0


COMMAND = CommandSpec("sample", "draw images from a trained run", add_arguments, run,
                      description="Draw images from a run's latest checkpoint and save them as "
                                  "a PNG grid.")
