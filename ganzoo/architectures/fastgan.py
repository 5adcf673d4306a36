"""FastGAN: a light GAN that trains on a few hundred images.

Liu, Zhu, Song & Elgammal, "Towards Faster and Stabilized GAN Training for High-fidelity
Few-shot Image Synthesis", ICLR 2021. https://arxiv.org/abs/2101.04775
Official code: https://github.com/odegeasslbc/FastGAN-pytorch

As in the paper: a generator of upsampling blocks with GLU activations and
batch norm, where skip-layer excitation (SLE) lets each 4x4-pooled low-resolution feature map
gate the channels of the map 16x larger; a discriminator of residual down-sampling blocks with
SLE, trained with the hinge loss, that also decodes its 8x8 features back into the (augmented)
real image, a self-supervised task that keeps it from memorising a small data set. Its
augmentation, as the official code's, is DiffAugment's colour and translation without cutout:
ganzoo's ``diffaugment-no-cutout``, which a folder gets with fastgan unless ``--augment`` says
otherwise (measured against ``diffaugment``'s cutout in docs/training.md).

Deviations, each named:
- One discriminator scale: the paper also feeds a 128x128 copy through a second small branch;
  ganzoo's contract gives the discriminator one image.
- One decoder, reconstructing the whole image at half its side (at most 128x128) from the 8x8
  features; the paper adds a second decoder for a random 8x8 crop of the 16x16 features.
- The reconstruction is scored by mean squared error, not LPIPS, whose pretrained network
  ganzoo cannot download; weight 1 as in the paper.
- The logit is the mean of a 5x5 map of patch logits (the paper sums the patch hinge losses).
- No spectral normalisation: the official code wraps every convolution of both networks in
  it; here batch norm, the hinge loss, augmentation and the decoder keep training stable.
  Spectral norm in the discriminator was measured on OpenMoji and on Twemoji and not adopted
  (docs/design/fastgan-recipe.md).
- Up-blocks: two convolutions at every side from 16 px up; the official code alternates two
  (8, 32, 128 px) and one (16, 64, 256 px). Its alternation was measured on OpenMoji, and one
  convolution at 64 px on Twemoji, and not adopted (docs/design/fastgan-recipe.md).
- At 64 px the discriminator has no skip-layer excitation: the paper's pairs each gate a map 8x
  smaller than their source, and the 32x32 stem has no 4x4 map below it. Gating the 8x8 map
  with the 32x32 one (`D_EXCITATION_RATIO = 4`) lowered FID by 1-2.5 at 9 minutes on three
  runs, inside the seed spread, with KID and recall mixed: not adopted
  (docs/design/fastgan-recipe.md).
- No noise injection in the generator (its outputs stay a function of z, and exports simple).
- The generator upsamples bilinearly; the official code uses nearest-neighbour upsampling,
  which here drew a faint lattice every 8 pixels over every sample (the 8x8 stage's cells,
  replicated by three nearest-neighbour doublings): on Twemoji at 2,500 equal steps, the
  lattice frequencies' excess power fell from 0.021 to 0.006 decades, and FID and KID in the
  shipped space from 61.8 and 250 to 60.1 and 234 (docs/design/fastgan-lattice.md;
  `benchmarks/lattice.py`).
- Widths: the paper's channel table (`_WIDTH_MULTIPLIERS`) times 32 instead of 64, to train in
  minutes per thousand steps on a CPU; plain hinge (the paper's real-side hinge margin is drawn
  from U(0.8, 1)).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ganzoo.plugin import ArchitectureSpec, Defaults, ImageShape, Paper, hookimpl

if TYPE_CHECKING:  # the builders import Keras: `ganzoo list` needs none of it
    import keras
    import tensorflow as tf

WIDTH = 32
# Module constants read when a network is built, so that benchmarks/fastgan_variants.py can try
# each deviation above against the paper's choice in a child process:
# the generator's upsampling: bilinear, not the paper's nearest neighbour, which left a lattice
# every 8 pixels;
UPSAMPLING = "bilinear"
# the generator's sides whose up-block has a second convolution (the official code: 8, 32, 128);
TWO_CONVOLUTIONS = (16, 32, 64, 128, 256)
# spectral normalisation on the discriminator's convolutions (the official code: on);
D_SPECTRAL_NORM = False
# the discriminator's skip-layer excitation gates a map this many times smaller than its source
# (the paper's 8, which at 64 px finds no pair: 4 gates the 8x8 map with the 32x32 one).
D_EXCITATION_RATIO = 8
_WIDTH_MULTIPLIERS = {4: 16, 8: 8, 16: 4, 32: 2, 64: 2, 128: 1, 256: 0.5}
SIZES = (64, 128, 256)


def _channels(resolution: int) -> int:
    return int(_WIDTH_MULTIPLIERS[resolution] * WIDTH)


def _glu(x, channels: int, kernel: int, name: str):
    """A convolution to 2x `channels`, batch norm, then a gated linear unit: the paper's
    GLU written as two half convolutions so every layer is a standard Keras layer."""
    from keras import layers

    halves = []
    for half in ("value", "gate"):
        y = layers.Conv2D(channels, kernel, padding="same", use_bias=False,
                          name=f"{name}_{half}")(x)
        halves.append(layers.BatchNormalization(name=f"{name}_{half}_bn")(y))
    return layers.Multiply(name=f"{name}_glu")(
        [halves[0], layers.Activation("sigmoid", name=f"{name}_sigmoid")(halves[1])])


def _excite(low, high, name: str):
    """Skip-layer excitation: `low`, pooled to 4x4, gates the channels of `high`."""
    from keras import layers

    side, channels = low.shape[1], high.shape[-1]
    if side > 4:
        low = layers.AveragePooling2D(side // 4, name=f"{name}_pool")(low)
    x = layers.Conv2D(channels, 4, padding="valid", use_bias=False, name=f"{name}_conv")(low)
    x = layers.Activation("swish", name=f"{name}_swish")(x)
    x = layers.Conv2D(channels, 1, use_bias=False, name=f"{name}_gate")(x)
    x = layers.Activation("sigmoid", name=f"{name}_sigmoid")(x)
    return layers.Multiply(name=f"{name}_excite")([high, x])


def build_generator(image_shape: ImageShape, num_classes: int, latent_dim: int) -> keras.Model:
    import keras

    z = keras.Input((latent_dim,), name="z")
    return keras.Model(z, synthesis(z, image_shape), name="fastgan_generator")


def synthesis(code: keras.KerasTensor, image_shape: ImageShape) -> keras.KerasTensor:
    """The generator's layers from its input code (z; for the conditional variant, z joined
    with the class embedding) to the image."""
    from keras import layers

    size, channels = image_shape[0], image_shape[2]
    # The paper's first layer, a 4x4 transposed convolution of z as a 1x1 map, is a dense layer.
    halves = []
    for half in ("value", "gate"):
        y = layers.Dense(16 * _channels(4), use_bias=False, name=f"init_{half}")(code)
        y = layers.Reshape((4, 4, _channels(4)), name=f"init_{half}_map")(y)
        halves.append(layers.BatchNormalization(name=f"init_{half}_bn")(y))
    x = layers.Multiply(name="init_glu")(
        [halves[0], layers.Activation("sigmoid", name="init_sigmoid")(halves[1])])
    features = {4: x}
    resolution = 4
    while resolution < size:
        resolution *= 2
        x = layers.UpSampling2D(2, interpolation=UPSAMPLING, name=f"up{resolution}")(x)
        x = _glu(x, _channels(resolution), 3, f"g{resolution}a")
        if resolution in TWO_CONVOLUTIONS:  # the paper's "UpBlockComp"
            x = _glu(x, _channels(resolution), 3, f"g{resolution}b")
        if resolution >= 64:
            x = _excite(features[resolution // 16], x, f"sle{resolution // 16}_{resolution}")
        features[resolution] = x
    image = layers.Conv2D(channels, 3, padding="same", name="to_image")(x)
    return layers.Activation("tanh", dtype="float32", name="image")(image)


def _d_conv(channels: int, kernel: int, name: str, **options):
    """A discriminator convolution, spectrally normalised where `D_SPECTRAL_NORM` says so."""
    from keras import layers

    if not D_SPECTRAL_NORM:
        return layers.Conv2D(channels, kernel, name=name, **options)
    return layers.SpectralNormalization(
        layers.Conv2D(channels, kernel, name=f"{name}_w", **options), name=name)


def _down(x, channels: int, name: str):
    """The paper's "DownBlockComp": a strided 4x4 + 3x3 path averaged with a pooled 1x1 path."""
    from keras import layers

    main = _d_conv(channels, 4, f"{name}_conv1", strides=2, padding="same", use_bias=False)(x)
    main = layers.LeakyReLU(0.2, name=f"{name}_act1")(
        layers.BatchNormalization(name=f"{name}_bn1")(main))
    main = _d_conv(channels, 3, f"{name}_conv2", padding="same", use_bias=False)(main)
    main = layers.LeakyReLU(0.2, name=f"{name}_act2")(
        layers.BatchNormalization(name=f"{name}_bn2")(main))
    direct = layers.AveragePooling2D(2, name=f"{name}_pool")(x)
    direct = _d_conv(channels, 1, f"{name}_skip", use_bias=False)(direct)
    direct = layers.LeakyReLU(0.2, name=f"{name}_act3")(
        layers.BatchNormalization(name=f"{name}_bn3")(direct))
    return layers.Average(name=f"{name}_mean")([main, direct])


