"""A folder of image files, streamed from disk so it may be larger than memory.

Layouts:
  ``root/<class>/**/*.png``  one class per top-level subfolder, labelled by sorted name;
  ``root/*.png``             no subfolders with images: one unlabelled set.

Every file is fully decoded once with Pillow before training, so a truncated or mislabelled file
is reported up front instead of stopping a run hours in. Only file paths stay in memory; the
training stream reads, decodes and resizes each image when its batch is built.

The check decodes with Pillow as the stream will (`_pixels`): WebP and TIFF, which
``tf.io.decode_image`` cannot read, EXIF orientation, transparency composited onto a
background, 16-bit gray scaled by its value range. In the stream, upright 8-bit PNGs (with
or without transparency) and upright RGB or gray JPEGs, most folders, are decoded by
TensorFlow, which gives the same pixels without a Python call per image; the rest go through
Pillow in a `tf.numpy_function`. Compositing, fitting a non-square image to the square
(`FITS`) and resizing are the same arithmetic on both paths.
"""

from __future__ import annotations

import hashlib
import os
import re
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numpy as np
import tensorflow as tf
from PIL import Image, ImageOps
from tqdm import tqdm

from ganzoo.data.pipeline import ImageDataset, convert_channels, resize, to_unit_range
from ganzoo.errors import DataError

__all__ = ["BACKGROUNDS", "DEFAULT_BACKGROUND", "DEFAULT_FIT", "FITS", "IMAGE_EXTENSIONS",
           "DataWarning", "FolderDataset", "check_background", "check_fit", "read_picture"]

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")

FITS = ("crop", "pad", "stretch")
"""How a non-square image becomes square: its centre square, padded with the background, or
resized ignoring its aspect ratio."""
DEFAULT_FIT = "crop"
BACKGROUNDS = {"white": (255, 255, 255), "black": (0, 0, 0)}
"""Named backgrounds; any ``#rrggbb`` colour works too, and ``none`` ignores transparency."""
DEFAULT_BACKGROUND = "white"
NO_BACKGROUND = "none"

_GRAYSCALE_MODES = {"1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"}
# Pillow keeps 16-bit gray as "I;16*" or, from some files, the 32-bit "I"; both hold 0..65535.
_SIXTEEN_BIT_MODES = {"I", "I;16", "I;16B", "I;16L", "I;16N"}
_ORIENTATION = 0x0112  # the EXIF tag
_PROGRESS_BAR_FROM = 2000
_NAMED_BAD_FILES = 3


class DataWarning(UserWarning):
    """Some of the data was skipped; training goes on with the rest."""


