"""Generator output to pixels, and pixels to one picture: the grid every ganzoo tool draws."""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

MAX_CLASS_COLUMNS = 10


def to_uint8(images: np.ndarray) -> np.ndarray:
    """Map float images in [-1, 1] to pixels: round((x + 1) * 127.5), clipped to 0..255.

    uint8 images (from a file exported with ``--output uint8``) are returned as they are.
    """
    images = np.asarray(images)
    if images.dtype == np.uint8:
        return images
    return np.clip(np.rint((images.astype(np.float32) + 1.0) * 127.5), 0, 255).astype(np.uint8)


def grid_columns(num_classes: int, label: int | None = None) -> int | None:
    """The columns of a grid of a generator's images: one column per class (at most 10) when a
    conditional grid shows every class in turn, else None (as square as possible).

    Labels that cycle through the classes then put one class in each column.
    """
    if num_classes and label is None:
        return min(num_classes, MAX_CLASS_COLUMNS)
    return None


def grid(images: np.ndarray, columns: int | None = None, padding: int = 2,
         min_width: int = 256) -> Image.Image:
    """Tile NHWC images into one picture, scaled up (nearest) to at least `min_width` pixels.

    Float images are taken to lie in [-1, 1] (see `to_uint8`); `columns` None makes the grid as
    square as possible.
    """
    images = to_uint8(images)
    count, height, width, channels = images.shape
    columns = columns or math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    canvas = np.zeros((rows * (height + padding) + padding,
                       columns * (width + padding) + padding, channels), np.uint8)
    for index, image in enumerate(images):
        top = padding + (index // columns) * (height + padding)
        left = padding + (index % columns) * (width + padding)
        canvas[top:top + height, left:left + width] = image
    picture = Image.fromarray(canvas[..., 0] if channels == 1 else canvas)
    scale = max(1, math.ceil(min_width / picture.width))
    if scale > 1:
        picture = picture.resize((picture.width * scale, picture.height * scale), Image.NEAREST)
    return picture
