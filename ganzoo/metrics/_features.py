"""Feature networks: images in, features (and class probabilities) out, for the metrics.

Two kinds:

- ``domain``: a small convolutional classifier that ganzoo trains, deterministically, on the
  labelled real images of the run's data at the run's image shape; features are its
  penultimate layer. It works offline on any labelled data and is cached by a fingerprint of
  the data and of the network's recipe, so every run on the same data is scored in the same
  feature space. Its figures are comparable between ganzoo runs, not with published numbers.
- ``inception``: Keras' InceptionV3 with ImageNet weights, 2048 pool features (the network of
  the FID and KID papers; Keras' weights, not the 2015 TF graph of the reference FID code, so
  figures are close to but not identical with published ones). Unless cached, the
  feature-only weights are fetched on first use into Keras' cache, as `keras.applications`
  does.
"""

from __future__ import annotations

import hashlib
import http.client
import itertools
import json
import os
import shutil
import sys
import time
import urllib.error
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from ganzoo.errors import DataError, GanzooError

if TYPE_CHECKING:
    import keras

__all__ = ["DOMAIN_EPOCHS", "Embedding", "FeatureNetwork", "FeatureNetworkError", "cache_dir",
           "domain_network", "inception_network", "inception_weights_dir"]

# Bump when the domain network's architecture or training recipe changes: the version is
# part of the fingerprint, so old caches are not reused for a different feature space.
DOMAIN_VERSION = 1
# 10 epochs reach 98.9 % held-out accuracy on digits at 28x28 (360 held-out images); 15 leave
# a margin. Large data sets are capped by DOMAIN_MAX_STEPS instead.
DOMAIN_EPOCHS = 15
DOMAIN_MAX_STEPS = 1500
DOMAIN_BATCH = 64
DOMAIN_HELD_OUT = 0.2
DOMAIN_FEATURES = 128
DOMAIN_SEED = 0
# Below this held-out accuracy the report says the features may miss differences.
WEAK_CLASSIFIER = 0.9

# Where keras.applications.inception_v3 fetches its ImageNet weights from, and the MD5 hash it
# passes to get_file for the feature-only file: the same hash refuses a corrupt or partial
# download here as it would there. Tests point INCEPTION_URL at a local server.
INCEPTION_URL = "https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/"
INCEPTION_TOP = "inception_v3_weights_tf_dim_ordering_tf_kernels.h5"
INCEPTION_NOTOP = "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"
INCEPTION_NOTOP_HASH = "bcbd6486424b2319ff4ef7d526e38f63"
# For messages: 21.8 M float32 parameters and HDF5's overhead (Keras 3 writes them in 84.0 MiB).
INCEPTION_NOTOP_MIB = 84
INCEPTION_SIZE = 299


class FeatureNetworkError(GanzooError):
    """A feature network is unavailable (missing weights, no labels) or does not fit the run."""


class Embedding(NamedTuple):
    """What a feature network makes of a batch of images."""

    features: np.ndarray
    probabilities: np.ndarray | None


def cache_dir() -> Path:
    """Where trained feature networks and reference statistics are kept: ``$GANZOO_CACHE``,
    else ``~/.cache/ganzoo``."""
    return Path(os.environ.get("GANZOO_CACHE") or Path.home() / ".cache" / "ganzoo").expanduser()


