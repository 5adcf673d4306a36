"""Does ganzoo's synthetic data help a classifier? CAS, augmentation gain, and the filters.

For each conditional run (default: train `cgan` and `acgan` on digits with their defaults),
measure with the evaluator of ``ganzoo eval`` and with `ganzoo.metrics.classifier_score`:

- the Classification Accuracy Score (Ravuri & Vinyals 2019, arXiv 1905.10887) beside the
  real-data ceiling and chance, and the gain of adding the generated images to 10 real images
  per class;
- what ``--truncation PSI`` and ``--keep-best FRACTION`` do to precision, recall, FID and the
  classifier score.

Writes the tables into docs/benchmarks.md ("Synthetic data") and docs/metrics.md ("Truncation
and rejection, measured") with ``--write-docs``.

    python benchmarks/synthetic_data.py --runs runs/cgan-* runs/acgan-* --write-docs
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shlex
import sys
import time
from pathlib import Path

from _markdown import replace_section

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "docs" / "benchmarks.md"
METRICS = ROOT / "docs" / "metrics.md"
TITLE, START, END = ("Synthetic data", "<!-- synthetic_data.py:start -->",
                     "<!-- synthetic_data.py:end -->")
FILTER_TITLE, FILTER_START, FILTER_END = (
    "Truncation and rejection, measured", "<!-- synthetic_data.py:filters:start -->",
    "<!-- synthetic_data.py:filters:end -->")
# (label, truncation, keep_best)
VARIANTS = (("none", None, None), ("--truncation 1.0", 1.0, None),
            ("--truncation 0.5", 0.5, None), ("--keep-best 0.5", None, 0.5),
            ("--keep-best 0.25", None, 0.25))
SMALL = 10  # real images per class of the augmentation gain


def measure(run_path: Path, variants, seed: int, save=lambda rows: None) -> list[dict]:
    from ganzoo.metrics import Evaluator, classifier_score
    from ganzoo.runs import Run
    from ganzoo.sampling import _filtered, grid_labels

    run = Run.open(run_path)
    config = run.config
    evaluator = Evaluator.for_data(config.data, config.image_size, config.channels,
                                   conditional=True, seed=seed)
    labels = grid_labels(evaluator.n, config.num_classes)
    rows = []
    for label, truncation, keep_best in variants:
        started = time.perf_counter()
        images = _filtered(run, None, labels, len(labels), seed, truncation, keep_best)
        metrics = evaluator.score(images, labels)
        score = classifier_score(run, seed=seed, truncation=truncation, keep_best=keep_best,
                                 real_per_class=(SMALL,))
        rows.append({"run": run.path.name, "arch": config.arch, "variant": label,
                     "metrics": dataclasses.asdict(metrics), "score": dataclasses.asdict(score),
                     "seconds": time.perf_counter() - started})
        print(f"{run.path.name} {label}: FID {metrics.fid:.2f} precision "
              f"{metrics.precision:.3f} recall {metrics.recall:.3f} CAS "
              f"{100 * score.accuracy:.1f} % (ceiling {100 * score.ceiling:.1f} %) gain "
              f"{100 * score.augmentation[0].gain:+.1f} ({rows[-1]['seconds']:.0f} s)",
              file=sys.stderr,
              flush=True)
        save(rows)
    return rows


def _small(score: dict) -> dict:
    """The augmentation figures at `SMALL` real images per class."""
    return next(g for g in score["augmentation"] if g["real_per_class"] == SMALL)


def _pct(value: float) -> str:
    return f"{100 * value:.1f} %"


def cas_table(rows: list[dict]) -> str:
    lines = ["| run | CAS (generated only) | real ceiling | chance | gap to ceiling | "
             "10 real / class | + generated | augmentation gain |",
             "|---|---|---|---|---|---|---|---|"]
    for row in rows:
        if row["variant"] != "none":
            continue
        s = row["score"]
        lines.append(f"| `{row['arch']}` ({row['run']}) | {_pct(s['accuracy'])} | "
                     f"{_pct(s['ceiling'])} | {_pct(s['chance'])} | "
                     f"{100 * (s['ceiling'] - s['accuracy']):.1f} points | "
                     f"{_pct(_small(s)['real'])} | {_pct(_small(s)['augmented'])} | "
                     f"{100 * _small(s)['gain']:+.1f} points |")
    return "\n".join(lines)


def filter_table(rows: list[dict]) -> str:
    lines = ["| run | filter | FID ↓ | precision ↑ | recall ↑ | class consistency ↑ | "
             "CAS ↑ | augmentation gain ↑ |", "|---|---|---|---|---|---|---|---|"]
    for row in rows:
        m, s = row["metrics"], row["score"]
        lines.append(f"| `{row['arch']}` | {row['variant']} | {m['fid']:.2f} | "
                     f"{m['precision']:.3f} | {m['recall']:.3f} | {m['class_consistency']:.3f} "
                     f"| {_pct(s['accuracy'])} | {100 * _small(s)['gain']:+.1f} points |")
    return "\n".join(lines)


def header(command: str, rows: list[dict]) -> str:
    s = rows[0]["score"]
    commands = list(dict.fromkeys(row.get("command", command) for row in rows))
    return (f"Produced by {' and '.join(f'`{c}`' for c in commands)} "
            f"({time.strftime('%Y-%m-%d')}, {os.cpu_count()}-core CPU shared with other jobs, "
            f"load average {os.getloadavg()[0]:.2f} at the end). Each classifier is the domain "
            f"network's recipe trained for {s['updates']} updates and tested on the "
            f"{s['test_count']} held-out real digits; generated sets hold {s['per_class']} "
            f"images per class (as many as the real ceiling's), drawn by the data-set writer "
            f"(`ganzoo sample --out-dir --per-class {s['per_class']}`) from the weight average "
            f"at the last checkpoint, latent seed 0. One run per architecture, one draw: "
            f"differences of a point or two are within the noise.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", nargs="+", type=Path,
                        help="conditional run directories to measure (default: train cgan "
                             "and acgan on digits with their defaults)")
    parser.add_argument("--out", type=Path, default=Path("runs"),
                        help="where to train when --runs is not given")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--variants", nargs="+", metavar="FILTER",
                        choices=[label for label, _, _ in VARIANTS],
                        help="filters to measure (default: all; 'none' is the unfiltered "
                             "data set)")
    parser.add_argument("--results", type=Path,
                        help="a JSON file that keeps every measurement: runs measured by "
                             "earlier calls appear in the tables too")
    parser.add_argument("--report-only", action="store_true",
                        help="measure nothing: write the tables of what --results holds")
    parser.add_argument("--write-docs", action="store_true",
                        help="write the tables into docs/benchmarks.md and docs/metrics.md")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import ganzoo

    command = "python benchmarks/synthetic_data.py " + " ".join(
        shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv))
    if args.report_only and not (args.results and args.results.exists()):
        parser.error("--report-only needs an existing --results file")
    runs = [] if args.report_only else args.runs or [
        ganzoo.train(arch, out=args.out, seed=args.seed).run.path for arch in ("cgan", "acgan")]
    variants = [v for v in VARIANTS if args.variants is None or v[0] in args.variants]
    earlier = (json.loads(args.results.read_text())
               if args.results and args.results.exists() else [])

    def merged(new: list[dict]) -> list[dict]:
        done = {(r["run"], r["variant"]) for r in new}
        return [r for r in earlier if (r["run"], r["variant"]) not in done] + new

    def save(new: list[dict]) -> None:
        for row in new:
            row.setdefault("command", command.strip())
        if args.results:  # after every measurement: a long benchmark keeps what it measured
            args.results.write_text(json.dumps(merged(new), indent=1))

    measured: list[dict] = []
    for run in runs:
        measured += measure(run, variants, args.seed, lambda rows: save(measured + rows))
    save(measured)
    rows = merged(measured)
    rows.sort(key=lambda r: (r["arch"], r["run"], [v[0] for v in VARIANTS].index(r["variant"])))
    benchmark_text = "\n".join([header(command.strip(), rows), "", cas_table(rows), ""])
    filter_text = "\n".join([header(command.strip(), rows), "",
                             "FID, precision, recall and class consistency are scored by "
                             "the evaluator of `ganzoo eval` (898 samples, drawn as the "
                             "data-set writer draws them, against 899 real reference digits, "
                             "domain features); CAS and the gain as above.", "",
                             filter_table(rows), ""])
    print(benchmark_text)
    print(filter_text)
    if args.write_docs:
        replace_section(BENCHMARKS, TITLE, START, END, benchmark_text)
        if any(row["variant"] != "none" for row in rows):
            replace_section(METRICS, FILTER_TITLE, FILTER_START, FILTER_END, filter_text)
        print(f"Wrote the sections of {BENCHMARKS} and {METRICS}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
