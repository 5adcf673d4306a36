"""docs/training.md's flag table states the defaults; each stated default is the code's, so the
page cannot drift from it. When a default changes, this test names the row to update."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

import ganzoo
from ganzoo.data.folder import DEFAULT_BACKGROUND, DEFAULT_FIT
from ganzoo.registry import default_registry
from ganzoo.training.recommend import FOLDER_IMAGE_SIZE, recommend
from ganzoo.training.setup import CHECKPOINT_EVERY, LOG_EVERY, SAMPLE_FRAMES

PAGE = Path(__file__).resolve().parents[1] / "docs" / "training.md"
BUILTIN = ("acgan", "cgan", "dcgan", "fastgan", "lsgan", "mlp-gan", "sngan")
DCGAN_FAMILY = ("dcgan", "cgan", "acgan", "lsgan", "sngan")


def default_cell(flag: str) -> str:
    """The 'default' column of the row of `flag` in the page's flag table."""
    for line in PAGE.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].split(" ")[0] == f"`{flag}":
            return cells[2]
    raise AssertionError(f"docs/training.md has no row for {flag}")


@pytest.fixture(scope="module")
def defaults():
    architectures = default_registry().architectures()
    return {name: architectures[name].spec.defaults for name in BUILTIN}


def test_the_step_count_stated_is_each_built_in_architectures(defaults):
    cell = default_cell("--steps")
    others = {defaults[name].steps for name in BUILTIN if name != "fastgan"}
    assert len(others) == 1, "the page says one count for the built-ins but fastgan"
    assert f"{others.pop()} for the built-ins" in cell
    assert f"{defaults['fastgan'].steps} for `fastgan`" in cell


def test_the_batch_and_latent_sizes_stated_are_the_architectures(defaults):
    batch = {defaults[name].batch_size for name in DCGAN_FAMILY}
    assert len(batch) == 1
    assert f"{batch.pop()} for the DCGAN family" in default_cell("--batch-size")
    assert f"{defaults['fastgan'].batch_size} for `fastgan`" in default_cell("--batch-size")
    latent = default_cell("--latent-dim")
    for name in (*DCGAN_FAMILY, "fastgan"):
        stated = re.search(rf"(\d+) for [^;]*`{name}`", latent)
        assert stated, f"--latent-dim's default for {name} is not stated"
        assert int(stated.group(1)) == defaults[name].latent_dim, name


def test_the_image_sizes_stated_are_the_folder_default_and_the_architectures(defaults):
    cell = default_cell("--image-size")
    assert f"{FOLDER_IMAGE_SIZE} for a folder" in cell
    sizes = {defaults[name].image_size for name in DCGAN_FAMILY}
    assert len(sizes) == 1
    assert f"{sizes.pop()} for the DCGAN family" in cell
    assert f"{defaults['fastgan'].image_size} for `fastgan`" in cell


def test_the_intervals_stated_are_the_trainers():
    assert default_cell("--checkpoint-every") == str(CHECKPOINT_EVERY)
    assert default_cell("--log-every") == str(LOG_EVERY)
    assert default_cell("--sample-every") == f"steps / {SAMPLE_FRAMES}"


def test_the_weight_average_decays_stated_are_the_architectures(defaults):
    cell = default_cell("--ema-decay")
    assert f"({defaults['dcgan'].ema_decay:g}; `mlp-gan` {defaults['mlp-gan'].ema_decay:g})" in cell
    assert {defaults[name].ema_decay for name in BUILTIN if name != "mlp-gan"} == {
        defaults["dcgan"].ema_decay}


def test_the_seed_output_and_folder_reading_defaults_are_the_apis():
    parameters = inspect.signature(ganzoo.train).parameters
    assert default_cell("--out") == f"`{parameters['out'].default}`"
    assert default_cell("--seed") == "0"
    assert default_cell("--background") == f"`{DEFAULT_BACKGROUND}`"
    assert default_cell("--fit") == f"`{DEFAULT_FIT}`"


def test_the_augmentation_and_precision_stated_are_the_recommendations(tmp_path):
    (tmp_path / "a.png").write_bytes(b"")  # a folder: the rules only count its files
    folder = recommend(str(tmp_path), None)
    named = recommend(str(tmp_path), None, arch="dcgan")
    digits = recommend("digits", None)
    augment = default_cell("--augment")
    assert f"`{folder.augment}` for `{folder.arch}`" in augment
    assert f"`{named.augment}` for the others" in augment
    assert f"`{digits.augment}` for digits-sized data" in augment
    precision = default_cell("--precision")
    assert (folder.precision, named.precision, digits.precision) == ("auto", "auto", "float32")
    assert f"`{folder.precision}` for pictures over 32 px" in precision
    assert f"`{digits.precision}` for digits-sized data" in precision
