"""LSGAN: least-squares GAN.

Mao, Li, Xie, Lau, Wang & Smolley, "Least Squares Generative Adversarial Networks", ICCV 2017.
https://arxiv.org/abs/1611.04076
Official code: https://github.com/xudonmao/LSGAN

The discriminator's sigmoid cross-entropy is replaced by a least-squares loss (the paper's 0-1
coding: a=0, b=c=1), which penalises fake samples by their distance from the decision boundary
even when they are on the right side of it, so the generator's gradients do not vanish. The
networks are DCGAN's stacks with Adam(2e-4, beta_1=0.5), as in the paper's digit experiments.
"""

from __future__ import annotations

from ganzoo.blocks import DCGAN_SIZES, convolutional_gan
from ganzoo.plugin import ArchitectureSpec, Defaults, Paper, hookimpl

LSGAN = convolutional_gan(
    "lsgan",
    summary="DCGAN networks trained with the least-squares loss.",
    paper=Paper("Least Squares Generative Adversarial Networks",
                "https://arxiv.org/abs/1611.04076"),
    defaults=Defaults(latent_dim=100, batch_size=64, loss="least-squares", generator_lr=2e-4,
                      discriminator_lr=2e-4, beta_1=0.5, steps=3000),
    normalization="batch",
    image_sizes=DCGAN_SIZES,
)


@hookimpl
def ganzoo_architectures() -> list[ArchitectureSpec]:
    return [LSGAN]
