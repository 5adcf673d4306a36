"""Conditional FastGAN: FastGAN's networks taking the class, fading conditioning in.

Three papers, one module:
- The networks are `fastgan`'s (Liu et al., ICLR 2021, https://arxiv.org/abs/2101.04775; its
  deviations from the paper, named in ganzoo/architectures/fastgan.py, hold here too).
- The discriminator is a projection discriminator: Miyato & Koyama, "cGANs with Projection
  Discriminator", ICLR 2018 (https://arxiv.org/abs/1802.05637), whose conditional logit is
  the unconditional one plus the inner product of a learned class embedding with the pooled
  features.
- Training starts unconditional and fades the class in between steps `TRANSITION.start` and
  `TRANSITION.end`: Shahbazi, Danelljan, Paudel & Van Gool, "Collapse by Conditioning:
  Training Class-conditional GANs with Limited Data", ICLR 2022
  (https://arxiv.org/abs/2201.06578; official code
  https://github.com/mshahbazi72/transitional-cGAN), who show that conditioning from the
  first step collapses the variety of each class when classes hold few pictures. As there,
  the discriminator returns an unconditional and a conditional logit and both losses are the
  first's plus the strength times the second's; the generator's class embedding is scaled by
  the strength and joined to z before the first layer (theirs is added after the first layer
  of StyleGAN's mapping network, which FastGAN does not have).

Deviations, each named:
- The projection is taken from the 8x8 features averaged over space (FastGAN's last
  discriminator stage), and added to FastGAN's patch logit, which stands in for the linear
  head ψ of Miyato & Koyama.
- The transition's steps: the official code fades in from 2,000 to 4,000 thousand images of a
  StyleGAN2 run; a CPU run of half an hour sees about 70 thousand, so here the class fades in
  between steps 1,000 and 2,000 (8 to 16 thousand pictures at batch 8), at the same early
  share of the run. Not yet tuned on the benchmark domains.
- Fake pictures are drawn for the real batch's labels (ganzoo's trainer draws so for every
  conditional architecture), so classes are seen at the folder's own frequencies; the official
  code draws labels of random training pictures, which has the same distribution.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ganzoo.architectures import fastgan
from ganzoo.blocks import conditioning_strength
from ganzoo.plugin import ArchitectureSpec, ImageShape, Paper, Transition, hookimpl

if TYPE_CHECKING:  # the builders import Keras: `ganzoo list` needs none of it
    import keras

# The class embedding joined to z; FastGAN's z has 256 entries.
EMBEDDING = 64
# Scale each class's embedding to a unit second moment (z's, roughly) before it is joined to z,
# as the official code normalises its embedding (`normalize_2nd_moment`). Off: the embedding is
# free, from Keras' small uniform start. Measured on Twemoji's Unicode groups (30 minutes, seed
# 0, docs/design/class-folders.md): on, every class draws one picture whatever z is; off, the
# embedding of most classes stays near its start and only the two whose embedding grew collapse.
NORMALIZE_EMBEDDING = False
TRANSITION = Transition(start=1000, end=2000)


def build_generator(image_shape: ImageShape, num_classes: int, latent_dim: int) -> keras.Model:
    import keras
    from keras import layers

    z = keras.Input((latent_dim,), name="z")
    label = keras.Input((), dtype="int32", name="label")
    embedded = layers.Embedding(num_classes, EMBEDDING, name="class_embedding")(label)
    if NORMALIZE_EMBEDDING:  # unit length times sqrt(EMBEDDING): a second moment of 1
        embedded = layers.UnitNormalization(name="class_embedding_unit")(embedded)
        embedded = layers.Rescaling(EMBEDDING ** 0.5, name="class_embedding_scale")(embedded)
    embedded = conditioning_strength(embedded)
    code = layers.Concatenate(name="code")([z, embedded])
    return keras.Model([z, label], fastgan.synthesis(code, image_shape),
                       name="cfastgan_generator")


def build_discriminator(image_shape: ImageShape, num_classes: int) -> keras.Model:
    import keras
    from keras import layers

    image = keras.Input(image_shape, name="image")
    label = keras.Input((), dtype="int32", name="label")
    features, logit, reconstruction = fastgan.discriminator_parts(image, image_shape)
    pooled = layers.GlobalAveragePooling2D(name="projection_pool")(features)
    embedded = layers.Embedding(num_classes, features.shape[-1],
                                name="projection_embedding")(label)
    projection = layers.Dot(axes=1, name="projection")([embedded, pooled])
    conditional = layers.Add(dtype="float32", name="conditional_logit")([logit, projection])
    return keras.Model([image, label], [logit, conditional, reconstruction],
                       name="cfastgan_discriminator")


CFASTGAN = ArchitectureSpec(
    name="cfastgan",
    summary="Conditional FastGAN: a projection discriminator, the class faded in from "
            "unconditional training.",
    paper=Paper("Collapse by Conditioning: Training Class-conditional GANs with Limited Data",
                "https://arxiv.org/abs/2201.06578"),
    build_generator=build_generator,
    build_discriminator=build_discriminator,
    conditional=True,
    defaults=fastgan.FASTGAN.defaults,
    image_sizes=fastgan.SIZES,
    self_supervised_loss=fastgan.reconstruction_loss,
    transition=TRANSITION,
)


@hookimpl
def ganzoo_architectures() -> list[ArchitectureSpec]:
    return [CFASTGAN]
