"""Adversarial losses as pure functions of discriminator logits, one value per example.

Every function takes logits of shape ``[batch, 1]`` (or ``[batch]``) and returns ``[batch]``;
the trainer averages over the global batch so the same code is right under ``tf.distribute``.
Softplus forms are the numerically stable ``-log(sigmoid(x)) = softplus(-x)``.
"""

from __future__ import annotations

from collections.abc import Callable

import tensorflow as tf

from ganzoo.plugin import LossSpec, Paper, hookimpl

GOODFELLOW_2014 = Paper("Generative Adversarial Networks", "https://arxiv.org/abs/1406.2661")
LIM_2017 = Paper("Geometric GAN", "https://arxiv.org/abs/1705.02894")
MAO_2017 = Paper("Least Squares Generative Adversarial Networks", "https://arxiv.org/abs/1611.04076")
ARJOVSKY_2017 = Paper("Wasserstein GAN", "https://arxiv.org/abs/1701.07875")
GULRAJANI_2017 = Paper("Improved Training of Wasserstein GANs", "https://arxiv.org/abs/1704.00028")


def _flat(logits: tf.Tensor) -> tf.Tensor:
    return tf.reshape(tf.cast(logits, tf.float32), [-1])


def nonsaturating_discriminator_loss(real_logits: tf.Tensor, fake_logits: tf.Tensor) -> tf.Tensor:
    """-log D(x) - log(1 - D(G(z))): binary cross-entropy with real = 1, fake = 0."""
    return tf.nn.softplus(-_flat(real_logits)) + tf.nn.softplus(_flat(fake_logits))


def nonsaturating_generator_loss(fake_logits: tf.Tensor) -> tf.Tensor:
    """-log D(G(z)): Goodfellow et al.'s fix for the minimax generator's vanishing gradient."""
    return tf.nn.softplus(-_flat(fake_logits))


def minimax_generator_loss(fake_logits: tf.Tensor) -> tf.Tensor:
    """log(1 - D(G(z))): the generator side of the original minimax game."""
    return -tf.nn.softplus(_flat(fake_logits))


def hinge_discriminator_loss(real_logits: tf.Tensor, fake_logits: tf.Tensor) -> tf.Tensor:
    """max(0, 1 - D(x)) + max(0, 1 + D(G(z)))."""
    return tf.nn.relu(1.0 - _flat(real_logits)) + tf.nn.relu(1.0 + _flat(fake_logits))


def hinge_generator_loss(fake_logits: tf.Tensor) -> tf.Tensor:
    """-D(G(z))."""
    return -_flat(fake_logits)


def least_squares_discriminator_loss(real_logits: tf.Tensor, fake_logits: tf.Tensor) -> tf.Tensor:
    """1/2 (D(x) - 1)^2 + 1/2 D(G(z))^2: Mao et al.'s 0-1 coding (a=0, b=c=1)."""
    return 0.5 * tf.square(_flat(real_logits) - 1.0) + 0.5 * tf.square(_flat(fake_logits))


def least_squares_generator_loss(fake_logits: tf.Tensor) -> tf.Tensor:
    """1/2 (D(G(z)) - 1)^2."""
    return 0.5 * tf.square(_flat(fake_logits) - 1.0)


def wasserstein_discriminator_loss(real_logits: tf.Tensor, fake_logits: tf.Tensor) -> tf.Tensor:
    """D(G(z)) - D(x): the critic maximises the gap between real and fake scores."""
    return _flat(fake_logits) - _flat(real_logits)


def wasserstein_generator_loss(fake_logits: tf.Tensor) -> tf.Tensor:
    """-D(G(z))."""
    return -_flat(fake_logits)


def gradient_penalty(critic: Callable[[tf.Tensor], tf.Tensor], real: tf.Tensor, fake: tf.Tensor,
                     interpolation: tf.Tensor) -> tf.Tensor:
    """(||grad_x critic(x)||_2 - 1)^2 at x = t * real + (1 - t) * fake, per example.

    `interpolation` holds t, one value per example drawn from U[0, 1] (Gulrajani et al. 2017,
    Algorithm 1); `critic` maps a batch of images to logits (conditional critics close over
    their labels).
    """
    real = tf.cast(real, tf.float32)
    fake = tf.cast(fake, tf.float32)
    t = tf.reshape(tf.cast(interpolation, tf.float32), [-1] + [1] * (len(real.shape) - 1))
    mixed = t * real + (1.0 - t) * fake
    with tf.GradientTape() as tape:
        tape.watch(mixed)
        scores = tf.cast(critic(mixed), tf.float32)
    gradients = tape.gradient(scores, mixed)
    norms = tf.sqrt(tf.reduce_sum(tf.square(gradients), axis=list(range(1, len(real.shape)))) + 1e-12)
    return tf.square(norms - 1.0)


def classification_loss(labels: tf.Tensor, class_logits: tf.Tensor) -> tf.Tensor:
    """-log p(label | x): the auxiliary classifier's cross-entropy (Odena et al. 2017)."""
    return tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.cast(tf.reshape(labels, [-1]), tf.int32), logits=tf.cast(class_logits, tf.float32))


BUILT_IN_LOSSES = [
    LossSpec("nonsaturating", "Binary cross-entropy; the generator maximises log D(G(z)).",
             nonsaturating_discriminator_loss, nonsaturating_generator_loss,
             paper=GOODFELLOW_2014),
    LossSpec("minimax", "The original minimax game; the generator minimises log(1 - D(G(z))).",
             nonsaturating_discriminator_loss, minimax_generator_loss, paper=GOODFELLOW_2014),
    LossSpec("hinge", "Hinge loss for the discriminator, -D(G(z)) for the generator.",
             hinge_discriminator_loss, hinge_generator_loss, paper=LIM_2017),
    LossSpec("least-squares", "Least-squares GAN loss with 0-1 targets.",
             least_squares_discriminator_loss, least_squares_generator_loss, paper=MAO_2017),
    LossSpec("wasserstein-gp", "Wasserstein critic loss with gradient penalty (weight 10).",
             wasserstein_discriminator_loss, wasserstein_generator_loss,
             gradient_penalty_weight=10.0, paper=GULRAJANI_2017),
]


@hookimpl
def ganzoo_losses() -> list[LossSpec]:
    return BUILT_IN_LOSSES
