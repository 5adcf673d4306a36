"""Which of fastgan's deviations from the paper hold on a folder: variants side by side.

    python benchmarks/fastgan_variants.py --data FOLDER --workdir DIR --steps 3000 \\
        --variants default d-spectral-norm d-excitation [--seed 0]

Trains ``fastgan`` on FOLDER at 64 px as ``ganzoo train --data FOLDER`` does (the recommended
``diffaugment-no-cutout``, ``--precision auto``, batch 8), one variant at a time in its own
process, for the same seed and the same wall time on this CPU measured alone: the default trains
``--steps``, and a variant that costs more or less per step trains as many steps as fit in the
default's time, from the seconds per step each takes here (benchmarks/fastgan_flops.py's timing,
60 steps after 20 warm-up, measured first, in this process; its FLOP per step is shown beside).
Training is deterministic on a CPU with a seed, so once the step counts are set the figures do not
depend on what else the machine runs.

Each run's weight average draws as many pictures as the folder's ladder scores (seed 1000 +
seed), scored in the shipped feature space against the folder: FID, KID and recall, where FID
and KID sit on that folder's ladder, and on pixels the spectral distance and the lattice peak
(benchmarks/lattice.py). ``DIR/variants.png``: per variant its log spectrum beside the real
one's and a 4x zoom of its first samples beside real pictures.

Variants set module constants of ``ganzoo.architectures.fastgan`` in the child process (the
deviations its docstring names, and the paper's choice for each):
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

SIZE = 64
VARIANTS = {
    "default": {},
    # the official code's spectral norm on every discriminator convolution (batch norm kept)
    "d-spectral-norm": {"D_SPECTRAL_NORM": True},
    # skip-layer excitation in the discriminator at 64 px: the 32x32 map gates the 8x8 one
    "d-excitation": {"D_EXCITATION_RATIO": 4},
    # the official up-blocks: a second convolution at 8, 32 and 128 px only
    "official-up-blocks": {"TWO_CONVOLUTIONS": [8, 32, 128]},
    # one convolution at 64 px, the generator's costliest stage (the official code's too)
    "one-convolution-at-64": {"TWO_CONVOLUTIONS": [16, 32, 128, 256]},
    "width-24": {"WIDTH": 24},
    "width-48": {"WIDTH": 48},
    "nearest": {"UPSAMPLING": "nearest"},  # the paper's upsampling (benchmarks/lattice.py)
}
__doc__ += "".join(f"\n- ``{name}``: {json.dumps(constants)}" for name, constants in
                   VARIANTS.items()) + "\n"

CHILD = """
import json, sys
import ganzoo.architectures.fastgan as fastgan
for name, value in json.loads(sys.argv[1]).items():
    setattr(fastgan, name, value)
import ganzoo
result = ganzoo.train("fastgan", data=sys.argv[2], image_size=64, steps=int(sys.argv[3]),
                      augment="diffaugment-no-cutout", precision="auto", batch_size=8,
                      seed=int(sys.argv[5]), out=sys.argv[4], progress=False, sample_every=500,
                      checkpoint_every=500)
print(result.run.path)
"""


def set_constants(constants: dict) -> dict:
    """Set fastgan's module constants; return their previous values."""
    import ganzoo.architectures.fastgan as fastgan

    previous = {name: getattr(fastgan, name) for name in constants}
    for name, value in constants.items():
        setattr(fastgan, name, value)
    return previous


def train(variant: str, constants: dict, data: str, steps: int, workdir: Path,
          seed: int = 0) -> Path:
    """Train `variant` (fastgan with `constants`) in a child process, once: a finished run is
    found again from ``workdir/variant/run.txt``."""
    done = workdir / variant / "run.txt"
    if done.exists():
        return Path(done.read_text().strip())
    out = workdir / variant / "runs"
    started = time.perf_counter()
    finished = subprocess.run([sys.executable, "-c", CHILD, json.dumps(constants), data,
                               str(steps), str(out), str(seed)],
                              check=True, capture_output=True, text=True)
    path = Path(finished.stdout.strip().splitlines()[-1])
    done.write_text(str(path))
    print(f"{variant}: {steps} steps in {(time.perf_counter() - started) / 60:.1f} min",
          flush=True)
    return path


