"""Sample-quality benchmark: each built-in architecture, and the TensorFlow DCGAN tutorial, on
the bundled digits at 28x28, scored like `ganzoo eval` beside the real-vs-real floor.

    python benchmarks/quality.py                                  # full budget (~35 min, 2 cores)
    python benchmarks/quality.py --budget-seconds 60 --seeds 0 1  # a quick pass
    python benchmarks/quality.py ... --write-docs                 # update docs/benchmarks.md

Each ganzoo architecture trains with its defaults (3000 steps) and a fixed seed, stopped early
when `--budget-seconds` runs out (through the trainer's own Ctrl-C path, which saves a
checkpoint). ``tf-dcgan`` is a faithful re-implementation of the official TensorFlow tutorial
(tensorflow/docs, site/en/tutorials/generative/dcgan.ipynb), trained on the same digits for the
same wall time as ganzoo's dcgan run with the same seed, and scored the same way. The only
change to the tutorial is a seed (``keras.utils.set_random_seed``) so that runs repeat.

Every generator is scored on `--draws` batches of latents (5 by default) and its figures are
their mean: one batch of 898 samples moves precision and recall by about 0.013 from draw to
draw. A ganzoo run that keeps a generator weight average is scored twice, with the average
(what users sample) and with its trained weights.

This is not a unit test: figures depend on the machine's speed, because budgets are wall time.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from _markdown import replace_section

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"
GANZOO_ARCHS = ("mlp-gan", "dcgan", "cgan")
TUTORIAL = "tf-dcgan"
TITLE, START, END = "Sample quality", "<!-- quality.py:start -->", "<!-- quality.py:end -->"
METRICS = (("FID ↓", "fid", "{:.2f}"), ("KID x1000 ↓", "kid", "{:.1f}"),
           ("precision ↑", "precision", "{:.3f}"), ("recall ↑", "recall", "{:.3f}"),
           ("memorisation ↓", "memorisation", "{:.3f}"),
           ("class consistency ↑", "class_consistency", "{:.3f}"))


@dataclass
class Result:
    arch: str
    seed: int
    steps: int
    seconds: float
    metrics: dict[str, float | None]  # means over the latent draws
    errors: dict[str, float] = field(default_factory=dict)  # their standard errors
    weights: str = "average"  # or "trained": the run's generator without weight averaging


# --- the TensorFlow DCGAN tutorial, as published (benchmarks/_reference.py) ---------------------

def train_tutorial(images_uint8: np.ndarray, seconds: float, seed: int):
    """The tutorial's data pipeline, losses, optimizers and two-tape step, for `seconds`."""
    import keras
    import tensorflow as tf

    from _reference import BATCH_SIZE, tutorial_models_and_step

    keras.utils.set_random_seed(seed)
    train_images = (images_uint8.astype("float32") - 127.5) / 127.5
    dataset = (tf.data.Dataset.from_tensor_slices(train_images).shuffle(60000)
               .batch(BATCH_SIZE))
    generator, _, train_step = tutorial_models_and_step()

    started, steps = time.perf_counter(), 0
    while time.perf_counter() - started < seconds:
        for image_batch in dataset:
            train_step(image_batch)
            steps += 1
            if time.perf_counter() - started >= seconds:
                break
    return generator, steps, time.perf_counter() - started


# --- ganzoo runs, stopped by wall time ----------------------------------------------------------

def train_ganzoo(arch: str, seed: int, out: Path, budget: float | None,
                 precision: str = "float32"):
    """`ganzoo.train` with the architecture's defaults, stopped after `budget` seconds through
    the trainer's own Ctrl-C handling (stop after this step, save a checkpoint)."""
    import ganzoo

    # The budget counts from the call (a few seconds of data loading and model building
    # included); `result.seconds`, the training loop's own time, is what tf-dcgan gets.
    previous = signal.signal(signal.SIGINT, lambda *_: None)  # a late alarm must not kill us
    timer = None
    if budget is not None:
        timer = threading.Timer(budget, os.kill, (os.getpid(), signal.SIGINT))
        timer.start()
    try:
        return ganzoo.train(arch, data="digits", seed=seed, out=out, progress=False,
                            precision=precision)
    finally:
        if timer:
            timer.cancel()
        signal.signal(signal.SIGINT, previous)


