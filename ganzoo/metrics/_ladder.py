"""A ladder of reference scores that gives any figure in any feature space a meaning.

Each rung is the real pictures of the folder at hand, damaged in one known way, scored with the
same evaluator and sample size as a generator:

- ``held-out real``: the real half the generator is not compared with (the floor);
- ``blur 1``, ``blur 2``, ``blur 3``: Gaussian blur of sigma 1, 2 and 3 pixels (Pillow);
- ``hue +30``: every hue rotated by 30 degrees; ``saturation x0.5``: saturation halved (Pillow's
  HSV); left out for grey pictures;
- ``lattice``: a faint periodic lattice, lines every side / 8 pixels (8 at 64 px) moved 16 grey
  levels towards mid-grey and their crossings 40, the pattern nearest-neighbour upsampling and
  strided convolutions leave;
- ``jpeg 10``: saved as JPEG at quality 10;
- ``noise``: uniform noise.

A generator "reaches the sigma-2 rung" when its FID (or KID) is at most that of the real
pictures blurred by 2 pixels; `position` says where a figure sits. A ruler is worth its figures
only where it orders the rungs (held-out real < blur 1 < blur 2 < blur 3 < noise, colour and
lattice clearly above held-out real, by `CLEAR_KID` in KID): `ordered` checks that, and the
report says when it fails.

The ladder is cached per feature network, real sample and scoring settings, so it is computed
once per reference folder.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
from pathlib import Path

import numpy as np

__all__ = ["BLURS", "CHAIN", "blurred", "damaged", "jpeg", "ladder", "lattice", "ordered",
           "position", "recoloured"]

VERSION = 2
BLURS = (1.0, 2.0, 3.0)
NOISE_SEED = 0
HUE_DEGREES = 30
SATURATION = 0.5
LATTICE_PERIOD = 8  # lines per side
LATTICE_LINE, LATTICE_DOT = 16, 40
JPEG_QUALITY = 10
HELD_OUT = "held-out real"
# A damaged rung is "clearly" worse than held-out real when its KID is higher by this much
# (KID x 1000 = 10: a held-out half of 512 pictures scatters by about that).
CLEAR_KID = 0.01
# The rungs that must score in this order, best first; `position` reads figures against them.
CHAIN = (HELD_OUT, "blur 1", "blur 2", "blur 3", "noise")
_RUNG_METRICS = ("fid", "kid", "spectral_distance")


def _each(images: np.ndarray, change) -> np.ndarray:
    from PIL import Image

    out = []
    for image in images:
        picture = Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image)
        out.append(np.asarray(change(picture)).reshape(image.shape))
    return np.stack(out).astype(np.uint8)


def blurred(images: np.ndarray, sigma: float) -> np.ndarray:
    """uint8 NHWC images blurred by a Gaussian of `sigma` pixels (Pillow)."""
    from PIL import ImageFilter

    return _each(images, lambda picture: picture.filter(ImageFilter.GaussianBlur(sigma)))


def recoloured(images: np.ndarray, hue_degrees: float = 0.0,
               saturation: float = 1.0) -> np.ndarray:
    """RGB uint8 images with every hue rotated by `hue_degrees` and saturation multiplied by
    `saturation`, through Pillow's HSV (8 bits per channel)."""
    from PIL import Image

    def change(picture):
        hsv = np.asarray(picture.convert("HSV")).astype(np.float64)
        hsv[..., 0] = np.mod(hsv[..., 0] + hue_degrees * 256 / 360, 256)
        hsv[..., 1] = np.clip(hsv[..., 1] * saturation, 0, 255)
        return Image.fromarray(np.rint(hsv).astype(np.uint8), "HSV").convert("RGB")

    return _each(images, change)


