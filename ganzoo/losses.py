"""Adversarial losses as pure functions of discriminator logits, one value per example.

Every function takes logits of shape ``[batch, 1]`` (or ``[batch]``) and returns ``[batch]``;
the trainer averages over the global batch so the same code is right under ``tf.distribute``.
Softplus forms are the numerically stable ``-log(sigmoid(x)) = softplus(-x)``. The `LossSpec`s
at the bottom hand each function the logits it needs from the trainer's `LossContext`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ganzoo.plugin import LossContext, LossSpec, Paper, hookimpl

if TYPE_CHECKING:  # each loss imports TensorFlow: `ganzoo list` loads this plugin without it
    import tensorflow as tf

GOODFELLOW_2014 = Paper("Generative Adversarial Networks", "https://arxiv.org/abs/1406.2661")
LIM_2017 = Paper("Geometric GAN", "https://arxiv.org/abs/1705.02894")
MAO_2017 = Paper("Least Squares Generative Adversarial Networks", "https://arxiv.org/abs/1611.04076")
ARJOVSKY_2017 = Paper("Wasserstein GAN", "https://arxiv.org/abs/1701.07875")
GULRAJANI_2017 = Paper("Improved Training of Wasserstein GANs", "https://arxiv.org/abs/1704.00028")
JOLICOEUR_MARTINEAU_2018 = Paper("The relativistic discriminator: a key element missing from "
                                 "standard GAN", "https://arxiv.org/abs/1807.00734")


def _flat(logits: tf.Tensor) -> tf.Tensor:
    import tensorflow as tf

    return tf.reshape(tf.cast(logits, tf.float32), [-1])


def nonsaturating_discriminator_loss(real_logits: tf.Tensor, fake_logits: tf.Tensor) -> tf.Tensor:
    """-log D(x) - log(1 - D(G(z))): binary cross-entropy with real = 1, fake = 0."""
    import tensorflow as tf

    return tf.nn.softplus(-_flat(real_logits)) + tf.nn.softplus(_flat(fake_logits))


def nonsaturating_generator_loss(fake_logits: tf.Tensor) -> tf.Tensor:
    """-log D(G(z)): Goodfellow et al.'s fix for the minimax generator's vanishing gradient."""
    import tensorflow as tf

    return tf.nn.softplus(-_flat(fake_logits))


def minimax_generator_loss(fake_logits: tf.Tensor) -> tf.Tensor:
    """log(1 - D(G(z))): the generator side of the original minimax game."""
    import tensorflow as tf

    return -tf.nn.softplus(_flat(fake_logits))


def hinge_discriminator_loss(real_logits: tf.Tensor, fake_logits: tf.Tensor) -> tf.Tensor:
    """max(0, 1 - D(x)) + max(0, 1 + D(G(z)))."""
    import tensorflow as tf

    return tf.nn.relu(1.0 - _flat(real_logits)) + tf.nn.relu(1.0 + _flat(fake_logits))


def hinge_generator_loss(fake_logits: tf.Tensor) -> tf.Tensor:
    """-D(G(z))."""
    return -_flat(fake_logits)


def least_squares_discriminator_loss(real_logits: tf.Tensor, fake_logits: tf.Tensor) -> tf.Tensor:
    """1/2 (D(x) - 1)^2 + 1/2 D(G(z))^2: Mao et al.'s 0-1 coding (a=0, b=c=1)."""
    import tensorflow as tf

    return 0.5 * tf.square(_flat(real_logits) - 1.0) + 0.5 * tf.square(_flat(fake_logits))


def least_squares_generator_loss(fake_logits: tf.Tensor) -> tf.Tensor:
    """1/2 (D(G(z)) - 1)^2."""
    import tensorflow as tf

    return 0.5 * tf.square(_flat(fake_logits) - 1.0)


def wasserstein_discriminator_loss(real_logits: tf.Tensor, fake_logits: tf.Tensor) -> tf.Tensor:
    """D(G(z)) - D(x): the critic maximises the gap between real and fake scores."""
    return _flat(fake_logits) - _flat(real_logits)


def wasserstein_generator_loss(fake_logits: tf.Tensor) -> tf.Tensor:
    """-D(G(z))."""
    return -_flat(fake_logits)


def relativistic_average_discriminator_loss(real_logits: tf.Tensor,
                                            fake_logits: tf.Tensor) -> tf.Tensor:
    """RaSGAN: -log sigmoid(C(x_r) - mean C(x_f)) - log(1 - sigmoid(C(x_f) - mean C(x_r))).

    Jolicoeur-Martineau 2018 (https://arxiv.org/abs/1807.00734), the relativistic average
    standard GAN; official code https://github.com/AlexiaJM/RelativisticGAN. The discriminator
    says how much more realistic each real image is than the fakes on average, and each fake
    than the reals. Example i's loss pairs real i with fake i; its mean over the batch is the
    paper's loss. The expectations are the means over the batch the loss is given, as in the
    paper's Algorithm 2; under `tf.distribute` that is one replica's share of the batch (a
    deviation from a global-batch mean, which would need a cross-replica reduction).
    """
    import tensorflow as tf

    real, fake = _flat(real_logits), _flat(fake_logits)
    return (tf.nn.softplus(-(real - tf.reduce_mean(fake)))
            + tf.nn.softplus(fake - tf.reduce_mean(real)))


