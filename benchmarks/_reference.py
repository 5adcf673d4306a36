"""Two reference training loops for the TensorFlow DCGAN tutorial's networks, for throughput.py.

``tf-tutorial`` re-implements the training loop of the official TensorFlow DCGAN tutorial
(tensorflow/docs, site/en/tutorials/generative/dcgan.ipynb): its generator and discriminator,
``BinaryCrossentropy(from_logits=True)``, ``Adam(1e-4)`` for both networks, batches of 256 from
``from_tensor_slices(train_images).shuffle(60000).batch(256)``, and a ``@tf.function``
``train_step(images)`` that draws ``tf.random.normal`` noise and updates both networks from two
gradient tapes over one forward pass.

``keras-fit`` has the structure of the keras-io DCGAN example (keras-io,
examples/generative/dcgan_overriding_train_step.py): a `keras.Model` subclass whose custom
`train_step` is driven by `fit()`. Its step is the example's: the discriminator is trained on
fake and real images concatenated, with the example's label noise, then the generator on fresh
latents, so each step runs the generator forward twice. One deliberate change: the example calls
its networks without ``training=True``, which under Keras 3 leaves every BatchNormalization in
inference mode (its statistics never train, and Dropout is off); here they are called with
``training=True``, as the example behaved under Keras 2.

Both train the tutorial's networks (`make_generator_model`, `make_discriminator_model`), the
same ones ganzoo trains in the ``ganzoo-step`` and ``ganzoo-train`` rows, on the same images
(`load_tutorial_images`). Neither loop does anything at epoch ends here (the tutorial saves an
image grid every epoch and a checkpoint every 15; the example's callback saves images every
epoch): an epoch of 60,000 images is 235 steps, minutes on a CPU, so it never ends inside a
measurement.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops

BATCH_SIZE = 256
NOISE_DIM = 100
BUFFER_SIZE = 60000
# The tutorial trains on MNIST's 60,000 training images; see load_tutorial_images.
EPOCH_SIZE = 60000

# Called after every training step with the number of real images it trained on; returns False
# when the measurement has enough steps.
Tick = Callable[[int], bool]


def make_generator_model(latent_dim: int = NOISE_DIM) -> keras.Model:
    """The tutorial's generator: 100 -> 7x7x256 -> 7x7x128 -> 14x14x64 -> 28x28x1 tanh.

    Written with the functional API (the tutorial uses `keras.Sequential`; the layers are the
    same) so that the input can be named ``z``, as ganzoo's plugin contract asks.
    """
    z = keras.Input((latent_dim,), name="z")
    x = layers.Dense(7 * 7 * 256, use_bias=False)(z)
    x = layers.BatchNormalization()(x)
    x = layers.LeakyReLU()(x)
    x = layers.Reshape((7, 7, 256))(x)
    x = layers.Conv2DTranspose(128, (5, 5), strides=(1, 1), padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.LeakyReLU()(x)
    x = layers.Conv2DTranspose(64, (5, 5), strides=(2, 2), padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.LeakyReLU()(x)
    # dtype="float32" is a no-op in float32; under a mixed-precision policy it keeps the output
    # float32, which ganzoo's contract requires of every generator.
    image = layers.Conv2DTranspose(1, (5, 5), strides=(2, 2), padding="same", use_bias=False,
                                   activation="tanh", dtype="float32")(x)
    return keras.Model(z, image, name="tutorial_generator")


def make_discriminator_model(image_shape: tuple[int, int, int] = (28, 28, 1)) -> keras.Model:
    """The tutorial's discriminator: two strided 5x5 convolutions with dropout, one logit."""
    image = keras.Input(image_shape, name="image")
    x = layers.Conv2D(64, (5, 5), strides=(2, 2), padding="same")(image)
    x = layers.LeakyReLU()(x)
    x = layers.Dropout(0.3)(x)
    x = layers.Conv2D(128, (5, 5), strides=(2, 2), padding="same")(x)
    x = layers.LeakyReLU()(x)
    x = layers.Dropout(0.3)(x)
    x = layers.Flatten()(x)
    # As for the generator's output: float32 only matters under a mixed-precision policy.
    logit = layers.Dense(1, dtype="float32")(x)
    return keras.Model(image, logit, name="tutorial_discriminator")


def load_tutorial_images() -> np.ndarray:
    """The bundled digits at 28x28 as the tutorial's float32 array ``[60000, 28, 28, 1]``.

    The images come from ganzoo's own pipeline (``load_data("digits", 28)``), so all rows train
    on the same pixels; it scales them as the tutorial does, ``(x - 127.5) / 127.5``. The 1,797
    digits are repeated to 60,000, the size of the MNIST training split the tutorial is written
    for, so that an epoch has the tutorial's structure: 234 full batches and one of 96. Without
    that, one step in eight would train on a last batch of 5 real images (1,797 = 7 x 256 + 5)
    against 256 fakes, a cost the tutorial does not pay on its own data. The price: like the
    tutorial on MNIST, this row holds 60,000 float32 images (179 MiB), once more as the tensor
    `from_tensor_slices` makes and once more in the shuffle buffer.
    """
    from ganzoo.data import load_data

    digits = load_data("digits", 28)
    # One batch of num_examples is exactly one epoch: every image once.
    epoch, _ = next(iter(digits.batches(digits.num_examples, seed=0)))
    return np.resize(epoch.numpy(), (EPOCH_SIZE, 28, 28, 1))


def tutorial_dataset(train_images: np.ndarray) -> tf.data.Dataset:
    """The tutorial's input pipeline, unchanged."""
    return tf.data.Dataset.from_tensor_slices(train_images).shuffle(BUFFER_SIZE).batch(BATCH_SIZE)


