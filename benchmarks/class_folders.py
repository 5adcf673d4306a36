"""Class folders: `ganzoo train --data FOLDER` on a folder of class subfolders, per class.

    python benchmarks/class_folders.py --workdir DIR --domains twemoji \\
        --configs conditional unconditional cgan peer --seeds 0 --minutes 30 [--write-docs]

Each domain of the folder benchmark (benchmarks/_domains.py), rendered at 64x64 on white, sorted
into one subfolder per Unicode emoji group (`_domains.by_group`: 9 classes, from 85 to about
2,400 pictures). Each config trains for the same wall time, then draws each class:

- ``conditional``: ``ganzoo train --data DIR`` as a user types it (``cfastgan``, the
  recommendation for class folders);
- ``unconditional``: the same with ``--unconditional`` (``fastgan``); its samples are sorted into
  classes by the consistency classifier below, from a pool of `POOL` samples;
- ``cgan``: ``ganzoo train --arch cgan --data DIR`` (the folder's defaults for a named
  architecture);
- ``peer``: the keras.io conditional GAN example, re-implemented and moved to these folders
  (benchmarks/_peer_conditional.py);
- variants of ``conditional``, only when named in ``--configs``: ``ganzoo train --data DIR``
  with some of cfastgan's module constants changed (`VARIANTS`).

Scored per class in the shipped feature space against that class's own real pictures, beside
the class's own floor and ladder (`ganzoo.metrics.ClassScore`, as ``ganzoo eval`` does for a
conditional run): FID, KID, recall and class consistency (the share of samples the domain
classifier, trained on the real folder's labels, assigns to the class drawn); the intra-FID is
the mean of the per-class FIDs. A class is "collapsed" when its recall is under half of its
floor's. Figures use each class evaluator's size; a class too small to score gets a note.
``--train-only`` and ``--score-only`` split the two halves; finished runs are kept.

Then whether the samples teach a classifier (`ganzoo.metrics.classifier_score`'s measurement,
for any of the configs): CAS, a classifier trained on generated pictures only (as many per class
as the rarest class has real training pictures) tested on the held-out real fifth, beside the
same classifier trained on as many real pictures (the ceiling); and the augmentation gain, real
pictures alone against real plus generated, at 10 and 50 real pictures per class and at all of
them. For the unconditional model the generated pictures of a class are those the consistency
classifier put there, from the same pool.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path

from _markdown import replace_section
import folder_quality

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

SIZE = 64
TUNING, HELD_OUT = ("openmoji", "twemoji"), ("fluent-emoji",)
CONFIGS = ("conditional", "unconditional", "cgan", "peer")
# Variants of the conditional config (opt-in with --configs): cfastgan's module constants, set in
# the training process and again while its run draws (the generator is rebuilt from the code).
VARIANTS = {"conditional-normalized": {"NORMALIZE_EMBEDDING": True}}
CHILD = """
import json, sys
import ganzoo.architectures.cfastgan as cfastgan
for name, value in json.loads(sys.argv[1]).items():
    setattr(cfastgan, name, value)
from ganzoo.cli import main
sys.exit(main(sys.argv[2:]))
"""
POOL = 8000  # unconditional samples sorted into classes
PER_CLASS_GRID = 8  # samples per class in the grids
ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "docs" / "benchmarks.md"
IMAGES = ROOT / "docs" / "images"
TITLE = "Class folders"
START, END = "<!-- class_folders.py:start -->", "<!-- class_folders.py:end -->"


def class_folder(workdir: Path, domain: str) -> Path:
    import _domains

    full = _domains.render(domain, workdir / "data" / f"{domain}-{SIZE}", SIZE)
    return _domains.by_group(domain, full, workdir / "data" / f"{domain}-{SIZE}-groups")


def command(config: str, data: Path, out: Path, seed: int, seconds: float) -> list[str]:
    if config == "peer":
        return [sys.executable, str(Path(__file__).with_name("_peer_conditional.py")),
                str(data), str(out), "--seed", str(seed), "--seconds", str(seconds + 600)]
    flags = {"conditional": [], "unconditional": ["--unconditional"],
             "cgan": ["--arch", "cgan"]}.get(config, [])
    ganzoo = ([sys.executable, "-c", CHILD, json.dumps(VARIANTS[config])] if config in VARIANTS
              else ["ganzoo"])
    # More steps than fit in the time: SIGTERM ends the run at a checkpoint.
    return [*ganzoo, "train", "--data", str(data), *flags, "--seed", str(seed),
            "--steps", "1000000", "--checkpoint-every", "500", "--out", str(out), "--quiet"]


@contextmanager
def constants_of(config: str):
    """cfastgan's module constants as `config` trained with, while inside."""
    import ganzoo.architectures.cfastgan as cfastgan

    changes = VARIANTS.get(config, {})
    previous = {name: getattr(cfastgan, name) for name in changes}
    for name, value in changes.items():
        setattr(cfastgan, name, value)
    try:
        yield
    finally:
        for name, value in previous.items():
            setattr(cfastgan, name, value)