def lattice(images: np.ndarray, period: int | None = None) -> np.ndarray:
    """Images with a faint lattice: every `period`-th row and column (default side / 8, at
    least 2) moved `LATTICE_LINE` grey levels towards mid-grey, their crossings `LATTICE_DOT`."""
    images = np.asarray(images)
    side = images.shape[1]
    period = period or max(2, side // LATTICE_PERIOD)
    rows = (np.arange(side) % period) == period // 2
    strength = np.zeros(images.shape[1:3])
    strength[rows, :] = LATTICE_LINE
    strength[:, rows] = LATTICE_LINE
    strength[np.ix_(rows, rows)] = LATTICE_DOT
    pixels = images.astype(np.int16)
    towards = np.sign(128 - pixels)
    return np.clip(pixels + towards * strength[None, :, :, None], 0, 255).astype(np.uint8)


def jpeg(images: np.ndarray, quality: int = JPEG_QUALITY) -> np.ndarray:
    """Images saved as JPEG at `quality` (Pillow) and read back."""
    from PIL import Image

    def change(picture):
        buffer = io.BytesIO()
        picture.save(buffer, format="JPEG", quality=quality)
        return Image.open(io.BytesIO(buffer.getvalue())).convert(picture.mode)

    return _each(images, change)


def damaged(images: np.ndarray) -> dict[str, np.ndarray]:
    """Every damaged rung of `images` (all but ``held-out real``), by rung name."""
    rungs = {f"blur {sigma:g}": blurred(images, sigma) for sigma in BLURS}
    if images.shape[-1] == 3:
        rungs[f"hue +{HUE_DEGREES}"] = recoloured(images, hue_degrees=HUE_DEGREES)
        rungs[f"saturation x{SATURATION:g}"] = recoloured(images, saturation=SATURATION)
    rungs["lattice"] = lattice(images)
    rungs[f"jpeg {JPEG_QUALITY}"] = jpeg(images)
    rungs["noise"] = np.random.default_rng(NOISE_SEED).integers(0, 256, images.shape,
                                                                dtype=np.uint8)
    return rungs


def _cache_path(evaluator, cache) -> Path:
    from ganzoo.metrics._features import cache_dir

    settings = (f"ladder-v{VERSION};{evaluator.network.fingerprint};"
                f"{evaluator.sample.fingerprint};n={evaluator.n};k={evaluator.k};"
                f"kid={evaluator.kid_subset_size},{evaluator.kid_subsets};seed={evaluator.seed}")
    key = hashlib.sha256(settings.encode()).hexdigest()
    return Path(cache or cache_dir()) / "ladder" / f"{key[:24]}.json"


def ladder(evaluator, *, cache: str | os.PathLike | None = None) -> dict:
    """``{"held-out real": floor, "blur 1": ..., ..., "noise": ...}``, each a `Metrics` from
    `evaluator` on as many images as it scores a generator's: from the cache, else computed
    now and cached (``$GANZOO_CACHE/ladder``)."""
    from ganzoo.metrics._evaluate import Metrics

    path = _cache_path(evaluator, cache)
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        return {name: Metrics(**values) for name, values in stored.items()}
    except (OSError, ValueError, TypeError):
        pass
    real = evaluator.sample.images[evaluator.sample.halves[0]]
    count = min(evaluator.n, len(real))
    rungs = {HELD_OUT: evaluator.floor}
    for name, images in damaged(real[:count]).items():
        rungs[name] = evaluator.score(images)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps({name: dataclasses.asdict(m) for name, m in rungs.items()}),
                         encoding="utf-8")
    os.replace(temporary, path)
    return rungs


def clearly_above(rung, held_out) -> bool:
    """Whether the `Metrics` of a damaged rung are clearly worse than held-out real's: a higher
    FID, and a KID higher by more than `CLEAR_KID` (KID is unbiased, so its margin means the
    same at every sample size; FID's bias grows as the sample shrinks)."""
    return rung.fid > held_out.fid and rung.kid - held_out.kid > CLEAR_KID


def ordered(rungs: dict) -> bool:
    """Whether the rungs score in their expected order: the `CHAIN` strictly increasing in FID
    and in KID, and every other rung `clearly_above` ``held-out real``."""
    chains = [[getattr(rungs[name], metric) for name in CHAIN if name in rungs]
              for metric in ("fid", "kid")]
    others = [m for name, m in rungs.items() if name not in CHAIN]
    return (all(a < b for chain in chains for a, b in zip(chain, chain[1:]))
            and all(clearly_above(m, rungs[HELD_OUT]) for m in others))


def precision_recall_separate(rungs: dict) -> bool:
    """Whether precision and recall tell real from noise on this ladder: uniform noise scores
    under half the held-out real pictures' precision and recall (True without a noise rung,
    which cannot say)."""
    if "noise" not in rungs:
        return True
    real, noise = rungs[HELD_OUT], rungs["noise"]
    return noise.precision < 0.5 * real.precision and noise.recall < 0.5 * real.recall


def position(value: float, rungs: dict, metric: str = "fid") -> str:
    """Where `value` of `metric` sits on the ladder's chain, in words: e.g. ``"between blur 1
    and blur 2"``, ``"at or below held-out real"`` or ``"past noise"``."""
    values = [(name, getattr(rungs[name], metric)) for name in CHAIN if name in rungs]
    if not all(a[1] < b[1] for a, b in zip(values, values[1:])):
        return "unplaced: this feature space does not order the ladder"
    if value <= values[0][1]:
        return f"at or below {values[0][0]}"
    for (lower, low), (upper, high) in zip(values, values[1:]):
        if value <= high:
            return f"between {lower} and {upper}"
    return f"past {values[-1][0]}"
