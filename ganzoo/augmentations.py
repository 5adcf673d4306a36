"""Discriminator augmentations for small data sets: DiffAugment and ADA (a built-in plugin).

With a few thousand images the discriminator memorises the training set and its feedback to the
generator stops being useful. Both remedies show the discriminator augmented images only, real
and generated alike, in both updates, with transforms the generator's gradient passes through,
so the generator still learns the un-augmented distribution.

- ``diffaugment``: Zhao et al. 2020, "Differentiable Augmentation for Data-Efficient GAN
  Training", https://arxiv.org/abs/2006.10738, official code
  https://github.com/mit-han-lab/data-efficient-gans. Policy ``color,translation,cutout``
  applied to every image: brightness + U(-0.5, 0.5), saturation x U(0, 2), contrast x
  U(0.5, 1.5), translation by up to 1/8 of the side (zero padding), one cutout square of half
  the side.
- ``diffaugment-no-cutout``: the same without cutout, the policy ``color,translation`` that
  FastGAN's official code trains with (https://github.com/odegeasslbc/FastGAN-pytorch,
  train.py); the recommended ``fastgan`` uses it (docs/training.md says what it measured).
- ``ada``: Karras et al. 2020, "Training Generative Adversarial Networks with Limited Data",
  https://arxiv.org/abs/2006.06676, official code https://github.com/NVlabs/stylegan2-ada.
  Each transform is applied with probability p; every 4 steps p moves by
  ``sign(r_t - 0.6) * images / speed`` where ``r_t = E[sign(D(real))]`` over those steps.
  ``sign(D(real))`` says "judged real" for the non-saturating loss the paper trains with; for
  any loss ganzoo reads that judgement from the loss's own `LossSpec.realness` (logit > 0 for
  the logistic and hinge losses, > 0.5 for least squares, above the batch's mean fake score for
  the Wasserstein and relativistic losses), and refuses a loss that declares none.
  Deviations, named: (1) the transforms are the paper's x-flip, integer translation,
  brightness, contrast, saturation and cutout (no rotations, scaling, hue or filtering, which
  need resampling; the keras.io ADA example likewise uses a reduced set); (2) ``speed`` is
  100k images for p to go from 0 to 1 instead of the paper's 500k, because a CPU run sees only
  100k-300k images in total; (3) r_t is measured in the joint (last) discriminator update of
  each step.

Randomness: every function takes uniform numbers in [0, 1) drawn per image by the input
pipeline (`ganzoo.training.step.with_noise`), never a random op of its own.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from ganzoo.plugin import Augmentation, AugmentationSpec, Paper, hookimpl

if TYPE_CHECKING:  # each transform imports TensorFlow: `ganzoo list` loads this plugin without it
    import tensorflow as tf

ZHAO_2020 = Paper("Differentiable Augmentation for Data-Efficient GAN Training",
                  "https://arxiv.org/abs/2006.10738")
KARRAS_2020 = Paper("Training Generative Adversarial Networks with Limited Data",
                    "https://arxiv.org/abs/2006.06676")

TRANSLATION = 0.125  # largest shift, as a share of the side (both papers)
CUTOUT = 0.5  # side of the cutout square, as a share of the image side (both papers)
ADA_TARGET = 0.6  # the paper's target for r_t
ADA_INTERVAL = 4  # steps between adjustments of p (the paper's N = 4 minibatches)
ADA_SPEED_IMAGES = 100_000  # images for p to go from 0 to 1 (paper: 500k; see deviations)


def _per_image(values: tf.Tensor) -> tf.Tensor:
    import tensorflow as tf

    return tf.reshape(values, [-1, 1, 1, 1])


def brightness(images: tf.Tensor, offset: tf.Tensor) -> tf.Tensor:
    """Add `offset` (one value per image) to every pixel."""
    return images + _per_image(offset)


def saturation(images: tf.Tensor, factor: tf.Tensor) -> tf.Tensor:
    """Scale each pixel's distance from its channel mean by `factor` (no-op on gray)."""
    import tensorflow as tf

    mean = tf.reduce_mean(images, axis=3, keepdims=True)
    return (images - mean) * _per_image(factor) + mean


