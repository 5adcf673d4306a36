"""`ImageDataset`: images that stream as endless, shuffled, deterministic batches.

Every source ends here. Each epoch visits every example once, in an order drawn by a stateless
shuffle of ``(seed, epoch)``; batches are cut from the concatenated epochs, so a batch may span
two of them. Because the order is a pure function of the seed, a resumed run can jump to batch
N by arithmetic (skip whole epochs, then a few indices) instead of replaying the stream, and the
order is unaffected by ``tf.random.set_seed`` or by what else the process has drawn.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from ganzoo.errors import DataError, PluginError
from ganzoo.plugin import ArrayData

__all__ = ["ImageDataset", "InMemoryDataset", "check_image_options", "convert_channels", "resize",
           "to_unit_range"]

# Resizing is done in float32; this bounds one chunk to 64 MiB of floats.
_RESIZE_CHUNK_VALUES = 1 << 24


class ImageDataset:
    """A data set of square images, streamed as batches for training.

    Attributes:
        source: the source as the user gave it (a dataset name or a path).
        image_shape: ``(image_size, image_size, channels)`` of every image in a batch.
        num_examples: how many images one epoch visits.
        num_classes: the number of labels, 0 when the data has none.
        class_names: a name per label, or ``()`` when the source does not name them.
        fingerprint: sha256 (hex) of the data as the source holds it (the image bytes and
            labels), so a run can name its data without a path of the training machine and
            tell when the data changed under it.
    """

    fingerprint: str = ""

    def __init__(self, source: str, image_shape: tuple[int, int, int], num_examples: int,
                 num_classes: int, class_names: tuple[str, ...]) -> None:
        self.source = source
        self.image_shape = image_shape
        self.num_examples = num_examples
        self.num_classes = num_classes
        self.class_names = class_names

    def batches(self, batch_size: int, seed: int, skip: int = 0) -> tf.data.Dataset:
        """Endless, deterministic stream of ``(images, labels)`` batches.

        Args:
            batch_size: images per batch; may exceed `num_examples`.
            seed: the same seed gives the same batches, in this process or a fresh one.
            skip: how many batches to leave out at the start, so that a run resuming at step N
                sees the batches it would have seen. Costs at most one epoch of indices.

        Returns:
            A `tf.data.Dataset` of float32 images ``[batch_size, *image_shape]`` in [-1, 1] and
            int32 labels ``[batch_size]`` (zeros when the data has no labels).
        """
        _check_int("batch_size", batch_size, minimum=1)
        _check_int("seed", seed)
        _check_int("skip", skip, minimum=0)
        first_epoch, offset = divmod(skip * batch_size, self.num_examples)
        indices = _shuffled_indices(self.num_examples, seed, first_epoch).skip(offset)
        return self._batches_from_indices(indices, batch_size).prefetch(tf.data.AUTOTUNE)

    def _batches_from_indices(self, indices: tf.data.Dataset, batch_size: int) -> tf.data.Dataset:
        """Turn a stream of example indices into batches of images and labels."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(source={self.source!r}, image_shape={self.image_shape}, "
                f"num_examples={self.num_examples}, num_classes={self.num_classes})")


