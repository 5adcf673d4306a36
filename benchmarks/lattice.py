"""Where does fastgan's lattice come from? Variants trained side by side, spectra and 4x crops.

    python benchmarks/lattice.py --data FOLDER --workdir DIR --steps 2500 \\
        --variants nearest bilinear [--write-docs NAME]

Trains ``fastgan`` on FOLDER at 64 px with the recommended flags (``diffaugment-no-cutout``,
``--precision auto``, batch 8), one variant at a time in its own process, for the same number of
steps and seed, then draws 512 pictures from each run's weight average and measures:

- the spectral distance to the real pictures (Durall et al. 2020, `ganzoo.metrics`);
- the lattice peak: at each frequency that is a multiple of side / 8 on both axes, how far the
  mean 2-D log power rises above its 8 neighbours, minus the same for the real pictures
  (decades of power; 0 = no more peak than the data has);
- FID and KID in the shipped feature space against the folder.

and writes ``DIR/lattice.png``: per variant, its log spectrum beside the real one's, and a 4x
zoom of a few samples beside real pictures. Variants change one module constant of
``ganzoo.architectures.fastgan`` in the child process (the default is the first listed):

- ``nearest`` / ``bilinear``: the generator's upsampling (`fastgan.UPSAMPLING`).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = Path(__file__).resolve().parent.parent
SIZE = 64
SAMPLES = 512
VARIANTS = {"nearest": {"UPSAMPLING": "nearest"}, "bilinear": {"UPSAMPLING": "bilinear"}}

def lattice_peak(images, side: int = SIZE) -> float:
    """How far the mean 2-D power spectrum of `images` rises at the lattice frequencies (every
    multiple of side / 8 on both axes, zero frequency left out) above the mean of each one's
    8 neighbours, in decades: a lattice every 8 pixels puts its power exactly there, where the
    azimuthal average of the spectral distance dilutes it over whole rings."""
    import numpy as np

    from ganzoo.metrics._spectrum import _grey

    power = (np.abs(np.fft.fft2(_grey(images))) ** 2).mean(axis=0)
    step = side // 8
    rises = []
    for u in range(0, side, step):
        for v in range(0, side, step):
            if u == v == 0:
                continue
            around = [power[(u + du) % side, (v + dv) % side]
                      for du in (-1, 0, 1) for dv in (-1, 0, 1) if du or dv]
            rises.append(np.log10(power[u, v] + 1e-12) - np.log10(np.mean(around) + 1e-12))
    return float(np.mean(rises))


def train(variant: str, data: str, steps: int, workdir: Path) -> Path:
    from fastgan_variants import train as train_variant

    return train_variant(variant, VARIANTS[variant], data, steps, workdir)


def measure(variant: str, run: Path, real, evaluator) -> dict:
    import ganzoo
    from fastgan_variants import set_constants
    from ganzoo.metrics import log_spectrum, spectral_distance

    # A run's generator is rebuilt from the code: with the variant's constants, as it trained.
    set_constants(VARIANTS[variant])
    images = ganzoo.sample(run, n=SAMPLES, seed=1)
    metrics = evaluator.score(images[:evaluator.n])
    spectrum = log_spectrum(images)
    return {"images": images, "spectrum": spectrum,
            "spectral_distance": spectral_distance(images, real),
            "lattice_peak": lattice_peak(images) - lattice_peak(real),
            "fid": metrics.fid, "kid": metrics.kid}


def picture(results: dict, real, path: Path) -> None:
    """Per variant a row: its spectrum against the real one, then 4x crops of 4 samples."""
    from PIL import Image, ImageDraw

    from ganzoo.metrics import log_spectrum

    zoom, plot_w, plot_h = 4, 260, SIZE * 4
    real_spectrum = log_spectrum(real)
    rows = [("real", None, real[:4])] + [(n, r["spectrum"], r["images"][:4])
                                         for n, r in results.items()]
    low = min(min(r["spectrum"].min() for r in results.values()), real_spectrum.min())
    high = max(max(r["spectrum"].max() for r in results.values()), real_spectrum.max())
    sheet = Image.new("RGB", (plot_w + 4 * SIZE * zoom, len(rows) * (SIZE * zoom + 20)), "white")
    pen = ImageDraw.Draw(sheet)
    for row, (name, spectrum, images) in enumerate(rows):
        top = row * (SIZE * zoom + 20)
        pen.text((4, top + 2), name, fill="black")
        for curve, colour in ((real_spectrum, (150, 150, 150)), (spectrum, (200, 30, 30))):
            if curve is None:
                continue
            points = [(10 + i * (plot_w - 20) / (len(curve) - 1),
                       top + 20 + (plot_h - 10) * (high - v) / (high - low))
                      for i, v in enumerate(curve)]
            pen.line(points, fill=colour, width=2)
        for index, image in enumerate(images):
            big = Image.fromarray(image).resize((SIZE * zoom, SIZE * zoom), Image.NEAREST)
            sheet.paste(big, (plot_w + index * SIZE * zoom, top + 20))
    sheet.save(path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--steps", type=int, default=2500)
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    args = parser.parse_args()
    from ganzoo.metrics import Evaluator

    args.workdir.mkdir(parents=True, exist_ok=True)
    runs = {variant: train(variant, args.data, args.steps, args.workdir)
            for variant in args.variants}
    evaluator = Evaluator.for_data(args.data, SIZE, 3, features="shipped")
    real = evaluator.reference_images
    results = {variant: measure(variant, run, real, evaluator) for variant, run in runs.items()}
    print("| variant | steps | lattice peak (decades) | spectral distance | FID | KID x1000 |\n"
          "|---|---:|---:|---:|---:|---:|")
    floor = evaluator.floor
    print(f"| real (held-out) | | 0.000 | {floor.spectral_distance:.3f} | {floor.fid:.2f} | "
          f"{1000 * floor.kid:.1f} |")
    for variant, r in results.items():
        print(f"| {variant} | {args.steps} | {r['lattice_peak']:.3f} | "
              f"{r['spectral_distance']:.3f} | {r['fid']:.2f} | {1000 * r['kid']:.1f} |")
    picture(results, real, args.workdir / "lattice.png")
    print(f"wrote {args.workdir / 'lattice.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
