"""Make the README's pictures of training runs.

    time ganzoo train --arch dcgan --out /tmp/readme
    python docs/make_pictures.py /tmp/readme/dcgan-<stamp>

writes docs/images/quickstart-dcgan.png (``ganzoo sample RUN --n 64 --seed 0``) and
docs/images/dcgan-progress.png (the run's own sample grids at steps 100, 500, 1000 and 3000,
side by side with their step above each).

    python docs/make_pictures.py --folder-run RUN --steps 500 1000 ...

writes docs/images/folder-progress.png instead: the first rows of a colour-folder run's own
sample grids (the same latents at every step) at the steps given, one above the other, so
that the eye can see when faces arrive.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PIL import Image, ImageDraw

IMAGES = Path(__file__).resolve().parent / "images"
STEPS = (100, 500, 1000, 3000)


def _grids(samples: Path, steps) -> list[Image.Image]:
    """The run's own sample grids at `steps`, from its samples directory."""
    paths = [samples / f"step-{step:07d}.png" for step in steps]
    for path in paths:
        if not path.is_file():
            print(f"error: {path} is missing: the steps must be ones at which the run saved a "
                  f"sample grid ({samples} holds them)", file=sys.stderr)
            raise SystemExit(2)
    return [Image.open(path) for path in paths]


def progress_strip(samples: Path, steps=STEPS, width: int = 1000, gap: int = 8,
                   caption: int = 24) -> Image.Image:
    """The sample grids at `steps`, scaled to share `width`, each under a 'step N' caption."""
    grids = [grid.convert("L") for grid in _grids(samples, steps)]
    side = (width - gap * (len(grids) - 1)) // len(grids)
    strip = Image.new("L", (width, side + caption), 255)
    draw = ImageDraw.Draw(strip)
    for index, (step, picture) in enumerate(zip(steps, grids)):
        left = index * (side + gap)
        strip.paste(picture.resize((side, side), Image.LANCZOS), (left, caption))
        label = f"step {step}"
        draw.text((left + (side - draw.textlength(label)) // 2, 6), label, fill=0)
    return strip


def progress_rows(samples: Path, steps, rows: int = 2, caption: int = 18) -> Image.Image:
    """The first `rows` rows of the sample grids at `steps`, stacked, each under 'step N'."""
    bands = []
    for grid in _grids(samples, steps):
        # An unconditional run's grid is 8 pictures a side with a line around each.
        pitch = grid.width // 8
        bands.append(grid.convert("RGB").crop(
            (0, 0, grid.width, rows * pitch + grid.width - 8 * pitch)))
    width, height = bands[0].width, sum(band.height + caption for band in bands)
    strip = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(strip)
    top = 0
    for step, band in zip(steps, bands):
        draw.text((4, top + 4), f"step {step}", fill="black")
        strip.paste(band, (0, top + caption))
        top += caption + band.height
    return strip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=Path, nargs="?",
                        help="a finished default 'ganzoo train --arch dcgan'")
    parser.add_argument("--folder-run", type=Path,
                        help="a colour-folder run: write folder-progress.png from its grids")
    parser.add_argument("--steps", type=int, nargs="+", help="with --folder-run: which grids")
    parser.add_argument("--name", default="folder-progress.png",
                        help="with --folder-run: the file written under docs/images/")
    args = parser.parse_args(argv)
    if args.folder_run:
        if not args.steps:
            parser.error("--folder-run needs --steps, e.g. --steps 1000 2000 3000")
        progress_rows(args.folder_run / "samples", args.steps).save(IMAGES / args.name)
        print(f"Wrote {IMAGES / args.name}")
        return 0
    if args.run is None:
        parser.error("give a run, or --folder-run RUN --steps ...")
    import ganzoo

    ganzoo.sample(args.run, n=64, seed=0, out=IMAGES / "quickstart-dcgan.png")
    progress_strip(args.run / "samples").save(IMAGES / "dcgan-progress.png")
    print(f"Wrote {IMAGES / 'quickstart-dcgan.png'} and {IMAGES / 'dcgan-progress.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
