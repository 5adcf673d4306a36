"""A ladder of reference scores that gives any figure in any feature space a meaning.

Scored with the same evaluator and sample size as a generator: the real images against
themselves (the floor), Gaussian-blurred copies of them (sigma 1, 2 and 3 pixels) and uniform
noise. A generator "reaches the sigma-2 rung" when its FID (or KID) is at most that of the real
images blurred by 2 pixels. Issue #13 sets its targets on this ladder.
"""

from __future__ import annotations

import numpy as np

BLURS = (1.0, 2.0, 3.0)
NOISE_SEED = 0


def blurred(images: np.ndarray, sigma: float) -> np.ndarray:
    """uint8 NHWC images blurred by a Gaussian of `sigma` pixels (Pillow)."""
    from PIL import Image, ImageFilter

    out = []
    for image in images:
        picture = Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image)
        out.append(np.asarray(picture.filter(ImageFilter.GaussianBlur(sigma))).reshape(image.shape))
    return np.stack(out)


def ladder(evaluator) -> dict:
    """``{"real": floor, "blur 1": ..., "blur 2": ..., "blur 3": ..., "noise": ...}``, each a
    `Metrics` from `evaluator` on as many images as it scores a generator's."""
    real = evaluator.sample.images
    count = min(evaluator.n, len(real))
    rungs = {"real": evaluator.floor}
    for sigma in BLURS:
        rungs[f"blur {sigma:g}"] = evaluator.score(blurred(real[:count], sigma))
    noise = np.random.default_rng(NOISE_SEED).integers(0, 256, (count, *real.shape[1:]),
                                                       dtype=np.uint8)
    rungs["noise"] = evaluator.score(noise)
    return rungs
