"""`ganzoo.evaluate` / ``ganzoo eval`` on real runs, and ``train --eval-every``: the best
checkpoint, health warnings, and evaluation that leaves training untouched."""

from __future__ import annotations

import functools
import json
import shutil
import socket
import warnings
from collections.abc import Iterator

import numpy as np
import pytest

import ganzoo
from ganzoo.cli import main
from ganzoo.errors import GanzooError, RunError
from ganzoo.metrics import (EvalReport, FeatureNetworkError, InsufficientSamplesError, Metrics,
                            TrainingHealthWarning)

TINY = dict(data="digits", batch_size=8, progress=False)


@pytest.fixture(autouse=True)
def fast_domain_network(tmp_path_factory, monkeypatch):
    """Every test trains (once, shared) a one-epoch domain network in a private cache, instead
    of the 15-epoch default in the user's cache."""
    from ganzoo.metrics import _features

    monkeypatch.setenv("GANZOO_CACHE", str(tmp_path_factory.getbasetemp() / "ganzoo-cache"))
    monkeypatch.setattr(_features, "DOMAIN_EPOCHS", 1)


@pytest.fixture
def dead_inception_url(monkeypatch) -> Iterator[str]:
    """InceptionV3's weights URL on a local port that is bound but not listening: a download
    is refused at once, and never reaches the network."""
    from ganzoo.metrics import _features

    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{bound.getsockname()[1]}/inception_v3/"
        monkeypatch.setattr(_features, "INCEPTION_URL", url)
        yield url


@pytest.fixture(scope="module")
def dcgan_run(tmp_path_factory):
    return ganzoo.train("dcgan", steps=2, checkpoint_every=1, out=tmp_path_factory.mktemp("runs"),
                        **TINY).run


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exit_:
        code = exit_.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_evaluate_reports_every_metric_beside_the_real_floor(dcgan_run):
    report = ganzoo.evaluate(dcgan_run.path)
    assert isinstance(report, EvalReport)
    assert report.features.name == "domain-cnn-v1" and len(report.features.fingerprint) == 64
    assert report.features.held_out_accuracy > 0.5 and report.features.held_out_count == 359
    [score] = report.checkpoints
    assert score.step == 2
    metrics, floor = score.metrics, report.floor
    assert metrics.samples == floor.samples == 898 and report.reference_samples == 899
    # A generator trained for 2 steps draws noise; real images score near the floor.
    assert metrics.fid > 10 * floor.fid
    assert metrics.kid > 0.1 > abs(floor.kid)
    assert floor.precision > 0.7 and floor.recall > 0.7 and metrics.recall < 0.1
    assert floor.memorisation == pytest.approx(0.05, abs=0.03)
    assert floor.inception_score > 1.5 * metrics.inception_score
    assert metrics.class_consistency is None  # dcgan is unconditional
    table = report.table()
    assert "real-vs-real floor" in table and report.features.fingerprint[:12] in table
    assert json.loads(report.to_json())["floor"]["fid"] == pytest.approx(floor.fid)


def test_evaluation_is_reproducible(dcgan_run):
    first = ganzoo.evaluate(dcgan_run.path, n=100, checkpoint=[1, 2])
    second = ganzoo.evaluate(dcgan_run.path, n=100, checkpoint=[1, 2])
    assert [c.step for c in first.checkpoints] == [1, 2]
    assert first == second
    assert first.checkpoints[0].metrics != first.checkpoints[1].metrics


def test_eval_command_prints_the_table_or_json(capsys, dcgan_run):
    code, out, err = run_cli(capsys, "eval", str(dcgan_run.path), "--n", "64", "--json")
    assert code == 0, err
    report = json.loads(out)  # one checkpoint: one object, its figures at top level
    assert report["samples"] == 64 and report["step"] == 2
    assert {"fid", "kid", "spectral_distance"} <= set(report)
    assert report["features"]["name"] == "domain-cnn-v1"
    assert report["features"]["version"] == "1" and len(report["features"]["fingerprint"]) == 64
    assert set(report["ladder"]["blur 2"]) == {"fid", "kid", "spectral_distance"}
    code, out, err = run_cli(capsys, "eval", str(dcgan_run.path), "--n", "64", "--json",
                             "--checkpoint", "all")
    assert [record["step"] for record in json.loads(out)] == [1, 2]  # one object each
    code, out, err = run_cli(capsys, "eval", str(dcgan_run.path), "--n", "64",
                             "--checkpoint", "1")
    assert code == 0, err
    assert "step 1" in out and "FID" in out and "real-vs-real floor" in out