class InMemoryDataset(ImageDataset):
    """A data set held in memory once, as uint8 already resized to the training size.

    Images are resized and converted once here, not per batch; the stream then gathers batches
    out of that single copy by index. The copy is a CPU variable, not a tensor: tf.data
    serializes the dataset graph when it makes an iterator (for its graph optimizations and
    for ``tf.distribute``), which turns a captured tensor, or `from_tensor_slices` data, into a
    second copy, while a variable is captured by reference. Create the dataset outside a
    distribution strategy's scope, or the variable is mirrored on every device.
    """

    def __init__(self, source: str, data: ArrayData, image_size: int,
                 channels: int | None = None) -> None:
        images, labels = _checked_arrays(source, data)
        self.fingerprint = array_fingerprint(images, labels, data.class_names)
        channels = channels or min(images.shape[-1], 3)
        num_classes = 0 if labels is None else max(len(data.class_names), int(labels.max()) + 1)
        super().__init__(source, (image_size, image_size, channels), len(images), num_classes,
                         tuple(data.class_names))
        with tf.device("/CPU:0"):  # the input pipeline runs there
            self._images = tf.Variable(_stored_images(images, image_size, channels),
                                       trainable=False, name="images")
        self._labels = None if labels is None else tf.constant(labels, tf.int32)

    def _batches_from_indices(self, indices: tf.data.Dataset, batch_size: int) -> tf.data.Dataset:
        images, labels = self._images, self._labels

        def gather(index: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
            batch = to_unit_range(tf.gather(images, index))
            if labels is None:
                return batch, tf.zeros([batch_size], tf.int32)
            return batch, tf.gather(labels, index)

        return (indices.batch(batch_size, drop_remainder=True)
                .map(gather, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True))


def array_fingerprint(images: np.ndarray, labels: np.ndarray | None,
                      class_names: tuple[str, ...] = ()) -> str:
    """sha256 of uint8 images, their labels and class names (shape included)."""
    import hashlib

    digest = hashlib.sha256(f"{images.shape};{images.dtype};{list(class_names)}".encode())
    digest.update(np.ascontiguousarray(images).tobytes())
    if labels is not None:
        digest.update(np.ascontiguousarray(labels, np.int64).tobytes())
    return digest.hexdigest()


def to_unit_range(images: tf.Tensor) -> tf.Tensor:
    """Map pixel values in [0, 255] to float32 in [-1, 1], the range of a tanh generator."""
    return tf.cast(images, tf.float32) / 127.5 - 1.0


def convert_channels(images: tf.Tensor, channels: int) -> tf.Tensor:
    """Convert float images with 1, 3 or 4 (RGBA; alpha is dropped) channels to `channels`."""
    if images.shape[-1] == 4:
        images = images[..., :3]
    if channels == 1 and images.shape[-1] == 3:
        return tf.image.rgb_to_grayscale(images)
    if channels == 3 and images.shape[-1] == 1:
        return tf.image.grayscale_to_rgb(images)
    return images


def resize(images: tf.Tensor, image_size: int) -> tf.Tensor:
    """Resize float images to ``image_size`` squared, ignoring aspect ratio, kept in [0, 255].

    A folder's images are made square first (`ganzoo.data.folder.FITS`)."""
    if tuple(images.shape[-3:-1]) != (image_size, image_size):
        # Antialiasing averages the pixels a downscale would otherwise skip (aliasing).
        images = tf.image.resize(images, [image_size, image_size], antialias=True)
    return tf.clip_by_value(tf.round(images), 0.0, 255.0)


def check_image_options(image_size: int, channels: int | None) -> None:
    """Raise `DataError` unless `image_size` is positive and `channels` is None, 1 or 3."""
    _check_int("image_size", image_size, minimum=1)
    if channels not in (None, 1, 3) or isinstance(channels, bool):
        raise DataError(f"channels must be 1 (grayscale), 3 (RGB) or None (the data's own). "
                        f"Received: channels={channels!r}.")


def _stored_images(images: np.ndarray, image_size: int, channels: int) -> tf.Tensor:
    """The images as one uint8 tensor at the training size, converted a chunk at a time.

    Chunks keep the float32 working copy small; concatenating them peaks at two copies of the
    result, where converting one finished numpy array would briefly need three.
    """
    ready = images.shape[1:] == (image_size, image_size, channels)
    per_image = max(int(np.prod(images.shape[1:])), image_size * image_size * channels)
    chunk = max(1, _RESIZE_CHUNK_VALUES // per_image)
    parts = []
    for start in range(0, len(images), chunk):
        part = tf.constant(images[start:start + chunk])
        if not ready:
            part = tf.cast(part, tf.float32)
            # Grayscale before resizing and RGB after, so the resize works on the fewest channels.
            part = convert_channels(part, 1) if channels == 1 else part
            part = tf.cast(convert_channels(resize(part, image_size), channels), tf.uint8)
        parts.append(part)
    return parts[0] if len(parts) == 1 else tf.concat(parts, axis=0)


def _checked_arrays(source: str, data: ArrayData) -> tuple[np.ndarray, np.ndarray | None]:
    # Built-in sources are checked where they read their files; this catches third-party
    # dataset plugins that break the ArrayData contract.
    if not isinstance(data, ArrayData):
        raise PluginError(f"Dataset {source!r}: load() must return ArrayData. "
                          f"Received: {type(data).__name__}.")
    images = np.asarray(data.images)
    if images.ndim == 3:
        images = images[..., np.newaxis]
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] not in (1, 3, 4):
        raise PluginError(f"Dataset {source!r}: images must be uint8 of shape NHW or NHWC with "
                          f"1, 3 or 4 channels. Received: dtype={images.dtype}, "
                          f"shape={images.shape}.")
    if len(images) == 0:
        raise DataError(f"Dataset {source!r} contains no images.")
    if data.labels is None:
        return images, None
    labels = np.asarray(data.labels)
    if (labels.dtype.kind not in "iu" or labels.size != len(images)
            or labels.ndim not in (1, 2) or labels.min() < 0):
        raise PluginError(f"Dataset {source!r}: labels must be {len(images)} non-negative "
                          f"integers, one per image. Received: dtype={labels.dtype}, "
                          f"shape={labels.shape}.")
    if data.class_names and labels.max() >= len(data.class_names):
        raise PluginError(f"Dataset {source!r}: every label must index class_names "
                          f"({len(data.class_names)} names). Received: label {labels.max()}.")
    return images, labels.reshape(-1)


def _shuffled_indices(n: int, seed: int, first_epoch: int) -> tf.data.Dataset:
    # Stateless seeds are int64 pairs; folding keeps any Python int usable and deterministic.
    seed = tf.constant(seed % (1 << 63), tf.int64)

    def permutation(epoch: tf.Tensor) -> tf.Tensor:
        return tf.random.experimental.stateless_shuffle(tf.range(n, dtype=tf.int64),
                                                        seed=tf.stack([seed, epoch]))

    return tf.data.Dataset.counter(start=first_epoch).map(permutation).unbatch()


def _check_int(name: str, value: object, minimum: int | None = None) -> None:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or (
            minimum is not None and value < minimum):
        expected = "an integer" if minimum is None else f"an integer >= {minimum}"
        raise DataError(f"{name} must be {expected}. Received: {name}={value!r}.")
