"""WGAN-GP: a Wasserstein critic kept 1-Lipschitz by a gradient penalty.

Gulrajani, Ahmed, Arjovsky, Dumoulin & Courville, "Improved Training of Wasserstein GANs",
NeurIPS 2017. https://arxiv.org/abs/1704.00028
Official code: https://github.com/igul222/improved_wgan_training

Algorithm 1 of the paper: 5 critic updates per generator update, penalty weight 10 on
(||grad critic(x_hat)|| - 1)^2 at random interpolates x_hat, Adam(1e-4, beta_1=0, beta_2=0.9).
The critic has no batch norm (section 4: the penalty is per example, and batch norm would make
each critic output depend on the rest of the batch); the generator keeps it. Both networks are
DCGAN-style convolutional stacks, as in the paper's MNIST model.
"""

from __future__ import annotations

import keras

from ganzoo.blocks import downsampling_stack, upsampling_stack
from ganzoo.plugin import ArchitectureSpec, Defaults, ImageShape, Paper, hookimpl

WIDTH = 64


def build_generator(image_shape: ImageShape, num_classes: int, latent_dim: int) -> keras.Model:
    z = keras.Input((latent_dim,), name="z")
    return keras.Model(z, upsampling_stack(z, image_shape, WIDTH), name="wgan_gp_generator")


def build_critic(image_shape: ImageShape, num_classes: int) -> keras.Model:
    image = keras.Input(image_shape, name="image")
    score = downsampling_stack(image, image_shape[0], WIDTH, normalization="none")
    return keras.Model(image, score, name="wgan_gp_critic")


WGAN_GP = ArchitectureSpec(
    name="wgan-gp",
    summary="Wasserstein GAN with gradient penalty: a batch-norm-free critic, 5 critic steps.",
    paper=Paper("Improved Training of Wasserstein GANs", "https://arxiv.org/abs/1704.00028"),
    build_generator=build_generator,
    build_discriminator=build_critic,
    defaults=Defaults(latent_dim=128, batch_size=64, loss="wasserstein-gp", generator_lr=1e-4,
                      discriminator_lr=1e-4, beta_1=0.0, beta_2=0.9, discriminator_steps=5,
                      steps=1000),
)


@hookimpl
def ganzoo_architectures() -> list[ArchitectureSpec]:
    return [WGAN_GP]
