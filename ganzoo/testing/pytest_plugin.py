"""pytest fixtures for plugin authors, loaded automatically through the ``pytest11`` entry point.

``ganzoo_registry``: a fresh registry with ganzoo's losses and datasets and no entry-point
autoloading; register a throwaway plugin with ``ganzoo_registry.register(obj)``.
``check_architecture``: `ganzoo.testing.check_architecture`, with a scratch folder per test.
``check_export_format``: `ganzoo.testing.check_export_format`, likewise.
"""

from __future__ import annotations

import pytest


@pytest.fixture
def ganzoo_registry():
    from ganzoo.testing import registry_with

    return registry_with()


@pytest.fixture
def check_architecture(tmp_path):
    from ganzoo.testing import check_architecture as check

    def run(architecture, **options):
        options.setdefault("workdir", tmp_path)
        return check(architecture, **options)

    return run


@pytest.fixture
def check_export_format(tmp_path):
    """`ganzoo.testing.check_export_format`, writing into a scratch folder per test."""
    from ganzoo.testing import check_export_format as check

    def run(name, **options):
        options.setdefault("workdir", tmp_path)
        return check(name, **options)

    return run