def test_eval_scores_the_weight_average_unless_asked_for_the_trained_weights(capsys, dcgan_run):
    averaged = ganzoo.evaluate(dcgan_run.path, n=64)
    trained = ganzoo.evaluate(dcgan_run.path, n=64, averaged=False)
    assert (averaged.weights, trained.weights) == ("average", "trained")
    assert averaged.checkpoints[0].metrics != trained.checkpoints[0].metrics
    assert "moving average of its weights" in averaged.table()
    code, out, err = run_cli(capsys, "eval", str(dcgan_run.path), "--n", "64",
                             "--trained-weights", "--json")
    assert code == 0, err
    assert json.loads(out)["weights"] == "trained"
    assert json.loads(out)["fid"] == pytest.approx(
        trained.checkpoints[0].metrics.fid)


@pytest.mark.parametrize("options, expected", [
    (dict(n=3), "more than 3 samples"),
    (dict(n=50, kid_subset_size=100), "kid_subset_size=100"),
], ids=["n-not-above-k", "kid-subset-above-n"])
def test_too_few_samples_for_a_metric_is_a_clear_error(dcgan_run, options, expected):
    with pytest.raises(InsufficientSamplesError, match=expected):
        ganzoo.evaluate(dcgan_run.path, **options)


def test_eval_errors_are_one_line_with_exit_status_2(capsys, dcgan_run, tmp_path, monkeypatch,
                                                      dead_inception_url):
    empty = tmp_path / "empty-run"
    empty.mkdir()
    shutil.copy(dcgan_run.path / "config.json", empty / "config.json")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    for argv, expected in [
        ([str(empty)], "has no checkpoint yet"),
        ([str(dcgan_run.path), "--checkpoint", "7"], "Available steps: 1, 2"),
        ([str(dcgan_run.path), "--checkpoint", "best"], "--eval-every"),
        ([str(dcgan_run.path), "--n", "2"], "more than 3 samples"),
        ([str(dcgan_run.path), "--features", "inception"],
         "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"),
    ]:
        code, _, err = run_cli(capsys, "eval", *argv)
        assert code == 2 and expected in err, (argv, err)
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_eval_with_inception_offline_is_one_error_line_after_the_download_notice(
        capsys, dcgan_run, tmp_path, monkeypatch, dead_inception_url):
    from ganzoo.metrics._features import INCEPTION_NOTOP

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.delenv("GANZOO_OFFLINE", raising=False)
    code, _, err = run_cli(capsys, "eval", str(dcgan_run.path), "--features", "inception")

    notice, error = err.strip().splitlines()
    assert code == 2 and "Traceback" not in err
    assert notice.startswith("Downloading InceptionV3's ImageNet weights")
    assert dead_inception_url + INCEPTION_NOTOP in error and "refused" in error
    assert str(tmp_path / "keras" / "models") in error


def test_a_feature_network_for_another_image_shape_is_refused():
    from ganzoo.metrics import Evaluator

    domain_28 = Evaluator.for_data("digits", 28).network
    with pytest.raises(FeatureNetworkError, match=r"\(28, 28, 1\).*\(32, 32, 1\)"):
        Evaluator.for_data("digits", 32, features=domain_28)


def test_unlabelled_data_has_no_domain_network(tmp_path):
    from ganzoo.metrics import domain_network

    images = np.random.default_rng(0).integers(0, 256, (40, 28, 28, 1), dtype=np.uint8)
    with pytest.raises(FeatureNetworkError, match="needs|labels"):
        domain_network(images, None, 0)
    # Evaluation then uses the label-free network instead (tests/test_label_free_metrics.py).


