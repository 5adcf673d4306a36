"""The label-free feature space's own sanity figures: the ladder on the bundled digits with
their labels removed.

    python benchmarks/label_free_ladder.py [--image-size 28]

Trains the contrastive feature network once (about 5 minutes on 2 cores; cached in
$GANZOO_CACHE), then scores the real images against themselves, blurred copies and uniform
noise (`ganzoo.metrics.ladder`) and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def unlabelled_digits(folder: Path, image_size: int) -> Path:
    import numpy as np
    from PIL import Image
    from sklearn.datasets import load_digits

    digits = (load_digits().images * 255 / 16).astype(np.uint8)
    images = np.stack([np.asarray(Image.fromarray(d).resize((image_size, image_size),
                                                             Image.BILINEAR)) for d in digits])
    path = folder / "digits-unlabelled.npz"
    np.savez(path, x=images[..., None])
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image-size", type=int, default=28)
    args = parser.parse_args()
    from ganzoo.metrics import Evaluator, ladder

    with tempfile.TemporaryDirectory() as scratch:
        data = unlabelled_digits(Path(scratch), args.image_size)
        started = time.perf_counter()
        evaluator = Evaluator.for_data(str(data), args.image_size, 1, progress=True)
        print(f"features: {evaluator.network.describe()} "
              f"({time.perf_counter() - started:.0f} s to train or load)\n")
        print("| rung | FID | KID x1000 | precision | recall |\n|---|---:|---:|---:|---:|")
        for name, m in ladder(evaluator).items():
            print(f"| {name} | {m.fid:.2f} | {1000 * m.kid:.1f} | {m.precision:.3f} | "
                  f"{m.recall:.3f} |")


if __name__ == "__main__":
    main()
