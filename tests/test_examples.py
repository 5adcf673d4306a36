"""The scripts in examples/ run as a user runs them: ``python examples/NAME.py ...`` in a fresh
interpreter, on data the test makes, with settings small enough for CI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

# The example's last two lines, in an interpreter where TensorFlow and Keras cannot be imported.
WITHOUT_TENSORFLOW = """
import sys
sys.modules["tensorflow"] = sys.modules["keras"] = None
import ganzoo_edge
run, out = sys.argv[1], sys.argv[2]
generator = ganzoo_edge.load(f"{run}/export/generator.onnx")
ganzoo_edge.grid(generator.generate(16, seed=0)).save(out)
"""


def write_pictures(folder: Path, count: int = 24) -> None:
    """Coloured squares with a white disc somewhere, 32x32 PNGs."""
    folder.mkdir()
    rng = np.random.default_rng(0)
    for index in range(count):
        picture = Image.new("RGB", (32, 32), tuple(int(v) for v in rng.integers(0, 256, 3)))
        x, y = (int(v) for v in rng.integers(2, 20, 2))
        ImageDraw.Draw(picture).ellipse([x, y, x + 10, y + 10], fill="white")
        picture.save(folder / f"{index:02d}.png")


def test_folder_to_edge_trains_samples_exports_and_draws_with_ganzoo_edge(tmp_path):
    write_pictures(tmp_path / "pictures")
    done = subprocess.run([sys.executable, str(EXAMPLES / "folder_to_edge.py"), "pictures",
                           "--steps", "20", "--image-size", "28"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "No --arch given: training --arch dcgan" in done.stdout
    [run] = (tmp_path / "runs").iterdir()
    assert f"{run.relative_to(tmp_path) / 'edge-grid.png'} (ganzoo_edge)" in done.stdout
    assert Image.open(run / "grid.png").format == "PNG"
    drawn = np.asarray(Image.open(run / "edge-grid.png"))

    again = tmp_path / "again.png"
    done = subprocess.run([sys.executable, "-c", WITHOUT_TENSORFLOW, str(run), str(again)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert np.array_equal(np.asarray(Image.open(again)), drawn)
