"""Keras building blocks for architecture plugins (part of the public plugin API).

The convolutional stacks follow the DCGAN guidelines (Radford et al. 2016,
https://arxiv.org/abs/1511.06434): strided (transposed) convolutions instead of pooling, ReLU in
the generator and LeakyReLU(0.2) in the discriminator, batch norm everywhere except the
generator's output and the discriminator's input, weights drawn from N(0, 0.02).

`convolutional_gan` builds a whole unconditional architecture of that family, so an architecture
that differs from DCGAN only in its discriminator's normalization and its loss (LSGAN, SN-GAN,
WGAN-GP) is a paper citation and a few defaults.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Literal

from ganzoo.plugin import ArchitectureSpec, Defaults, ImageShape, Paper, upsampling_plan

if TYPE_CHECKING:  # each block imports Keras: a plugin's spec is made without TensorFlow
    import keras

Normalization = Literal["batch", "spectral", "none"]


def dcgan_init() -> keras.initializers.Initializer:
    import keras

    return keras.initializers.RandomNormal(mean=0.0, stddev=0.02)


def to_image(x: keras.KerasTensor) -> keras.KerasTensor:
    """The output head every generator shares: tanh into [-1, 1], named ``image``, float32.

    float32 even under a mixed-precision policy, so exported files and losses see full precision.
    """
    from keras import layers

    return layers.Activation("tanh", dtype="float32", name="image")(x)


def to_logit(x: keras.KerasTensor, normalization: Normalization = "none") -> keras.KerasTensor:
    """Flatten and map to one float32 logit per image, named ``logit``."""
    from keras import layers

    dense = layers.Dense(1, kernel_initializer=dcgan_init(), dtype="float32", name="logit")
    if normalization == "spectral":
        dense = layers.SpectralNormalization(dense, name="logit_sn")
    return dense(layers.Flatten()(x))


def upsampling_stack(x: keras.KerasTensor, image_shape: ImageShape, width: int = 64,
                     kernel_size: int = 5) -> keras.KerasTensor:
    """Project a vector to a small feature map and double its side until it is `image_shape`.

    The channels halve at each doubling, ending at `width` before the last layer, which
    produces the image's channels through `to_image`.
    """
    from keras import layers

    size, doublings = upsampling_plan(image_shape[0])
    filters = width * 2 ** max(doublings - 1, 0)
    x = layers.Dense(size * size * filters, use_bias=False, kernel_initializer=dcgan_init())(x)
    x = layers.Reshape((size, size, filters))(x)
    x = layers.ReLU()(layers.BatchNormalization()(x))
    for _ in range(doublings - 1):
        filters //= 2
        x = layers.Conv2DTranspose(filters, kernel_size, strides=2, padding="same",
                                   use_bias=False, kernel_initializer=dcgan_init())(x)
        x = layers.ReLU()(layers.BatchNormalization()(x))
    x = layers.Conv2DTranspose(image_shape[2], kernel_size, strides=2 if doublings else 1,
                               padding="same", kernel_initializer=dcgan_init())(x)
    return to_image(x)


def downsampling_features(x: keras.KerasTensor, image_size: int, width: int = 64,
                          kernel_size: int = 5,
                          normalization: Normalization = "batch") -> keras.KerasTensor:
    """Halve the side with strided convolutions, doubling the channels each time.

    `normalization` is ``"batch"`` (DCGAN), ``"none"`` (a WGAN-GP critic, whose penalty is per
    example and so must not mix examples through batch statistics) or ``"spectral"``
    (Miyato et al. 2018).
    """
    from keras import layers

    _, halvings = upsampling_plan(image_size)
    filters = width
    for index in range(halvings):
        conv = layers.Conv2D(filters, kernel_size, strides=2, padding="same",
                             kernel_initializer=dcgan_init())
        if normalization == "spectral":
            conv = layers.SpectralNormalization(conv)
        x = conv(x)
        if normalization == "batch" and index > 0:
            x = layers.BatchNormalization()(x)
        x = layers.LeakyReLU(negative_slope=0.2)(x)
        filters *= 2
    return x


def downsampling_stack(x: keras.KerasTensor, image_size: int, width: int = 64,
                       kernel_size: int = 5,
                       normalization: Normalization = "batch") -> keras.KerasTensor:
    """`downsampling_features` followed by one logit per image."""
    return to_logit(downsampling_features(x, image_size, width, kernel_size, normalization),
                    normalization)


def conditioning_strength(x: keras.KerasTensor, name: str = "conditioning") -> keras.KerasTensor:
    """`x` times the run's conditioning strength, which the trainer sets before every step of an
    architecture with a `Transition` (0 before it starts, 1 once it ends): put the generator's
    class input through it (a `ganzoo.layers.ConditioningStrength`, reloadable in safe mode)."""
    from ganzoo.layers import ConditioningStrength

    return ConditioningStrength(name=name)(x)


def convolutional_generator(image_shape: ImageShape, num_classes: int, latent_dim: int, *,
                            width: int = 64, name: str = "generator") -> keras.Model:
    """An unconditional generator: ``z`` through `upsampling_stack` (`num_classes` is unused)."""
    import keras

    z = keras.Input((latent_dim,), name="z")
    return keras.Model(z, upsampling_stack(z, image_shape, width), name=name)


def convolutional_discriminator(image_shape: ImageShape, num_classes: int, *, width: int = 64,
                                normalization: Normalization = "batch",
                                name: str = "discriminator") -> keras.Model:
    """An unconditional discriminator: the image through `downsampling_stack` to one logit."""
    import keras

    image = keras.Input(image_shape, name="image")
    logit = downsampling_stack(image, image_shape[0], width, normalization=normalization)
    return keras.Model(image, logit, name=name)


DCGAN_SIZES = (28, 32, 64, 128)
"""Image sides the DCGAN family (dcgan, lsgan, sngan, cgan, acgan) builds: the digits' 28,
CIFAR's 32, and 64 and 128 for users' own pictures (128 starts from 1,024 channels at 4x4)."""


def convolutional_gan(name: str, *, summary: str, paper: Paper, defaults: Defaults,
                      normalization: Normalization, width: int = 64,
                      discriminator_role: str = "discriminator",
                      image_sizes: tuple[int, ...] = (28, 32, 64)) -> ArchitectureSpec:
    """An unconditional DCGAN-family architecture whose discriminator uses `normalization`.

    The models are named ``<name>_generator`` and ``<name>_<discriminator_role>`` (dashes
    become underscores). Example::

        SNGAN = convolutional_gan("sngan", summary="...", paper=Paper(...),
                                  defaults=Defaults(loss="hinge"), normalization="spectral")
    """
    prefix = name.replace("-", "_")
    return ArchitectureSpec(
        name=name, summary=summary, paper=paper, defaults=defaults, image_sizes=image_sizes,
        build_generator=functools.partial(convolutional_generator, width=width,
                                          name=f"{prefix}_generator"),
        build_discriminator=functools.partial(convolutional_discriminator, width=width,
                                              normalization=normalization,
                                              name=f"{prefix}_{discriminator_role}"))
