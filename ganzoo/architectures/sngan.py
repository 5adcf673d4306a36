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

from ganzoo.blocks import DCGAN_SIZES, convolutional_gan
from ganzoo.plugin import ArchitectureSpec, Defaults, Paper, hookimpl

SNGAN = convolutional_gan(
    "sngan",
    summary="Spectrally normalized discriminator trained with the hinge loss.",
    paper=Paper("Spectral Normalization for Generative Adversarial Networks",
                "https://arxiv.org/abs/1802.05957"),
    defaults=Defaults(latent_dim=128, batch_size=64, loss="hinge", generator_lr=2e-4,
                      discriminator_lr=2e-4, beta_1=0.5, beta_2=0.999, steps=3000),
    normalization="spectral",
    image_sizes=DCGAN_SIZES,
)


@hookimpl
def ganzoo_architectures() -> list[ArchitectureSpec]:
    return [SNGAN]