def test_class_consistency_of_a_conditional_run_is_measured_against_its_classifier(tmp_path):
    run = ganzoo.train("cgan", steps=1, out=tmp_path, **TINY).run
    report = ganzoo.evaluate(run.path, n=100)
    consistency = report.checkpoints[0].metrics.class_consistency
    assert consistency is not None and 0.0 <= consistency <= 1.0
    assert report.floor.class_consistency == report.classifier.held_out_accuracy
    assert "class consistency" in report.table()


def test_training_keeps_the_checkpoint_with_the_lowest_fid_even_when_later_ones_are_worse(
        tmp_path, monkeypatch):
    from ganzoo.metrics import _evaluate

    fids = iter([50.0, 20.0, 35.0, 40.0])
    real_score = _evaluate.Evaluator.score

    def scripted(self, images, labels=None):
        measured = real_score(self, images, labels)
        return Metrics(**{**measured.__dict__, "fid": next(fids)})

    monkeypatch.setattr(_evaluate.Evaluator, "score", scripted)
    run = ganzoo.train("mlp-gan", steps=4, eval_every=1, checkpoint_every=4, out=tmp_path,
                       **TINY).run
    records = [json.loads(line) for line in run.metrics_path.read_text().splitlines()]
    evals = [r for r in records if "eval" in r]
    assert [(r["step"], r["eval"]["fid"]) for r in evals] == [(1, 50.0), (2, 20.0), (3, 35.0),
                                                              (4, 40.0)]
    assert [r["step"] for r in evals if r.get("best")] == [1, 2]
    assert {"fid", "kid", "precision", "recall", "memorisation"} <= set(evals[0]["eval"])
    assert evals[0]["floor"]["samples"] == 898 and evals[0]["features"] == "domain-cnn-v1"
    best = json.loads(run.best_path.read_text())
    assert best["step"] == 2 and best["fid"] == 20.0
    assert run.best_step() == 2 and run.checkpoint_steps() == [4]
    assert sorted(p.name for p in run.best_checkpoint_dir.glob("*.index")) == ["ckpt-2.index"]
    images = ganzoo.sample(run.path, n=4, step="best")
    assert images.shape == (4, 28, 28, 1)
    monkeypatch.undo()
    report = ganzoo.evaluate(run.path, checkpoint="all", n=64)
    assert [(c.step, c.best) for c in report.checkpoints] == [(2, True), (4, False)]