def tutorial_models_and_step() -> tuple[keras.Model, keras.Model, Callable]:
    """The tutorial's two networks, losses, Adam(1e-4) optimizers and two-tape `train_step`."""
    generator, discriminator = make_generator_model(), make_discriminator_model()
    cross_entropy = keras.losses.BinaryCrossentropy(from_logits=True)
    generator_optimizer = keras.optimizers.Adam(1e-4)
    discriminator_optimizer = keras.optimizers.Adam(1e-4)

    def discriminator_loss(real_output, fake_output):
        real_loss = cross_entropy(tf.ones_like(real_output), real_output)
        fake_loss = cross_entropy(tf.zeros_like(fake_output), fake_output)
        return real_loss + fake_loss

    def generator_loss(fake_output):
        return cross_entropy(tf.ones_like(fake_output), fake_output)

    @tf.function
    def train_step(images):
        noise = tf.random.normal([BATCH_SIZE, NOISE_DIM])
        with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:
            generated_images = generator(noise, training=True)
            real_output = discriminator(images, training=True)
            fake_output = discriminator(generated_images, training=True)
            gen_loss = generator_loss(fake_output)
            disc_loss = discriminator_loss(real_output, fake_output)
        gradients_of_generator = gen_tape.gradient(gen_loss, generator.trainable_variables)
        gradients_of_discriminator = disc_tape.gradient(disc_loss,
                                                        discriminator.trainable_variables)
        generator_optimizer.apply_gradients(zip(gradients_of_generator,
                                                generator.trainable_variables))
        discriminator_optimizer.apply_gradients(zip(gradients_of_discriminator,
                                                    discriminator.trainable_variables))

    return generator, discriminator, train_step


def run_tutorial(train_images: np.ndarray, tick: Tick) -> None:
    """Train with the tutorial's loop until `tick` says the measurement is complete."""
    _, _, train_step = tutorial_models_and_step()
    dataset = tutorial_dataset(train_images)
    for _epoch in itertools.count():
        for image_batch in dataset:
            train_step(image_batch)
            if not tick(int(image_batch.shape[0])):
                return


class KerasIoGAN(keras.Model):
    """The keras-io DCGAN example's model: `fit()` calls this `train_step` once per batch."""

    def __init__(self, discriminator: keras.Model, generator: keras.Model,
                 latent_dim: int) -> None:
        super().__init__()
        self.discriminator = discriminator
        self.generator = generator
        self.latent_dim = latent_dim
        self.seed_generator = keras.random.SeedGenerator(1337)

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn
        self.d_loss_metric = keras.metrics.Mean(name="d_loss")
        self.g_loss_metric = keras.metrics.Mean(name="g_loss")

    @property
    def metrics(self):
        return [self.d_loss_metric, self.g_loss_metric]

    def train_step(self, real_images):
        batch_size = ops.shape(real_images)[0]
        random_latent_vectors = keras.random.normal(shape=(batch_size, self.latent_dim),
                                                    seed=self.seed_generator)
        # training=True throughout: the example omits it, which Keras 3 reads as inference mode.
        generated_images = self.generator(random_latent_vectors, training=True)
        combined_images = ops.concatenate([generated_images, real_images], axis=0)
        labels = ops.concatenate([ops.ones((batch_size, 1)), ops.zeros((batch_size, 1))], axis=0)
        # The example's label noise, kept because it is part of the step being timed.
        labels += 0.05 * keras.random.uniform(ops.shape(labels), seed=self.seed_generator)
        with tf.GradientTape() as tape:
            predictions = self.discriminator(combined_images, training=True)
            d_loss = self.loss_fn(labels, predictions)
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply(grads, self.discriminator.trainable_weights)

        random_latent_vectors = keras.random.normal(shape=(batch_size, self.latent_dim),
                                                    seed=self.seed_generator)
        misleading_labels = ops.zeros((batch_size, 1))
        with tf.GradientTape() as tape:
            predictions = self.discriminator(self.generator(random_latent_vectors, training=True),
                                             training=True)
            g_loss = self.loss_fn(misleading_labels, predictions)
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply(grads, self.generator.trainable_weights)

        self.d_loss_metric.update_state(d_loss)
        self.g_loss_metric.update_state(g_loss)
        return {"d_loss": self.d_loss_metric.result(), "g_loss": self.g_loss_metric.result()}


class _TickEachBatch(keras.callbacks.Callback):
    """Reports each finished batch to the measurement and stops `fit()` when it is complete."""

    def __init__(self, tick: Tick) -> None:
        super().__init__()
        self.tick = tick

    def on_train_batch_end(self, batch, logs=None):
        # `batch` counts within the epoch; only an epoch's last batch is short (96 images).
        if not self.tick(min(BATCH_SIZE, EPOCH_SIZE - batch * BATCH_SIZE)):
            self.model.stop_training = True


def run_keras_fit(train_images: np.ndarray, tick: Tick) -> None:
    """Train the keras-io way, through `fit()`, until `tick` says the measurement is complete.

    The data pipeline is the tutorial's (the example reads a folder of CelebA images instead), so
    that only the training structure differs from the ``tf-tutorial`` row.
    """
    gan = KerasIoGAN(make_discriminator_model(), make_generator_model(), NOISE_DIM)
    # Logits, as the tutorial's discriminator returns them (the example's ends in a sigmoid).
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-4), g_optimizer=keras.optimizers.Adam(1e-4),
                loss_fn=keras.losses.BinaryCrossentropy(from_logits=True))
    gan.fit(tutorial_dataset(train_images), epochs=1_000_000, callbacks=[_TickEachBatch(tick)])