@dataclass
class FeatureNetwork:
    """A network that maps uint8 images to features and, if it has one, to class probabilities.

    Attributes:
        name: what it is, e.g. ``domain-cnn-v1`` or ``inception-v3``.
        fingerprint: SHA-256 (hex) identifying the network. For InceptionV3, the hash of its
            weights file; for the domain network, the hash of its recipe and training data (it
            is the cache key, known before training), whose deterministic training gives the
            same weights on the same machine and TensorFlow version.
        image_shape: the ``(height, width, channels)`` it takes; None for any (it resizes).
        version: the version of its recipe (or of its weights), which reports print beside
            the fingerprint.
        num_classes: outputs of its classifier, 0 when it has none.
        held_out_accuracy: for a classifier trained by ganzoo, its accuracy on real images it
            did not see in training (the ceiling of class consistency), with their count.
        model: a Keras model from float32 images in [0, 255] (after `preprocess`, if given)
            to ``[features, probabilities]`` or ``[features]``.
    """

    name: str
    fingerprint: str
    image_shape: tuple[int, int, int] | None
    num_classes: int
    model: keras.Model
    held_out_accuracy: float | None = None
    held_out_count: int = 0
    batch_size: int = 256
    source: str = ""
    preprocess: Callable | None = None
    version: str = ""

    @property
    def short_fingerprint(self) -> str:
        return self.fingerprint[:12]

    def describe(self) -> str:
        text = f"{self.name} (fingerprint {self.short_fingerprint})"
        if self.held_out_accuracy is not None:
            text += ", " + held_out_check(self.name, self.held_out_accuracy, self.held_out_count)
        return text

    def check_image_shape(self, image_shape: tuple[int, int, int]) -> None:
        """Raise `FeatureNetworkError` unless the network takes images of `image_shape`."""
        if self.image_shape is not None and tuple(image_shape) != tuple(self.image_shape):
            raise FeatureNetworkError(
                f"The feature network {self.name} ({self.short_fingerprint}) takes images of "
                f"shape {tuple(self.image_shape)}, but the images to score have shape "
                f"{tuple(image_shape)}. Use the domain network of this run's data (the default) "
                f"or --features inception, which resizes any image.")

    def embed(self, images: np.ndarray) -> Embedding:
        """Features (float64) and class probabilities of uint8 NHWC images."""
        import tensorflow as tf

        images = np.asarray(images)
        if images.dtype != np.uint8 or images.ndim != 4:
            raise ValueError(f"Expected uint8 images [n, height, width, channels]. Received: "
                             f"dtype={images.dtype}, shape={images.shape}.")
        self.check_image_shape(images.shape[1:])
        features, probabilities = [], []
        for start in range(0, len(images), self.batch_size):
            batch = tf.constant(images[start:start + self.batch_size], tf.float32)
            if self.preprocess is not None:
                batch = self.preprocess(batch)
            outputs = self.model(batch, training=False)
            outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
            features.append(np.asarray(outputs[0], np.float64))
            if len(outputs) > 1:
                probabilities.append(np.asarray(outputs[1], np.float64))
        return Embedding(np.concatenate(features),
                         np.concatenate(probabilities) if probabilities else None)


def held_out_check(name: str, figure: float, count: int) -> str:
    """A network's held-out figure in words: a classifier's accuracy, or for the label-free
    network the share of held-out images whose two views find each other."""
    label_free = name.startswith(("contrastive", "ganzoo-features"))
    check = "held-out view retrieval" if label_free else "held-out accuracy"
    return f"{check} {100 * figure:.1f} % on {count} real images"


# --- the domain network ------------------------------------------------------------------------

def _domain_recipe(epochs: int) -> str:
    return (f"domain-cnn-v{DOMAIN_VERSION};epochs={epochs};max_steps={DOMAIN_MAX_STEPS};"
            f"batch={DOMAIN_BATCH};held_out={DOMAIN_HELD_OUT};features={DOMAIN_FEATURES};"
            f"seed={DOMAIN_SEED}")


def _build_domain_model(image_shape: tuple[int, int, int], num_classes: int) -> keras.Model:
    """Conv-conv-pool blocks down to about 7x7, a 128-unit ReLU layer (the features), logits.

    Every initializer and dropout layer has its own seed, so building and training the network
    neither reads nor advances Keras' global random state (a training run evaluating itself
    stays bit-for-bit reproducible).
    """
    import keras

    seeds = iter(range(DOMAIN_SEED * 1000, DOMAIN_SEED * 1000 + 100))
    image = keras.Input(image_shape, name="image")
    features = encoder(image, seeds)
    x = keras.layers.Dropout(0.3, seed=next(seeds))(features)
    logits = keras.layers.Dense(num_classes, name="logits",
                                kernel_initializer=keras.initializers.GlorotUniform(next(seeds)))(x)
    return keras.Model(image, [features, logits], name="domain_cnn")


