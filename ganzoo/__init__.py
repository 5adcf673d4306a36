"""ganzoo: a plugin-based GAN zoo for TensorFlow/Keras.

The public API mirrors the command line: `train`, `sample`, `export`, `list_architectures`.
Plugin authors use `ganzoo.plugin`.
"""

from __future__ import annotations

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
    "load_generator",
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
