"""A class folder's names travel with the run: `--label NAME` draws that class in `ganzoo
sample`, `interpolate` and `project`, in the export's metadata and in `ganzoo-edge`."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

import ganzoo
import ganzoo_edge
from ganzoo.cli import main
from ganzoo.errors import GanzooError
from ganzoo_edge import label_index
from ganzoo_edge.cli import main as edge_main

CLASSES = ("circle", "square")


def test_a_label_is_a_class_name_first_then_an_index():
    names = ["10", "3", "dog"]
    assert label_index("3", names, 3) == 1  # the class named "3", not index 3
    assert label_index("dog", names, 3) == 2
    assert label_index(0, names, 3) == 0
    assert label_index("2", ["a", "b", "c"], 3) == 2
    for bad in ("cat", 3, -1, True, 1.5):
        with pytest.raises(ValueError, match=r"one of the classes \(10, 3, dog\)"):
            label_index(bad, names, 3)


@pytest.fixture(scope="module")
def shapes_run(tmp_path_factory):
    """A 2-step cgan on a folder of two classes, named by its subfolders, and its ONNX file."""
    folder = tmp_path_factory.mktemp("shapes")
    rng = np.random.default_rng(0)
    for name in CLASSES:
        (folder / name).mkdir()
        for i in range(8):
            picture = Image.new("L", (28, 28), 0)
            x, y = rng.integers(4, 12, size=2)
            box = (int(x), int(y), int(x) + 12, int(y) + 12)
            draw = ImageDraw.Draw(picture)
            (draw.ellipse if name == "circle" else draw.rectangle)(box, fill=255)
            picture.save(folder / name / f"{i}.png")
    run = ganzoo.train("cgan", data=str(folder), steps=2, batch_size=8, image_size=28,
                       out=tmp_path_factory.mktemp("runs"), progress=False).run
    report = ganzoo.export(run.path, formats="onnx", progress=False)
    return run, report.file("onnx", "float32").path


def test_the_run_and_its_export_carry_the_folders_class_names(shapes_run):
    run, onnx = shapes_run
    assert tuple(run.config.class_names) == CLASSES
    assert tuple(ganzoo_edge.load(onnx).class_names) == CLASSES


def test_a_class_name_draws_what_its_index_draws_everywhere(shapes_run, tmp_path):
    run, onnx = shapes_run
    np.testing.assert_array_equal(ganzoo.sample(run.path, n=4, label="square"),
                                  ganzoo.sample(run.path, n=4, label=1))
    np.testing.assert_array_equal(
        ganzoo.interpolate(run.path, seeds=[0, 1], frames_per_step=2, label="square"),
        ganzoo.interpolate(run.path, seeds=[0, 1], frames_per_step=2, label=1))
    generator = ganzoo_edge.load(onnx)
    np.testing.assert_array_equal(generator.generate(4, label="square"),
                                  generator.generate(4, label=1))
    assert main(["sample", str(run.path), "--label", "square", "--n", "4",
                 "--out", str(tmp_path / "squares.png")]) == 0
    assert edge_main([str(onnx), "--label", "square", "--n", "4",
                      "--out", str(tmp_path / "edge.png")]) == 0
    assert (tmp_path / "squares.png").is_file() and (tmp_path / "edge.png").is_file()


def test_an_unknown_class_name_is_one_line_listing_the_classes(shapes_run, tmp_path, capsys):
    run, onnx = shapes_run
    with pytest.raises(GanzooError, match=r"one of the classes \(circle, square\).*'triangle'"):
        ganzoo.sample(run.path, n=4, label="triangle")
    assert main(["interpolate", str(run.path), "--label", "triangle",
                 "--out", str(tmp_path / "walk.gif")]) == 2
    assert edge_main([str(onnx), "--label", "triangle", "--out", str(tmp_path / "e.png")]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 2 and all("(circle, square)" in line for line in errors)
    assert not (tmp_path / "walk.gif").exists() and not (tmp_path / "e.png").exists()