def contrast(images: tf.Tensor, factor: tf.Tensor) -> tf.Tensor:
    """Scale each image's distance from its mean pixel value by `factor`."""
    import tensorflow as tf

    mean = tf.reduce_mean(images, axis=[1, 2, 3], keepdims=True)
    return (images - mean) * _per_image(factor) + mean


def translate(images: tf.Tensor, shift_y: tf.Tensor, shift_x: tf.Tensor,
              limit: int) -> tf.Tensor:
    """Shift each image by whole pixels (int32 per image, at most `limit` either way),
    filling with zeros.

    A gather from the zero-padded batch: differentiable with respect to the images.
    """
    import tensorflow as tf

    height, width = images.shape[1], images.shape[2]
    padded = tf.pad(images, [[0, 0], [limit, limit], [limit, limit], [0, 0]])
    rows = tf.range(height)[None, :] + limit - shift_y[:, None]
    columns = tf.range(width)[None, :] + limit - shift_x[:, None]
    picked = tf.gather(padded, rows, axis=1, batch_dims=1)
    return tf.gather(picked, columns, axis=2, batch_dims=1)


def cutout(images: tf.Tensor, centre_y: tf.Tensor, centre_x: tf.Tensor,
           size: float = CUTOUT) -> tf.Tensor:
    """Zero a square of `size` x the side, centred at (`centre_y`, `centre_x`) in [0, 1)."""
    import tensorflow as tf

    height, width = images.shape[1], images.shape[2]
    half_y, half_x = height * size / 2, width * size / 2
    ys = tf.cast(tf.range(height), tf.float32)[None, :] + 0.5
    xs = tf.cast(tf.range(width), tf.float32)[None, :] + 0.5
    inside_y = tf.abs(ys - centre_y[:, None] * height) < half_y
    inside_x = tf.abs(xs - centre_x[:, None] * width) < half_x
    inside = tf.logical_and(inside_y[:, :, None], inside_x[:, None, :])
    return images * tf.cast(tf.logical_not(inside), images.dtype)[..., None]


def _limit(side: int) -> int:
    return int(side * TRANSLATION + 0.5)


def _translate(images: tf.Tensor, u_y: tf.Tensor, u_x: tf.Tensor) -> tf.Tensor:
    """Translate by integers in [-s, s], s = round(TRANSLATION * side), from u in [0, 1)."""
    import tensorflow as tf

    limit = _limit(max(images.shape[1], images.shape[2]))

    def shift(u: tf.Tensor) -> tf.Tensor:
        return tf.cast(tf.floor(u * (2 * limit + 1)), tf.int32) - limit

    return translate(images, shift(u_y), shift(u_x), limit)


class DiffAugment(Augmentation):
    """Colour, translation and (unless `use_cutout` is false) cutout on every image (Zhao et
    al. 2020)."""

    # Seven numbers with or without cutout: a seed then draws the same colours and shifts
    # either way, so two runs that differ in cutout differ in nothing else.
    randoms_per_image = 7

    def __init__(self, use_cutout: bool = True) -> None:
        self.use_cutout = use_cutout

    def apply(self, images, randoms):
        import tensorflow as tf

        u = tf.cast(randoms, images.dtype)
        images = brightness(images, u[:, 0] - 0.5)
        images = saturation(images, u[:, 1] * 2.0)
        images = contrast(images, u[:, 2] + 0.5)
        images = _translate(images, randoms[:, 3], randoms[:, 4])
        if not self.use_cutout:
            return images
        return cutout(images, randoms[:, 5], randoms[:, 6])


def _normal(u: tf.Tensor) -> tf.Tensor:
    """A standard normal value from u in [0, 1) (inverse CDF, kept off the infinite ends)."""
    import tensorflow as tf

    return tf.math.ndtri(tf.clip_by_value(u, 1e-6, 1.0 - 1e-6))


