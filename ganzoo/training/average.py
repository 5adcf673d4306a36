"""An exponential moving average of the generator's weights, the generator ganzoo samples from.

GAN weights orbit around good solutions rather than settle; averaging them over the last
thousand or so steps lands nearer the centre (Yazıcı et al. 2019, "The Unusual Effectiveness of
Averaging in GAN Training", https://arxiv.org/abs/1806.04498). Training itself is unchanged:
the average is a second copy of the generator, updated after every step and used for sample
grids, evaluation, ``generator.keras``, ``ganzoo sample`` and export.

The decay warms up as ``min(decay, (1 + t) / (10 + t))`` after ``t`` updates (the schedule of
`tf.train.ExponentialMovingAverage` with ``num_updates``), so the random initial weights are
forgotten within the first few hundred steps. Batch-norm statistics are averaged like weights;
integer state (a seed, a counter) is copied.

Keras optimizers can average weights too (``use_ema``), but only to overwrite the trained
weights at the end of ``fit``; ganzoo needs both copies side by side for the whole run.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from ganzoo.errors import GanzooError


def check_decay(decay: float) -> float:
    if not 0.0 <= decay < 1.0:
        raise GanzooError("ema_decay must be at least 0 (0 turns weight averaging off) and "
                          f"below 1, e.g. 0.999. Received: ema_decay={decay}.")
    return float(decay)


def warmed_up_decay(decay: float, updates):
    """The decay applied by update number `updates` (1 for the first)."""
    return tf.minimum(tf.constant(decay, tf.float32),
                      (1.0 + tf.cast(updates, tf.float32)) / (10.0 + tf.cast(updates, tf.float32)))


class GeneratorAverage:
    """Keeps `average` (a model built like `generator`) an exponential moving average of it."""

    def __init__(self, generator: keras.Model, average: keras.Model, decay: float) -> None:
        self.generator, self.average, self.decay = generator, average, check_decay(decay)
        pairs = list(zip(average.weights, generator.weights, strict=False))
        if len(average.weights) != len(generator.weights) or any(
                tuple(a.shape) != tuple(w.shape) for a, w in pairs):
            raise GanzooError(f"The architecture built two generators with different weights "
                              f"({len(generator.weights)} and {len(average.weights)}), so they "
                              "cannot be averaged; its generator function must build the same "
                              "model every time. Train with ema_decay=0 to skip averaging.")
        self._pairs = pairs

    def reset(self) -> None:
        """Start the average at the generator's current weights."""
        for average, weight in self._pairs:
            average.assign(weight)

    def update(self, updates) -> None:
        """Move the average towards the generator's weights after update number `updates`.

        Call it where every replica sees the same values (cross-replica context under a
        `tf.distribute` strategy).
        """
        decay = warmed_up_decay(self.decay, updates)
        for average, weight in self._pairs:
            if keras.backend.is_float_dtype(average.dtype):
                rate = tf.cast(1.0 - decay, average.dtype)
                average.assign(average + rate * (weight - average))
            else:
                average.assign(weight)
