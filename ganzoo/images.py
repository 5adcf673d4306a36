"""Image grids and animations with Pillow: how people look at what a GAN makes.

`to_uint8`, `grid` and `grid_columns` are the edge runner's (``ganzoo_edge``), so a grid from
``ganzoo sample`` and one from ``ganzoo-edge`` are laid out by the same code.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from ganzoo_edge import grid, grid_columns, to_uint8
from PIL import Image

__all__ = ["animate", "grid", "grid_columns", "save_atomic", "to_uint8"]


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