class AdaptiveAugment(Augmentation):
    """Each transform with probability p, p steered by the overfitting heuristic r_t."""

    randoms_per_image = 14

    def __init__(self, target: float = ADA_TARGET, interval: int = ADA_INTERVAL,
                 speed_images: int = ADA_SPEED_IMAGES) -> None:
        import tensorflow as tf

        self.target, self.interval, self.speed_images = target, interval, speed_images
        self.probability = tf.Variable(0.0, trainable=False, name="ada_p")
        # Sum of sign(D(real)) and the number of real images since p last moved.
        self.signs = tf.Variable(0.0, trainable=False, name="ada_signs")
        self.count = tf.Variable(0.0, trainable=False, name="ada_count")
        self.last_rt = tf.Variable(0.0, trainable=False, name="ada_rt")

    @property
    def variables(self) -> dict:
        return {"probability": self.probability, "signs": self.signs, "count": self.count,
                "last_rt": self.last_rt}

    def apply(self, images, randoms):
        import tensorflow as tf

        p = tf.cast(self.probability, randoms.dtype)

        def gated(index: int, augmented: tf.Tensor, current: tf.Tensor) -> tf.Tensor:
            return tf.where(_per_image(randoms[:, index] < p), augmented, current)

        dtype = images.dtype
        flipped = tf.where(_per_image(randoms[:, 1] < 0.5), tf.reverse(images, [2]), images)
        images = gated(0, flipped, images)
        images = gated(2, _translate(images, randoms[:, 3], randoms[:, 4]), images)
        images = gated(5, brightness(images, tf.cast(0.2 * _normal(randoms[:, 6]), dtype)),
                       images)
        images = gated(7, contrast(images, tf.cast(tf.pow(2.0, 0.5 * _normal(randoms[:, 8])),
                                                   dtype)), images)
        images = gated(9, saturation(images, tf.cast(tf.pow(2.0, _normal(randoms[:, 10])),
                                                     dtype)), images)
        return gated(11, cutout(images, randoms[:, 12], randoms[:, 13]), images)

    def statistics(self, realness):
        import tensorflow as tf

        signs = tf.sign(tf.reshape(tf.cast(realness, tf.float32), [-1]))
        return tf.stack([tf.reduce_sum(signs), tf.cast(tf.size(signs), tf.float32)])

    def update(self, step, statistics, images: int) -> None:
        import tensorflow as tf

        self.signs.assign_add(statistics[0])
        self.count.assign_add(statistics[1])

        def adjust():
            rt = self.signs / tf.maximum(self.count, 1.0)
            change = tf.sign(rt - self.target) * self.count / self.speed_images
            self.probability.assign(tf.clip_by_value(self.probability + change, 0.0, 1.0))
            self.last_rt.assign(rt)
            self.signs.assign(0.0)
            self.count.assign(0.0)
            return tf.constant(0)

        tf.cond(tf.equal(tf.math.floormod(step, self.interval), 0), adjust,
                lambda: tf.constant(0))

    def logs(self) -> dict[str, float]:
        return {"augment_p": round(float(self.probability.numpy()), 6),
                "augment_rt": round(float(self.last_rt.numpy()), 6)}


BUILT_IN_AUGMENTATIONS = [
    AugmentationSpec("diffaugment", "DiffAugment: colour, translation and cutout on every image "
                                    "the discriminator sees", DiffAugment, paper=ZHAO_2020),
    AugmentationSpec("diffaugment-no-cutout", "DiffAugment's colour and translation without "
                                              "cutout (FastGAN's policy)",
                     functools.partial(DiffAugment, use_cutout=False), paper=ZHAO_2020),
    AugmentationSpec("ada", "Adaptive discriminator augmentation: p follows the overfitting "
                            "heuristic r_t toward 0.6", AdaptiveAugment, paper=KARRAS_2020,
                     needs_realness=True),
]


@hookimpl
def ganzoo_augmentations() -> list[AugmentationSpec]:
    return BUILT_IN_AUGMENTATIONS