def drawer(folder: Path, config: str, seed: int, classifier, classes: int):
    """`draw(count, label)`: `count` uint8 samples of class `label` from the run in `folder`
    (None where an unconditional pool holds too few of the class)."""
    import numpy as np

    result = json.loads((folder / "result.json").read_text())
    if config == "peer":
        import _peer_conditional

        return _peer_conditional.drawer(folder / "train", 1000 + seed)
    import ganzoo

    if config != "unconditional":
        return lambda count, label: ganzoo.sample(result["run"], n=count, label=label,
                                                  seed=1000 + seed)
    pool = ganzoo.sample(result["run"], n=POOL, seed=1000 + seed)
    assigned = classifier.embed(pool).probabilities.argmax(axis=1)
    np.save(folder / "pool-classes.npy", np.bincount(assigned, minlength=classes))

    def draw(count: int, label: int):
        chosen = pool[assigned == label][:count]
        return chosen if len(chosen) == count else None

    return draw


def score(evaluator, folder: Path, config: str, seed: int, names: list[str]) -> dict:
    """Per-class figures of one run (written to folder/score.json) and its grid, a row per
    class."""
    with constants_of(config):
        return _score(evaluator, folder, config, seed, names)


def _score(evaluator, folder: Path, config: str, seed: int, names: list[str]) -> dict:
    import numpy as np

    from ganzoo.metrics._per_class import class_evaluator, frequency_labels
    from ganzoo.metrics._ladder import ladder, position

    draw = drawer(folder, config, seed, evaluator.classifier, len(names))
    rows, grid = {}, []
    for label, name in enumerate(names):
        sub = class_evaluator(evaluator, label)
        if sub is None:
            rows[name] = {"note": "too few real pictures to score"}
            continue
        images = draw(sub.n, label)
        if images is None:
            rows[name] = {"note": f"the unconditional model drew fewer than {sub.n} of this "
                                  f"class in {POOL} samples"}
            continue
        grid.append(images[:PER_CLASS_GRID])
        metrics = sub.score(images, np.full(sub.n, label, np.int32))
        rungs = ladder(sub)
        # The unconditional model's samples of a class are those the classifier put there.
        consistency = None if config == "unconditional" else metrics.class_consistency
        rows[name] = {"fid": metrics.fid, "kid": metrics.kid, "recall": metrics.recall,
                      "consistency": consistency, "n": sub.n,
                      "floor_fid": sub.floor.fid, "floor_recall": sub.floor.recall,
                      "fid_position": position(metrics.fid, rungs, "fid"),
                      "collapsed": bool(metrics.recall < 0.5 * sub.floor.recall)}
    scored = [row["fid"] for row in rows.values() if "fid" in row]
    figures = {"intra_fid": float(np.mean(scored)) if scored else None,
               "intra_fid_classes": len(scored), "classes": rows}
    if config == "unconditional":
        figures["pool_classes"] = np.load(folder / "pool-classes.npy").tolist()
    else:  # overall, labels drawn at the real class frequencies
        labels = frequency_labels(evaluator.sample, evaluator.n)
        overall = np.concatenate([draw(int((labels == c).sum()), c) for c in range(len(names))
                                  if (labels == c).any()])
        ordered = np.sort(labels)
        metrics = evaluator.score(overall, ordered)
        figures.update(fid=metrics.fid, kid=metrics.kid, consistency=metrics.class_consistency)
    figures["classifier_score"] = classifier_figures(evaluator.sample, len(names), draw)
    (folder / "score.json").write_text(json.dumps(figures, indent=1) + "\n")
    if grid:
        from ganzoo_edge.images import grid as tile

        from ganzoo.images import save_atomic

        save_atomic(tile(np.concatenate(grid), columns=PER_CLASS_GRID), folder / "samples.png")
    return figures


