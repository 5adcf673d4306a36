"""The ruler that travels: the shipped feature network, its ladder, and scoring any two folders.

The folders here are drawn by the test itself (coloured shapes with outlines on white, like
icons), so the suite needs no downloaded pictures; the benchmark domains' ladders are in
docs/benchmarks.md."""

from __future__ import annotations

import hashlib
import json
import shutil

import numpy as np
import pytest
from PIL import Image, ImageDraw

import ganzoo.metrics
from ganzoo.cli import main
from ganzoo.metrics import _shipped, evaluate_folders, shipped_network
from ganzoo.metrics._ladder import (CHAIN, HELD_OUT, clearly_above, damaged, ladder, ordered,
                                    position)

SIDE = 64


# Emoji-like colours: yellow, two skin tones, red, blue, green, brown. A palette, not uniformly
# random colours, whose distribution a hue rotation would leave unchanged.
PALETTE = ((255, 204, 77), (244, 200, 160), (141, 85, 36), (221, 46, 68), (85, 172, 238),
           (119, 178, 85), (120, 80, 50))


def draw_icons(folder, count: int, seed: int) -> None:
    """`count` pictures of one to three filled, outlined shapes in emoji colours on white."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        picture = Image.new("RGB", (SIDE, SIDE), "white")
        pen = ImageDraw.Draw(picture)
        for _ in range(rng.integers(1, 4)):
            x, y = rng.integers(4, 36, 2)
            w, h = rng.integers(14, 28, 2)
            colour = PALETTE[rng.integers(len(PALETTE))]
            shape = pen.ellipse if rng.random() < 0.5 else pen.rectangle
            shape([x, y, x + w, y + h], fill=colour, outline=(20, 20, 20), width=2)
        picture.save(folder / f"{index:04d}.png")


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("folders")
    draw_icons(root / "real", 400, seed=0)
    draw_icons(root / "fresh", 200, seed=1)  # more of the same kind: what a good generator draws
    return root


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("GANZOO_CACHE", str(tmp_path_factory.getbasetemp() / "ruler-cache"))


def test_the_shipped_networks_fingerprint_is_the_hash_of_its_files():
    weights, info = _shipped._files()
    digest = hashlib.sha256(weights.read_bytes())
    digest.update(info.read_text(encoding="utf-8").encode())
    network = shipped_network()
    assert network.fingerprint == digest.hexdigest()
    assert network.name == f"ganzoo-features-v{_shipped.VERSION}" and network.version == "1"
    assert json.loads(info.read_text())["version"] == _shipped.VERSION


def test_a_changed_weights_file_changes_the_fingerprint(tmp_path, monkeypatch):
    weights, info = _shipped._files()
    copy = tmp_path / weights.name
    shutil.copyfile(weights, copy)
    monkeypatch.setattr(_shipped, "_files", lambda: (copy, info))
    same = _shipped.fingerprint()
    assert _shipped.fingerprint() == same == shipped_network().fingerprint  # same bytes
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 1  # one bit of one weight
    copy.write_bytes(bytes(data))
    assert _shipped.fingerprint() != same


def test_the_shipped_network_takes_pictures_of_any_size_and_grey_ones():
    network = shipped_network()
    rng = np.random.default_rng(0)
    for shape in ((3, 64, 64, 3), (3, 28, 28, 1), (3, 128, 128, 3)):
        features = network.embed(rng.integers(0, 256, shape, dtype=np.uint8)).features
        assert features.shape == (3, 384) and np.isfinite(features).all()


def test_the_shipped_ruler_orders_the_ladder_of_a_folder_it_never_saw(folders):
    """The CI-sized version of the benchmark's check: held-out real < blur 1 < blur 2 < blur 3
    < noise, and colour, lattice and JPEG clearly above held-out real (`ordered`)."""
    evaluator = ganzoo.metrics.Evaluator.for_data(str(folders / "real"), SIDE, 3)
    assert evaluator.network.name.startswith("ganzoo-features")  # a folder: shipped by default
    rungs = ladder(evaluator)
    assert list(rungs)[:4] == [HELD_OUT, "blur 1", "blur 2", "blur 3"]
    assert ordered(rungs), {n: (m.fid, m.kid) for n, m in rungs.items()}
    assert {"hue +30", "saturation x0.5", "lattice", "jpeg 10"} <= set(rungs)  # all checked
    # The spectral distance sees the lattice that leaves the features nearly untouched.
    assert rungs["lattice"].spectral_distance > 2 * rungs[HELD_OUT].spectral_distance


def test_the_ladder_is_computed_once_per_folder(folders, monkeypatch):
    evaluator = ganzoo.metrics.Evaluator.for_data(str(folders / "real"), SIDE, 3)
    first = ladder(evaluator)
    monkeypatch.setattr(evaluator, "score", lambda *a, **k: pytest.fail("scored again"))
    assert ladder(evaluator) == first


def test_position_names_the_rungs_a_figure_sits_between():
    from ganzoo.metrics import Metrics

    rungs = {name: Metrics(10, fid, 0.0, 0.0, 0.0, 0.0, 0.0)
             for name, fid in zip(CHAIN, (1.0, 5.0, 9.0, 20.0, 80.0))}
    assert position(0.5, rungs) == "at or below held-out real"
    assert position(7.0, rungs) == "between blur 1 and blur 2"
    assert position(100.0, rungs) == "past noise"
    rungs["blur 2"] = Metrics(10, 30.0, 0.0, 0.0, 0.0, 0.0, 0.0)  # out of order
    assert position(7.0, rungs).startswith("unplaced")


def test_a_rung_must_be_clearly_worse_than_held_out_real_to_count_as_ordered():
    from ganzoo.metrics import Metrics

    def rung(fid, kid):
        return Metrics(10, fid, kid, 0.0, 0.0, 0.0, 0.0)

    rungs = {name: rung(fid, kid) for name, fid, kid in
             zip(CHAIN, (2.0, 5.0, 9.0, 20.0, 80.0), (0.0, 0.05, 0.1, 0.3, 2.0))}
    rungs["lattice"] = rung(7.0, 0.04)
    assert clearly_above(rungs["lattice"], rungs[HELD_OUT]) and ordered(rungs)
    rungs["lattice"] = rung(7.0, 0.005)  # a higher FID, but KID within the held-out scatter
    assert not ordered(rungs)
    rungs["lattice"] = rung(1.5, 0.04)  # below held-out real in FID
    assert not ordered(rungs)


def test_grey_pictures_get_no_colour_rungs():
    grey = np.random.default_rng(0).integers(0, 256, (4, 16, 16, 1), dtype=np.uint8)
    assert set(damaged(grey)) == {"blur 1", "blur 2", "blur 3", "lattice", "jpeg 10", "noise"}


def test_two_folders_are_scored_on_the_shipped_ruler_with_the_real_folders_ladder(folders):
    report = evaluate_folders(folders / "real", folders / "fresh")
    [score] = report.checkpoints
    assert report.features.name.startswith("ganzoo-features") and report.fake.endswith("fresh")
    assert score.metrics.samples == 200 == report.floor.samples  # both columns at one size
    # Fresh pictures of the same kind score like held-out real ones, far below blur 2.
    assert score.metrics.fid < report.ladder["blur 1"].fid
    assert report.position(score.metrics).startswith(("at or below", "between held-out real"))
    assert "pictures against the real pictures of" in report.table()


def test_eval_of_two_folders_from_the_command_line_prints_one_json_object(capsys, folders):
    code = main(["eval", "--real", str(folders / "real"), "--fake", str(folders / "fresh"),
                 "--json"])
    out = capsys.readouterr().out
    assert code == 0
    record = json.loads(out)
    assert record["run"] is None and record["fake"].endswith("fresh")
    assert {"fid", "kid", "spectral_distance", "ladder", "features", "position"} <= set(record)
    assert set(record["features"]) >= {"name", "version", "fingerprint"}
    assert record["features"]["fingerprint"] == shipped_network().fingerprint
    assert record["ladder"]["noise"]["fid"] > record["ladder"]["blur 3"]["fid"]


@pytest.mark.parametrize("argv, expected", [
    (["--real", "REAL"], "both --real FOLDER and --fake FOLDER"),
    (["RUN", "--real", "REAL", "--fake", "REAL"], "either RUN or both"),
    (["--real", "REAL", "--fake", "MISSING"], "--fake must be a folder of pictures"),
    (["--real", "REAL", "--fake", "REAL", "--checkpoint", "best"], "--checkpoint scores a run"),
], ids=["fake-missing", "run-and-folders", "no-such-folder", "checkpoint-with-folders"])
def test_bad_folder_arguments_are_one_line_with_exit_status_2(capsys, folders, argv, expected):
    real = str(folders / "real")
    argv = [real if a == "REAL" else str(folders / "missing") if a == "MISSING" else a
            for a in argv]
    try:
        code = main(["eval", *argv])
    except SystemExit as exit_:
        code = exit_.code
    err = capsys.readouterr().err
    assert code == 2 and expected in err and len(err.strip().splitlines()) == 1, err
