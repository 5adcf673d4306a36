"""Image grids and animations with Pillow: how people look at what a GAN makes."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image


def to_uint8(images: np.ndarray) -> np.ndarray:
    """Map generator output in [-1, 1] to pixels 0..255 (rounding, clipping stray values)."""
    return np.clip(np.rint((np.asarray(images, np.float32) + 1.0) * 127.5), 0, 255).astype(np.uint8)


def grid_columns(num_classes: int, label: int | None = None) -> int | None:
    """Columns of a grid: one per class (at most 10) when a conditional grid shows every class
    in turn, else None (as square as the count allows)."""
    return min(num_classes, 10) if num_classes and label is None else None


def grid(images: np.ndarray, columns: int | None = None, padding: int = 2,
         min_width: int = 256) -> Image.Image:
    """Tile uint8 NHWC images into one picture, upscaled (nearest) to at least `min_width` px."""
    images = np.asarray(images)
    if images.dtype != np.uint8:
        images = to_uint8(images)
    count, height, width, channels = images.shape
    columns = columns or math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    canvas = np.zeros((rows * (height + padding) + padding, columns * (width + padding) + padding,
                       channels), np.uint8)
    for index, image in enumerate(images):
        top = padding + (index // columns) * (height + padding)
        left = padding + (index % columns) * (width + padding)
        canvas[top:top + height, left:left + width] = image
    picture = Image.fromarray(canvas[..., 0] if channels == 1 else canvas)
    scale = max(1, math.ceil(min_width / picture.width))
    if scale > 1:
        picture = picture.resize((picture.width * scale, picture.height * scale), Image.NEAREST)
    return picture


def save_atomic(picture: Image.Image, path: Path, **options: object) -> Path:
    """Save through a temporary file so a crash never leaves a half-written image."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.tmp")
    picture.save(temporary, format=path.suffix.lstrip(".").upper().replace("JPG", "JPEG"),
                 **options)
    os.replace(temporary, path)
    return path


def animate(frames: Sequence[Path], path: Path, milliseconds_per_frame: int = 150) -> Path | None:
    """Write an animated GIF of the given image files, holding the last frame longer."""
    if not frames:
        return None
    pictures = [Image.open(frame).convert("RGB") for frame in frames]
    durations = [milliseconds_per_frame] * (len(pictures) - 1) + [2000]
    temporary = Path(path).with_name(f".{Path(path).name}.tmp")
    pictures[0].save(temporary, format="GIF", save_all=True, append_images=pictures[1:],
                     duration=durations, loop=0)
    os.replace(temporary, path)
    return Path(path)
