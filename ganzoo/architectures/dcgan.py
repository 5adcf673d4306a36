"""DCGAN: deep convolutional GAN.

Radford, Metz & Chintala, "Unsupervised Representation Learning with Deep Convolutional
Generative Adversarial Networks", ICLR 2016. https://arxiv.org/abs/1511.06434
Official code: https://github.com/Newmu/dcgan_code

Strided transposed convolutions with batch norm and ReLU up to a tanh image; a mirrored
discriminator of strided convolutions with LeakyReLU(0.2) and no pooling; Adam(2e-4, beta_1=0.5)
and weights from N(0, 0.02), all as in section 3 and 4 of the paper. Widths are halved against
the paper's 64x64 LSUN model (a 512-channel start instead of 1024) to train in minutes on a CPU.
"""

from __future__ import annotations

from ganzoo.blocks import DCGAN_SIZES, convolutional_gan
from ganzoo.plugin import ArchitectureSpec, Defaults, Paper, hookimpl

DCGAN = convolutional_gan(
    "dcgan",
    summary="Deep convolutional GAN: strided (transposed) convolutions with batch norm.",
    paper=Paper("Unsupervised Representation Learning with Deep Convolutional Generative "
                "Adversarial Networks", "https://arxiv.org/abs/1511.06434"),
    defaults=Defaults(latent_dim=100, batch_size=64, loss="nonsaturating", generator_lr=2e-4,
                      discriminator_lr=2e-4, beta_1=0.5, steps=3000),
    normalization="batch",
    image_sizes=DCGAN_SIZES,
)


@hookimpl
def ganzoo_architectures() -> list[ArchitectureSpec]:
    return [DCGAN]
