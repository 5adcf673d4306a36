"""``ganzoo eval``: measure a run's sample quality beside the real-vs-real floor."""

from __future__ import annotations

import argparse

from ganzoo.cli._types import non_negative_int, positive_int
from ganzoo.plugin import CommandSpec


def checkpoint_choice(text: str) -> int | str:
    return text if text in ("best", "all") else positive_int(text)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", metavar="RUN", nargs="?",
                        help="run directory printed by 'ganzoo train' (or --real and --fake)")
    parser.add_argument("--real", metavar="FOLDER",
                        help="with --fake, no RUN: a folder of real pictures, the reference")
    parser.add_argument("--fake", metavar="FOLDER",
                        help="with --real, no RUN: a folder of pictures to score, from any "
                             "generator")
    parser.add_argument("--image-size", type=positive_int, metavar="SIDE",
                        help="with --real/--fake: the side both folders are read at (default: "
                             "the side of --fake's first picture)")
    parser.add_argument("--n", type=positive_int,
                        help="samples per checkpoint (default: half the real images, at most "
                             "10000, as many as the floor uses)")
    parser.add_argument("--features", choices=("auto", "shipped", "domain", "inception"),
                        default="auto",
                        help="feature network: 'shipped' (ships with ganzoo; figures compare "
                             "across folders), 'domain' (a network trained on the run's own "
                             "data, cached), 'inception' (InceptionV3 ImageNet weights) or "
                             "'auto' (default: shipped for a folder of pictures, domain for "
                             "the digits and other named or .npz data)")
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
    from ganzoo.errors import GanzooError

    folders = args.real is not None or args.fake is not None
    if folders:
        if args.run is not None or args.real is None or args.fake is None:
            raise GanzooError("Give either RUN or both --real FOLDER and --fake FOLDER. "
                              f"Received: RUN={args.run!r}, --real={args.real!r}, "
                              f"--fake={args.fake!r}.")
        for flag in ("checkpoint", "trained_weights", "classifier_score"):
            if getattr(args, flag):
                raise GanzooError(f"--{flag.replace('_', '-')} scores a run; it has no "
                                  f"meaning with --real and --fake.")
        from ganzoo.metrics import evaluate_folders

        features = "shipped" if args.features == "auto" else args.features
        report = evaluate_folders(args.real, args.fake, image_size=args.image_size, n=args.n,
                                  features=features, seed=args.seed,
                                  inception_weights=args.inception_weights, progress=True)
        print(report.to_json() if args.json else report.table())
        return 0
    if args.run is None:
        raise GanzooError("Give a run directory (RUN), or --real FOLDER and --fake FOLDER.")
    if args.image_size is not None:
        raise GanzooError("--image-size applies to --real/--fake; a run is scored at its own "
                          "size.")
    report = ganzoo.evaluate(args.run, n=args.n, features=args.features,
                             checkpoint=args.checkpoint, seed=args.seed,
                             inception_weights=args.inception_weights, progress=True,
                             averaged=not args.trained_weights,
                             classifier_score=args.classifier_score)
    print(report.to_json() if args.json else report.table())
    return 0


COMMAND = CommandSpec(
    "eval", "measure sample quality (FID, KID, precision, recall, ...)", add_arguments, run,
    description="Score a run's checkpoint(s), or a folder of pictures against a folder of real "
                "ones (--real, --fake): FID, KID, precision and recall, memorisation, the "
                "spectral distance, an inception-style score and, for conditional runs, class "
                "consistency, each beside the real-vs-real floor (two halves of the real data) "
                "and the ladder of the real pictures damaged in known ways.")
