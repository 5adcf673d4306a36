"""``ganzoo eval``: measure a run's sample quality beside the real-vs-real floor."""

from __future__ import annotations

import argparse

from ganzoo.cli._types import non_negative_int, positive_int
from ganzoo.plugin import CommandSpec


def checkpoint_choice(text: str) -> int | str:
    return text if text in ("best", "all") else positive_int(text)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", metavar="RUN", help="run directory printed by 'ganzoo train'")
    parser.add_argument("--n", type=positive_int,
                        help="samples per checkpoint (default: half the real images, at most "
                             "10000, as many as the floor uses)")
    parser.add_argument("--features", choices=("domain", "inception"), default="domain",
                        help="feature network: 'domain' (a classifier trained on the run's "
                             "labelled data, cached; offline) or 'inception' (InceptionV3 "
                             "ImageNet weights; default domain)")
    parser.add_argument("--inception-weights", metavar="FILE.h5",
                        help="InceptionV3 weights file (default: Keras' cache, ~/.keras/models)")
    parser.add_argument("--checkpoint", type=checkpoint_choice, metavar="STEP|best|all",
                        help="checkpoint to score: a step, 'best' (lowest FID, kept by "
                             "--eval-every) or 'all' (default: latest)")
    parser.add_argument("--seed", type=non_negative_int, default=0,
                        help="seed of the latent vectors and KID's subsets")
    parser.add_argument("--trained-weights", action="store_true",
                        help="score the trained generator weights instead of their moving "
                             "average (what 'ganzoo sample' and export use)")
    parser.add_argument("--classifier-score", action="store_true",
                        help="conditional runs: also train a classifier on generated images "
                             "and test it on held-out real ones (Classification Accuracy "
                             "Score, beside the real-data ceiling and chance), and measure the "
                             "gain of adding them to 10 real images per class")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def run(args: argparse.Namespace) -> int:
    import ganzoo

    report = ganzoo.evaluate(args.run, n=args.n, features=args.features,
                             checkpoint=args.checkpoint, seed=args.seed,
                             inception_weights=args.inception_weights, progress=True,
                             averaged=not args.trained_weights,
                             classifier_score=args.classifier_score)
    print(report.to_json() if args.json else report.table())
    return 0


COMMAND = CommandSpec(
    "eval", "measure sample quality (FID, KID, precision, recall, ...)", add_arguments, run,
    description="Score a run's checkpoint(s): FID, KID, precision and recall, memorisation, an "
                "inception-style score and, for conditional runs, class consistency, each beside "
                "the real-vs-real floor (two halves of the real data).")