class _TooFew(Exception):
    """The unconditional pool holds too few samples of a class."""


def classifier_figures(sample, classes: int, draw) -> dict:
    """CAS and the augmentation gains of the samples `draw` gives (a note where it gives too
    few of a class)."""
    import dataclasses

    import numpy as np

    from ganzoo.metrics._classifier_score import measure

    def generate(labels):
        parts = [draw(int((labels == c).sum()), c) for c in range(classes)]
        short = [c for c, part in enumerate(parts) if part is None]
        if short:
            raise _TooFew(f"the unconditional model drew too few of classes {short} in {POOL} "
                          f"samples")
        return np.concatenate(parts)

    try:
        return dataclasses.asdict(measure(sample, classes, generate, progress=True))
    except _TooFew as error:
        return {"note": str(error)}


def domain_table(domain: str, workdir: Path, names: list[str], counts: list[int],
                 accuracy: float) -> str:
    # Variants are experiments: their figures go to docs/design/class-folders.md, not here.
    runs = sorted(p for p in (workdir / domain).glob("*-s*") if (p / "score.json").exists()
                  and p.name.rsplit("-s", 1)[0] not in VARIANTS)
    lines = [f"**{domain}** by Unicode group ({len(names)} classes, "
             f"{', '.join(f'{n} {c}' for n, c in zip(names, counts))}; consistency classifier "
             f"held-out accuracy {100 * accuracy:.1f} %)", "",
             "| run | seed | steps | intra-FID | overall FID | overall KID x1000 | consistency | "
             "collapsed classes |", "|---|---:|---:|---:|---:|---:|---:|---|"]
    for run in runs:
        result = json.loads((run / "result.json").read_text())
        s = json.loads((run / "score.json").read_text())
        collapsed = [n for n, row in s["classes"].items() if row.get("collapsed")]

        def figure(key, scale=1.0, digits=2):
            return "–" if s.get(key) is None else f"{scale * s[key]:.{digits}f}"

        partial = ("" if s["intra_fid_classes"] == len(names)
                   else f" ({s['intra_fid_classes']} of {len(names)} classes)")
        lines.append(f"| {result['config']} | {result['seed']} | {result['steps']} | "
                     f"{figure('intra_fid')}{partial} | {figure('fid')} | "
                     f"{figure('kid', 1000, 1)} | "
                     f"{figure('consistency', 1, 3)} | {', '.join(collapsed) or 'none'} |")
    lines += ["", "Per class (FID in the shipped space; where it sits on that class's own "
                  "ladder; recall against the class floor's; consistency):", "",
              "| run | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for run in runs:
        s = json.loads((run / "score.json").read_text())
        cells = []
        for name in names:
            row = s["classes"].get(name, {})
            if "fid" not in row:
                cells.append(row.get("note", "–"))
                continue
            consistency = ("" if row["consistency"] is None
                           else f", {100 * row['consistency']:.0f} %")
            cells.append(f"{row['fid']:.1f} ({row['fid_position']}); recall "
                         f"{row['recall']:.2f}/{row['floor_recall']:.2f}{consistency}")
        lines.append(f"| {run.name} | " + " | ".join(cells) + " |")
    return "\n".join(lines + [""] + cas_table(runs))


def cas_table(runs: list[Path]) -> list[str]:
    """CAS beside its ceiling, and the augmentation gain at each amount of real pictures."""
    scores = {run.name: json.loads((run / "score.json").read_text()).get("classifier_score")
              for run in runs}
    measured = [s for s in scores.values() if s and "accuracy" in s]
    if not measured:
        return []
    first = measured[0]
    amounts = [g["real_per_class"] for g in first["augmentation"]]
    heads = [("all real" if n is None else f"{n} real / class") + " → + generated"
             for n in amounts]
    lines = [f"Classifier score ({first['per_class']} generated pictures per class; tested on "
             f"{first['test_count']} held-out real pictures; chance {100 * first['chance']:.1f} "
             f"%) and augmentation gain (accuracy on real alone → with the generated added):",
             "", "| run | CAS | real ceiling | CAS / ceiling | " + " | ".join(heads) + " |",
             "|---" * (4 + len(heads)) + "|"]
    for name, s in scores.items():
        if not s or "accuracy" not in s:
            lines.append(f"| {name} | {(s or {}).get('note', 'not measured')} |" + " |" * (
                2 + len(heads)))
            continue
        gains = [f"{100 * g['real']:.1f} → {100 * g['augmented']:.1f} ({100 * g['gain']:+.1f})"
                 for g in s["augmentation"]]
        lines.append(f"| {name} | {100 * s['accuracy']:.1f} % | {100 * s['ceiling']:.1f} % | "
                     f"{100 * s['accuracy'] / s['ceiling']:.0f} % | " + " | ".join(gains) + " |")
    return lines


def measure_domain(domain: str, workdir: Path, data: Path, with_pictures: bool) -> str:
    import numpy as np

    import _domains
    from ganzoo.metrics import Evaluator

    evaluator = Evaluator.for_data(str(data), SIZE, 3, features="shipped", conditional=True,
                                   progress=True)
    names = sorted(p.name for p in data.iterdir() if p.is_dir())
    counts = np.bincount(evaluator.sample.labels, minlength=len(names)).tolist()
    for folder in sorted((workdir / domain).glob("*-s*")):
        if (folder / "result.json").exists() and not (folder / "score.json").exists():
            config, seed = folder.name.rsplit("-s", 1)
            print(f"scoring {domain}/{folder.name}", flush=True)
            score(evaluator, folder, config, int(seed), names)
    table = domain_table(domain, workdir, names, counts,
                         evaluator.classifier.held_out_accuracy or float("nan"))
    if not with_pictures:
        return table
    cells, heads = [], []
    for folder in sorted((workdir / domain).glob("*-s0")):
        if (folder / "samples.png").exists() and folder.name[:-3] not in VARIANTS:
            name = f"classes-{domain}-{folder.name[:-3]}.png"
            shutil.copyfile(folder / "samples.png", IMAGES / name)
            heads.append(folder.name[:-3])
            cells.append(f"![{domain}: {folder.name}](images/{name})")
    pictures = ["", f"Seed 0, a row per class ({', '.join(names)}), the first "
                    f"{PER_CLASS_GRID} samples of each, not picked:", "",
                "| " + " | ".join(heads) + " |", "|---" * len(heads) + "|",
                "| " + " | ".join(cells) + " |", "", _domains.attribution(domain) + "."]
    return table + "\n" + "\n".join(pictures)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--domains", nargs="+", choices=TUNING + HELD_OUT, default=["twemoji"])
    parser.add_argument("--final", action="store_true",
                        help="allow the held-out domain: the final measurement")
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--configs", nargs="+", choices=CONFIGS + tuple(VARIANTS),
                        default=list(CONFIGS))
    parser.add_argument("--score-only", action="store_true")
    parser.add_argument("--train-only", action="store_true")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    if any(d in HELD_OUT for d in args.domains) and not args.final:
        parser.error("the held-out domain is measured once, at the end; pass --final for that")
    data = {domain: class_folder(args.workdir, domain) for domain in args.domains}
    if not args.score_only:
        for domain in args.domains:
            for seed in args.seeds:
                for config in args.configs:
                    folder = args.workdir / domain / f"{config}-s{seed}"
                    if (folder / "result.json").exists():
                        continue
                    print(f"training {domain}/{folder.name} for {args.minutes:g} min",
                          flush=True)
                    result = folder_quality.train(config, data[domain], folder, seed,
                                                  60 * args.minutes, command, ("peer",))
                    print(f"  {result['steps']} steps, load {result['load_before']} -> "
                          f"{result['load_after']}", flush=True)
    if args.train_only:
        return
    sections = [measure_domain(domain, args.workdir, data[domain], args.write_docs)
                for domain in args.domains]
    header = (f"`python benchmarks/class_folders.py --workdir DIR --domains "
              f"{' '.join(args.domains)} --minutes {args.minutes:g} --write-docs`: each config "
              f"trained for {args.minutes:g} minutes of wall time on this machine; figures in the "
              f"shipped feature space, per class against that class's real pictures.")
    text = header + "\n\n" + "\n\n".join(sections)
    print(text)
    if args.write_docs:
        replace_section(BENCHMARKS, TITLE, START, END, text)


if __name__ == "__main__":
    main()
