"""Training data: named data sets, folders of images and .npz files, as batches in [-1, 1].

    from ganzoo.data import load_data

    data = load_data("digits", image_size=28)        # a registered data set
    data = load_data("~/faces", image_size=64)       # a folder, one subfolder per class or none
    data = load_data("~/icons", image_size=64, background="black", fit="pad")
    data = load_data("faces.npz", image_size=64, channels=3)
    for images, labels in data.batches(batch_size=64, seed=0).take(100):
        ...
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from ganzoo.errors import UnknownNameError

if TYPE_CHECKING:
    from ganzoo.data.pipeline import ImageDataset
    from ganzoo.registry import Registry

__all__ = ["FITS", "IMAGE_EXTENSIONS", "DataWarning", "ImageDataset", "load_data"]


def __getattr__(name: str):
    # The readers import TensorFlow (seconds); the data-set plugin (ganzoo.data.builtin) is
    # loaded by `ganzoo list`, which must not wait for it.
    if name in ("FITS", "IMAGE_EXTENSIONS", "DataWarning"):
        from ganzoo.data import folder

        return getattr(folder, name)
    if name == "ImageDataset":
        from ganzoo.data.pipeline import ImageDataset

        return ImageDataset
    raise AttributeError(f"module 'ganzoo.data' has no attribute {name!r}")


def load_data(source: str, image_size: int, channels: int | None = None, *, strict: bool = False,
              background: str = "white", fit: str = "crop",
              registry: Registry | None = None) -> ImageDataset:
    """Open a data source for training at ``image_size`` x ``image_size``.

    Args:
        source: a registered data set name (see `Registry.datasets`), else a folder of
            images, else a path ending in ``.npz``.
        image_size: the side of the square images in every batch; images are resized to it
            (a folder's images after `fit`; other sources ignoring their aspect ratio).
        channels: 1 or 3 to convert to grayscale or RGB; None keeps the data's own (1 when
            every image is grayscale, else 3; an alpha channel of in-memory data is dropped).
        strict: for a folder, raise on the first unreadable file instead of skipping it with a
            `DataWarning`.
        background: for a folder, the colour transparent pixels are composited onto:
            ``"white"``, ``"black"`` or ``"#rrggbb"``; ``"none"`` keeps the colour stored under
            them (alpha dropped), as runs made before this option read folders.
        fit: for a folder, how a non-square image becomes square: ``"crop"`` its centre
            square, ``"pad"`` it with `background` (black for ``"none"``), or ``"stretch"`` it
            (how runs made before this option read folders).
        registry: where named data sets are looked up; the installed plugins by default.

    Raises:
        DataError: the data is missing, empty or unreadable, or an option is invalid.
        UnknownNameError: `source` is neither a known name nor a usable path.
    """
    from ganzoo.data.folder import FolderDataset, check_background, check_fit
    from ganzoo.data.npz import read_npz
    from ganzoo.data.pipeline import InMemoryDataset, check_image_options
    from ganzoo.registry import default_registry

    check_image_options(image_size, channels)
    check_background(background), check_fit(fit)  # wrong for any source, not only folders
    if registry is None:
        registry = default_registry()
    names = registry.datasets()
    if source in names or source in registry.conflicts("ganzoo_datasets"):
        # dataset() also raises the right error for a name two plugins provide.
        data = registry.dataset(source).load()
        return InMemoryDataset(source, data, image_size, channels)
    path = os.path.expanduser(source)
    if os.path.isdir(path):
        return FolderDataset(source, image_size, channels, strict=strict,
                             background=background, fit=fit)
    if path.lower().endswith(".npz"):
        return InMemoryDataset(source, read_npz(path), image_size, channels)
    raise UnknownNameError("dataset", source, names,
                           hint="Or give a path to a folder of images or an .npz file.")
