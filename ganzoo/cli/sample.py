"""``ganzoo sample``: draw new images from a trained run, as a grid or as a data set."""

from __future__ import annotations

import argparse

from ganzoo.cli._types import latent_seed, positive_int
from ganzoo.plugin import CommandSpec


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", metavar="RUN", help="run directory printed by 'ganzoo train'")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--out", metavar="FILE.png", help="PNG grid to write")
    target.add_argument("--out-dir", metavar="DIR",
                        help="folder to write a data set to: one image file per sample (a "
                             "subfolder per class for conditional runs), manifest.csv and "
                             "manifest.jsonl")
    # Counts and fractions are checked by the API, so a bad value is one line, as from Python.
    parser.add_argument("--n", type=int, help="number of images (default 64; with --out-dir, "
                                              "split evenly over the classes)")
    parser.add_argument("--per-class", type=int, metavar="N",
                        help="with --out-dir: images per class, for conditional runs")
    parser.add_argument("--label", metavar="CLASS",
                        help="class to draw, a name or an index, for conditional runs "
                             "(default: every class)")
    parser.add_argument("--seed", type=latent_seed, default=0)
    parser.add_argument("--step", type=step_or_best, metavar="STEP|best",
                        help="checkpoint step, or 'best' for the lowest FID kept by "
                             "--eval-every (default: latest)")
    parser.add_argument("--truncation", type=float, metavar="PSI",
                        help="redraw latent entries with |z| > PSI (BigGAN truncation): "
                             "smaller trades variety for quality")
    parser.add_argument("--keep-best", type=float, metavar="FRACTION",
                        help="keep this fraction (0 < FRACTION <= 1) of candidates, the ones "
                             "the run's discriminator rates most real, per class")
    parser.add_argument("--format", default="png", metavar="png|jpg|webp",
                        help="with --out-dir: image file format (default png)")
    parser.add_argument("--overwrite", action="store_true",
                        help="with --out-dir: replace an existing non-empty DIR")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def step_or_best(text: str) -> int | str:
    return "best" if text == "best" else positive_int(text)


def run(args: argparse.Namespace) -> int:
    import ganzoo
    from ganzoo.errors import GanzooError

    if args.out_dir is None:
        for flag, value in (("--per-class", args.per_class), ("--overwrite", args.overwrite),
                            ("--format", args.format if args.format != "png" else None)):
            if value:
                raise GanzooError(f"{flag} applies to data sets written with --out-dir, not to "
                                  f"a --out grid. Received: {flag}={value}.")
        images = ganzoo.sample(args.run, n=64 if args.n is None else args.n, label=args.label,
                               seed=args.seed, out=args.out, step=args.step,
                               truncation=args.truncation, keep_best=args.keep_best)
        print(f"Wrote {len(images)} images to {args.out}")
        return 0
    if args.label is not None:
        raise GanzooError(f"--label draws one class into a grid; a data set takes every class "
                          f"(use --per-class). Received: --label={args.label}.")
    summary = ganzoo.sample_dataset(
        args.run, args.out_dir, n=args.n, per_class=args.per_class, seed=args.seed,
        step=args.step, truncation=args.truncation, keep_best=args.keep_best,
        format=args.format, overwrite=args.overwrite, progress=not args.quiet)
    print(f"Wrote {summary.count} images to {summary.path} (manifest: {summary.manifest})")
    return 0


COMMAND = CommandSpec(
    "sample", "draw images from a trained run (a grid or a labelled data set)", add_arguments,
    run, description="Draw images from a run's latest checkpoint and save them as a PNG grid "
                     "(--out) or as a labelled data set with a manifest (--out-dir).")
