"""Shared fixtures. TensorFlow is quiet and single-threaded-friendly here: CI has 2 cores."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("GANZOO_OFFLINE", "1")

import pytest  # noqa: E402

from ganzoo.registry import Registry, default_registry  # noqa: E402
from ganzoo.testing import architectures_to_check  # noqa: E402


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # Every registered architecture: registering one puts it through the whole suite.
    if "architecture" in metafunc.fixturenames:
        metafunc.parametrize("architecture", architectures_to_check())


@pytest.fixture
def registry() -> Registry:
    return default_registry()


@pytest.fixture
def empty_registry() -> Registry:
    """A registry that loads no entry points, for plugins defined inline in a test."""
    return Registry(autoload=False)