def step_flop(constants: dict) -> int:
    """Multiply-adds of a training step per image (fastgan_flops.py's count) with `constants`."""
    from fastgan_flops import multiply_adds, step_multiply_adds

    import ganzoo.architectures.fastgan as fastgan

    previous = set_constants(constants)
    try:
        generator = multiply_adds(fastgan.build_generator((SIZE, SIZE, 3), 0, 256))
        discriminator = multiply_adds(fastgan.build_discriminator((SIZE, SIZE, 3), 0))
    finally:
        set_constants(previous)
    return step_multiply_adds(generator, discriminator)


def seconds_per_step(constants: dict) -> float:
    from fastgan_flops import step_seconds

    previous = set_constants(constants)
    try:
        return step_seconds(SIZE, 8, 60)[0]
    finally:
        set_constants(previous)


def measure(constants: dict, run: Path, evaluator, rungs: dict, seed: int) -> dict:
    import ganzoo
    from ganzoo.metrics import log_spectrum
    from ganzoo.metrics._ladder import position
    from lattice import lattice_peak

    previous = set_constants(constants)  # a run's generator is rebuilt from the code
    try:
        images = ganzoo.sample(run, n=evaluator.n, seed=1000 + seed)
    finally:
        set_constants(previous)
    metrics = evaluator.score(images)
    return {"images": images, "spectrum": log_spectrum(images), "fid": metrics.fid, "kid": metrics.kid, "recall": metrics.recall,
            "spectral_distance": metrics.spectral_distance,
            "lattice_peak": lattice_peak(images) - lattice_peak(evaluator.reference_images),
            "fid_position": position(metrics.fid, rungs, "fid"),
            "kid_position": position(metrics.kid, rungs, "kid")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--steps", type=int, default=3000,
                        help="the default's steps; other variants get as much wall time")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--variants", nargs="+", default=["default"], choices=list(VARIANTS))
    args = parser.parse_args()
    from lattice import picture

    from ganzoo.metrics import Evaluator, ladder

    args.workdir.mkdir(parents=True, exist_ok=True)
    timing = args.workdir / "seconds-per-step.json"  # measured once, alone
    seconds = json.loads(timing.read_text()) if timing.exists() else {}
    for v in dict.fromkeys(["default", *args.variants]):
        if v not in seconds:
            seconds[v] = seconds_per_step(VARIANTS[v])
            timing.write_text(json.dumps(seconds, indent=1) + "\n")
    steps = {v: round(args.steps * seconds["default"] / seconds[v]) for v in args.variants}
    runs = {v: train(v, VARIANTS[v], args.data, steps[v], args.workdir, args.seed)
            for v in args.variants}
    evaluator = Evaluator.for_data(args.data, SIZE, 3, features="shipped", progress=True)
    rungs = ladder(evaluator)
    results = {v: measure(VARIANTS[v], run, evaluator, rungs, args.seed)
               for v, run in runs.items()}
    floor = evaluator.floor
    print(f"{args.data}, seed {args.seed}, {evaluator.n} samples; features "
          f"{evaluator.network.name} ({evaluator.network.fingerprint[:12]})\n\n"
          "| variant | seconds per step | GFLOP per image and step | steps | FID | KID x1000 | "
          "on the ladder (FID; KID) | recall | spectral distance | lattice peak |\n"
          "|---|---:|---:|---:|---:|---:|---|---:|---:|---:|\n"
          f"| real (held-out) | | | | {floor.fid:.2f} | {1000 * floor.kid:.1f} | | "
          f"{floor.recall:.3f} | {floor.spectral_distance:.3f} | 0.000 |")
    for v, r in results.items():
        print(f"| {v} | {seconds[v]:.3f} | {2 * step_flop(VARIANTS[v]) / 1e9:.2f} | {steps[v]} | "
              f"{r['fid']:.2f} | {1000 * r['kid']:.1f} | "
              f"{r['fid_position']}; {r['kid_position']} | {r['recall']:.3f} | "
              f"{r['spectral_distance']:.3f} | {r['lattice_peak']:.3f} |")
    picture(results, evaluator.reference_images, args.workdir / "variants.png")
    print(f"\nwrote {args.workdir / 'variants.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