class Scorer:
    """Scores a generator on `draws` independent latent batches (latent seeds 0, 1, ...) with
    the evaluator `ganzoo eval` uses, and reports each metric's mean and standard error.

    One batch of 898 samples leaves precision and recall about ±0.017 apart from one draw to
    the next (binomial noise); the mean of 5 draws is good to about ±0.008.
    """

    def __init__(self, n: int | None, draws: int) -> None:
        from ganzoo.metrics import Evaluator

        self.draws = draws
        self.evaluators = {
            conditional: [Evaluator.for_data("digits", 28, 1, n=n, seed=draw,
                                             conditional=conditional, progress=draw == 0)
                          for draw in range(draws)]
            for conditional in (False, True)}
        self.evaluator = self.evaluators[False][0]  # for the floor and the feature network

    def __call__(self, generate, num_classes: int = 0) -> tuple[dict, dict]:
        """`generate(count, seed, labels)` returns uint8 images; a conditional generator
        (`num_classes` > 0) is asked for every class in turn."""
        from ganzoo.sampling import grid_labels

        scores = []
        for draw, evaluator in enumerate(self.evaluators[bool(num_classes)]):
            labels = grid_labels(evaluator.n, num_classes) if num_classes else None
            scores.append(vars(evaluator.score(generate(evaluator.n, draw, labels), labels)))
        means, errors = {}, {}
        for key, value in scores[0].items():
            if isinstance(value, float):
                values = np.array([score[key] for score in scores])
                means[key] = float(values.mean())
                errors[key] = (float(values.std(ddof=1) / np.sqrt(len(values)))
                               if len(values) > 1 else 0.0)
            else:
                means[key] = value
        return means, errors


def run(archs: list[str], seeds: list[int], budget: float | None, n: int | None,
        out: Path, precision: str = "float32", draws: int = 5) -> tuple[list[Result], object]:
    """Train and score everything; return the results and an evaluator (for the floor and
    the feature network, shared by every score)."""
    from ganzoo.images import to_uint8
    from ganzoo.sampling import generate, latents

    import _reference as tutorial

    results: list[Result] = []
    score = Scorer(n, draws)
    evaluator = score.evaluator
    for seed in seeds:
        dcgan_seconds = None
        for arch in [a for a in archs if a != TUTORIAL]:
            print(f"[quality] training {arch} seed {seed}...", file=sys.stderr, flush=True)
            result = train_ganzoo(arch, seed, out / f"seed{seed}", budget, precision)
            config = result.run.config
            # A run with ema_decay=0 keeps no average: its trained weights are what users get.
            for weights in ("average", "trained") if config.ema_decay else ("trained",):
                generator = result.run.load_generator(averaged=weights == "average")
                metrics, errors = score(
                    lambda count, draw, labels: generate(generator, count, config.latent_dim,
                                                         draw, labels),
                    config.num_classes)
                results.append(Result(arch, seed, result.step, result.seconds, metrics, errors,
                                      weights))
                print(f"[quality] {arch} seed {seed} ({weights} weights): step {result.step} "
                      f"in {result.seconds:.0f} s, {metrics}", file=sys.stderr, flush=True)
            if arch == "dcgan":
                dcgan_seconds = result.seconds
        if TUTORIAL in archs:
            seconds = dcgan_seconds or budget
            if seconds is None:
                raise SystemExit("tf-dcgan trains for the wall time of ganzoo's dcgan run: "
                                 "include dcgan in --archs or give --budget-seconds.")
            print(f"[quality] training {TUTORIAL} seed {seed} for {seconds:.0f} s...",
                  file=sys.stderr, flush=True)
            generator, steps, took = train_tutorial(evaluator.sample.images, seconds, seed)

            def tutorial_images(count, draw, labels, generator=generator):
                z = latents(count, tutorial.NOISE_DIM, seed=draw)
                return to_uint8(np.concatenate([np.asarray(generator(z[i:i + 256],
                                                                     training=False))
                                                for i in range(0, count, 256)]))

            metrics, errors = score(tutorial_images)
            results.append(Result(TUTORIAL, seed, steps, took, metrics, errors, "trained"))
            print(f"[quality] {TUTORIAL} seed {seed}: {steps} steps in {took:.0f} s, "
                  f"{metrics}", file=sys.stderr, flush=True)
    return results, evaluator


