"""One GAN training step for any architecture: two gradient tapes, logits everywhere.

Each call makes `discriminator_steps` updates of the discriminator, each on a fresh real batch,
and one of the generator. The last discriminator update and the generator update share one
forward pass, with one tape each, as in the TensorFlow DCGAN tutorial; with
``discriminator_steps=1`` that is the whole step, and with 5 it is WGAN-GP's Algorithm 1.

The step runs inside a `tf.distribute` strategy (the default one on a single device): losses are
averaged over the global batch so gradients summed across replicas are right. Its randomness
(latents, gradient-penalty interpolation weights) arrives with each batch from `with_noise`,
drawn by stateless ops keyed by the run's seed and the batch's index, so a batch gets the same
noise on one device or split across eight, and a resumed run draws what it would have drawn.
"""

from __future__ import annotations

from collections.abc import Iterator

import keras
import tensorflow as tf

from ganzoo.losses import classification_loss, gradient_penalty
from ganzoo.plugin import (Augmentation, LossContext, LossSpec, Transition,
                           discriminator_outputs)
from ganzoo.training.average import GeneratorAverage


def with_noise(batches: tf.data.Dataset, latent_dim: int, seed: int,
               first_batch: int = 0, randoms_per_image: int = 0) -> tf.data.Dataset:
    """Add each batch's latents ``z``, interpolation weights ``t`` and augmentation randoms
    ``r`` (`randoms_per_image` uniform numbers for each real image, then as many for each fake
    one) to ``(images, labels)``.

    Batch number ``i`` (counting from `first_batch`) always gets the same noise for a seed.
    """
    seed = tf.constant(seed % (1 << 62), tf.int64)

    def add(batch, index):
        images, labels = batch
        count = tf.shape(labels)[0]
        z = tf.random.stateless_normal([count, latent_dim], seed=tf.stack([seed, 2 * index]))
        t = tf.random.stateless_uniform([count], seed=tf.stack([seed, 2 * index + 1]))
        # A third stream, apart from z's and t's, so augmenting leaves their values unchanged.
        r = tf.random.stateless_uniform([count, 2 * randoms_per_image],
                                        seed=tf.stack([seed, -1 - index]))
        return images, labels, z, t, r

    indices = tf.data.Dataset.counter(start=first_batch)
    return tf.data.Dataset.zip(batches, indices).map(add, num_parallel_calls=tf.data.AUTOTUNE)