def _decoder(features, side: int, channels: int):
    from keras import layers

    x = features
    resolution = features.shape[1]
    while resolution < side:
        resolution *= 2
        x = layers.UpSampling2D(2, interpolation="nearest", name=f"dec_up{resolution}")(x)
        x = _glu(x, max(_channels(min(resolution, 256)) // 2, 16), 3, f"dec{resolution}")
    x = layers.Conv2D(channels, 3, padding="same", name="dec_to_image")(x)
    return layers.Activation("tanh", dtype="float32", name="reconstruction")(x)


def build_discriminator(image_shape: ImageShape, num_classes: int) -> keras.Model:
    import keras

    image = keras.Input(image_shape, name="image")
    _, logit, reconstruction = discriminator_parts(image, image_shape)
    return keras.Model(image, [logit, reconstruction], name="fastgan_discriminator")


def discriminator_parts(image: keras.KerasTensor, image_shape: ImageShape) -> tuple:
    """The discriminator's 8x8 features, its logit ``[batch, 1]`` and its reconstruction of the
    image (the self-supervised decoder's output)."""
    from keras import layers

    size, channels = image_shape[0], image_shape[2]
    x = _d_conv(_channels(size), 4, "d_stem", strides=2, padding="same")(image)
    x = layers.LeakyReLU(0.2, name="d_stem_act")(x)
    resolution = size // 2
    features = {resolution: x}
    while resolution > 8:
        resolution //= 2
        x = _down(x, _channels(resolution), f"d{resolution}")
        source = resolution * D_EXCITATION_RATIO
        if source in features and resolution <= 16:
            x = _excite(features[source], x, f"dsle{source}_{resolution}")
        features[resolution] = x
    patches = _d_conv(_channels(8), 1, "d_head", use_bias=False)(x)
    patches = layers.LeakyReLU(0.2, name="d_head_act")(
        layers.BatchNormalization(name="d_head_bn")(patches))
    patches = _d_conv(1, 4, "d_patches", padding="valid")(patches)
    logit = layers.GlobalAveragePooling2D(dtype="float32", name="logit")(patches)
    return x, logit, _decoder(x, min(size // 2, 128), channels)


def reconstruction_loss(real: tf.Tensor, outputs: list[tf.Tensor]) -> tf.Tensor:
    """Mean squared error between the decoded image and the real one at the decoder's size."""
    import tensorflow as tf

    decoded = tf.cast(outputs[0], tf.float32)
    target = tf.image.resize(tf.cast(real, tf.float32), decoded.shape[1:3], method="area")
    return tf.reduce_mean(tf.square(decoded - target), axis=[1, 2, 3])


FASTGAN = ArchitectureSpec(
    name="fastgan",
    summary="FastGAN: skip-layer excitation and a self-supervised discriminator, for small data.",
    paper=Paper("Towards Faster and Stabilized GAN Training for High-fidelity Few-shot Image "
                "Synthesis", "https://arxiv.org/abs/2101.04775"),
    build_generator=build_generator,
    build_discriminator=build_discriminator,
    # As the paper: Adam(2e-4, beta_1=0.5, beta_2=0.999), batch 8, hinge loss, z of 256. On the
    # colour-folder benchmark batch 8 drew faces with eyes and mouths in 30 minutes of a 2-core
    # CPU (about 4,800 steps) where batch 16 took 3,500-4,000 steps and 38-44 minutes; 5,000 steps
    # take about half an hour there (docs/training.md, "Training on your own pictures").
    defaults=Defaults(latent_dim=256, batch_size=8, loss="hinge", generator_lr=2e-4,
                      discriminator_lr=2e-4, beta_1=0.5, beta_2=0.999, steps=5000,
                      image_size=64),
    image_sizes=SIZES,
    self_supervised_loss=reconstruction_loss,
)


@hookimpl
def ganzoo_architectures() -> list[ArchitectureSpec]:
    return [FASTGAN]
