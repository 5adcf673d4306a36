"""ganzoo: a plugin-based GAN zoo for TensorFlow/Keras.

The public API mirrors the command line: `train`, `sample`, `export`, `evaluate`,
`list_architectures`, `list_plugins`. Plugin authors use `ganzoo.plugin` and test their
plugins with `ganzoo.testing`; `ganzoo_edge` runs an exported generator without TensorFlow.
"""

from __future__ import annotations

import warnings
from importlib import metadata

from ganzoo.errors import GanzooError

try:
    __version__ = metadata.version("ganzoo")
except metadata.PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+source"

__all__ = [
    "GanzooError",
    "__version__",
    "evaluate",
    "export",
    "get_architecture",
    "interpolate",
    "list_architectures",
    "list_plugins",
    "load_generator",
    "project",
    "sample",
    "sample_dataset",
    "train",
]


def __getattr__(name: str):
    # TensorFlow takes seconds to import; `ganzoo --version` and `ganzoo list` should not wait.
    if name == "train":
        from ganzoo.training import train

        return train
    if name == "evaluate":
        from ganzoo.metrics import evaluate

        return evaluate
    if name in ("sample", "load_generator", "sample_dataset", "interpolate"):
        from ganzoo import sampling

        return getattr(sampling, name)
    if name == "export":
        from ganzoo.exporting import export

        return export
    if name == "project":
        from ganzoo.projection import project

        return project
    raise AttributeError(f"module 'ganzoo' has no attribute {name!r}")


def list_architectures():
    """Every installed architecture with the plugin that provides it, sorted by name."""
    from ganzoo.registry import default_registry

    provided = default_registry().architectures()
    return [provided[name] for name in sorted(provided)]


def get_architecture(name: str):
    """The `ArchitectureSpec` called `name`; raises `UnknownNameError` with close matches."""
    from ganzoo.registry import default_registry

    return default_registry().architecture(name)


def list_plugins(registry=None) -> list[dict]:
    """Every plugin found through the ``ganzoo`` entry-point group, as ``ganzoo plugins --json``
    prints it: one dictionary per plugin, broken ones included.

    Each has ``name`` (the entry point), ``distribution`` and ``version`` (the package that
    installed it), ``status`` (``"ok"``, ``"failed to load"``, ``"provides nothing"`` or
    ``"conflict"``), ``error`` (why, when not ok: where the import failed, what clashes with
    what, the contract it requires; else None), ``hooks`` (the hooks it implements),
    ``provides`` (``{"architectures": [...], "losses": [...], ...}``, empty when it failed to
    load) and ``requires_contract`` (its own specifier of `ganzoo.plugin.CONTRACT_VERSION`, or
    None).

    Args:
        registry: plugins to describe (default: the installed ones).

    Example:
        >>> for plugin in ganzoo.list_plugins():
        ...     print(plugin["name"], plugin["status"], plugin["provides"])
    """
    from ganzoo.registry import default_registry

    registry = registry or default_registry()
    with warnings.catch_warnings():  # broken plugins are reported in the result instead
        warnings.simplefilter("ignore")
        described = []
        for plugin in registry.plugins:
            status, why = registry.status(plugin)
            described.append({"name": plugin.name, "distribution": plugin.distribution,
                              "version": plugin.version, "status": status, "error": why,
                              "hooks": registry.hooks_of(plugin),
                              "provides": registry.provided_by(plugin) if plugin.ok else {},
                              "requires_contract": plugin.requires_contract})
        return described
