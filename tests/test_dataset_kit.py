"""The dataset half of the test kit: every registered data set passes `check_dataset`, and a data
set that breaks the contract is told what to fix."""

from __future__ import annotations

import re
import types
from pathlib import Path

import numpy as np
import pytest
from test_data import fake_cifar10, fake_fashion_mnist, fake_mnist

from ganzoo.plugin import ArrayData, DatasetSpec
from ganzoo.testing import ContractError, check_dataset, datasets_to_check, registry_with

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "plugins.md"
# Data sets that need a download are checked against a fake Keras cache (as in test_data.py).
FAKE_CACHES = {"mnist": fake_mnist, "fashion_mnist": fake_fashion_mnist, "cifar10": fake_cifar10}


@pytest.mark.parametrize("dataset", datasets_to_check())
def test_every_registered_dataset_passes_the_kit(dataset, registry, tmp_path, monkeypatch):
    if not registry.dataset(dataset).ships_with_install:
        if dataset not in FAKE_CACHES:
            pytest.skip(f"{dataset!r} needs a download and no fake cache is written for it")
        monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
        monkeypatch.setenv("GANZOO_OFFLINE", "1")
        (tmp_path / "keras" / "datasets").mkdir(parents=True)
        FAKE_CACHES[dataset](tmp_path / "keras" / "datasets")
    report = check_dataset(dataset, registry=registry)
    assert report.name == dataset and report.count > 0
    assert report.image_shape[2] in (1, 3)


def spec(name: str, load) -> DatasetSpec:
    return DatasetSpec(name, "a test data set", load, ships_with_install=True)


def noise(count: int = 8, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (count, 8, 8), dtype=np.uint8)


def test_the_kit_reports_what_it_checked():
    report = check_dataset(spec("noise", lambda: ArrayData(noise(), np.arange(8) % 2, ("a", "b"))))
    assert (report.name, report.count, report.image_shape, report.num_classes) == (
        "noise", 8, (8, 8, 1), 2)


def test_unit_floats_cast_to_uint8_are_told_to_scale_by_255():
    as_uint8 = np.random.default_rng(0).random((8, 8, 8)).round().astype(np.uint8)
    with pytest.raises(ContractError, match=r"unit: every pixel is 0 or 1.*by 255"):
        check_dataset(spec("unit", lambda: ArrayData(as_uint8)))


def test_float_images_are_refused_with_the_dtype_received():
    with pytest.raises(ContractError, match=r"floats: images must be uint8.*dtype=float64"):
        check_dataset(spec("floats", lambda: ArrayData(noise() / 255.0)))


def test_a_label_without_a_class_name_is_named():
    with pytest.raises(ContractError, match=r"label 2 has no class name; class_names has 2"):
        check_dataset(spec("short", lambda: ArrayData(noise(), np.arange(8) % 3, ("a", "b"))))


def test_class_names_without_labels_are_refused():
    with pytest.raises(ContractError, match=r"class_names are given \(2\) but no labels"):
        check_dataset(spec("nameless", lambda: ArrayData(noise(), None, ("a", "b"))))


def test_labels_must_be_one_integer_per_image():
    with pytest.raises(ContractError, match=r"labels must be 8 integers.*shape=\(5,\)"):
        check_dataset(spec("few", lambda: ArrayData(noise(), np.arange(5))))


def test_a_data_set_that_changes_between_loads_is_not_deterministic():
    draws = iter(range(2))
    with pytest.raises(ContractError, match=r"two calls of load\(\) return different data"):
        check_dataset(spec("unseeded", lambda: ArrayData(noise(seed=next(draws)))))


def test_the_dataset_example_in_the_plugin_guide_keeps_the_contract():
    source = re.search(r"```python\n(\"\"\"Stripes.*?)```", GUIDE.read_text(), re.DOTALL).group(1)
    module = types.ModuleType("stripes")
    exec(compile(source, "docs/plugins.md", "exec"), module.__dict__)
    report = check_dataset("stripes", registry=registry_with(module))
    assert report.num_classes == 2 and report.image_shape == (16, 16, 1)