def encoder(image, seeds) -> keras.KerasTensor:
    """The domain network's trunk, up to its `DOMAIN_FEATURES` ReLU features; `seeds` yields a
    seed per initializer and dropout layer. The label-free network shares it."""
    import keras

    x = keras.layers.Rescaling(1 / 127.5, -1.0)(image)
    blocks, side = 0, image.shape[1]
    while blocks < 2 or side > 8:
        blocks, side = blocks + 1, side // 2
        for _ in range(2):
            x = keras.layers.Conv2D(32 * 2 ** min(blocks - 1, 2), 3, padding="same",
                                    activation="relu",
                                    kernel_initializer=keras.initializers.HeNormal(next(seeds)))(x)
        x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dropout(0.3, seed=next(seeds))(x)
    return keras.layers.Dense(DOMAIN_FEATURES, activation="relu", name="features",
                              kernel_initializer=keras.initializers.HeNormal(next(seeds)))(x)


def _with_probabilities(model: keras.Model, feature_scale: float) -> keras.Model:
    """Features scaled to a root mean square of 1 over the training images, and probabilities.

    The scale makes ``x·y / dim`` about 1, as for Inception features, which KID's polynomial
    kernel assumes; FID and the k-NN metrics do not depend on it beyond a common factor.
    """
    import keras

    features, logits = model.outputs
    return keras.Model(model.inputs, [keras.layers.Rescaling(feature_scale)(features),
                                      keras.layers.Softmax()(logits)])


def domain_fingerprint(images: np.ndarray, labels: np.ndarray, num_classes: int,
                       epochs: int = DOMAIN_EPOCHS) -> str:
    """SHA-256 of the recipe, the image shape, the uint8 images and the labels."""
    digest = hashlib.sha256()
    digest.update(f"{_domain_recipe(epochs)};shape={images.shape[1:]};"
                  f"classes={num_classes};".encode())
    digest.update(np.ascontiguousarray(images, np.uint8).tobytes())
    digest.update(np.asarray(labels, np.int64).tobytes())
    return digest.hexdigest()


