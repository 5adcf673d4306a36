"""Your own pictures: ``ganzoo train --data FOLDER`` against the keras.io ADA example, on every
benchmark domain, for the same wall time.

Renders the domains of benchmarks/_domains.py (``pip install -e '.[bench]'``) at 64x64 on white:
per domain the full set and a 100-picture subset (the few-shot regime). Trains each
configuration for the same wall time, one process at a time:

- ``recommended``: ``ganzoo train --data FOLDER`` exactly as a user types it (the recommendation
  picks the architecture, augmentation, size and precision), with only the seed, the output and a
  step count that does not end the run first;
- ``peer``: the keras.io example "Data-efficient GANs with Adaptive Discriminator Augmentation"
  (benchmarks/_peer_gan_ada.py).

Every process is stopped with SIGTERM when its wall time (counted from its start, so TensorFlow's
start-up counts against everyone) is up; ganzoo checkpoints and stops, the peer stops. Each
moving-average generator is then scored in the shipped feature space (``ganzoo-features``, the
default of ``ganzoo eval`` for folders) against the domain's full set, beside that folder's
ladder (`ganzoo.metrics.ladder`), with the spectral distance and the lattice peak on pixels and
memorisation against the pictures the run trained on.

Fluent Emoji is the held-out domain: the recipe is never tuned on it, so it is trained only with
``--final``, for the final measurement, which is reported as it falls.

Results go to WORKDIR/DOMAIN, one folder per run; finished runs are kept and skipped, so the
matrix can be filled across sessions. ``--write-docs`` writes the tables, sample grids and 4x
crops into docs/benchmarks.md ("Your own pictures").

    python benchmarks/folder_quality.py --workdir ~/folder-bench --domains openmoji twemoji \\
        --regimes full 100-shot --configs recommended peer --minutes 30 --write-docs
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from _markdown import replace_section

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "docs" / "benchmarks.md"
IMAGES = ROOT / "docs" / "images"
TITLE, START, END = ("Your own pictures", "<!-- folder_quality.py:start -->",
                     "<!-- folder_quality.py:end -->")
SIZE = 64
FEW_SHOT = 100
TUNING = ("openmoji", "twemoji")
HELD_OUT = ("fluent-emoji",)  # trained only with --final; see the module docstring
RECOMMENDED, PEER = "recommended", "peer"
CONFIGS = (RECOMMENDED, PEER)
REGIMES = ("full", "100-shot")
GRID = 6  # pictures per side of the sample grids shown in the docs
ZOOM, CROPS = 4, 4  # the 4x crops: how many samples, beside as many real pictures


def data_folders(workdir: Path, domain: str) -> dict[str, Path]:
    import _domains

    full = _domains.render(domain, workdir / "data" / f"{domain}-{SIZE}", SIZE)
    few = workdir / "data" / f"{domain}-{SIZE}-{FEW_SHOT}"
    if not few.exists():
        _domains.subset(full, few, FEW_SHOT)
    return {"full": full, "100-shot": few}


def command(config: str, data: Path, out: Path, seed: int, seconds: float) -> list[str]:
    if config == PEER:
        return [sys.executable, str(Path(__file__).with_name("_peer_gan_ada.py")), str(data),
                str(out), "--seed", str(seed), "--seconds", str(seconds + 600)]
    # More steps than fit in the time: SIGTERM ends the run at a checkpoint.
    return ["ganzoo", "train", "--data", str(data), "--seed", str(seed), "--steps", "1000000",
            "--checkpoint-every", "500", "--out", str(out), "--quiet"]


def train(config: str, data: Path, folder: Path, seed: int, seconds: float,
          command=command, peers=(PEER,)) -> dict:
    """Run `config` (`command` makes its argv) for `seconds` of wall time, then SIGTERM it and
    wait. A config in `peers` writes its own result.json; the others are ganzoo runs."""
    if folder.exists():  # an unfinished attempt: start again
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    argv = command(config, data, folder / "train", seed, seconds)
    result = {"config": config, "seed": seed, **_run_for(argv, folder, seconds)}
    if config in peers:
        result.update(json.loads((folder / "train" / "result.json").read_text()))
    else:
        result.update(_steps(next((folder / "train").iterdir())))
    (folder / "result.json").write_text(json.dumps(result, indent=1) + "\n")
    return result


def _run_for(argv: list[str], folder: Path, seconds: float) -> dict:
    """Run `argv` for `seconds` of wall time, logging to folder/train.log, then SIGTERM it and
    wait; its command, seconds and the load average before and after."""
    load = os.getloadavg()[0]
    started = time.monotonic()
    with (folder / "train.log").open("w") as log:
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        try:
            process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:  # ganzoo exits 130 after its checkpoint
            process.send_signal(signal.SIGTERM)
            process.wait()
    trained = time.monotonic() - started
    if process.returncode not in (0, 130, -signal.SIGTERM):
        raise SystemExit(f"error: {shlex.join(argv[:3])} failed with exit status "
                         f"{process.returncode}; see {folder / 'train.log'}")
    return {"command": shlex.join(argv), "seconds": round(trained, 1),
            "load_before": round(load, 2), "load_after": round(os.getloadavg()[0], 2)}


def _steps(run_path: Path) -> dict:
    from ganzoo.runs import Run

    run = Run.open(run_path)
    steps = max(run.checkpoint_steps())
    return {"run": str(run.path), "steps": steps, "images": steps * run.config.batch_size,
            "arch": run.config.arch, "augment": run.config.augment,
            "precision": run.config.precision}


def generated(folder: Path, config: str, count: int, seed: int):
    import numpy as np

    if config == PEER:
        return np.load(folder / "train" / "samples.npz")["x"][:count]
    import ganzoo

    result = json.loads((folder / "result.json").read_text())
    return ganzoo.sample(result["run"], n=count, seed=1000 + seed)


def score(evaluator, rungs: dict, folder: Path, config: str, seed: int, trained_on) -> dict:
    """The run's figures in the shipped space (FID, KID, precision, recall, where FID and KID
    sit on the ladder), on pixels (spectral distance, lattice peak), and its memorisation of
    the pictures it trained on (`trained_on`, embedded once per regime)."""
    from lattice import lattice_peak

    from ganzoo.metrics import memorisation
    from ganzoo.metrics._ladder import position

    import numpy as np

    images = generated(folder, config, evaluator.n, seed)
    metrics = evaluator.score(images)
    real = evaluator.reference_images
    save_grid(images[:GRID * GRID], folder / "samples.png")
    np.save(folder / "samples.npy", images[:GRID * GRID])  # the grid's, for the 4x crops
    figures = {"fid": metrics.fid, "kid": metrics.kid, "precision": metrics.precision,
               "recall": metrics.recall, "spectral_distance": metrics.spectral_distance,
               "lattice_peak": lattice_peak(images) - lattice_peak(real),
               "fid_position": position(metrics.fid, rungs, "fid"),
               "kid_position": position(metrics.kid, rungs, "kid"),
               "memorisation": memorisation(evaluator.network.embed(images).features,
                                            trained_on),
               "samples": int(len(images))}
    (folder / "score.json").write_text(json.dumps(figures, indent=1) + "\n")
    return figures


def save_grid(images, path: Path) -> None:
    from ganzoo_edge.images import grid

    from ganzoo.images import save_atomic

    save_atomic(grid(images, columns=GRID), path)


def read_pictures(paths):
    import numpy as np
    from PIL import Image

    return np.stack([np.asarray(Image.open(p).convert("RGB")) for p in paths])


def _short(where: str) -> str:
    return (where.replace("between ", "").replace(" and ", "–").replace("held-out real", "real")
            .replace("at or below ", "≤ "))


def domain_table(domain: str, workdir: Path, rungs: dict, separate: bool, unseen: float,
                 copier: dict) -> str:
    lines = [f"**{domain}** ({'held out: measured once, at the end' if domain in HELD_OUT else 'a tuning domain'})",
             "",
             "| regime | run | seed | steps | images seen | load | FID | KID x1000 | "
             "on the ladder (FID; KID) | precision | recall | spectral distance | lattice peak | "
             "memorisation |",
             "|---|---|---:|---:|---:|---|---:|---:|---|---:|---:|---:|---:|---:|"]

    def pr(value):
        return f"{value:.3f}" if separate else "–"

    for name, m in rungs.items():
        lines.append(f"| ladder | {name} | | | | | {m.fid:.2f} | {1000 * m.kid:.1f} | | "
                     f"{pr(m.precision)} | {pr(m.recall)} | {m.spectral_distance:.3f} | | |")
    for regime in REGIMES:
        lines.append(f"| {regime} | real pictures it never saw | | | | | | | | | | | | "
                     f"{'0.05 by construction' if regime == 'full' else f'{unseen:.3f}'} |")
        if regime == "100-shot":
            lines.append(f"| {regime} | its {FEW_SHOT} pictures, repeated (a perfect copier) | "
                         f"| | | | {copier['fid']:.2f} | {1000 * copier['kid']:.1f} | | | | | | "
                         f"{copier['memorisation']:.3f} |")
        for config in CONFIGS:
            for folder in sorted((workdir / domain).glob(f"{regime}-{config}-s*")):
                if not (folder / "score.json").exists():
                    continue
                r = json.loads((folder / "result.json").read_text())
                s = json.loads((folder / "score.json").read_text())
                lines.append(
                    f"| {regime} | {config} | {r['seed']} | {r['steps']} | {r['images']} | "
                    f"{r['load_before']:.1f} → {r['load_after']:.1f} | {s['fid']:.2f} | "
                    f"{1000 * s['kid']:.1f} | {_short(s['fid_position'])}; "
                    f"{_short(s['kid_position'])} | {pr(s['precision'])} | {pr(s['recall'])} | "
                    f"{s['spectral_distance']:.3f} | {s['lattice_peak']:.3f} | "
                    f"{s['memorisation']:.3f} |")
    return "\n".join(lines)


def measure_domain(domain: str, workdir: Path, folders: dict, with_pictures: bool) -> str:
    """Score every trained, unscored run of `domain`; return its table, and with
    `with_pictures` its pictures, written into docs/images."""
    import numpy as np

    from ganzoo.metrics import Evaluator, ladder, memorisation
    from ganzoo.metrics._ladder import precision_recall_separate

    evaluator = Evaluator.for_data(str(folders["full"]), SIZE, 3, features="shipped",
                                   progress=True)
    rungs = ladder(evaluator)
    separate = precision_recall_separate(rungs)
    pictures_of = {regime: sorted(folder.glob("*.png")) for regime, folder in folders.items()}
    real = {regime: read_pictures(paths) for regime, paths in pictures_of.items()}
    trained_on = {regime: evaluator.network.embed(pictures).features
                  for regime, pictures in real.items()}
    # The floor: real pictures the 100-shot runs never saw, against the ones they trained on.
    names = {p.name for p in pictures_of["100-shot"]}
    unseen_paths = [p for p in pictures_of["full"] if p.name not in names][:evaluator.n]
    unseen = memorisation(evaluator.network.embed(read_pictures(unseen_paths)).features,
                          trained_on["100-shot"])
    # A generator that copies the 100 pictures exactly: the few-shot regime's own floor.
    repeat = np.arange(evaluator.n) % len(real["100-shot"])
    copied = evaluator.score(real["100-shot"][repeat])
    copier = {"fid": copied.fid, "kid": copied.kid, "memorisation": memorisation(
        trained_on["100-shot"][repeat], trained_on["100-shot"])}
    for folder in sorted((workdir / domain).glob("*-s*")):
        if (folder / "result.json").exists() and not (folder / "score.json").exists():
            regime = next(r for r in REGIMES if folder.name.startswith(r + "-"))
            config, seed = folder.name[len(regime) + 1:].rsplit("-s", 1)
            print(f"scoring {domain}/{folder.name}", flush=True)
            score(evaluator, rungs, folder, config, int(seed), trained_on[regime])
    table = domain_table(domain, workdir, rungs, separate, unseen, copier)
    return table + "\n\n" + pictures(domain, workdir, real) if with_pictures else table


def pictures(domain: str, workdir: Path, real: dict) -> str:
    """Copy the seed-0 sample grids and a grid of real pictures into docs/images, with a 4x
    crop of the recommended run's samples beside real ones; the Markdown that shows them."""
    import numpy as np

    import _domains

    shown = [(regime, config) for regime in REGIMES for config in CONFIGS
             if (workdir / domain / f"{regime}-{config}-s0" / "samples.png").exists()]
    chosen = np.sort(np.random.default_rng(0).choice(len(real["full"]), GRID * GRID,
                                                     replace=False))
    name = f"folder-{domain}-real.png"
    save_grid(real["full"][chosen], IMAGES / name)
    cells = [f"![{domain}: real pictures](images/{name})"]
    for regime, config in shown:
        name = f"folder-{domain}-{regime}-{config}.png"
        shutil.copyfile(workdir / domain / f"{regime}-{config}-s0" / "samples.png", IMAGES / name)
        cells.append(f"![{domain}: {regime}, {config}](images/{name})")
    lines = ["| real pictures | " + " | ".join(f"{r}, {c}, seed 0" for r, c in shown) + " |",
             "|---" * (len(shown) + 1) + "|", "| " + " | ".join(cells) + " |"]
    run = workdir / domain / f"full-{RECOMMENDED}-s0"
    if (run / "samples.npy").exists():
        samples = np.load(run / "samples.npy")[:CROPS]
        zoom_sheet(real["full"][chosen[:CROPS]], samples, IMAGES / f"folder-{domain}-zoom.png")
        lines += ["", f"At {ZOOM}x, real pictures (top) and the first {CROPS} samples of the "
                      f"full-set recommended run, seed 0 (bottom), not picked:", "",
                  f"![{domain} at {ZOOM}x](images/folder-{domain}-zoom.png)"]
    return "\n".join([*lines, "", _domains.attribution(domain) + "."])


