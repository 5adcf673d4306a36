"""``ganzoo interpolate``: a walk through a run's latent space as an animation."""

from __future__ import annotations

import argparse

from ganzoo.cli._types import latent_seed, positive_int
from ganzoo.errors import GanzooError
from ganzoo.plugin import CommandSpec


def seed_list(text: str) -> list[int]:
    try:
        seeds = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers such as 0,5,9, "
                                         f"received {text!r}")
    if any(seed < 0 for seed in seeds):
        raise argparse.ArgumentTypeError(f"expected seeds >= 0, received {text!r}")
    return seeds


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", metavar="RUN", help="run directory printed by 'ganzoo train'")
    parser.add_argument("--out", required=True, metavar="FILE",
                        help="walk.gif, walk.webp, walk.mp4 (pip install 'ganzoo[video]') or "
                             "walk.png (all frames in one grid)")
    latents = parser.add_mutually_exclusive_group()
    latents.add_argument("--seeds", type=seed_list, metavar="S,S,...",
                         help="one latent per seed, visited in order (e.g. 0,5,9)")
    latents.add_argument("--n", type=positive_int, default=4,
                         help="number of random latents to visit (default 4)")
    latents.add_argument("--from-images", nargs="+", metavar="IMAGE",
                         help="walk between real pictures: each is projected first (as "
                              "'ganzoo project' does), then visited in order")
    parser.add_argument("--seed", type=latent_seed, default=0,
                        help="seed of the --n random latents")
    parser.add_argument("--frames-per-step", type=positive_int, default=16, metavar="FRAMES",
                        help="frames between two latents (default 16)")
    parser.add_argument("--fps", type=float, default=12.0, help="frames per second (default 12)")
    parser.add_argument("--no-loop", dest="loop", action="store_false",
                        help="stop at the last latent instead of walking back to the first")
    parser.add_argument("--label", metavar="CLASS",
                        help="conditional runs: walk within this class, a name or an index "
                             "(default: every class side by side)")
    parser.add_argument("--across-classes", action="store_true",
                        help="conditional runs: hold the first latent and step through the "
                             "classes")
    parser.add_argument("--step", type=positive_int, help="checkpoint step (default: latest)")


def run(args: argparse.Namespace) -> int:
    import ganzoo

    latents, label = None, args.label
    if args.from_images:
        if len(args.from_images) < 2:
            raise GanzooError(f"--from-images needs at least 2 pictures to walk between. "
                              f"Received: {' '.join(args.from_images)}.")
        found = ganzoo.project(args.run, args.from_images, seed=args.seed, label=args.label,
                               step=args.step)
        latents = found.latents
        if found.labels is not None and label is None and len(set(found.labels)) == 1:
            label = int(found.labels[0])  # the pictures' own class, where they share one
    frames = ganzoo.interpolate(args.run, seeds=args.seeds, n=args.n, seed=args.seed,
                                frames_per_step=args.frames_per_step, label=label,
                                across_classes=args.across_classes, loop=args.loop,
                                fps=args.fps, out=args.out, step=args.step, latents=latents)
    print(f"Wrote {len(frames)} frames ({frames.shape[2]}x{frames.shape[1]}) to {args.out}")
    return 0


COMMAND = CommandSpec("interpolate", "animate a walk through a run's latent space",
                      add_arguments, run,
                      description="Walk between latents by spherical interpolation, looping "
                                  "back to the first, and write the frames as an animation or "
                                  "a grid.")
