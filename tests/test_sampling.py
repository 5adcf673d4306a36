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
    ("cgan", 10, "from 0 to 9"),
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
