"""Sampling a trained run: reproducible images, labels for conditional runs, clear errors."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import ganzoo
from ganzoo.errors import GanzooError, RunError


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")
    tiny = dict(data="digits", steps=2, batch_size=8, progress=False, out=out)
    return {arch: ganzoo.train(arch, **tiny).run for arch in ("dcgan", "cgan")}


def test_the_same_seed_gives_the_same_images(runs):
    first = ganzoo.sample(runs["dcgan"].path, n=5, seed=11)
    again = ganzoo.sample(runs["dcgan"].path, n=5, seed=11)
    other = ganzoo.sample(runs["dcgan"].path, n=5, seed=12)
    assert first.shape == (5, 28, 28, 1) and first.dtype == np.uint8
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_sample_writes_a_png_grid(runs, tmp_path):
    ganzoo.sample(runs["cgan"].path, n=20, out=tmp_path / "grid.png")
    picture = Image.open(tmp_path / "grid.png")
    assert picture.format == "PNG" and picture.width >= 256


def test_a_conditional_run_draws_the_requested_class(runs):
    images = ganzoo.sample(runs["cgan"].path, n=3, label=7)
    assert images.shape == (3, 28, 28, 1)


@pytest.mark.parametrize("arch, label, message", [
    ("cgan", 10, r"one of the classes \(0, 1, 2, 3, 4, 5, 6, 7, 8, 9\)"),
    ("dcgan", 3, "takes no label"),
])
def test_a_label_the_run_cannot_draw_is_refused(runs, arch, label, message):
    with pytest.raises(GanzooError, match=message):
        ganzoo.sample(runs[arch].path, n=2, label=label)


def test_a_missing_run_directory_is_named(tmp_path):
    with pytest.raises(RunError, match="does not exist"):
        ganzoo.sample(tmp_path / "nope", n=2)


def test_a_run_without_checkpoints_says_to_train_it(runs, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(runs["dcgan"].path, copy)
    shutil.rmtree(copy / "checkpoints")
    with pytest.raises(RunError, match="has no checkpoint"):
        ganzoo.sample(copy, n=2)


# --- data sets: ganzoo sample RUN --out-dir DIR ------------------------------------------------

import csv  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

from ganzoo_edge import dataset as edge_dataset  # noqa: E402


@pytest.fixture(scope="module")
def acgan_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("acgan")
    return ganzoo.train("acgan", data="digits", steps=2, batch_size=8, progress=False,
                        out=out).run


def files_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def test_a_data_set_matches_its_manifest(runs, tmp_path):
    run = runs["cgan"]
    summary = ganzoo.sample_dataset(run.path, tmp_path / "synthetic", per_class=2, seed=4)
    rows = edge_dataset.read_manifest(summary.path)
    with open(summary.manifest, newline="") as handle:
        table = list(csv.DictReader(handle))
    assert summary.count == len(rows) == len(table) == 2 * run.config.num_classes
    assert [r["file"] for r in table] == [r["file"] for r in rows]
    images = sorted(p for p in summary.path.rglob("*.png"))
    assert sorted(summary.path / r["file"] for r in rows) == images
    generator = run.load_generator()
    for row in rows:
        assert row["file"].split("/")[0] == row["class_name"] == \
            run.config.class_names[row["label"]]
        assert row["seed"] == 4 and row["step"] == 2 and row["weights"] == "average"
        z = edge_dataset.latents([row["index"]], run.config.latent_dim, 4)
        expected = ganzoo.images.to_uint8(
            generator([z, np.array([row["label"]], np.int32)], training=False))[0]
        np.testing.assert_array_equal(np.asarray(Image.open(summary.path / row["file"])),
                                      expected[..., 0])


def test_rerunning_a_data_set_gives_byte_identical_files(runs, tmp_path):
    first = ganzoo.sample_dataset(runs["dcgan"].path, tmp_path / "a", n=7, seed=2).path
    second = ganzoo.sample_dataset(runs["dcgan"].path, tmp_path / "b", n=7, seed=2).path
    other = ganzoo.sample_dataset(runs["dcgan"].path, tmp_path / "c", n=7, seed=3).path
    assert len(files_of(first)) == 7 + 2
    assert files_of(first) == files_of(second)
    assert files_of(first)["000000.png"] != files_of(other)["000000.png"]


def test_n_is_split_evenly_over_the_classes(runs, tmp_path):
    summary = ganzoo.sample_dataset(runs["cgan"].path, tmp_path / "d", n=25)
    counts = [len(list((summary.path / str(c)).glob("*.png"))) for c in range(10)]
    assert counts == list(summary.counts) == [3] * 5 + [2] * 5


def test_keras_reads_the_data_set_tree(runs, tmp_path):
    import keras

    conditional = ganzoo.sample_dataset(runs["cgan"].path, tmp_path / "c", per_class=2).path
    flat = ganzoo.sample_dataset(runs["dcgan"].path, tmp_path / "f", n=5).path
    labelled = keras.utils.image_dataset_from_directory(conditional, image_size=(28, 28),
                                                        color_mode="grayscale", shuffle=False)
    assert labelled.class_names == runs["cgan"].config.class_names
    assert sum(len(y) for _, y in labelled) == 20
    unlabelled = keras.utils.image_dataset_from_directory(flat, labels=None, image_size=(28, 28),
                                                          color_mode="grayscale")
    assert sum(len(x) for x in unlabelled) == 5


def test_ganzoo_trains_on_a_written_data_set(runs, tmp_path):
    folder = ganzoo.sample_dataset(runs["cgan"].path, tmp_path / "synthetic", per_class=2).path
    trained = ganzoo.train("cgan", data=str(folder), steps=1, batch_size=8, progress=False,
                           out=tmp_path / "runs").run
    assert trained.config.num_classes == 10
    assert trained.config.class_names == runs["cgan"].config.class_names


def fake_draw(z, labels):
    return np.clip(np.rint((z[:, :16] + 2) * 60), 0, 255).astype(np.uint8).reshape(-1, 4, 4, 1)


def test_an_interrupted_write_leaves_no_complete_looking_directory(tmp_path):
    calls = []

    def interrupted(z, labels):
        calls.append(len(z))
        if len(calls) == 2:
            raise KeyboardInterrupt
        return fake_draw(z, labels)

    out = tmp_path / "data"
    with pytest.raises(KeyboardInterrupt):
        edge_dataset.write_dataset(out, interrupted, latent_dim=16, n=10, batch_size=4)
    assert not out.exists() and list(tmp_path.iterdir()) == []
    edge_dataset.write_dataset(out, fake_draw, latent_dim=16, n=3)
    before = files_of(out)
    calls.clear()
    with pytest.raises(KeyboardInterrupt):
        edge_dataset.write_dataset(out, interrupted, latent_dim=16, n=10, batch_size=4,
                                   overwrite=True)
    assert files_of(out) == before and [p.name for p in tmp_path.iterdir()] == ["data"]


def test_overwrite_replaces_an_existing_data_set(tmp_path):
    out = tmp_path / "data"
    edge_dataset.write_dataset(out, fake_draw, latent_dim=16, n=5)
    edge_dataset.write_dataset(out, fake_draw, latent_dim=16, n=2, overwrite=True)
    assert sorted(files_of(out)) == ["000000.png", "000001.png", "manifest.csv",
                                     "manifest.jsonl"]


def test_truncation_bounds_every_latent_entry_and_latents_do_not_depend_on_the_batch():
    z = edge_dataset.latents(range(50), 32, seed=1, truncation=0.5)
    assert np.abs(z).max() <= 0.5
    np.testing.assert_array_equal(edge_dataset.latents([7], 32, seed=1, truncation=0.5)[0], z[7])
    plain = edge_dataset.latents(range(50), 32, seed=1)
    assert np.abs(plain).max() > 2
    untouched = np.abs(plain) <= 0.5
    np.testing.assert_array_equal(z[untouched], plain[untouched])


@pytest.fixture(scope="module")
def fastgan_run(tmp_path_factory):
    # A discriminator with a second output (its reconstructions) after the realness logit.
    out = tmp_path_factory.mktemp("fastgan")
    return ganzoo.train("fastgan", data="digits", image_size=64, steps=1, batch_size=8,
                        progress=False, out=out).run


@pytest.mark.parametrize("arch", ["dcgan", "cgan", "acgan", "fastgan"])
def test_keep_best_keeps_the_candidates_the_discriminator_rates_highest(runs, arch, request,
                                                                        tmp_path):
    # Only the run this case needs is trained (acgan's and fastgan's have their own fixtures).
    run = runs[arch] if arch in runs else request.getfixturevalue(f"{arch}_run")
    per = "per_class" if run.config.num_classes else "n"
    size, every = {per: 2}, {per: 4}
    # A quarter of 4 candidates per class kept from the same latent indices: the best one.
    best = ganzoo.sample_dataset(run.path, tmp_path / "best", keep_best=0.5, **size)
    everything = ganzoo.sample_dataset(run.path, tmp_path / "all", keep_best=1.0, **every)
    candidates = {}
    for row in edge_dataset.read_manifest(everything.path):
        candidates.setdefault(row["label"], []).append((row["score"], row["index"]))
    kept = {}
    for row in edge_dataset.read_manifest(best.path):
        kept.setdefault(row["label"], []).append((row["score"], row["index"]))
    assert kept.keys() == candidates.keys()
    for label, scored in candidates.items():
        top, got = sorted(scored)[-2:], sorted(kept[label])
        # pytest 9.2's approx takes no nested tuples: indices exactly, scores approximately.
        assert [index for _, index in got] == [index for _, index in top]
        assert [score for score, _ in got] == pytest.approx([score for score, _ in top])


def run_cli(argv, capsys):
    from ganzoo.cli import main

    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("arch, flags, message", [
    ("dcgan", ["--n", "0"], "n must be a positive"),
    ("dcgan", ["--per-class", "2"], "per_class needs a conditional"),
    ("cgan", ["--n", "4", "--keep-best", "0"], "keep_best must be a fraction"),
    ("cgan", ["--n", "4", "--keep-best", "1.5"], "keep_best must be a fraction"),
    ("cgan", ["--n", "4", "--format", "bmp"], "format must be one of png, jpg, webp"),
    ("cgan", ["--n", "4", "--truncation", "0"], "truncation must be a positive"),
    ("cgan", ["--n", "4", "--label", "3"], "--label draws one class"),
], ids=["n-0", "per-class-unconditional", "keep-best-0", "keep-best-1.5", "format-bmp",
        "truncation-0", "label-with-out-dir"])
def test_bad_data_set_flags_are_one_line_errors(runs, tmp_path, capsys, arch, flags, message):
    code, _, err = run_cli(["sample", runs[arch].path, "--out-dir", tmp_path / "d", *flags],
                           capsys)
    assert code == 2 and err.count("\n") == 1 and message in err
    assert not (tmp_path / "d").exists()


def test_an_existing_data_set_directory_is_refused_without_overwrite(runs, tmp_path, capsys):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "keep.txt").write_text("mine")
    argv = ["sample", runs["dcgan"].path, "--out-dir", tmp_path / "d", "--n", "3", "--quiet"]
    code, _, err = run_cli(argv, capsys)
    assert code == 2 and err.count("\n") == 1 and "--overwrite" in err
    assert (tmp_path / "d" / "keep.txt").read_text() == "mine"
    code, out, _ = run_cli(argv + ["--overwrite"], capsys)
    assert code == 0 and "Wrote 3 images" in out and not (tmp_path / "d" / "keep.txt").exists()


def test_truncation_and_keep_best_apply_to_a_grid_too(runs, tmp_path):
    images = ganzoo.sample(runs["cgan"].path, n=20, truncation=0.7, keep_best=0.5,
                           out=tmp_path / "g.png")
    assert images.shape == (20, 28, 28, 1) and (tmp_path / "g.png").is_file()
    again = ganzoo.sample(runs["cgan"].path, n=20, truncation=0.7, keep_best=0.5)
    np.testing.assert_array_equal(images, again)


@pytest.mark.slow
def test_the_edge_runner_writes_the_same_data_set_without_tensorflow(runs, tmp_path):
    import subprocess

    run = runs["cgan"]
    onnx_file = ganzoo.export(run.path, formats="onnx", repeats=1, progress=False,
                              out=tmp_path / "export").file("onnx").path
    ours = ganzoo.sample_dataset(run.path, tmp_path / "ours", per_class=2, truncation=1.5).path
    code = ("import sys, ganzoo_edge.cli as cli\n"
            f"code = cli.main([{str(onnx_file)!r}, '--out-dir', {str(tmp_path / 'edge')!r}, "
            "'--per-class', '2', '--truncation', '1.5'])\n"
            "print(code, sorted(m for m in sys.modules if m.split('.')[0] in "
            "('tensorflow', 'keras', 'ganzoo')))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "0 []"
    edge_rows = edge_dataset.read_manifest(tmp_path / "edge")
    our_rows = edge_dataset.read_manifest(ours)
    keys = ("file", "label", "class_name", "seed", "index", "truncation", "step")
    assert [[r[k] for k in keys] for r in edge_rows] == [[r[k] for k in keys] for r in our_rows]
    for row in our_rows:
        a = np.asarray(Image.open(ours / row["file"]), int)
        b = np.asarray(Image.open(tmp_path / "edge" / row["file"]), int)
        assert np.abs(a - b).max() <= 1


# --- latent walks: ganzoo interpolate ----------------------------------------------------------

def test_slerp_keeps_the_ends_and_the_norm():
    from ganzoo.sampling import slerp

    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(64), rng.standard_normal(64)
    b *= np.linalg.norm(a) / np.linalg.norm(b)
    np.testing.assert_allclose(slerp(a, b, 0.0), a)
    np.testing.assert_allclose(slerp(a, b, 1.0), b)
    assert np.linalg.norm(slerp(a, b, 0.5)) == pytest.approx(np.linalg.norm(a))
    assert np.linalg.norm((a + b) / 2) < 0.9 * np.linalg.norm(a)


def test_a_walk_visits_each_seed_and_loops_back(runs):
    frames = ganzoo.interpolate(runs["dcgan"].path, seeds=[0, 5, 9], frames_per_step=4)
    assert frames.dtype == np.uint8 and len(frames) == 3 * 4
    ends = [ganzoo.interpolate(runs["dcgan"].path, seeds=[s, 0], frames_per_step=1)[0]
            for s in (0, 5, 9)]
    for frame, end in zip(frames[::4], ends):
        np.testing.assert_array_equal(frame, end)
    open_walk = ganzoo.interpolate(runs["dcgan"].path, seeds=[0, 5, 9], frames_per_step=4,
                                   loop=False)
    assert len(open_walk) == 2 * 4 + 1
    np.testing.assert_array_equal(open_walk[-1], ends[2])


def test_a_conditional_walk_shows_every_class_or_walks_across_them(runs):
    row = ganzoo.interpolate(runs["cgan"].path, n=2, frames_per_step=2)
    one = ganzoo.interpolate(runs["cgan"].path, n=2, frames_per_step=2, label=3)
    across = ganzoo.interpolate(runs["cgan"].path, seeds=[4], across_classes=True,
                                frames_per_step=2)
    assert len(row) == len(one) == 4 and row.shape[2] > 4 * row.shape[1]
    assert len(across) == 10 * 2
    np.testing.assert_array_equal(across[0], across[1])
    assert not np.array_equal(across[1], across[2])


@pytest.mark.parametrize("suffix", [".gif", ".webp", ".png", ".mp4"])
def test_interpolate_writes_each_format_from_the_command_line(runs, tmp_path, capsys, suffix):
    if suffix == ".mp4":
        pytest.importorskip("imageio_ffmpeg")
    out = tmp_path / f"walk{suffix}"
    code, stdout, err = run_cli(["interpolate", runs["cgan"].path, "--out", out, "--seeds",
                                 "0,5", "--frames-per-step", "3", "--fps", "10"], capsys)
    assert code == 0, err
    assert "Wrote 6 frames" in stdout
    if suffix in (".gif", ".webp"):
        picture = Image.open(out)
        assert picture.n_frames == 6
        if suffix == ".gif":  # Pillow reads no frame duration back from WebP
            assert picture.info["duration"] == 100
    elif suffix == ".png":
        assert Image.open(out).format == "PNG"
    else:
        import imageio.v3 as iio

        assert len(iio.imread(out, plugin="FFMPEG")) == 6


def test_mp4_without_the_video_extra_names_the_extra(runs, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)
    code, _, err = run_cli(["interpolate", runs["cgan"].path, "--out", tmp_path / "w.mp4"],
                           capsys)
    assert code == 2 and err.count("\n") == 1 and "pip install 'ganzoo[video]'" in err


@pytest.mark.parametrize("flags, message", [
    (["--out", "walk.avi"], "out must end in one of .gif, .webp, .mp4, .png"),
    (["--out", "walk.gif", "--across-classes"], "across_classes needs a conditional run"),
    (["--out", "walk.gif", "--n", "1"], "at least 2 latents"),
], ids=["unknown-format", "across-classes-unconditional", "one-latent"])
def test_bad_interpolate_flags_are_one_line_errors(runs, tmp_path, capsys, flags, message,
                                                   monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(["interpolate", runs["dcgan"].path, *flags], capsys)
    assert code == 2 and err.count("\n") == 1 and message in err


# --- does the synthetic data help? ganzoo eval --classifier-score ------------------------------

@pytest.fixture
def quick_classifiers(tmp_path, monkeypatch):
    """Classifiers of a few updates in a private cache, instead of the default budget."""
    from ganzoo.metrics import _classifier_score, _features

    monkeypatch.setenv("GANZOO_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(_features, "DOMAIN_EPOCHS", 1)
    monkeypatch.setattr(_classifier_score, "UPDATES", 4)


def test_the_classifier_score_sets_the_synthetic_accuracy_beside_real_and_chance(
        runs, quick_classifiers):
    from ganzoo.metrics import classifier_score

    score = classifier_score(runs["cgan"].path, per_class=7, real_per_class=(7, None),
                             updates=4)
    assert score.test_count == 359 and score.chance == pytest.approx(0.1)
    assert 0 <= score.accuracy <= 1
    assert [gain.real_per_class for gain in score.augmentation] == [7, None]
    for gain in score.augmentation:
        assert 0 <= gain.augmented <= 1 and gain.gain == pytest.approx(gain.augmented - gain.real)
    # 7 real images per class for both the ceiling and the smallest real set: one classifier.
    assert score.ceiling == score.augmentation[0].real
    assert classifier_score(runs["cgan"].path, per_class=7, real_per_class=(7, None),
                            updates=4) == score


def test_the_augmentation_gain_is_measured_at_10_50_and_all_real_images_per_class(
        runs, quick_classifiers):
    from ganzoo.metrics import classifier_score

    score = classifier_score(runs["cgan"].path, per_class=7, updates=4)
    assert [gain.real_per_class for gain in score.augmentation] == [10, 50, None]
    lines = score.lines()
    assert any("augmentation: 10 real per class" in line for line in lines)
    assert any("augmentation: all real" in line for line in lines)


def test_a_generator_that_returns_the_real_images_scores_the_ceiling_and_noise_scores_near_chance(
        runs, quick_classifiers):
    from ganzoo.metrics._classifier_score import _first_per_class, measure
    from ganzoo.metrics._reference import real_sample

    config = runs["cgan"].config
    sample = real_sample(config.data, config.image_size, config.channels)
    training = sample.images[:-359], sample.labels[:-359]
    chosen = _first_per_class(training[1], 10, 40)

    def copy_of_the_real_ones(labels):
        assert (training[1][chosen] == labels).all()
        return training[0][chosen]

    def noise(labels):
        return np.random.default_rng(0).integers(0, 256, (len(labels), *sample.images.shape[1:]),
                                                 dtype=np.uint8)

    real = measure(sample, 10, copy_of_the_real_ones, per_class=40, real_per_class=(10,),
                   updates=60)
    assert real.ceiling > 0.5  # the classifier learns the digits in 60 updates
    assert real.accuracy == real.ceiling  # the same images in the same order: one classifier
    random = measure(sample, 10, noise, per_class=40, real_per_class=(10,), updates=60)
    assert random.accuracy < 0.3 and random.ceiling == real.ceiling


def test_a_training_set_smaller_than_a_batch_is_repeated_to_fill_one(runs, quick_classifiers):
    from types import SimpleNamespace

    from ganzoo.metrics._classifier_score import measure
    from ganzoo.metrics._reference import real_sample

    config = runs["cgan"].config
    digits = real_sample(config.data, config.image_size, config.channels)
    three = digits.labels < 3  # 10 real pictures of each of 3 classes: 30, under a batch of 64
    sample = SimpleNamespace(images=digits.images[three], labels=digits.labels[three],
                             fingerprint="three-digits")
    score = measure(sample, 3, lambda labels: sample.images[:len(labels)], per_class=10,
                    real_per_class=(10,), updates=4)
    assert score.chance == pytest.approx(1 / 3) and 0 <= score.augmentation[0].real <= 1


def test_the_classifier_score_of_an_unconditional_run_is_refused(runs, quick_classifiers):
    from ganzoo.metrics import classifier_score

    with pytest.raises(GanzooError, match="needs a conditional run"):
        classifier_score(runs["dcgan"].path)
    with pytest.raises(GanzooError, match="per_class and real_per_class must be from 1"):
        classifier_score(runs["cgan"].path, per_class=10_000)
    with pytest.raises(GanzooError, match=r"real_per_class=\[10, 5000\]"):
        classifier_score(runs["cgan"].path, real_per_class=(10, 5000))


def test_eval_json_reports_the_classifier_score(runs, quick_classifiers, capsys):
    code, out, err = run_cli(["eval", runs["cgan"].path, "--classifier-score", "--json"],
                             capsys)
    assert code == 0, err
    report = json.loads(out)["classifier_score"]
    assert set(report) >= {"accuracy", "ceiling", "chance", "augmentation"}
    assert [gain["real_per_class"] for gain in report["augmentation"]] == [10, 50, None]
    assert set(report["augmentation"][0]) == {"real_per_class", "real", "augmented", "gain"}
    assert report["updates"] == 4  # the module's UPDATES, read when called, not when defined
    assert report["chance"] == pytest.approx(0.1)
    code, _, err = run_cli(["eval", runs["dcgan"].path, "--classifier-score"], capsys)
    assert code == 2 and err.count("\n") == 1 and "needs a conditional run" in err


def test_the_edge_runner_needs_a_grid_or_a_data_set_folder(capsys):
    from ganzoo_edge.cli import main as edge_main

    assert edge_main(["generator.onnx"]) == 2
    err = capsys.readouterr().err
    assert "--out-dir DIR" in err and err.count("\n") == 1


def test_a_data_set_can_be_written_into_the_current_empty_folder(tmp_path, monkeypatch):
    (tmp_path / "here").mkdir()
    monkeypatch.chdir(tmp_path / "here")
    summary = edge_dataset.write_dataset(".", fake_draw, latent_dim=16, n=2)
    assert summary.count == 2 and sorted(files_of(tmp_path)) == [
        "here/000000.png", "here/000001.png", "here/manifest.csv", "here/manifest.jsonl"]