def domain_network(images: np.ndarray, labels: np.ndarray | None, num_classes: int, *,
                   source: str = "the data", epochs: int = DOMAIN_EPOCHS,
                   cache: str | os.PathLike | None = None,
                   progress: bool = False) -> FeatureNetwork:
    """The domain feature network of these labelled images: from the cache, else trained now.

    Training is deterministic: a fixed split (the last 20 % of the images are held out; pass
    them in a shuffled order), seeded initializers, dropout and batch order, and TensorFlow op
    determinism while it trains. The fingerprint covers the images, labels, image shape and
    the recipe (`DOMAIN_VERSION`, `epochs`, ...), so equal data gives the same network.

    Args:
        images: uint8 ``[n, height, width, channels]`` real images, in a shuffled order.
        labels: one class per image; required (a classifier needs labels).
        num_classes: number of classes.
        source: the data's name, for messages.
        epochs: passes over the training part (capped at `DOMAIN_MAX_STEPS` updates). Fewer
            give a weaker network with its own fingerprint (the tests use 1).
        cache: cache folder (default `cache_dir()`).
        progress: print what happens to stderr.

    Raises:
        FeatureNetworkError: the data has no labels or fewer than 2 classes.
    """
    if labels is None or num_classes < 2:
        raise FeatureNetworkError(
            f"The domain feature network is a classifier trained on the data's labels, and "
            f"{source!r} has {'none' if labels is None else f'{num_classes} class'}. Give "
            f"labelled data (one subfolder per class, or 'y' in an .npz), or use --features "
            f"inception with its ImageNet weights.")
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1. Received: epochs={epochs}.")
    images = np.ascontiguousarray(images, np.uint8)
    labels = np.asarray(labels, np.int64)
    held_out = max(1, int(round(len(images) * DOMAIN_HELD_OUT)))
    if len(images) - held_out < num_classes:
        raise DataError(f"The domain feature network needs more labelled images than "
                        f"{len(images)} in {source!r} to train and measure a classifier.")
    fingerprint = domain_fingerprint(images, labels, num_classes, epochs)
    folder = Path(cache or cache_dir()) / "features" / f"domain-{fingerprint[:16]}"
    name = f"domain-cnn-v{DOMAIN_VERSION}"
    model = _build_domain_model(images.shape[1:], num_classes)
    info = _read_info(folder, fingerprint)
    if info is None:
        if progress:
            print(f"Training the domain feature network on {len(images) - held_out} labelled "
                  f"images of {source} (once; cached in {folder})...", file=sys.stderr,
                  flush=True)
        started = time.perf_counter()
        accuracy, feature_scale = _train_domain_model(model, images, labels, held_out, epochs)
        info = {"fingerprint": fingerprint, "name": name, "recipe": _domain_recipe(epochs),
                "image_shape": list(images.shape[1:]), "num_classes": num_classes,
                "train_count": len(images) - held_out, "held_out_count": held_out,
                "held_out_accuracy": accuracy, "feature_scale": feature_scale,
                "source": source,
                "seconds": round(time.perf_counter() - started, 1)}
        _write_cache(folder, model, info)
        if progress:
            print(f"Domain feature network: held-out accuracy {100 * accuracy:.1f} % "
                  f"({info['seconds']:.0f} s).", file=sys.stderr, flush=True)
    else:
        model.load_weights(folder / "model.weights.h5")
    return FeatureNetwork(name, fingerprint, tuple(images.shape[1:]), num_classes,
                          _with_probabilities(model, float(info["feature_scale"])),
                          float(info["held_out_accuracy"]),
                          int(info["held_out_count"]), source=str(info.get("source", source)),
                          version=str(DOMAIN_VERSION))


def _read_info(folder: Path, fingerprint: str) -> dict | None:
    try:
        info = json.loads((folder / "info.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    if info.get("fingerprint") != fingerprint or not (folder / "model.weights.h5").is_file():
        return None
    return info


def _write_cache(folder: Path, model: keras.Model, info: dict) -> None:
    """Write into a temporary folder, then rename: a crash never leaves a half-written cache."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    temporary = folder.with_name(f".{folder.name}.{os.getpid()}.tmp")
    shutil.rmtree(temporary, ignore_errors=True)
    temporary.mkdir()
    model.save_weights(temporary / "model.weights.h5")
    (temporary / "info.json").write_text(json.dumps(info, indent=2), encoding="utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    try:
        os.replace(temporary, folder)
    except OSError:  # another process cached the same network first
        shutil.rmtree(temporary, ignore_errors=True)


def _train_domain_model(model: keras.Model, images: np.ndarray, labels: np.ndarray,
                        held_out: int, epochs: int) -> tuple[float, float]:
    """Train; return the held-out accuracy and 1 / RMS of the training images' features."""
    import keras
    import tensorflow as tf

    train_x, train_y = images[:-held_out], labels[:-held_out]
    optimizer = keras.optimizers.Adam(1e-3)
    optimizer.build(model.trainable_variables)

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            _, logits = model(x, training=True)
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, logits))
        optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables),
                                      model.trainable_variables))

    batches = shuffled_batches(np.random.default_rng(DOMAIN_SEED), len(train_x), DOMAIN_BATCH,
                               epochs, DOMAIN_MAX_STEPS)
    with _op_determinism():
        for batch in batches:
            step(tf.constant(train_x[batch], tf.float32), tf.constant(train_y[batch]))
    squares, values, predictions = 0.0, 0, []
    for start in range(0, len(images), 512):
        features, logits = model(tf.constant(images[start:start + 512], tf.float32),
                                 training=False)
        if start < len(train_x):
            part = np.asarray(features, np.float64)[:max(0, len(train_x) - start)]
            squares, values = squares + float((part ** 2).sum()), values + part.size
        predictions.append(np.asarray(logits).argmax(1))
    accuracy = (np.concatenate(predictions)[-held_out:] == labels[-held_out:]).mean()
    return float(accuracy), float(1.0 / max(np.sqrt(squares / max(values, 1)), 1e-12))