class FolderDataset(ImageDataset):
    """Images in a folder, decoded from disk batch by batch."""

    def __init__(self, source: str, image_size: int, channels: int | None = None,
                 strict: bool = False, *, background: str = DEFAULT_BACKGROUND,
                 fit: str = DEFAULT_FIT) -> None:
        self.background, self.fit = check_background(background), check_fit(fit)
        colour = _colour(self.background)
        folder = os.path.expanduser(source)
        paths, labels, class_names = _discover(folder)
        paths, labels, kinds = _readable(paths, labels, strict, folder, colour)
        if channels is None:
            channels = 1 if all(kind.gray for kind in kinds) else 3
        super().__init__(source, (image_size, image_size, channels), len(paths),
                         len(class_names), class_names)
        self._paths = tf.constant(paths)
        self._labels = tf.constant(labels, tf.int32)
        self._decoders = tf.constant([kind.decoder for kind in kinds])
        self._colour = colour
        self.fingerprint = _files_fingerprint(folder, paths, labels, class_names)

    def _batches_from_indices(self, indices: tf.data.Dataset, batch_size: int) -> tf.data.Dataset:
        paths, labels, decoders = self._paths, self._labels, self._decoders
        colour, fit = self._colour, self.fit
        image_size, channels = self.image_shape[0], self.image_shape[2]
        # Padding fills with the background as the images' channels show it (gray for 1).
        fill = convert_channels(tf.constant([[(colour or (0, 0, 0))]], tf.float32), channels)[0, 0]

        def decode(path: bytes) -> np.ndarray:
            return _decode(path.decode(), colour, image_size)

        def load(index: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
            path = tf.gather(paths, index)
            image = tf.switch_case(tf.gather(decoders, index), [
                # Stateless: the same file gives the same pixels. A stateful op would make
                # tf.data run this map serially, and drop prefetching, under op determinism.
                lambda: tf.numpy_function(decode, [path], tf.uint8, stateful=False),
                lambda: tf.io.decode_jpeg(tf.io.read_file(path), channels=3),
                # libpng applies a transparent palette entry or colour (tRNS) as alpha, as
                # Pillow's convert("RGBA") does.
                lambda: _composite(tf.io.decode_png(tf.io.read_file(path), channels=4),
                                   colour),
            ])
            image = convert_channels(tf.cast(tf.ensure_shape(image, [None, None, 3]),
                                             tf.float32), channels)
            image = resize(_fitted(image, fit, fill), image_size)
            return to_unit_range(image), tf.gather(labels, index)

        return (indices.map(load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
                .batch(batch_size, drop_remainder=True))


def check_background(background: str) -> str:
    """The background named by `background` in one spelling: ``white``, ``black``, ``none`` or
    ``#rrggbb`` (lower case), so that equal colours compare equal.

    Raises:
        DataError: `background` is none of ``white``, ``black``, ``none`` or ``#rrggbb``.
    """
    text = background.strip().lower() if isinstance(background, str) else ""
    if text in BACKGROUNDS or text == NO_BACKGROUND:
        return text
    if re.fullmatch(r"#[0-9a-f]{6}", text):
        rgb = tuple(int(text[i:i + 2], 16) for i in (1, 3, 5))
        return next((name for name, named in BACKGROUNDS.items() if named == rgb), text)
    raise DataError(f"background must be white, black, none (keep the colour under "
                    f"transparent pixels) or a colour as #rrggbb. Received: "
                    f"background={background!r}.")


def check_fit(fit: str) -> str:
    """`fit` if it is one of `FITS`.

    Raises:
        DataError: it is not.
    """
    if fit not in FITS:
        raise DataError(f"fit must be one of {', '.join(FITS)}. Received: fit={fit!r}.")
    return fit


def read_picture(path: str | os.PathLike, image_size: int, channels: int,
                 background: str = DEFAULT_BACKGROUND, fit: str = DEFAULT_FIT) -> np.ndarray:
    """One picture file as a run trained on pictures like it: float32 HWC in [-1, 1] at
    `image_size` with `channels`, its transparency on `background`, made square by `fit`.

    Raises:
        DataError: the file does not exist or is not a picture Pillow can read.
    """
    colour = _colour(check_background(background))
    try:
        pixels = _decode(str(path), colour, image_size)
    except FileNotFoundError:
        raise DataError(f"No such picture: {str(path)!r}.") from None
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        raise DataError(f"Cannot read {str(path)!r} as a picture ({error}); give a PNG, JPEG, "
                        f"WebP, BMP, GIF or TIFF file.") from None
    fill = convert_channels(tf.constant([[(colour or (0, 0, 0))]], tf.float32), channels)[0, 0]
    image = convert_channels(tf.constant(pixels, tf.float32), channels)
    return to_unit_range(resize(_fitted(image, check_fit(fit), fill), image_size)).numpy()


def _colour(background: str) -> tuple[int, int, int] | None:
    """RGB of a `check_background` spelling; None for ``none``."""
    if background == NO_BACKGROUND:
        return None
    return BACKGROUNDS.get(background) or tuple(int(background[i:i + 2], 16) for i in (1, 3, 5))


def _fitted(image: tf.Tensor, fit: str, fill: tf.Tensor) -> tf.Tensor:
    """`image` (float, HWC) made square as `fit` says, before it is resized."""
    if fit == "stretch":
        return image
    height, width = tf.shape(image)[0], tf.shape(image)[1]
    if fit == "crop":
        side = tf.minimum(height, width)
        top, left = (height - side) // 2, (width - side) // 2
        return image[top:top + side, left:left + side]
    side = tf.maximum(height, width)
    top, left = (side - height) // 2, (side - width) // 2
    # Pads with zeros around (image - fill), so the border becomes exactly `fill`.
    padding = [[top, side - height - top], [left, side - width - left], [0, 0]]
    return tf.pad(image - fill, padding) + fill


def _composite(rgba: tf.Tensor, colour: tuple[int, int, int] | None) -> tf.Tensor:
    """`_pixels`' compositing in TensorFlow, with the same float32 arithmetic and rounding."""
    if colour is None:
        return rgba[..., :3]
    alpha = tf.cast(rgba[..., 3:], tf.float32) / 255
    blended = (tf.cast(rgba[..., :3], tf.float32) * alpha
               + tf.constant(colour, tf.float32) * (1 - alpha))
    return tf.cast(tf.round(blended), tf.uint8)  # half to even, as np.rint


def _decode(path: str, colour: tuple[int, int, int] | None,
            image_size: int | None = None) -> np.ndarray:
    """The image at `path` as uint8 RGB, HWC (see `_pixels`).

    With `image_size`, a JPEG much larger than that is decoded at 1/2, 1/4 or 1/8 scale
    (libjpeg's DCT scaling, still at least `image_size` on each side): a camera photo trained
    at 64 px then costs a fraction of a full decode. The resize to the training size follows.
    """
    with Image.open(path) as image:
        if image_size is not None and image.format in ("JPEG", "MPO"):
            image.draft(image.mode, (image_size, image_size))
        return _pixels(image, colour)


def _pixels(image: Image.Image, colour: tuple[int, int, int] | None) -> np.ndarray:
    """Decode an opened image to uint8 RGB, HWC, as training sees it.

    EXIF orientation is applied (cameras store portrait photos sideways with a tag saying so);
    transparent pixels are composited onto `colour` (None: their stored colour is kept, alpha
    dropped); 16-bit gray is scaled from 0..65535 to 0..255 (Pillow's own conversion would clip
    it at 255). Pillow reads 16-bit RGB as 8-bit, from the high bytes.
    """
    ImageOps.exif_transpose(image, in_place=True)
    if image.mode in _SIXTEEN_BIT_MODES:
        gray = np.rint(np.asarray(image, np.float32) * (255 / 65535))
        return np.repeat(np.clip(gray, 0, 255).astype(np.uint8)[..., np.newaxis], 3, axis=-1)
    if not _has_transparency(image):
        return np.asarray(image.convert("RGB"))
    rgba = np.asarray(image.convert("RGBA"))
    if colour is None:
        return np.ascontiguousarray(rgba[..., :3])
    alpha = rgba[..., 3:].astype(np.float32) / 255
    blended = rgba[..., :3] * alpha + np.asarray(colour, np.float32) * (1 - alpha)
    return np.rint(blended).astype(np.uint8)


def _has_transparency(image: Image.Image) -> bool:
    # An alpha channel ("RGBA", "LA", "PA", premultiplied "RGBa", "La") or a transparent
    # palette entry or colour ("transparency", PNG's tRNS chunk and GIF's).
    return "A" in image.mode or "a" in image.mode or "transparency" in image.info


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


_PILLOW, _TF_JPEG, _TF_PNG = range(3)


class _Kind(NamedTuple):
    gray: bool  # one channel as training reads it
    decoder: int  # _PILLOW, or a TensorFlow decoder that gives the same pixels as `_pixels`


def _readable(paths: list[str], labels: list[int], strict: bool, folder: str,
              colour: tuple[int, int, int] | None) -> tuple[list[str], list[int], list[_Kind]]:
    """Keep the files that decode, with their labels and kinds; warn about the rest."""
    good_paths, good_labels, kinds, bad = [], [], [], []
    pool = ThreadPoolExecutor()
    try:
        results = tqdm(pool.map(_inspect, paths, [colour] * len(paths)), total=len(paths),
                       unit="file", desc=f"Checking images in {folder}",
                       disable=len(paths) <= _PROGRESS_BAR_FROM)
        for path, label, (kind, problem) in zip(paths, labels, results):
            if problem is None:
                good_paths.append(path)
                good_labels.append(label)
                kinds.append(kind)
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
    return good_paths, good_labels, kinds


def _inspect(path: str, colour: tuple[int, int, int] | None) -> tuple[_Kind | None, str | None]:
    """Return ``(its kind, None)`` for a file the training stream can decode, else
    ``(None, why not)``. The file is decoded in full, as the stream will decode it."""
    try:
        with Image.open(path) as image:
            transparent = _has_transparency(image)
            # Gray stays gray on a gray background; on a coloured one, transparency adds colour.
            gray = image.mode in _GRAYSCALE_MODES and (
                colour is None or len(set(colour)) == 1 or not transparent)
            decoder = _PILLOW
            if image.getexif().get(_ORIENTATION, 1) == 1:
                if image.format == "JPEG" and image.mode in ("L", "RGB"):
                    decoder = _TF_JPEG
                elif image.format == "PNG" and image.mode not in _SIXTEEN_BIT_MODES:
                    decoder = _TF_PNG
            _pixels(image, colour)  # open() reads only the header; a truncated body fails here
    except Exception as error:  # Pillow signals a bad file with many exception types
        return None, f"{type(error).__name__}: {error}"
    return _Kind(gray, decoder), None
