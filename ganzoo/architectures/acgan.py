"""AC-GAN: a discriminator that also classifies.

Odena, Olah & Shlens, "Conditional Image Synthesis with Auxiliary Classifier GANs", ICML 2017.
https://arxiv.org/abs/1610.09585

The generator takes a class label with z; the discriminator sees only the image and has two
heads, one telling real from fake and one naming the class. Both networks are also trained to
make the class head right (the trainer adds its cross-entropy to both losses, section 3 of the
paper). The label is embedded and joined to z rather than one-hot coded; the networks are
DCGAN's stacks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ganzoo.blocks import (DCGAN_SIZES, dcgan_init, downsampling_features, to_logit,
                           upsampling_stack)
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
    x = layers.Concatenate()([z, layers.Embedding(num_classes, LABEL_EMBEDDING)(label)])
    return keras.Model([z, label], upsampling_stack(x, image_shape, WIDTH),
                       name="acgan_generator")


def build_discriminator(image_shape: ImageShape, num_classes: int) -> keras.Model:
    import keras
    from keras import layers

    image = keras.Input(image_shape, name="image")
    features = downsampling_features(image, image_shape[0], WIDTH, normalization="batch")
    class_logits = layers.Dense(num_classes, kernel_initializer=dcgan_init(), dtype="float32",
                                name="class_logits")(layers.Flatten()(features))
    return keras.Model(image, [to_logit(features), class_logits], name="acgan_discriminator")


ACGAN = ArchitectureSpec(
    name="acgan",
    summary="Auxiliary-classifier GAN: the discriminator also predicts the class.",
    paper=Paper("Conditional Image Synthesis with Auxiliary Classifier GANs",
                "https://arxiv.org/abs/1610.09585"),
    build_generator=build_generator,
    build_discriminator=build_discriminator,
    conditional=True,
    image_sizes=DCGAN_SIZES,
    auxiliary_classifier=True,
    defaults=Defaults(latent_dim=100, batch_size=64, loss="nonsaturating", generator_lr=2e-4,
                      discriminator_lr=2e-4, beta_1=0.5, steps=3000),
)


@hookimpl
def ganzoo_architectures() -> list[ArchitectureSpec]:
    return [ACGAN]
