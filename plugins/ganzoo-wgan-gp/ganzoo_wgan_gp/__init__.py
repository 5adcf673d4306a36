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

from ganzoo.blocks import convolutional_gan
from ganzoo.plugin import ArchitectureSpec, Defaults, Paper, hookimpl

# ganzoo.blocks.convolutional_gan arrived with contract 2.0.
requires_contract = ">=2.0,<3"

WGAN_GP = convolutional_gan(
    "wgan-gp",
    summary="Wasserstein GAN with gradient penalty: a batch-norm-free critic, 5 critic steps.",
    paper=Paper("Improved Training of Wasserstein GANs", "https://arxiv.org/abs/1704.00028"),
    defaults=Defaults(latent_dim=128, batch_size=64, loss="wasserstein-gp", generator_lr=1e-4,
                      discriminator_lr=1e-4, beta_1=0.0, beta_2=0.9, discriminator_steps=5,
                      steps=1000),
    normalization="none",
    discriminator_role="critic",
)


@hookimpl
def ganzoo_architectures() -> list[ArchitectureSpec]:
    return [WGAN_GP]
