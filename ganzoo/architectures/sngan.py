"""SN-GAN: spectral normalization in the discriminator, hinge loss.

Miyato, Kataoka, Koyama & Yoshida, "Spectral Normalization for Generative Adversarial
Networks", ICLR 2018. https://arxiv.org/abs/1802.05957
Official code: https://github.com/pfnet-research/sngan_projection

Every discriminator weight is divided by its largest singular value (one power iteration per
step, `keras.layers.SpectralNormalization`), which bounds the discriminator's Lipschitz constant
without batch norm or a gradient penalty. Hinge loss and Adam(2e-4, 0.5, 0.999) with one
discriminator step follow the paper's setting C. The networks are DCGAN's convolutional stacks
(the paper's "standard CNN" is of the same family; it uses LeakyReLU(0.1) where this uses 0.2).
"""

from __future__ import annotations

import keras

from ganzoo.blocks import downsampling_stack, upsampling_stack
from ganzoo.plugin import ArchitectureSpec, Defaults, ImageShape, Paper, hookimpl

WIDTH = 64


def build_generator(image_shape: ImageShape, num_classes: int, latent_dim: int) -> keras.Model:
    z = keras.Input((latent_dim,), name="z")
    return keras.Model(z, upsampling_stack(z, image_shape, WIDTH), name="sngan_generator")


def build_discriminator(image_shape: ImageShape, num_classes: int) -> keras.Model:
    image = keras.Input(image_shape, name="image")
    logit = downsampling_stack(image, image_shape[0], WIDTH, normalization="spectral")
    return keras.Model(image, logit, name="sngan_discriminator")


SNGAN = ArchitectureSpec(
    name="sngan",
    summary="Spectrally normalized discriminator trained with the hinge loss.",
    paper=Paper("Spectral Normalization for Generative Adversarial Networks",
                "https://arxiv.org/abs/1802.05957"),
    build_generator=build_generator,
    build_discriminator=build_discriminator,
    defaults=Defaults(latent_dim=128, batch_size=64, loss="hinge", generator_lr=2e-4,
                      discriminator_lr=2e-4, beta_1=0.5, beta_2=0.999, steps=3000),
)


@hookimpl
def ganzoo_architectures() -> list[ArchitectureSpec]:
    return [SNGAN]