def shuffled_batches(rng: np.random.Generator, count: int, batch: int, epochs: int,
                     limit: int) -> Iterator[np.ndarray]:
    """Indices of `batch` examples at a time, at most `limit` batches: `epochs` passes over
    `count` examples, each in a fresh order from `rng` (drawn as the pass starts) and dropping
    its remainder."""
    def passes() -> Iterator[np.ndarray]:
        for _ in range(epochs):
            order = rng.permutation(count)
            for start in range(0, count - batch + 1, batch):
                yield order[start:start + batch]

    return itertools.islice(passes(), limit)


class _op_determinism:
    """Turn TensorFlow op determinism on for a block, and back off if it was off before."""

    def __enter__(self) -> None:
        import tensorflow as tf

        try:
            from tensorflow.python.framework import config as tf_config

            self.was_on = tf_config.is_op_determinism_enabled()
            self.turn_off = tf_config.disable_op_determinism
        except (ImportError, AttributeError):  # private API moved: leave determinism on
            self.was_on, self.turn_off = True, None
        tf.config.experimental.enable_op_determinism()

    def __exit__(self, *exc) -> None:
        if not self.was_on and self.turn_off is not None:
            self.turn_off()


# --- InceptionV3 -------------------------------------------------------------------------------

def inception_weights_dir() -> Path:
    """Keras' model cache: ``$KERAS_HOME/models``, default ``~/.keras/models``."""
    home = os.environ.get("KERAS_HOME") or Path.home() / ".keras"
    return Path(home).expanduser() / "models"


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 22), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _has_classifier(path: Path) -> bool:
    """Whether an .h5 weights file (legacy or Keras 3) holds the `predictions` layer."""
    import h5py

    names: list[str] = []
    with h5py.File(path, "r") as file:
        file.visit(names.append)
    return any("predictions" in name.split("/") for name in names)


def inception_network(weights: str | os.PathLike | None = None,
                      batch_size: int = 32) -> FeatureNetwork:
    """InceptionV3 pool features (2048) and, with the full weights, ImageNet probabilities.

    Images are resized to 299x299 (bilinear), grayscale is repeated to RGB, and pixels are
    scaled to [-1, 1], as Keras' `inception_v3.preprocess_input` does.

    Args:
        weights: a weights file (.h5 or .weights.h5) of ``InceptionV3(include_top=True)`` or of
            ``InceptionV3(include_top=False)``. Default: Keras' cache (`inception_weights_dir`),
            the full weights (`INCEPTION_TOP`) if present, else the feature-only ones
            (`INCEPTION_NOTOP`), which are downloaded there on first use (84 MiB, with
            ``keras.utils.get_file`` and Keras' hash, as ``keras.applications`` does) unless
            ``GANZOO_OFFLINE=1``.

    Raises:
        FeatureNetworkError: the given file is missing or is not InceptionV3's weights, or the
            default weights are not cached and cannot be downloaded (the message names the URL,
            the file and the folder to place it in).
    """
    import keras

    path = _inception_weights_path(weights)
    top = _has_classifier(path)
    try:
        if top:
            full = keras.applications.InceptionV3(include_top=True, weights=str(path))
            core = keras.Model(full.inputs, [full.get_layer("avg_pool").output, full.output])
        else:
            core = keras.applications.InceptionV3(include_top=False, weights=str(path),
                                                  pooling="avg")
    except (ValueError, OSError, KeyError) as error:
        raise FeatureNetworkError(f"{str(path)!r} does not hold InceptionV3 weights that Keras "
                                  f"can load: {error}") from error
    return FeatureNetwork("inception-v3" + ("" if top else "-notop"), _file_sha256(path), None,
                          1000 if top else 0, core, batch_size=batch_size, source=str(path),
                          preprocess=_inception_preprocess, version="keras-imagenet")


