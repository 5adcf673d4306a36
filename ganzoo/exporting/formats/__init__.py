"""The built-in export formats, one plugin module each.

Each module ends with the ``ganzoo_export_formats`` hook and is registered in ganzoo's
``pyproject.toml`` under ``[project.entry-points.ganzoo]``: the path a third-party format takes.
"""

from __future__ import annotations

import importlib
from types import ModuleType

BUILTIN = ("savedmodel", "tflite", "onnx", "web")


def builtin_modules() -> list[ModuleType]:
    """The built-in format plugins, for registries that load no entry points (tests)."""
    return [importlib.import_module(f"{__name__}.{name}") for name in BUILTIN]