def zoom_sheet(real, samples, path: Path) -> None:
    import numpy as np
    from PIL import Image

    from ganzoo.images import save_atomic

    rows = [np.concatenate(list(images), axis=1) for images in (real, samples)]
    sheet = Image.fromarray(np.concatenate(rows, axis=0))
    save_atomic(sheet.resize((sheet.width * ZOOM, sheet.height * ZOOM), Image.NEAREST), path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--domains", nargs="+", choices=TUNING + HELD_OUT, default=list(TUNING))
    parser.add_argument("--final", action="store_true",
                        help=f"allow the held-out domain ({', '.join(HELD_OUT)}): the final "
                             f"measurement, once the recipe is settled")
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--regimes", nargs="+", choices=REGIMES, default=list(REGIMES))
    parser.add_argument("--configs", nargs="+", choices=CONFIGS, default=list(CONFIGS))
    parser.add_argument("--score-only", action="store_true",
                        help="score and tabulate the finished runs; train nothing")
    parser.add_argument("--train-only", action="store_true",
                        help="train the missing runs; score nothing")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    if any(d in HELD_OUT for d in args.domains) and not args.final:
        parser.error(f"--domains {' '.join(d for d in args.domains if d in HELD_OUT)}: the "
                     f"held-out domain is measured once, at the end; pass --final for that")
    folders = {domain: data_folders(args.workdir, domain) for domain in args.domains}
    if not args.score_only:
        for domain in args.domains:
            for regime in args.regimes:
                for seed in args.seeds:
                    for config in args.configs:
                        folder = args.workdir / domain / f"{regime}-{config}-s{seed}"
                        if (folder / "result.json").exists():
                            continue
                        print(f"training {domain}/{folder.name} for {args.minutes:g} min",
                              flush=True)
                        result = train(config, folders[domain][regime], folder, seed,
                                       60 * args.minutes)
                        print(f"  {result['steps']} steps, {result['images']} images, load "
                              f"{result['load_before']} -> {result['load_after']}", flush=True)
    if args.train_only:
        return
    from ganzoo.metrics import shipped_network

    network = shipped_network()
    sections = [measure_domain(domain, args.workdir, folders[domain], args.write_docs)
                for domain in args.domains]
    header = (
        f"`python benchmarks/folder_quality.py --workdir DIR --domains {' '.join(args.domains)} "
        f"--minutes {args.minutes:g}{' --final' if args.final else ''} --write-docs` "
        f"(`pip install -e '.[bench]'`). Each domain rendered at 64x64 on white, the full set "
        f"and a {FEW_SHOT}-picture subset; each run gets {args.minutes:g} minutes of wall time on "
        f"this machine, counted from its process's start. `recommended` is `ganzoo train --data "
        f"DIR` as a user types it (images seen = steps x batch); `peer` is the keras.io ADA "
        f"example re-implemented (benchmarks/_peer_gan_ada.py; float32, batch 128, as "
        f"published). Each moving-average generator is scored on as many samples as the "
        f"ladder's rungs, against the full set: FID, KID, precision and recall in the shipped "
        f"feature space ({network.name}, fingerprint {network.short_fingerprint}; precision and "
        f"recall shown only where noise scores under half the real floor's), where FID and KID "
        f"sit on that folder's ladder, and on pixels the spectral distance and the lattice peak "
        f"(benchmarks/lattice.py; 0 = no more than the real pictures). Memorisation is against "
        f"the pictures the run trained on. Load is the 1-minute load average before and after "
        f"each run; a run keeps about 2 of it busy itself.")
    text = header + "\n\n" + "\n\n".join(sections)
    print(text)
    if args.write_docs:
        replace_section(BENCHMARKS, TITLE, START, END, text)


if __name__ == "__main__":
    main()
