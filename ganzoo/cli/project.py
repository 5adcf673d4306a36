"""``ganzoo project RUN IMAGE... --out DIR``: the latents from which a run redraws pictures."""

from __future__ import annotations

import argparse

from ganzoo.cli._types import latent_seed, positive_int
from ganzoo.cli.sample import step_or_best
from ganzoo.plugin import CommandSpec


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ganzoo.projection import STEPS

    parser.add_argument("run", metavar="RUN", help="run directory printed by 'ganzoo train'")
    parser.add_argument("images", metavar="IMAGE", nargs="+", help="picture files to redraw")
    parser.add_argument("--out", required=True, metavar="DIR",
                        help="folder for latents.npy, projection.json and each picture beside "
                             "its reconstruction")
    parser.add_argument("--steps", type=positive_int, default=STEPS,
                        help=f"optimisation steps (default {STEPS})")
    parser.add_argument("--seed", type=latent_seed, default=0,
                        help="seed of the starting candidates (default 0)")
    parser.add_argument("--label", metavar="CLASS",
                        help="conditional runs: the pictures' class, a name or an index "
                             "(default: the class that fits each picture best)")
    parser.add_argument("--step", type=step_or_best, metavar="STEP|best",
                        help="checkpoint step, or 'best' (default: latest)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    import ganzoo

    found = ganzoo.project(args.run, args.images, out=args.out, steps=args.steps,
                           seed=args.seed, label=args.label, step=args.step,
                           progress=not args.quiet)
    print(found.table())
    print(f"Wrote {len(found.images)} latents to {args.out}/latents.npy (draw them without "
          f"TensorFlow: ganzoo-edge MODEL --latents {args.out}/latents.npy --out grid.png)")
    return 0


COMMAND = CommandSpec(
    "project", "find the latents from which a run redraws given pictures", add_arguments, run,
    description="Optimise one latent per picture so the run's generator redraws it (StyleGAN's "
                "projector, on ganzoo's shipped features plus pixels), and report each error "
                "beside the distance from the picture to its nearest other real picture.")
