"""Quality numbers without labels: a contrastive feature network trained on the run's own images,
so `ganzoo eval` and `--eval-every` work on any folder."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits

import ganzoo
import ganzoo.metrics
from ganzoo.metrics import Evaluator
from ganzoo.metrics import _contrastive as contrastive


@pytest.fixture(scope="module")
def unlabelled(tmp_path_factory):
    """160 real digits at 16x16 as an .npz without labels."""
    from PIL import Image

    digits = load_digits()
    images = (digits.images[:160] * 255 / 16).astype(np.uint8)
    images = np.stack([np.asarray(Image.fromarray(i).resize((16, 16), Image.BILINEAR))
                       for i in images])[..., None]
    path = tmp_path_factory.mktemp("data") / "digits.npz"
    np.savez(path, x=images)
    return path, images


def test_the_label_free_network_trains_deterministically_and_is_cached(unlabelled, tmp_path,
                                                                       monkeypatch):
    _, images = unlabelled
    first = contrastive.contrastive_network(images, epochs=2, cache=tmp_path / "a")
    second = contrastive.contrastive_network(images, epochs=2, cache=tmp_path / "b")
    np.testing.assert_array_equal(first.embed(images[:8]).features,
                                  second.embed(images[:8]).features)
    assert first.num_classes == 0 and first.fingerprint == second.fingerprint
    monkeypatch.setattr(contrastive, "_train", lambda *args: pytest.fail("trained again"))
    cached = contrastive.contrastive_network(images, epochs=2, cache=tmp_path / "a")
    np.testing.assert_array_equal(cached.embed(images[:8]).features,
                                  first.embed(images[:8]).features)


def test_unlabelled_data_is_scored_in_the_label_free_space(unlabelled, tmp_path, monkeypatch):
    monkeypatch.setenv("GANZOO_CACHE", str(tmp_path))
    path, images = unlabelled
    evaluator = Evaluator.for_data(str(path), 16, 1)
    assert evaluator.network.name.startswith("contrastive-cnn")
    rungs = ganzoo.metrics.ladder(evaluator)
    real, scored_noise = rungs["held-out real"], rungs["noise"]
    fids = [rungs[name].fid for name in ("held-out real", "blur 1", "blur 2", "blur 3", "noise")]
    assert fids == sorted(fids)  # each rung further from the data than the one before
    # A feature space in which uniform noise looks like the data would be useless. (With 80
    # samples in 128 dimensions FID is biased upwards, so the real floor is far from 0 here.)
    assert scored_noise.fid > 4 * real.fid
    assert scored_noise.precision < 0.5 * real.precision


def test_ganzoo_eval_and_eval_every_work_on_an_unlabelled_run(unlabelled, tmp_path,
                                                               monkeypatch):
    monkeypatch.setenv("GANZOO_CACHE", str(tmp_path / "cache"))
    path, _ = unlabelled
    run = ganzoo.train("mlp-gan", data=str(path), image_size=28, steps=2, batch_size=8,
                       eval_every=2, out=tmp_path / "runs", progress=False).run
    assert run.best()["features"].startswith("contrastive-cnn")
    report = ganzoo.evaluate(run.path, n=50)
    metrics = report.checkpoints[-1].metrics
    assert report.features.name.startswith("contrastive-cnn")
    assert metrics.fid > 0 and metrics.class_consistency is None