def test_evaluating_during_training_leaves_the_trained_weights_unchanged(tmp_path):
    plain = ganzoo.train("dcgan", steps=3, seed=4, out=tmp_path / "plain", **TINY).run
    evaluated = ganzoo.train("dcgan", steps=3, seed=4, eval_every=1, out=tmp_path / "eval",
                             **TINY).run
    assert evaluated.best_path.is_file()
    for a, b in zip(plain.load_generator().weights, evaluated.load_generator().weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_health_warnings_reach_the_log_and_the_user(tmp_path, monkeypatch):
    from ganzoo.metrics import _health

    strict = functools.partial(_health.HealthMonitor, d_loss_floor=100.0, patience=2)
    monkeypatch.setattr(_health, "HealthMonitor", strict)  # every loss counts as near zero
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = ganzoo.train("mlp-gan", steps=3, log_every=1, out=tmp_path, **TINY).run
    messages = [str(w.message) for w in caught if w.category is TrainingHealthWarning]
    assert len(messages) == 1 and "discriminator wins outright" in messages[0]
    records = [json.loads(line) for line in run.metrics_path.read_text().splitlines()]
    assert [r["step"] for r in records if "warnings" in r] == [2]
    assert records[1]["warnings"][0]["code"] == "discriminator-wins"


def test_sample_from_the_best_checkpoint_of_a_run_without_one_is_a_clear_error(capsys,
                                                                              dcgan_run,
                                                                              tmp_path):
    with pytest.raises(RunError, match="no best checkpoint"):
        ganzoo.sample(dcgan_run.path, n=2, step="best")
    code, _, err = run_cli(capsys, "sample", str(dcgan_run.path), "--step", "best", "--out",
                           str(tmp_path / "x.png"))
    assert code == 2 and "--eval-every" in err


@pytest.mark.parametrize("argv", [
    ["train", "--arch", "dcgan", "--eval-every", "0"],
    ["eval", "run", "--checkpoint", "latest"],
    ["eval", "run", "--features", "clip"],
], ids=["zero-eval-every", "unknown-checkpoint-word", "unknown-features"])
def test_invalid_evaluation_flags_exit_with_status_2(capsys, argv):
    code, _, err = run_cli(capsys, *argv)
    assert code == 2 and "error:" in err


@pytest.fixture(scope="module")
def imbalanced_cgan(tmp_path_factory):
    """A 1-step cgan on digits 0 and 1 (all of them) and ten pictures of digit 2."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = np.rint(digits.images * 255 / 16).astype(np.uint8)
    keep = np.flatnonzero(digits.target < 2)
    keep = np.concatenate([keep, np.flatnonzero(digits.target == 2)[:10]])
    folder = tmp_path_factory.mktemp("imbalanced")
    np.savez(folder / "digits012.npz", x=images[keep], y=digits.target[keep])
    return ganzoo.train("cgan", data=str(folder / "digits012.npz"), steps=1,
                        out=tmp_path_factory.mktemp("runs"), batch_size=8, progress=False).run


def test_each_class_is_scored_against_its_own_pictures_and_a_tiny_class_gets_a_note(
        imbalanced_cgan):
    report = ganzoo.evaluate(imbalanced_cgan.path)
    scores = {score.name: score for score in report.per_class}
    assert sorted(scores) == ["0", "1", "2"]
    assert scores["2"].metrics is None and "too few to score" in scores["2"].note
    for name in ("0", "1"):
        metrics, floor = scores[name].metrics, scores[name].floor
        assert metrics.samples == floor.samples < report.floor.samples
        assert 0.0 <= metrics.class_consistency <= 1.0
        assert scores[name].position("fid") and len(scores[name].ladder) >= 5
    assert report.intra_fid == pytest.approx(
        (scores["0"].metrics.fid + scores["1"].metrics.fid) / 2)
    record = json.loads(report.to_json())
    assert record["per_class"]["2"]["fid"] is None and record["per_class"]["2"]["note"]
    assert record["per_class"]["0"]["fid"] == scores["0"].metrics.fid
    assert record["intra_fid"] == report.intra_fid
    table = report.table()
    assert "intra-FID" in table and "too few to score" in table


def test_a_class_evaluator_rates_another_class_far_from_its_own_floor(imbalanced_cgan):
    from ganzoo.metrics import Evaluator
    from ganzoo.metrics._per_class import class_evaluator

    evaluator = Evaluator.for_data(str(imbalanced_cgan.config.data), 28, 1, conditional=True)
    zeros, ones = class_evaluator(evaluator, 0), class_evaluator(evaluator, 1)
    assert class_evaluator(evaluator, 2) is None
    other = ones.sample.images[:zeros.n]
    assert zeros.score(other).fid > 3 * zeros.floor.fid
    assert zeros.score(other).kid > zeros.floor.kid + 0.05


def test_a_conditional_runs_overall_figures_draw_labels_at_the_real_frequencies(
        imbalanced_cgan):
    from ganzoo.metrics import Evaluator
    from ganzoo.metrics._per_class import frequency_labels

    evaluator = Evaluator.for_data(str(imbalanced_cgan.config.data), 28, 1)
    labels = frequency_labels(evaluator.sample, 1000)
    floor = evaluator.sample.labels[evaluator.sample.halves[0]]
    assert len(labels) == 1000
    np.testing.assert_array_equal(labels[:len(floor)], floor)
    share = np.bincount(labels, minlength=3) / len(labels)
    np.testing.assert_allclose(share, np.bincount(floor, minlength=3) / len(floor), atol=0.01)


def test_per_class_figures_of_an_unconditional_run_are_refused(dcgan_run):
    with pytest.raises(GanzooError, match="per_class needs a conditional run"):
        ganzoo.evaluate(dcgan_run.path, per_class=True)
