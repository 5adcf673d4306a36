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


def need_browser_kit(condition: bool, reason: str) -> None:
    """Skip for want of Chromium or the onnxruntime-web tarball, except in CI, where
    ``GANZOO_REQUIRE_BROWSER=1`` (.ci/run) makes the want a failure."""
    if not condition:
        if os.environ.get("GANZOO_REQUIRE_BROWSER") == "1":
            pytest.fail(f"GANZOO_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)


@pytest.fixture(scope="session")
def web_runtime_dir(tmp_path_factory):
    """onnxruntime-web's files for ``--runtime-dir``, from the tarball that
    ``GANZOO_TEST_ORT_TARBALL`` names (CI: ``npm pack``), checked as an export checks them."""
    from pathlib import Path

    from ganzoo.exporting.formats import web

    tarball = os.environ.get("GANZOO_TEST_ORT_TARBALL")
    need_browser_kit(bool(tarball) and Path(tarball).is_file(),
                     f"GANZOO_TEST_ORT_TARBALL names no onnxruntime-web tarball (npm pack "
                     f"onnxruntime-web@{web.RUNTIME_VERSION})")
    return web.install_runtime(Path(tarball).read_bytes(), tmp_path_factory.mktemp("ort") / "dist")
