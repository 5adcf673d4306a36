"""Make the README's two pictures from a finished default run.

    time ganzoo train --arch dcgan --out /tmp/readme
    python docs/make_pictures.py /tmp/readme/dcgan-<stamp>

writes docs/images/quickstart-dcgan.png (``ganzoo sample RUN --n 64 --seed 0``) and
docs/images/dcgan-progress.png (the run's own sample grids at steps 100, 500, 1000 and 3000,
side by side with their step above each).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PIL import Image, ImageDraw

IMAGES = Path(__file__).resolve().parent / "images"
STEPS = (100, 500, 1000, 3000)


def progress_strip(samples: Path, steps=STEPS, width: int = 1000, gap: int = 8,
                   caption: int = 24) -> Image.Image:
    """The sample grids at `steps`, scaled to share `width`, each under a 'step N' caption."""
    grids = []
    for step in steps:
        path = samples / f"step-{step:07d}.png"
        if not path.is_file():
            raise SystemExit(f"{path} is missing: give a default run's directory (its grids "
                             f"are saved every 100 steps)")
        grids.append(Image.open(path).convert("L"))
    side = (width - gap * (len(grids) - 1)) // len(grids)
    strip = Image.new("L", (width, side + caption), 255)
    draw = ImageDraw.Draw(strip)
    for index, (step, picture) in enumerate(zip(steps, grids)):
        left = index * (side + gap)
        strip.paste(picture.resize((side, side), Image.LANCZOS), (left, caption))
        label = f"step {step}"
        draw.text((left + (side - draw.textlength(label)) // 2, 6), label, fill=0)
    return strip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=Path, help="a finished default 'ganzoo train --arch dcgan'")
    args = parser.parse_args(argv)
    import ganzoo

    ganzoo.sample(args.run, n=64, seed=0, out=IMAGES / "quickstart-dcgan.png")
    progress_strip(args.run / "samples").save(IMAGES / "dcgan-progress.png")
    print(f"Wrote {IMAGES / 'quickstart-dcgan.png'} and {IMAGES / 'dcgan-progress.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
