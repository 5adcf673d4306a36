"""``ganzoo project`` and ``ganzoo interpolate --from-images``: back from a picture to a latent,
with an error that reads against the distance between real pictures."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

import ganzoo
from ganzoo.cli import main
from ganzoo.errors import GanzooError

STEPS = 80


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    out = tmp_path_factory.mktemp("projection")
    return {arch: ganzoo.train(arch, data="digits", steps=40, batch_size=16, out=out,
                               progress=False).run for arch in ("dcgan", "cgan")}


@pytest.fixture(scope="module")
def pictures(runs, tmp_path_factory):
    """Two pictures the dcgan run drew itself, and two real digits."""
    folder = tmp_path_factory.mktemp("pictures")
    drawn = ganzoo.sample(runs["dcgan"].path, n=2, seed=123)
    from ganzoo.data import load_data

    real = next(iter(load_data("digits", 28, 1).batches(2, seed=5)))[0].numpy()
    paths = {}
    for name, image in [("drawn0", drawn[0]), ("drawn1", drawn[1]),
                        ("real0", np.rint((real[0] + 1) * 127.5).astype(np.uint8)),
                        ("real1", np.rint((real[1] + 1) * 127.5).astype(np.uint8))]:
        paths[name] = folder / f"{name}.png"
        Image.fromarray(image[..., 0]).save(paths[name])
    return paths


@pytest.fixture(scope="module")
def projected(runs, pictures, tmp_path_factory):
    out = tmp_path_factory.mktemp("projected")
    found = ganzoo.project(runs["dcgan"].path, [pictures[n] for n in ("drawn0", "drawn1",
                                                                      "real0")],
                           out=out, steps=STEPS, progress=False)
    return found, out


def test_a_picture_the_generator_drew_is_redrawn_far_closer_than_any_other_real_picture(
        projected):
    found, _ = projected
    assert (found.pixel_error[:2] < 0.3 * found.baseline_pixel_error[:2]).all(), found.table()
    assert (found.feature_error[:2] < 0.3 * found.baseline_feature_error[:2]).all()


def test_a_real_pictures_error_is_reported_beside_its_nearest_other_real_picture(projected):
    found, out = projected
    assert np.isfinite(found.pixel_error).all() and (found.baseline_pixel_error > 0).all()
    report = json.loads((out / "projection.json").read_text())
    assert [p["image"] for p in report["pictures"]] == list(found.images)
    row = report["pictures"][2]
    assert row["baseline_pixel_error"] == pytest.approx(found.baseline_pixel_error[2])
    side_by_side = np.asarray(Image.open(out / row["side_by_side"]))
    assert side_by_side.shape[1] > side_by_side.shape[0]  # original beside reconstruction
    np.testing.assert_array_equal(np.load(out / "latents.npy"), found.latents)
    assert found.latents.shape == (3, 100) and found.labels is None


def test_the_same_seed_finds_the_same_latents(runs, pictures, projected):
    again = ganzoo.project(runs["dcgan"].path, [pictures["drawn0"], pictures["drawn1"],
                                                pictures["real0"]], steps=STEPS, progress=False)
    np.testing.assert_array_equal(again.latents, projected[0].latents)


def test_the_latents_found_redraw_the_reconstructions(runs, projected):
    found, _ = projected
    generator = runs["dcgan"].load_generator()
    redrawn = ganzoo.images.to_uint8(np.asarray(generator(found.latents, training=False)))
    np.testing.assert_array_equal(redrawn, found.reconstructions)


def test_a_conditional_run_takes_the_class_by_name_or_picks_the_one_that_fits(runs, pictures):
    run = runs["cgan"].path
    named = ganzoo.project(run, [pictures["real0"]], steps=2, label="7", progress=False)
    assert named.labels.tolist() == [7]
    picked = ganzoo.project(run, [pictures["real0"], pictures["real1"]], steps=2,
                            progress=False)
    assert picked.labels.shape == (2,) and 0 <= picked.labels.min() <= picked.labels.max() < 10
    with pytest.raises(GanzooError, match=r"label must be one of the classes \(0, 1, "):
        ganzoo.project(run, [pictures["real0"]], steps=2, label="cat", progress=False)


def test_the_command_writes_latents_that_ganzoo_edge_draws_without_tensorflow(runs, pictures,
                                                                              tmp_path, capsys):
    from ganzoo_edge.cli import main as edge

    out = tmp_path / "projected"
    assert main(["project", str(runs["dcgan"].path), str(pictures["drawn0"]), "--out", str(out),
                 "--steps", "3", "--quiet"]) == 0
    assert "nearest real" in capsys.readouterr().out
    report = ganzoo.export(runs["dcgan"].path, formats="onnx", repeats=1, progress=False,
                           out=tmp_path / "export")
    assert edge([str(report.file("onnx").path), "--latents", str(out / "latents.npy"),
                 "--out", str(tmp_path / "edge.png")]) == 0
    z = np.load(out / "latents.npy")
    keras_pixels = ganzoo.images.to_uint8(np.asarray(
        runs["dcgan"].load_generator()(z, training=False)))
    expected = np.asarray(ganzoo.images.grid(keras_pixels)).astype(int)
    drawn = np.asarray(Image.open(tmp_path / "edge.png")).astype(int)
    assert drawn.shape == expected.shape  # a grey digit stays a grey digit
    assert np.abs(drawn - expected).max() <= 1  # ONNX against Keras, after rounding


def test_projecting_shows_a_progress_bar_unless_quiet(runs, pictures, tmp_path, capsys):
    argv = ["project", str(runs["dcgan"].path), str(pictures["real0"]), "--steps", "2"]
    assert main([*argv, "--out", str(tmp_path / "a")]) == 0
    assert "Projecting" in capsys.readouterr().err
    assert main([*argv, "--out", str(tmp_path / "b"), "--quiet"]) == 0
    assert "Projecting" not in capsys.readouterr().err


@pytest.mark.slow
def test_interpolate_walks_between_two_real_pictures(runs, pictures, tmp_path, capsys):
    walk = tmp_path / "walk.png"
    assert main(["interpolate", str(runs["dcgan"].path), "--from-images",
                 str(pictures["real0"]), str(pictures["real1"]), "--frames-per-step", "3",
                 "--no-loop", "--out", str(walk)]) == 0
    assert "Wrote 4 frames" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["project", "RUN", "missing.png", "--out", "OUT"], "No such picture"),
    (["project", "RUN", "not-a-picture.png", "--out", "OUT"], "Cannot read"),
    (["interpolate", "RUN", "--from-images", "PIC", "--out", "walk.gif"],
     "--from-images needs at least 2 pictures"),
])
def test_bad_pictures_are_one_line_and_exit_status_2(runs, pictures, tmp_path, capsys, argv,
                                                     message):
    (tmp_path / "not-a-picture.png").write_text("hello")
    substitutions = {"RUN": str(runs["dcgan"].path), "OUT": str(tmp_path / "out"),
                     "PIC": str(pictures["real0"]),
                     "missing.png": str(tmp_path / "missing.png"),
                     "not-a-picture.png": str(tmp_path / "not-a-picture.png"),
                     "walk.gif": str(tmp_path / "walk.gif")}
    assert main([substitutions.get(a, a) for a in argv]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
