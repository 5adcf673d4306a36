"""A folder of image files, streamed from disk so it may be larger than memory.

Layouts:
  ``root/<class>/**/*.png``  one class per top-level subfolder, labelled by sorted name;
  ``root/*.png``             no subfolders with images: one unlabelled set.

Every file is fully decoded once with Pillow before training, so a truncated or mislabelled file
is reported up front instead of stopping a run hours in. Only file paths stay in memory; the
training stream reads, decodes and resizes each image when its batch is built.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import tensorflow as tf
from PIL import Image
from tqdm import tqdm

from ganzoo.data.pipeline import ImageDataset, convert_channels, resize, to_unit_range
from ganzoo.errors import DataError

__all__ = ["IMAGE_EXTENSIONS", "DataWarning", "FolderDataset"]

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif")

# Pillow's format names for what tf.io.decode_image reads ("MPO" is a camera JPEG).
_DECODABLE_FORMATS = {"PNG", "JPEG", "MPO", "GIF", "BMP"}
_GRAYSCALE_MODES = {"1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"}
_PROGRESS_BAR_FROM = 2000
_NAMED_BAD_FILES = 3


class DataWarning(UserWarning):
    """Some of the data was skipped; training goes on with the rest."""


class FolderDataset(ImageDataset):
    """Images in a folder, decoded from disk batch by batch."""

    def __init__(self, source: str, image_size: int, channels: int | None = None,
                 strict: bool = False) -> None:
        folder = os.path.expanduser(source)
        paths, labels, class_names = _discover(folder)
        paths, labels, modes = _readable(paths, labels, strict, folder)
        if channels is None:
            channels = 1 if all(mode in _GRAYSCALE_MODES for mode in modes) else 3
        super().__init__(source, (image_size, image_size, channels), len(paths),
                         len(class_names), class_names)
        self._paths = tf.constant(paths)
        self._labels = tf.constant(labels, tf.int32)
        self.fingerprint = _files_fingerprint(folder, paths, labels, class_names)

    def _batches_from_indices(self, indices: tf.data.Dataset, batch_size: int) -> tf.data.Dataset:
        paths, labels = self._paths, self._labels
        image_size, channels = self.image_shape[0], self.image_shape[2]

        def load(index: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
            data = tf.io.read_file(tf.gather(paths, index))
            # channels=3 gives every format, gray or paletted or RGBA, the same layout.
            image = tf.io.decode_image(data, channels=3, expand_animations=False)
            image = convert_channels(tf.cast(image, tf.float32), channels)
            return to_unit_range(resize(image, image_size)), tf.gather(labels, index)

        return (indices.map(load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
                .batch(batch_size, drop_remainder=True))


def _files_fingerprint(folder: str, paths: list[str], labels: list[int],
                       class_names: tuple[str, ...]) -> str:
    """sha256 over each used file's path below `folder`, label and bytes (reading them costs
    about as much as the up-front decoding check already did)."""
    digest = hashlib.sha256(repr(list(class_names)).encode())
    for path, label in zip(paths, labels):
        digest.update(f"{os.path.relpath(path, folder)}\0{label}\0".encode())
        with open(path, "rb") as handle:
            digest.update(hashlib.sha256(handle.read()).digest())
    return digest.hexdigest()


def _discover(folder: str) -> tuple[list[str], list[int], tuple[str, ...]]:
    """Find the image files and their labels; the class names are () when unlabelled."""
    entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    classes = {}
    for entry in entries:
        if entry.is_dir() and not entry.name.startswith("."):
            found = sorted(_images_under(entry.path))
            if found:
                classes[entry.name] = found
    in_root = sorted(entry.path for entry in entries if entry.is_file() and _is_image(entry.name))
    if not classes:
        if not in_root:
            what = "is empty" if not entries else "has no image files"
            raise DataError(f"The folder {folder} {what}. Expected image files ending in "
                            f"{', '.join(IMAGE_EXTENSIONS)} (any case), either directly in it "
                            f"or in one subfolder per class.")
        return in_root, [0] * len(in_root), ()
    if in_root:
        warnings.warn(f"{len(in_root)} image(s) directly in {folder} are ignored: it has class "
                      f"subfolders, so only images inside them are used.", DataWarning,
                      stacklevel=4)
    paths, labels = [], []
    for label, names in enumerate(classes.values()):
        paths += names
        labels += [label] * len(names)
    return paths, labels, tuple(classes)


def _images_under(directory: str) -> Iterator[str]:
    for root, subdirectories, files in os.walk(directory):
        subdirectories[:] = [d for d in subdirectories if not d.startswith(".")]
        yield from (os.path.join(root, name) for name in files if _is_image(name))


def _is_image(name: str) -> bool:
    # Hidden files include macOS "._name.jpg" resource forks, which are not images.
    return not name.startswith(".") and name.lower().endswith(IMAGE_EXTENSIONS)


def _readable(paths: list[str], labels: list[int], strict: bool,
              folder: str) -> tuple[list[str], list[int], list[str]]:
    """Keep the files that decode, with their labels and Pillow modes; warn about the rest."""
    good_paths, good_labels, modes, bad = [], [], [], []
    pool = ThreadPoolExecutor()
    try:
        results = tqdm(pool.map(_inspect, paths), total=len(paths), unit="file",
                       desc=f"Checking images in {folder}",
                       disable=len(paths) <= _PROGRESS_BAR_FROM)
        for path, label, (mode, problem) in zip(paths, labels, results):
            if problem is None:
                good_paths.append(path)
                good_labels.append(label)
                modes.append(mode)
            elif strict:
                raise DataError(f"Cannot read the image {path}: {problem}. Remove or replace "
                                f"it (outside strict mode, unreadable files are skipped).")
            else:
                bad.append((path, problem))
    finally:
        pool.shutdown(cancel_futures=True)
    if not good_paths:
        raise DataError(f"None of the {len(paths)} image files in {folder} can be read. "
                        f"The first: {bad[0][0]}: {bad[0][1]}.")
    if bad:
        named = "; ".join(f"{path}: {problem}" for path, problem in bad[:_NAMED_BAD_FILES])
        more = f"; and {len(bad) - _NAMED_BAD_FILES} more" if len(bad) > _NAMED_BAD_FILES else ""
        warnings.warn(f"Skipped {len(bad)} of {len(paths)} image files in {folder} that cannot "
                      f"be read: {named}{more}.", DataWarning, stacklevel=4)
    return good_paths, good_labels, modes


def _inspect(path: str) -> tuple[str | None, str | None]:
    """Return ``(Pillow mode, None)`` for a file the training stream can decode, else
    ``(None, why not)``."""
    try:
        with Image.open(path) as image:
            image.load()  # open() reads only the header; a truncated body fails here
            file_format, mode = image.format, image.mode
    except Exception as error:  # Pillow signals a bad file with many exception types
        return None, f"{type(error).__name__}: {error}"
    if file_format not in _DECODABLE_FORMATS:
        return None, f"it holds {file_format} data, which TensorFlow cannot decode"
    if file_format == "BMP":
        return _check_bmp(path, mode)
    return mode, None


def _check_bmp(path: str, mode: str) -> tuple[str | None, str | None]:
    # TensorFlow's BMP decoder is narrower than Pillow's: it ignores palettes and rejects
    # 1-bit, 16-bit and compressed files. BMPs are rare, so decoding them twice is cheap.
    if mode not in ("L", "RGB", "RGBA"):
        return None, f"a {mode}-mode BMP, which TensorFlow cannot decode faithfully"
    try:
        tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
    except tf.errors.InvalidArgumentError as error:
        return None, f"TensorFlow cannot decode this BMP: {error.message.splitlines()[0]}"
    return mode, None