def _summary(values: list[float], fmt: str) -> str:
    if not values:
        return "-"
    mean = float(np.mean(values))
    if len(values) == 1:
        return fmt.format(mean)
    return f"{fmt.format(mean)} ± {fmt.format((max(values) - min(values)) / 2)}"


def _scaled(key: str, value: float) -> float:
    return value * (1000 if key == "kid" else 1)


def users_generators(results: list[Result]) -> list[Result]:
    """Per run, the generator ``ganzoo sample`` draws from: its weight average if it keeps one."""
    averaged = {(r.arch, r.seed) for r in results if r.weights == "average"}
    return [r for r in results
            if r.weights == "average" or (r.arch, r.seed) not in averaged]


def table(results: list[Result], archs: list[str], evaluator) -> str:
    """One row per architecture (the generator users get): the mean over seeds ± half the
    range."""
    header = ["architecture", "steps", "seconds"] + [name for name, _, _ in METRICS]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for arch in archs:
        rows = [r for r in users_generators(results) if r.arch == arch]
        if not rows:
            continue
        cells = [f"`{arch}`", _summary([r.steps for r in rows], "{:.0f}"),
                 _summary([r.seconds for r in rows], "{:.0f}")]
        for _, key, fmt in METRICS:
            values = [_scaled(key, r.metrics[key]) for r in rows
                      if r.metrics.get(key) is not None]
            cells.append(_summary(values, fmt))
        lines.append("| " + " | ".join(cells) + " |")
    floor = vars(evaluator.floor)
    # Class consistency's ceiling is the classifier's held-out accuracy.
    floor["class_consistency"] = evaluator.network.held_out_accuracy
    cells = ["real-vs-real floor", "", ""]
    for _, key, fmt in METRICS:
        value = floor.get(key)
        cells.append("-" if value is None else fmt.format(_scaled(key, value)))
    lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def per_run_table(results: list[Result]) -> str:
    """Every run's own figures, for the weight average and the trained weights, each the mean
    over the latent draws ± its standard error."""
    rows = ["| architecture | weights | seed | steps | seconds | "
            + " | ".join(h for h, _, _ in METRICS) + " |",
            "|---|---|---|---|---|" + "---|" * len(METRICS)]
    for result in sorted(results, key=lambda r: (r.seed, r.arch == TUTORIAL)):
        cells = []
        for _, key, fmt in METRICS:
            value = result.metrics.get(key)
            if value is None:
                cells.append("-")
                continue
            error = result.errors.get(key)
            cells.append(fmt.format(_scaled(key, value)) + (
                f" ± {fmt.format(_scaled(key, error))}" if error else ""))
        rows.append(f"| `{result.arch}` | {result.weights} | {result.seed} | {result.steps} | "
                    f"{result.seconds:.0f} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def against_tutorial(results: list[Result]) -> list[str]:
    """Per seed: on which metrics ganzoo's dcgan (the generator users get) beats the
    tutorial."""
    better = {"fid": "lower", "kid": "lower", "precision": "higher", "recall": "higher"}
    names = {"fid": "FID", "kid": "KID", "precision": "precision", "recall": "recall"}
    lines = []
    for seed in sorted({r.seed for r in results}):
        ours = [r for r in users_generators(results) if r.seed == seed and r.arch == "dcgan"]
        theirs = [r for r in results if r.seed == seed and r.arch == TUTORIAL]
        if not ours or not theirs:
            continue
        formats = {key: fmt for _, key, fmt in METRICS}
        verdicts: dict[str, list[str]] = {"better": [], "equal": [], "worse": []}
        for key, direction in better.items():
            a, b = (_scaled(key, r[0].metrics[key]) for r in (ours, theirs))
            shown = [formats[key].format(value) for value in (a, b)]
            verdict = ("equal" if shown[0] == shown[1] else
                       "better" if (a < b if direction == "lower" else a > b) else "worse")
            verdicts[verdict].append(f"{names[key]} ({shown[0]} against {shown[1]})")
        lines.append(f"- seed {seed}: dcgan is " + "; ".join(
            f"{verdict} on {', '.join(items)}" for verdict, items in verdicts.items() if items)
            + ".")
    return lines


def section(results, archs, seeds, budget, evaluator, command: str, precision: str,
            draws: int) -> str:
    features = evaluator.feature_info
    budget_text = (f"a wall-time budget of **{budget:g} s** per run (stopped early through the "
                   f"trainer's Ctrl-C path; the default budget is 3000 steps)"
                   if budget is not None else "each architecture's default 3000 steps")
    samples = evaluator.n
    comparison = against_tutorial(results)
    return "\n".join([
        f"Produced by `{command}` ({time.strftime('%Y-%m-%d')}, {os.cpu_count()}-core CPU, "
        f"load average {os.getloadavg()[0]:.2f} at the end). Budget: {budget_text}; ganzoo "
        f"runs in {precision}; `tf-dcgan` trains for the same wall time as ganzoo's `dcgan` "
        f"with the same seed. Seeds: {', '.join(map(str, seeds))}.",
        "",
        f"Each generator is scored {draws} times, on {draws} independent batches of {samples} "
        f"latents (latent seeds 0 to {draws - 1}), by the evaluator `ganzoo eval` uses: "
        f"against {len(evaluator.real.reference_features)} real reference images, in the "
        f"feature space of {features.name} (fingerprint `{features.fingerprint[:12]}`, "
        f"held-out accuracy {100 * features.held_out_accuracy:.1f} %); a run's figure is the "
        f"mean of its {draws} scores. The floor is {samples} other real digits scored the same "
        f"way ([metrics](metrics.md)). KID is x1000; class consistency applies to the "
        f"conditional `cgan` only; its floor is the classifier's held-out accuracy.",
        "",
        "The generator users get (the weight average where the architecture keeps one), mean "
        "over seeds ± half the range:",
        "",
        table(results, archs, evaluator),
        "",
        "Every run, with its weight average (if it keeps one) and with the trained weights; ± "
        f"is the standard error of the mean over the {draws} latent draws:",
        "",
        per_run_table(results),
        "",
        *(["ganzoo's default dcgan against the TensorFlow tutorial trained for the same time:",
           "", *comparison, ""] if comparison else []),
        *(["**These figures come from a short budget and say little about converged "
           "quality;** rerun without `--budget-seconds` for the default budget.", ""]
          if budget is not None else []),
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--archs", nargs="+", default=[*GANZOO_ARCHS, TUTORIAL],
                        help=f"what to train (default: {' '.join([*GANZOO_ARCHS, TUTORIAL])})")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    parser.add_argument("--budget-seconds", type=float,
                        help="stop each run after this many seconds (default: no limit, the "
                             "architecture's 3000 steps)")
    parser.add_argument("--n", type=int, help="samples per score (default: evaluate's)")
    parser.add_argument("--draws", type=int, default=5,
                        help="score each generator on this many latent batches and report "
                             "the mean (default 5)")
    parser.add_argument("--precision", default="float32",
                        choices=("float32", "mixed_bfloat16", "mixed_float16"),
                        help="precision of the ganzoo runs (the tutorial stays float32)")
    parser.add_argument("--runs", type=Path,
                        help="keep the run directories here (default: a temporary folder)")
    parser.add_argument("--write-docs", action="store_true",
                        help="write the table into docs/benchmarks.md (its 'Sample quality' "
                             "section)")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.archs) - {*GANZOO_ARCHS, TUTORIAL})
    if unknown:
        parser.error(f"unknown --archs {', '.join(unknown)}; choose from "
                     f"{', '.join([*GANZOO_ARCHS, TUTORIAL])}")
    if TUTORIAL in args.archs and "dcgan" not in args.archs and args.budget_seconds is None:
        parser.error("tf-dcgan trains for the wall time of ganzoo's dcgan: include dcgan in "
                     "--archs or give --budget-seconds")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    command = "python benchmarks/quality.py " + " ".join(
        shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv))
    with tempfile.TemporaryDirectory(prefix="ganzoo-quality-") as temporary:
        out = args.runs or Path(temporary)
        results, evaluator = run(args.archs, args.seeds, args.budget_seconds, args.n, out,
                                 args.precision, args.draws)
    text = section(results, args.archs, args.seeds, args.budget_seconds, evaluator,
                   command.strip(), args.precision, args.draws)
    print(text)
    if args.write_docs:
        replace_section(DOCS, TITLE, START, END, text)
        print(f"Wrote the 'Sample quality' section of {DOCS}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
