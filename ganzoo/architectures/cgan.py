"""Conditional GAN: both networks see the class label.

Mirza & Osindero, "Conditional Generative Adversarial Nets", 2014.
https://arxiv.org/abs/1411.1784

The paper joins the label to the inputs of both networks (section 3.2). Here the label is
embedded and concatenated to z in the generator, and embedded into a one-channel label map
stacked onto the image in the discriminator; the networks themselves are DCGAN's convolutional
stacks rather than the paper's fully connected maxout nets, which train better on images.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ganzoo.blocks import DCGAN_SIZES, downsampling_stack, upsampling_stack
from ganzoo.plugin import ArchitectureSpec, Defaults, ImageShape, Paper, hookimpl

if TYPE_CHECKING:  # the builders import Keras: `ganzoo list` needs none of it
    import keras

WIDTH = 64
LABEL_EMBEDDING = 50


def build_generator(image_shape: ImageShape, num_classes: int, latent_dim: int) -> keras.Model:
    import keras
    from keras import layers

    z = keras.Input((latent_dim,), name="z")
    label = keras.Input((), dtype="int32", name="label")
    embedded = layers.Embedding(num_classes, LABEL_EMBEDDING)(label)
    x = layers.Concatenate()([z, embedded])
    return keras.Model([z, label], upsampling_stack(x, image_shape, WIDTH),
                       name="cgan_generator")


def build_discriminator(image_shape: ImageShape, num_classes: int) -> keras.Model:
    import keras
    from keras import layers

    height, width, _ = image_shape
    image = keras.Input(image_shape, name="image")
    label = keras.Input((), dtype="int32", name="label")
    label_map = layers.Embedding(num_classes, height * width)(label)
    label_map = layers.Reshape((height, width, 1))(label_map)
    x = layers.Concatenate()([image, label_map])
    logit = downsampling_stack(x, height, WIDTH, normalization="batch")
    return keras.Model([image, label], logit, name="cgan_discriminator")


CGAN = ArchitectureSpec(
    name="cgan",
    summary="Conditional GAN: generator and discriminator both take the class label.",
    paper=Paper("Conditional Generative Adversarial Nets", "https://arxiv.org/abs/1411.1784"),
    build_generator=build_generator,
    build_discriminator=build_discriminator,
    conditional=True,
    image_sizes=DCGAN_SIZES,
    defaults=Defaults(latent_dim=100, batch_size=64, loss="nonsaturating", generator_lr=2e-4,
                      discriminator_lr=2e-4, beta_1=0.5, steps=3000),
)


@hookimpl
def ganzoo_architectures() -> list[ArchitectureSpec]:
    return [CGAN]
