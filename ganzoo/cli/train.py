"""``ganzoo train``: train an architecture, or resume a run."""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess

from ganzoo.cli._types import decay, non_negative_int, positive_int
from ganzoo.plugin import CommandSpec
from ganzoo.training.runtime import PRECISIONS, STRATEGIES


def add_arguments(parser: argparse.ArgumentParser) -> None:
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--arch", help="architecture name (see 'ganzoo list'; default: the one "
                                       "recommended for --data, printed when training starts)")
    target.add_argument("--resume", metavar="RUN", help="continue RUN from its last checkpoint")
    parser.add_argument("--data", help="dataset name (default: digits, which ships with ganzoo), "
                                       "a folder of images, or an .npz file")
    parser.add_argument("--steps", type=positive_int, help="total generator updates")
    parser.add_argument("--batch-size", type=positive_int)
    parser.add_argument("--image-size", type=positive_int,
                        help="side in pixels, e.g. 28, 32, 64 (default: 64 for a folder where "
                             "the architecture builds it, else the architecture's)")
    parser.add_argument("--channels", type=int, choices=(1, 3))
    parser.add_argument("--loss", help="adversarial loss (default: the architecture's)")
    parser.add_argument("--latent-dim", type=positive_int)
    parser.add_argument("--seed", type=non_negative_int,
                        help="seeds weights, data order and latents (default 0)")
    parser.add_argument("--out", default="runs", help="folder for run directories (default: runs)")
    parser.add_argument("--sample-every", type=positive_int, metavar="STEPS")
    parser.add_argument("--checkpoint-every", type=positive_int, metavar="STEPS")
    parser.add_argument("--log-every", type=positive_int, metavar="STEPS",
                        help="interval of metrics.jsonl lines (default 50)")
    parser.add_argument("--eval-every", type=positive_int, metavar="STEPS",
                        help="measure FID, KID, precision and recall every STEPS steps and keep "
                             "the checkpoint with the lowest FID as 'best' (see 'ganzoo eval')")
    parser.add_argument("--ema-decay", type=decay, metavar="DECAY",
                        help="sample, evaluate and export a moving average of the generator's "
                             "weights with this decay (default: the architecture's; 0 turns "
                             "it off)")
    parser.add_argument("--augment", metavar="NAME",
                        help="discriminator augmentation for small data: diffaugment, "
                             "diffaugment-no-cutout, ada or none (default over 32 px: "
                             "diffaugment-no-cutout for fastgan, diffaugment for the others; "
                             "none for digits-sized data; see docs/training.md)")
    parser.add_argument("--strict", action="store_true", default=None,
                        help="fail on the first unreadable image instead of skipping it")
    # Checked by ganzoo.train (ganzoo.data.folder), which knows the valid values.
    parser.add_argument("--background", metavar="COLOUR",
                        help="colour that transparent pixels of a folder's images are composited "
                             "onto: white (default), black or #rrggbb")
    parser.add_argument("--fit", help="how a folder's non-square images become square: crop "
                                      "(default: the centre square), pad or stretch")
    parser.add_argument("--precision", choices=PRECISIONS,
                        help="numeric precision of the networks' computation; auto: bfloat16 "
                             "where the hardware has it (default: auto for pictures over 32 px, "
                             "float32 for digits-sized data)")
    parser.add_argument("--xla", action=argparse.BooleanOptionalAction, default=None,
                        help="compile the training step with XLA")
    parser.add_argument("--strategy", choices=STRATEGIES,
                        help="one device (default), all local GPUs, or the machines in TF_CONFIG")
    parser.add_argument("--unconditional", action="store_true",
                        help="with a folder of class subfolders and no --arch: ignore the "
                             "classes (default: a class-conditional model)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    import ganzoo

    result = ganzoo.train(
        args.arch, args.data, steps=args.steps, batch_size=args.batch_size,
        image_size=args.image_size, channels=args.channels, loss=args.loss,
        latent_dim=args.latent_dim, seed=args.seed, out=args.out, resume=args.resume,
        sample_every=args.sample_every, checkpoint_every=args.checkpoint_every,
        log_every=args.log_every,
        strict=args.strict, progress=not args.quiet, eval_every=args.eval_every,
        precision=args.precision, xla=args.xla, strategy=args.strategy,
        unconditional=args.unconditional,
        ema_decay=args.ema_decay, augment=args.augment, background=args.background,
        fit=args.fit)
    if not result.chief:
        print(f"Worker finished at step {result.step}; the chief worker wrote the run directory.")
        return 0
    if result.interrupted:
        print(f"Stopped at step {result.step}; checkpoint saved. Continue with: "
              f"ganzoo train --resume {result.path}")
        print(result.path)
        return 130
    print(f"Trained to step {result.step} in {result.seconds:.0f} s "
          f"({result.images_per_second:.0f} images/s). Samples: {result.run.samples_dir}")
    print("\n".join(next_commands(result.path)))
    print(result.path)  # last: scripts read the run directory from it
    return 0


def next_commands(run: str | os.PathLike) -> list[str]:
    """What to do with a trained run, as commands to copy: sample, evaluate, export."""
    # Quoted for the shell it will be pasted into: shlex would quote every Windows path.
    path = subprocess.list2cmdline([str(run)]) if os.name == "nt" else shlex.quote(str(run))
    commands = [(f"ganzoo sample {path} --out grid.png", "64 new images in a grid"),
                (f"ganzoo eval {path}", "sample quality: FID, KID, ..."),
                (f"ganzoo export {path}", "SavedModel, TFLite and ONNX files, each checked")]
    width = max(len(command) for command, _ in commands)
    return ["Next:", *(f"  {command.ljust(width)}  # {what}" for command, what in commands)]


COMMAND = CommandSpec("train", "train an architecture (or resume a run)", add_arguments, run,
                      description="Train a GAN. Prints the commands to run next, then the run "
                                  "directory, always the last line.")