def _inception_preprocess(images):
    import tensorflow as tf

    images = tf.image.resize(images, [INCEPTION_SIZE, INCEPTION_SIZE], method="bilinear")
    if images.shape[-1] == 1:
        images = tf.image.grayscale_to_rgb(images)
    return images / 127.5 - 1.0


def _inception_weights_path(weights: str | os.PathLike | None) -> Path:
    if weights is not None:
        path = Path(weights).expanduser()
        if not path.is_file():
            raise FeatureNetworkError(f"InceptionV3 weights file {str(path)!r} does not exist. "
                                      f"Received: inception_weights={str(weights)!r}.")
        return path
    folder = inception_weights_dir()
    for name in (INCEPTION_TOP, INCEPTION_NOTOP):
        if (folder / name).is_file():
            return folder / name
    return _download_inception_notop(folder)


def _download_inception_notop(folder: Path) -> Path:
    """Fetch `INCEPTION_NOTOP` into `folder` through ``keras.utils.get_file``, as
    ``keras.applications`` does; a one-line `FeatureNetworkError` when it cannot."""
    from ganzoo.data.builtin import offline

    if offline():
        raise _inception_unavailable(folder, offline())
    import keras

    url = INCEPTION_URL + INCEPTION_NOTOP
    # get_file writes straight to its target and keeps a file that fails the hash check: a
    # hidden name renamed only once the hash matches means neither a failure nor another
    # process ever finds half a file under the real name.
    partial = folder.absolute() / f".{INCEPTION_NOTOP}.{os.getpid()}.part"
    print(f"Downloading InceptionV3's ImageNet weights ({INCEPTION_NOTOP_MIB} MiB, once) from "
          f"{url} into {folder}/", file=sys.stderr, flush=True)
    try:
        # An absolute cache_subdir: Keras reads KERAS_HOME once, at import, and falls back to
        # /tmp/.keras when it is not writable; the file must land where the lookup looks.
        keras.utils.get_file(partial.name, url, file_hash=INCEPTION_NOTOP_HASH,
                             cache_subdir=str(partial.parent))
        os.replace(partial, folder / INCEPTION_NOTOP)
    except Exception as error:
        # get_file re-raises HTTP and URL errors as a bare Exception (the original is its
        # __context__) and a hash mismatch as ValueError.
        if type(error) is not Exception and not isinstance(
                error, (OSError, ValueError, http.client.HTTPException)):
            raise
        raise _inception_unavailable(folder, _download_failure(error)) from error
    finally:
        partial.unlink(missing_ok=True)
    return folder / INCEPTION_NOTOP


def _download_failure(error: Exception) -> str:
    cause = error.__context__ if type(error) is Exception and error.__context__ else error
    if isinstance(cause, urllib.error.HTTPError):
        return f"HTTP {cause.code} {cause.reason}"
    if isinstance(cause, urllib.error.URLError):
        return str(cause.reason)
    if isinstance(cause, ValueError):
        return (f"the file's MD5 hash is not {INCEPTION_NOTOP_HASH}, so it is corrupt or "
                f"incomplete")
    return f"{type(cause).__name__}: {cause}"


def _inception_unavailable(folder: Path, reason: str) -> FeatureNetworkError:
    return FeatureNetworkError(
        f"InceptionV3's ImageNet weights are not in {folder}/ and could not be downloaded "
        f"({reason}). Download {INCEPTION_URL}{INCEPTION_NOTOP} ({INCEPTION_NOTOP_MIB} MiB, "
        f"features only; or {INCEPTION_TOP}, which adds the inception score) and place it in "
        f"{folder}/, or pass a weights file with --inception-weights FILE; or use --features "
        f"domain, which works offline.")
