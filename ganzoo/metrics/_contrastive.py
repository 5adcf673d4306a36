"""A feature network for data without labels, trained by instance discrimination.

Two augmented views of each real image should land near each other and far from every other
image: the contrastive (NT-Xent) objective of SimCLR (Chen et al. 2020, "A Simple Framework for
Contrastive Learning of Visual Representations", https://arxiv.org/abs/2002.05709, official
code https://github.com/google-research/simclr), a form of Dosovitskiy et al.'s (2014)
instance discrimination. The trunk is the domain network's (`_features.encoder`); a 2-layer
projection head is trained on top and dropped, as in SimCLR, so the features are the trunk's
128 ReLU units.

Deviations from SimCLR, named: views are made by ganzoo's own differentiable augmentations
(x-flip, translation by up to 1/8 of the side, DiffAugment's colour jitter and a cutout of a
quarter of the side) instead of random resized crops with colour distortion and blur; batch 64
and temperature 0.5 (SimCLR's CIFAR-10 setting) on a small network.

Deterministic like the domain network (seeded initializers, a numpy generator for batches and
augmentation randoms, TensorFlow op determinism while training) and cached by a fingerprint of
the recipe and the images. Its self-check, reported where the domain network reports held-out
accuracy: the share of held-out images whose second view is the nearest neighbour of their
first among all held-out views (top-1 retrieval).
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from pathlib import Path

import numpy as np

from ganzoo.errors import DataError
from ganzoo.metrics._features import (DOMAIN_BATCH, DOMAIN_HELD_OUT, FeatureNetwork,
                                      _op_determinism, _read_info, _write_cache, cache_dir,
                                      encoder, shuffled_batches)

CONTRASTIVE_VERSION = 1
CONTRASTIVE_EPOCHS = 30
CONTRASTIVE_MAX_STEPS = 1500
TEMPERATURE = 0.5
PROJECTION = 64
SEED = 0
_RANDOMS = 9  # per view: flip, shift y, shift x, brightness, saturation, contrast, cutout y, x, on


def _recipe(epochs: int) -> str:
    return (f"contrastive-cnn-v{CONTRASTIVE_VERSION};epochs={epochs};"
            f"max_steps={CONTRASTIVE_MAX_STEPS};batch={DOMAIN_BATCH};held_out={DOMAIN_HELD_OUT};"
            f"temperature={TEMPERATURE};projection={PROJECTION};seed={SEED}")


def contrastive_fingerprint(images: np.ndarray, epochs: int = CONTRASTIVE_EPOCHS) -> str:
    digest = hashlib.sha256(f"{_recipe(epochs)};shape={images.shape[1:]};".encode())
    digest.update(np.ascontiguousarray(images, np.uint8).tobytes())
    return digest.hexdigest()


def contrastive_network(images: np.ndarray, *, source: str = "the data",
                        epochs: int = CONTRASTIVE_EPOCHS,
                        cache: str | os.PathLike | None = None,
                        progress: bool = False) -> FeatureNetwork:
    """The label-free feature network of these real images: from the cache, else trained now.

    Args:
        images: uint8 ``[n, height, width, channels]`` real images, in a shuffled order (the
            last 20 % are held out for the retrieval check).
        source: the data's name, for messages.
        epochs: passes over the training part (capped at `CONTRASTIVE_MAX_STEPS` updates).
        cache: cache folder (default `cache_dir()`).
        progress: print what happens to stderr.
    """
    images = np.ascontiguousarray(images, np.uint8)
    held_out = max(2, int(round(len(images) * DOMAIN_HELD_OUT)))
    if len(images) - held_out < DOMAIN_BATCH // 4:
        raise DataError(f"The label-free feature network needs at least "
                        f"{DOMAIN_BATCH // 4 + 2} images to train and check itself; "
                        f"{source!r} has {len(images)}.")
    fingerprint = contrastive_fingerprint(images, epochs)
    folder = Path(cache or cache_dir()) / "features" / f"contrastive-{fingerprint[:16]}"
    name = f"contrastive-cnn-v{CONTRASTIVE_VERSION}"
    model, head = _build(images.shape[1:])
    info = _read_info(folder, fingerprint)
    if info is None:
        if progress:
            print(f"Training the label-free feature network on {len(images) - held_out} images "
                  f"of {source} (once; cached in {folder})...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        retrieval, scale = _train(model, head, images, held_out, epochs, progress)
        info = {"fingerprint": fingerprint, "name": name, "recipe": _recipe(epochs),
                "image_shape": list(images.shape[1:]), "num_classes": 0,
                "train_count": len(images) - held_out, "held_out_count": held_out,
                "held_out_accuracy": retrieval, "feature_scale": scale, "source": source,
                "seconds": round(time.perf_counter() - started, 1)}
        _write_cache(folder, model, info)
        if progress:
            print(f"Label-free feature network: held-out view retrieval "
                  f"{100 * retrieval:.1f} % ({info['seconds']:.0f} s).", file=sys.stderr,
                  flush=True)
    else:
        model.load_weights(folder / "model.weights.h5")
    return FeatureNetwork(name, fingerprint, tuple(images.shape[1:]), 0,
                          _scaled(model, info["feature_scale"]),
                          float(info["held_out_accuracy"]), int(info["held_out_count"]),
                          source=str(info.get("source", source)),
                          version=str(CONTRASTIVE_VERSION))


def _scaled(model, feature_scale: float):
    """Features scaled to a root mean square of 1 over the training images (as the domain
    network's, for KID's kernel)."""
    import keras

    return keras.Model(model.inputs, keras.layers.Rescaling(float(feature_scale))(model.output))


def _build(image_shape):
    """The trunk (image -> features) and the projection head (features -> unit vectors)."""
    import keras

    seeds = iter(range(SEED * 1000 + 500, SEED * 1000 + 600))
    image = keras.Input(image_shape, name="image")
    trunk = keras.Model(image, encoder(image, seeds), name="contrastive_cnn")
    features = keras.Input((trunk.output.shape[-1],), name="features")
    x = keras.layers.Dense(trunk.output.shape[-1], activation="relu",
                           kernel_initializer=keras.initializers.HeNormal(next(seeds)))(features)
    x = keras.layers.Dense(PROJECTION,
                           kernel_initializer=keras.initializers.GlorotUniform(next(seeds)))(x)
    x = keras.layers.UnitNormalization()(x)
    return trunk, keras.Model(features, x, name="projection")


def _views(images, randoms):
    """Augmented float views in [0, 255] of uint8-valued float images."""
    import tensorflow as tf

    from ganzoo import augmentations as aug

    x = images / 127.5 - 1.0
    flip = tf.reshape(randoms[:, 0] < 0.5, [-1, 1, 1, 1])
    x = tf.where(flip, tf.reverse(x, [2]), x)
    limit = max(1, int(x.shape[1] * aug.TRANSLATION + 0.5))
    shifts = [tf.cast(tf.floor(randoms[:, i] * (2 * limit + 1)), tf.int32) - limit for i in (1, 2)]
    x = aug.translate(x, shifts[0], shifts[1], limit)
    x = aug.brightness(x, randoms[:, 3] - 0.5)
    x = aug.saturation(x, randoms[:, 4] * 2.0)
    x = aug.contrast(x, randoms[:, 5] + 0.5)
    cut = aug.cutout(x, randoms[:, 6], randoms[:, 7], size=0.25)
    x = tf.where(tf.reshape(randoms[:, 8] < 0.5, [-1, 1, 1, 1]), cut, x)
    return (tf.clip_by_value(x, -1.0, 1.0) + 1.0) * 127.5


def nt_xent(a, b, temperature: float = TEMPERATURE):
    """SimCLR's NT-Xent loss for unit vectors `a`, `b` of paired views (the shipped network's
    recipe trains with it too)."""
    import tensorflow as tf

    both = tf.concat([a, b], 0)
    count = tf.shape(a)[0]
    similarity = tf.matmul(both, both, transpose_b=True) / temperature
    similarity -= 1e9 * tf.eye(2 * count)
    targets = tf.concat([tf.range(count, 2 * count), tf.range(count)], 0)
    return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(targets, similarity))


def _train(trunk, head, images: np.ndarray, held_out: int, epochs: int,
           progress: bool = False) -> tuple[float, float]:
    """Train; return the held-out top-1 view retrieval and 1 / RMS of the training features."""
    import keras
    import tensorflow as tf
    from tqdm import tqdm

    train_x = images[:-held_out]
    batch = min(DOMAIN_BATCH, len(train_x))
    variables = trunk.trainable_variables + head.trainable_variables
    optimizer = keras.optimizers.Adam(1e-3)
    optimizer.build(variables)

    @tf.function
    def step(x, randoms_a, randoms_b):
        with tf.GradientTape() as tape:
            a = head(trunk(_views(x, randoms_a), training=True), training=True)
            b = head(trunk(_views(x, randoms_b), training=True), training=True)
            loss = nt_xent(a, b)
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))

    # One generator draws each pass's order and, between them, each step's augmentation randoms.
    rng = np.random.default_rng(SEED)
    # Minutes at 64 px and more (22 min for 3,600 colour images on 2 cores): show how far.
    total = min(epochs * (len(train_x) // batch), CONTRASTIVE_MAX_STEPS)
    bar = tqdm(total=total, disable=not progress, file=sys.stderr, unit="step",
               desc="label-free features", leave=False)
    with _op_determinism(), bar:
        for chosen in shuffled_batches(rng, len(train_x), batch, epochs, CONTRASTIVE_MAX_STEPS):
            randoms = rng.random((2, batch, _RANDOMS), dtype=np.float32)
            step(tf.constant(train_x[chosen], tf.float32), tf.constant(randoms[0]),
                 tf.constant(randoms[1]))
            bar.update()
        check = np.random.default_rng(SEED + 1).random((2, held_out, _RANDOMS), dtype=np.float32)
        rest = tf.constant(images[-held_out:], tf.float32)
        first, second = (np.asarray(trunk(_views(rest, tf.constant(r)), training=False))
                         for r in check)
    first = first / np.maximum(np.linalg.norm(first, axis=1, keepdims=True), 1e-12)
    second = second / np.maximum(np.linalg.norm(second, axis=1, keepdims=True), 1e-12)
    retrieval = float(np.mean((first @ second.T).argmax(axis=1) == np.arange(held_out)))
    features = np.concatenate([np.asarray(trunk(tf.constant(images[i:i + 512], tf.float32),
                                                training=False), np.float64)
                               for i in range(0, len(train_x), 512)])[:len(train_x)]
    return retrieval, float(1.0 / max(np.sqrt(np.mean(features ** 2)), 1e-12))