def relativistic_average_generator_loss(real_logits: tf.Tensor,
                                        fake_logits: tf.Tensor) -> tf.Tensor:
    """RaSGAN: -log sigmoid(C(x_f) - mean C(x_r)) - log(1 - sigmoid(C(x_r) - mean C(x_f))).

    The discriminator's loss with real and fake swapped: the generator makes fakes look more
    realistic than the average real, and reals less realistic than the average fake.
    """
    return relativistic_average_discriminator_loss(fake_logits, real_logits)


def gradient_penalty(critic: Callable[[tf.Tensor], tf.Tensor], real: tf.Tensor, fake: tf.Tensor,
                     interpolation: tf.Tensor) -> tf.Tensor:
    """(||grad_x critic(x)||_2 - 1)^2 at x = t * real + (1 - t) * fake, per example.

    `interpolation` holds t, one value per example drawn from U[0, 1] (Gulrajani et al. 2017,
    Algorithm 1); `critic` maps a batch of images to logits (conditional critics close over
    their labels).
    """
    import tensorflow as tf

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
    import tensorflow as tf

    return tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.cast(tf.reshape(labels, [-1]), tf.int32), logits=tf.cast(class_logits, tf.float32))


def _of_both(loss: Callable[[tf.Tensor, tf.Tensor], tf.Tensor]
             ) -> Callable[[LossContext], tf.Tensor]:
    def of_context(context: LossContext) -> tf.Tensor:
        return loss(context.real_logits, context.fake_logits)

    of_context.__name__ = of_context.__qualname__ = loss.__name__
    return of_context


def _of_fake(loss: Callable[[tf.Tensor], tf.Tensor]) -> Callable[[LossContext], tf.Tensor]:
    def of_context(context: LossContext) -> tf.Tensor:
        return loss(context.fake_logits)

    of_context.__name__ = of_context.__qualname__ = loss.__name__
    return of_context


def logit_realness(context: LossContext) -> tf.Tensor:
    """Judged real where the logit is positive: the boundary of the logistic losses (D(x) =
    0.5) and of the hinge loss (halfway between its margins at -1 and +1)."""
    return context.real_logits[:, 0]


def least_squares_realness(context: LossContext) -> tf.Tensor:
    """Judged real above 0.5, halfway between the least-squares targets 0 and 1."""
    return context.real_logits[:, 0] - 0.5


def relative_realness(context: LossContext) -> tf.Tensor:
    """Judged real when scored above the batch's average fake: a Wasserstein critic's scores
    have no fixed origin, and a relativistic discriminator decides exactly this way."""
    import tensorflow as tf

    return context.real_logits[:, 0] - tf.reduce_mean(context.fake_logits)


BUILT_IN_LOSSES = [
    LossSpec("nonsaturating", "Binary cross-entropy; the generator maximises log D(G(z)).",
             _of_both(nonsaturating_discriminator_loss), _of_fake(nonsaturating_generator_loss),
             paper=GOODFELLOW_2014, realness=logit_realness),
    LossSpec("minimax", "The original minimax game; the generator minimises log(1 - D(G(z))).",
             _of_both(nonsaturating_discriminator_loss), _of_fake(minimax_generator_loss),
             paper=GOODFELLOW_2014, realness=logit_realness),
    LossSpec("hinge", "Hinge loss for the discriminator, -D(G(z)) for the generator.",
             _of_both(hinge_discriminator_loss), _of_fake(hinge_generator_loss), paper=LIM_2017,
             realness=logit_realness),
    LossSpec("least-squares", "Least-squares GAN loss with 0-1 targets.",
             _of_both(least_squares_discriminator_loss), _of_fake(least_squares_generator_loss),
             paper=MAO_2017, realness=least_squares_realness),
    LossSpec("wasserstein-gp", "Wasserstein critic loss with gradient penalty (weight 10).",
             _of_both(wasserstein_discriminator_loss), _of_fake(wasserstein_generator_loss),
             gradient_penalty_weight=10.0, paper=GULRAJANI_2017, realness=relative_realness),
    LossSpec("relativistic-average", "Relativistic average standard GAN (RaSGAN): each side "
             "judges reals against the average fake and fakes against the average real.",
             _of_both(relativistic_average_discriminator_loss),
             _of_both(relativistic_average_generator_loss), paper=JOLICOEUR_MARTINEAU_2018,
             realness=relative_realness),
]


@hookimpl
def ganzoo_losses() -> list[LossSpec]:
    return BUILT_IN_LOSSES
