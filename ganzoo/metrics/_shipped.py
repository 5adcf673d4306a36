"""The shipped feature network: one versioned ruler for every picture folder.

A small convolutional network that ships inside the package (``weights/``), trained once by
``recipes/shipped_features/train.py`` on a broad pool of pictures of many styles (emoji and icon
sets, flags, logos, photographs; ``recipes/shipped_features/pool.py`` lists every source and its
licence) that holds none of the benchmark domains and none of the sets reserved for independent
checks. Because every folder is embedded by the same weights, figures compare across folders,
runs and machines, and ``ganzoo eval`` starts in seconds instead of training a network first.

Trained by SimCLR's contrastive objective (Chen et al. 2020, "A Simple Framework for
Contrastive Learning of Visual Representations", https://arxiv.org/abs/2002.05709, official
code https://github.com/google-research/simclr) with views that keep colour and fine detail:
random crops, flips and small translations, no colour jitter and no blur (SimCLR's own views
distort colour and blur, which would teach the ruler not to see colour shifts and blur).

Input: any uint8 picture. Grey pictures are repeated to RGB; every picture is resized to
`SIZE` x `SIZE` by ``tf.image.resize(method="bilinear", antialias=True)`` (an area-weighted
filter when shrinking, bilinear when enlarging): the one resize of this feature space.
Features: the global averages of the last two stages (8x8 and 4x4 maps), concatenated, scaled
to a root mean square of 1 over the training pool (as ganzoo's other networks, for KID).
"""

from __future__ import annotations

import hashlib
import json
from importlib import resources

from ganzoo.metrics._features import FeatureNetwork, FeatureNetworkError

__all__ = ["NAME", "SIZE", "VERSION", "build_trunk", "fingerprint", "shipped_network"]

NAME = "ganzoo-features"
VERSION = 1
SIZE = 64
WIDTHS = (16, 32, 64, 128, 256)  # at 64, 32, 16, 8 and 4 pixels
_WEIGHTS = f"{NAME}-v{VERSION}.weights.h5"
_INFO = f"{NAME}-v{VERSION}.json"


def build_trunk(seed: int = 0):
    """The network, from RGB float pictures in [0, 255] at `SIZE` to its features (unscaled).

    A 3x3 convolution at full size, then per stage a stride-2 3x3 convolution and (but the
    last) a 3x3 one, each with batch norm and ReLU.
    """
    import keras
    from keras import layers

    seeds = iter(range(seed * 1000, seed * 1000 + 100))

    def conv(x, width, strides=1):
        x = layers.Conv2D(width, 3, strides=strides, padding="same", use_bias=False,
                          kernel_initializer=keras.initializers.HeNormal(next(seeds)))(x)
        return layers.ReLU()(layers.BatchNormalization()(x))

    image = keras.Input((SIZE, SIZE, 3), name="image")
    x = conv(layers.Rescaling(1 / 127.5, -1.0)(image), WIDTHS[0])
    pooled = []
    for stage, width in enumerate(WIDTHS[1:], start=1):
        x = conv(x, width, strides=2)
        if stage < len(WIDTHS) - 1:
            x = conv(x, width)
        if stage >= len(WIDTHS) - 2:
            pooled.append(layers.GlobalAveragePooling2D()(x))
    return keras.Model(image, layers.Concatenate(name="features")(pooled), name=NAME)


def preprocess(images):
    """uint8-valued float NHWC pictures of any size and 1 or 3 channels -> `SIZE` RGB."""
    import tensorflow as tf

    if images.shape[-1] == 1:
        images = tf.image.grayscale_to_rgb(images)
    if images.shape[1] != SIZE or images.shape[2] != SIZE:
        images = tf.image.resize(images, [SIZE, SIZE], method="bilinear", antialias=True)
    return images


def _files():
    folder = resources.files("ganzoo.metrics") / "weights"
    return folder / _WEIGHTS, folder / _INFO


def fingerprint() -> str:
    """SHA-256 of the shipped weights file and of its description, which every report prints:
    two reports with one fingerprint used the same ruler."""
    weights, info_file = _files()
    digest = hashlib.sha256(weights.read_bytes())
    digest.update(info_file.read_text(encoding="utf-8").encode())
    return digest.hexdigest()


def shipped_network(batch_size: int = 256) -> FeatureNetwork:
    """The feature network that ships with ganzoo (`NAME` v`VERSION`), for pictures of any
    size.

    Its fingerprint is the SHA-256 of its weights file and of its description (feature scale,
    training record), so two reports with one fingerprint used the same ruler.

    Raises:
        FeatureNetworkError: the weights are missing from the installation.
    """
    import keras

    weights, info_file = _files()
    try:
        info, digest = json.loads(info_file.read_text(encoding="utf-8")), fingerprint()
    except OSError as error:
        raise FeatureNetworkError(
            f"The shipped feature network's files are missing from this installation "
            f"({weights}). Reinstall ganzoo, or use --features domain.") from error
    trunk = build_trunk()
    with resources.as_file(weights) as path:
        trunk.load_weights(path)
    scaled = keras.layers.Rescaling(float(info["feature_scale"]))(trunk.output)
    return FeatureNetwork(f"{NAME}-v{VERSION}", digest, None, 0,
                          keras.Model(trunk.inputs, scaled),
                          held_out_accuracy=info.get("held_out_view_retrieval"),
                          held_out_count=int(info.get("held_out_count", 0)), batch_size=batch_size,
                          source=str(info.get("pool", "the shipped pool")),
                          preprocess=preprocess, version=str(VERSION))