class GanStep:
    """The compiled training step for one generator/discriminator pair.

    An optimizer wrapped in `keras.optimizers.LossScaleOptimizer` (float16 training) gets its
    loss scaled and its gradients unscaled; `jit_compile` compiles the step with XLA; an
    `average` is moved towards the new generator weights after each step.
    """

    def __init__(self, generator: keras.Model, discriminator: keras.Model,
                 generator_optimizer: keras.optimizers.Optimizer,
                 discriminator_optimizer: keras.optimizers.Optimizer, loss: LossSpec,
                 global_batch_size: int, conditional: bool, step: tf.Variable,
                 discriminator_steps: int = 1, strategy: tf.distribute.Strategy | None = None,
                 auxiliary_classifier: bool = False, jit_compile: bool = False,
                 average: GeneratorAverage | None = None,
                 augmentation: Augmentation | None = None,
                 self_supervised_loss=None, transition: Transition | None = None) -> None:
        self.generator = generator
        self.discriminator = discriminator
        self.generator_optimizer = generator_optimizer
        self.discriminator_optimizer = discriminator_optimizer
        self.loss = loss
        self.global_batch_size = global_batch_size
        self.conditional = conditional
        self.step = step
        self.discriminator_steps = discriminator_steps
        self.auxiliary_classifier = auxiliary_classifier
        self.average = average
        self.augmentation = augmentation
        self.self_supervised_loss = self_supervised_loss
        self.transition = transition
        # ArchitectureSpec.second_head: class logits or a transition's conditional logits.
        self._second_head = auxiliary_classifier or transition is not None
        # The generator's (and its average's) conditioning strength, set before every step.
        self._strengths = []
        if transition is not None:
            from ganzoo.layers import strength_variables

            self._strengths = strength_variables(
                generator, *([average.average] if average is not None else []))
        self.strategy = strategy or tf.distribute.get_strategy()
        # XLA cannot compile reading the input iterator, so only the updates are compiled.
        compile_ = (lambda f: tf.function(f, jit_compile=True)) if jit_compile else (lambda f: f)
        self._discriminator_step = compile_(self._discriminator_update)
        self._joint_step = compile_(self._joint_update)
        self._compiled = tf.function(self._run)

    def __call__(self, iterator: Iterator) -> tuple[tf.Tensor, tf.Tensor]:
        """Train one step on batches from a (distributed) `with_noise` iterator.

        Returns the discriminator and generator losses, averaged over the global batch.
        """
        return self._compiled(iterator)

    def _run(self, iterator: Iterator) -> tuple[tf.Tensor, tf.Tensor]:
        if self.transition is not None:
            strength = self.transition.strength(self.step)
            for variable in self._strengths:
                variable.assign(tf.cast(strength, variable.dtype))
        for _ in range(self.discriminator_steps - 1):
            self.strategy.run(self._discriminator_step, next(iterator))
        d_loss, g_loss, statistics = self.strategy.run(self._joint_step, next(iterator))
        self.step.assign_add(1)
        if self.average is not None:
            self.average.update(self.step)
        reduce = self.strategy.reduce
        if self.augmentation is not None:
            self.augmentation.update(
                self.step, reduce(tf.distribute.ReduceOp.SUM, statistics, axis=None),
                self.global_batch_size * self.discriminator_steps)
        return (reduce(tf.distribute.ReduceOp.SUM, d_loss, axis=None),
                reduce(tf.distribute.ReduceOp.SUM, g_loss, axis=None))

    def _generate(self, z: tf.Tensor, labels: tf.Tensor) -> tf.Tensor:
        return self.generator([z, labels] if self.conditional else z, training=True)

    def _augmented(self, images: tf.Tensor, randoms: tf.Tensor, fake: bool) -> tf.Tensor:
        if self.augmentation is None:
            return images
        count = self.augmentation.randoms_per_image
        return self.augmentation.apply(images, randoms[:, count:] if fake else randoms[:, :count])

    def _critic(self, images: tf.Tensor, labels: tf.Tensor) -> tuple:
        """Real/fake logits, class logits when the discriminator has an auxiliary classifier
        (else None), and any extra outputs for a self-supervised loss."""
        inputs = images if self.auxiliary_classifier or not self.conditional \
            else [images, labels]
        return discriminator_outputs(self.discriminator(inputs, training=True),
                                     self._second_head)

    def _context(self, labels: tf.Tensor, real_scores: tuple, fake_scores: tuple,
                 head: int = 0) -> LossContext:
        return LossContext(tf.cast(real_scores[head], tf.float32),
                           tf.cast(fake_scores[head], tf.float32),
                           labels if self.conditional else None)

    def _adversarial(self, role: str, labels: tf.Tensor, real_scores: tuple,
                     fake_scores: tuple) -> tf.Tensor:
        """The loss of `role` per example; with a transition, the unconditional logits' loss
        plus the strength times the conditional logits' (Shahbazi et al. 2022)."""
        per_example = self.loss.per_example(role, self._context(labels, real_scores, fake_scores))
        if self.transition is not None:
            strength = self.transition.strength(self.step)
            per_example += strength * self.loss.per_example(
                role, self._context(labels, real_scores, fake_scores, head=1))
        return per_example

    def _discriminator_loss(self, real: tf.Tensor, fake: tf.Tensor, labels: tf.Tensor,
                            t: tf.Tensor, real_scores: tuple, fake_scores: tuple) -> tf.Tensor:
        per_example = self._adversarial("discriminator", labels, real_scores, fake_scores)
        if self.auxiliary_classifier:
            # AC-GAN: the discriminator also learns to name the class of real and fake images.
            per_example += (classification_loss(labels, real_scores[1])
                            + classification_loss(labels, fake_scores[1]))
        if self.self_supervised_loss is not None:
            per_example += tf.cast(self.self_supervised_loss(real, real_scores[2]), tf.float32)
        if self.loss.gradient_penalty_weight:
            per_example += self.loss.gradient_penalty_weight * gradient_penalty(
                lambda x: self._critic(x, labels)[0], real, fake, t)
        return tf.nn.compute_average_loss(per_example, global_batch_size=self.global_batch_size)

    def _generator_loss(self, labels: tf.Tensor, real_scores: tuple,
                        fake_scores: tuple) -> tf.Tensor:
        # Real logits reach the generator's loss for relativistic losses; they depend only on
        # the discriminator, so they add nothing to the generator's gradient but their value.
        per_example = self._adversarial("generator", labels, real_scores, fake_scores)
        if self.auxiliary_classifier:
            per_example += classification_loss(labels, fake_scores[1])
        return tf.nn.compute_average_loss(per_example, global_batch_size=self.global_batch_size)

    def _discriminator_update(self, real: tf.Tensor, labels: tf.Tensor, z: tf.Tensor,
                              t: tf.Tensor, r: tf.Tensor) -> tf.Tensor:
        fake = self._augmented(self._generate(z, labels), r, fake=True)
        real = self._augmented(real, r, fake=False)
        with tf.GradientTape() as tape:
            d_loss = self._discriminator_loss(real, fake, labels, t, self._critic(real, labels),
                                              self._critic(fake, labels))
            scaled = _scaled(self.discriminator_optimizer, d_loss)
        variables = self.discriminator.trainable_variables
        self.discriminator_optimizer.apply_gradients(zip(tape.gradient(scaled, variables),
                                                         variables))
        return d_loss

    def _joint_update(self, real: tf.Tensor, labels: tf.Tensor, z: tf.Tensor,
                      t: tf.Tensor, r: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
        real = self._augmented(real, r, fake=False)
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            # Fake images are drawn for the real batch's labels, so classes stay balanced.
            fake = self._augmented(self._generate(z, labels), r, fake=True)
            fake_scores = self._critic(fake, labels)
            real_scores = self._critic(real, labels)
            d_loss = self._discriminator_loss(real, fake, labels, t, real_scores, fake_scores)
            g_loss = self._generator_loss(labels, real_scores, fake_scores)
            d_scaled = _scaled(self.discriminator_optimizer, d_loss)
            g_scaled = _scaled(self.generator_optimizer, g_loss)
        d_variables = self.discriminator.trainable_variables
        g_variables = self.generator.trainable_variables
        d_gradients = d_tape.gradient(d_scaled, d_variables)
        g_gradients = g_tape.gradient(g_scaled, g_variables)
        self.discriminator_optimizer.apply_gradients(zip(d_gradients, d_variables))
        self.generator_optimizer.apply_gradients(zip(g_gradients, g_variables))
        statistics = None
        if self.augmentation is not None:
            realness = None
            if self.loss.realness is not None:
                realness = tf.stop_gradient(tf.reshape(self.loss.realness(
                    self._context(labels, real_scores, fake_scores)), [-1]))
            statistics = self.augmentation.statistics(realness)
        return d_loss, g_loss, tf.zeros([0]) if statistics is None else statistics


def _scaled(optimizer: keras.optimizers.Optimizer, loss: tf.Tensor) -> tf.Tensor:
    # float16 gradients underflow without loss scaling; the optimizer unscales them again.
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        return optimizer.scale_loss(loss)
    return loss

