"""One GAN training step for any architecture: two gradient tapes, logits everywhere.

Each call makes `discriminator_steps` updates of the discriminator, each on a fresh real batch,
and one of the generator. The last discriminator update and the generator update share one
forward pass, with one tape each, as in the TensorFlow DCGAN tutorial; with
``discriminator_steps=1`` that is the whole step, and with 5 it is WGAN-GP's Algorithm 1.

The step runs inside a `tf.distribute` strategy (the default one on a single device): losses are
averaged over the global batch so gradients summed across replicas are right.
"""

from __future__ import annotations

from collections.abc import Iterator

import keras
import tensorflow as tf

from ganzoo.losses import classification_loss, gradient_penalty
from ganzoo.plugin import LossSpec


class GanStep:
    """The compiled training step for one generator/discriminator pair."""

    def __init__(self, generator: keras.Model, discriminator: keras.Model,
                 generator_optimizer: keras.optimizers.Optimizer,
                 discriminator_optimizer: keras.optimizers.Optimizer, loss: LossSpec,
                 latent_dim: int, global_batch_size: int, conditional: bool,
                 rng: tf.random.Generator, step: tf.Variable, discriminator_steps: int = 1,
                 strategy: tf.distribute.Strategy | None = None,
                 auxiliary_classifier: bool = False) -> None:
        self.generator = generator
        self.discriminator = discriminator
        self.generator_optimizer = generator_optimizer
        self.discriminator_optimizer = discriminator_optimizer
        self.loss = loss
        self.latent_dim = latent_dim
        self.global_batch_size = global_batch_size
        self.conditional = conditional
        self.rng = rng
        self.step = step
        self.discriminator_steps = discriminator_steps
        self.auxiliary_classifier = auxiliary_classifier
        self.strategy = strategy or tf.distribute.get_strategy()
        self._compiled = tf.function(self._run)

    def __call__(self, iterator: Iterator) -> tuple[tf.Tensor, tf.Tensor]:
        """Train one step on batches from a (distributed) iterator; return (d_loss, g_loss)."""
        return self._compiled(iterator)

    def _run(self, iterator: Iterator) -> tuple[tf.Tensor, tf.Tensor]:
        for _ in range(self.discriminator_steps - 1):
            self.strategy.run(self._discriminator_update, next(iterator))
        d_loss, g_loss = self.strategy.run(self._joint_update, next(iterator))
        self.step.assign_add(1)
        reduce = self.strategy.reduce
        return (reduce(tf.distribute.ReduceOp.SUM, d_loss, axis=None),
                reduce(tf.distribute.ReduceOp.SUM, g_loss, axis=None))

    def _generate(self, labels: tf.Tensor) -> tf.Tensor:
        z = self.rng.normal([tf.shape(labels)[0], self.latent_dim])
        inputs = [z, labels] if self.conditional else z
        return self.generator(inputs, training=True)

    def _critic(self, images: tf.Tensor, labels: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor | None]:
        """Real/fake logits, and class logits when the discriminator has an auxiliary classifier."""
        if self.auxiliary_classifier:
            logits, class_logits = self.discriminator(images, training=True)
            return logits, class_logits
        inputs = [images, labels] if self.conditional else images
        return self.discriminator(inputs, training=True), None

    def _discriminator_loss(self, real: tf.Tensor, fake: tf.Tensor, labels: tf.Tensor,
                            real_scores: tuple, fake_scores: tuple) -> tf.Tensor:
        per_example = self.loss.discriminator_loss(real_scores[0], fake_scores[0])
        if self.auxiliary_classifier:
            # AC-GAN: the discriminator also learns to name the class of real and fake images.
            per_example += (classification_loss(labels, real_scores[1])
                            + classification_loss(labels, fake_scores[1]))
        if self.loss.gradient_penalty_weight:
            interpolation = self.rng.uniform([tf.shape(real)[0]])
            per_example += self.loss.gradient_penalty_weight * gradient_penalty(
                lambda x: self._critic(x, labels)[0], real, fake, interpolation)
        return tf.nn.compute_average_loss(per_example, global_batch_size=self.global_batch_size)

    def _generator_loss(self, labels: tf.Tensor, fake_scores: tuple) -> tf.Tensor:
        per_example = self.loss.generator_loss(fake_scores[0])
        if self.auxiliary_classifier:
            per_example += classification_loss(labels, fake_scores[1])
        return tf.nn.compute_average_loss(per_example, global_batch_size=self.global_batch_size)

    def _discriminator_update(self, real: tf.Tensor, labels: tf.Tensor) -> tf.Tensor:
        fake = self._generate(labels)
        with tf.GradientTape() as tape:
            d_loss = self._discriminator_loss(real, fake, labels, self._critic(real, labels),
                                              self._critic(fake, labels))
        variables = self.discriminator.trainable_variables
        self.discriminator_optimizer.apply_gradients(zip(tape.gradient(d_loss, variables),
                                                         variables))
        return d_loss

    def _joint_update(self, real: tf.Tensor, labels: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            # Fake images are drawn for the real batch's labels, so classes stay balanced.
            fake = self._generate(labels)
            fake_scores = self._critic(fake, labels)
            d_loss = self._discriminator_loss(real, fake, labels, self._critic(real, labels),
                                              fake_scores)
            g_loss = self._generator_loss(labels, fake_scores)
        d_variables = self.discriminator.trainable_variables
        g_variables = self.generator.trainable_variables
        d_gradients = d_tape.gradient(d_loss, d_variables)
        g_gradients = g_tape.gradient(g_loss, g_variables)
        self.discriminator_optimizer.apply_gradients(zip(d_gradients, d_variables))
        self.generator_optimizer.apply_gradients(zip(g_gradients, g_variables))
        return d_loss, g_loss
