"""An .npz archive of images (key ``x``) and optional integer labels (key ``y``).

``x`` has shape NHW or NHWC (1, 3 or 4 channels) and holds either integers in 0..255 or floats
in [0, 1], [-1, 1] or [0, 255]; the range is detected from the values. Write one with::

    np.savez("faces.npz", x=images, y=labels)
"""

from __future__ import annotations

import os
import zipfile

import numpy as np

from ganzoo.errors import DataError
from ganzoo.plugin import ArrayData

__all__ = ["read_npz"]

# Float conversion works on a chunk at a time so a large float array is not copied whole.
_CHUNK = 4096
# (low, high) of the accepted float ranges, tried in order: [0, 1] before [-1, 1] before
# [0, 255], because a range that fits an earlier one almost certainly means that one.
_FLOAT_RANGES = ((0.0, 1.0), (-1.0, 1.0), (0.0, 255.0))


def read_npz(path: str) -> ArrayData:
    """Read images and labels from an .npz file into uint8 `ArrayData`.

    Raises:
        DataError: the file is missing or not an .npz archive, has no ``x``, or ``x`` and
            ``y`` are not images and one label per image.
    """
    if not os.path.isfile(path):
        raise DataError(f"The .npz file {path} does not exist. Expected an archive with images "
                        f"under 'x' (and optional labels under 'y').")
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise DataError(f"Cannot read {path} as an .npz archive: {error}.") from error
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise DataError(f"{path} holds a single array, not an .npz archive. Save one with "
                        f"np.savez(path, x=images, y=labels).")
    with archive:
        if "x" not in archive.files:
            raise DataError(f"{path} has no array 'x' of images. Keys found: "
                            f"{', '.join(archive.files) or 'none'}. Expected 'x' (images, NHW "
                            f"or NHWC) and optionally 'y' (integer labels).")
        try:
            x = archive["x"]
            y = archive["y"] if "y" in archive.files else None
        except ValueError as error:  # object arrays, which would need pickle
            raise DataError(f"Cannot read {path}: {error}.") from error
    images = _uint8_images(x, path)
    return ArrayData(images, None if y is None else _labels(y, len(images), path))


def _uint8_images(x: np.ndarray, path: str) -> np.ndarray:
    if x.ndim not in (3, 4) or (x.ndim == 4 and x.shape[-1] not in (1, 3, 4)) or not len(x):
        raise DataError(f"{path}: 'x' must be images of shape NHW or NHWC with 1, 3 or 4 "
                        f"channels. Received: shape={x.shape}. (Transpose NCHW arrays first.)")
    if x.dtype == np.uint8:
        return x
    if x.dtype.kind in "iu" and x.min() >= 0 and x.max() <= 255:
        return x.astype(np.uint8)
    if x.dtype.kind == "f" and np.isfinite(x).all():
        low, high = float(x.min()), float(x.max())
        for range_low, range_high in _FLOAT_RANGES:
            if range_low <= low and high <= range_high:
                return _rescaled(x, range_low, range_high)
        found = f"values in [{low:g}, {high:g}]"
    else:
        found = f"dtype={x.dtype}"
    raise DataError(f"{path}: 'x' must hold integers in 0..255 or floats in [0, 1], [-1, 1] or "
                    f"[0, 255]. Received: {found}.")


def _rescaled(x: np.ndarray, low: float, high: float) -> np.ndarray:
    out = np.empty(x.shape, np.uint8)
    scale = 255.0 / (high - low)
    for start in range(0, len(x), _CHUNK):
        part = (x[start:start + _CHUNK].astype(np.float32) - low) * scale
        out[start:start + _CHUNK] = np.clip(np.rint(part), 0, 255)
    return out


def _labels(y: np.ndarray, num_images: int, path: str) -> np.ndarray:
    if y.ndim == 2 and y.shape[1] == 1:  # Keras-style column of labels
        y = y[:, 0]
    if y.ndim != 1 or len(y) != num_images:
        raise DataError(f"{path}: 'y' must hold one label per image in 'x' ({num_images}). "
                        f"Received: shape={y.shape}.")
    integral = y.dtype.kind in "iu" or (y.dtype.kind == "f" and np.isfinite(y).all()
                                         and (y == np.round(y)).all())
    if not integral or y.min() < 0:
        raise DataError(f"{path}: 'y' must hold non-negative integer labels. Received: "
                        f"dtype={y.dtype}, values in [{y.min()}, {y.max()}].")
    return y.astype(np.int64)
