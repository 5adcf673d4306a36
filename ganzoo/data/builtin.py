"""The data sets ganzoo knows by name: digits, mnist, fashion_mnist and cifar10.

``digits`` ships inside scikit-learn and never needs the network. The others are read from the
Keras download cache (``$KERAS_HOME/datasets``, default ``~/.keras/datasets``) with plain
numpy, gzip and pickle: ``keras.datasets.*.load_data`` would check a file hash and download
again over a file placed by hand. Only when the files are missing is Keras asked to download
them, unless ``GANZOO_OFFLINE=1``. Each loader returns the training split.
"""

from __future__ import annotations

import gzip
import os
import pickle
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ganzoo.errors import DataError
from ganzoo.plugin import ArrayData, DatasetSpec, hookimpl

if TYPE_CHECKING:  # the loaders import numpy: `ganzoo list` loads this plugin without it
    import numpy as np

    Arrays = tuple[np.ndarray, np.ndarray]

__all__ = ["keras_datasets_dirs", "load_cifar10", "load_digits", "load_fashion_mnist",
           "load_mnist"]

KERAS_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
DIGIT_NAMES = tuple(str(digit) for digit in range(10))
FASHION_MNIST_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                       "Sneaker", "Bag", "Ankle boot")
CIFAR10_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
                 "truck")
_FASHION_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")
_CIFAR10_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
# Keras extracts the archive into "cifar-10-batches-py-target"; a manual extraction does not.
_CIFAR10_DIRS = ("cifar-10-batches-py-target/cifar-10-batches-py", "cifar-10-batches-py")
_UNREADABLE = (OSError, EOFError, ValueError, KeyError, struct.error, pickle.UnpicklingError,
               zipfile.BadZipFile)


def load_digits() -> ArrayData:
    """scikit-learn's 1,797 handwritten 8x8 digits, 0..16 gray levels scaled to 0..255."""
    import numpy as np

    from sklearn.datasets import load_digits as sklearn_digits

    digits = sklearn_digits()
    images = np.rint(digits.images * (255 / 16)).astype(np.uint8)
    return ArrayData(images, digits.target.astype(np.int64), DIGIT_NAMES)


def load_mnist() -> ArrayData:
    """MNIST's 60,000 training digits, 28x28 grayscale."""
    import numpy as np

    path = _cached("mnist.npz")
    if path is None:
        place = f"Download {KERAS_URL}mnist.npz and place it at {_primary('mnist.npz')}"
        return ArrayData(*_download("mnist", place), DIGIT_NAMES)

    def read() -> tuple[np.ndarray, np.ndarray]:
        with np.load(path, allow_pickle=False) as archive:
            return archive["x_train"], archive["y_train"]

    return ArrayData(*_read_cached("mnist", path, read), DIGIT_NAMES)


def load_fashion_mnist() -> ArrayData:
    """Fashion-MNIST's 60,000 training images of clothing, 28x28 grayscale."""
    folder = _cached("fashion-mnist", _FASHION_FILES)
    if folder is None:
        urls = " and ".join(KERAS_URL + name for name in _FASHION_FILES)
        place = f"Download {urls} and place them in {_primary('fashion-mnist')}"
        return ArrayData(*_download("fashion_mnist", place), FASHION_MNIST_NAMES)

    def read() -> tuple[np.ndarray, np.ndarray]:
        return _read_idx(folder / _FASHION_FILES[0], 3), _read_idx(folder / _FASHION_FILES[1], 1)

    return ArrayData(*_read_cached("fashion_mnist", folder, read), FASHION_MNIST_NAMES)


def load_cifar10() -> ArrayData:
    """CIFAR-10's 50,000 training images, 32x32 RGB."""
    import numpy as np

    folder = next(filter(None, (_cached(d, _CIFAR10_BATCHES) for d in _CIFAR10_DIRS)), None)
    if folder is None:
        target = _primary(_CIFAR10_DIRS[1])
        place = (f"Download {CIFAR10_URL} and extract it in {target.parent} (so that "
                 f"{target / _CIFAR10_BATCHES[0]} exists)")
        return ArrayData(*_download("cifar10", place), CIFAR10_NAMES)

    def read() -> tuple[np.ndarray, np.ndarray]:
        images, labels = [], []
        for name in _CIFAR10_BATCHES:
            # Pickle, as Keras itself reads these files; they come from the user's own cache.
            with open(folder / name, "rb") as file:
                batch = pickle.load(file, encoding="bytes")
            images.append(np.asarray(batch[b"data"], np.uint8).reshape(-1, 3, 32, 32))
            labels.append(np.asarray(batch[b"labels"]))
        return (np.ascontiguousarray(np.concatenate(images).transpose(0, 2, 3, 1)),
                np.concatenate(labels))

    return ArrayData(*_read_cached("cifar10", folder, read), CIFAR10_NAMES)


def keras_datasets_dirs() -> list[Path]:
    """Where ``keras.utils.get_file`` caches data sets, in the order Keras tries them.

    Keras uses ``$KERAS_HOME`` (default ``~/.keras``) and falls back to ``/tmp/.keras`` when
    that is not writable.
    """
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    dirs = [Path(home).expanduser() / "datasets"]
    if not os.access(home, os.W_OK):
        dirs.append(Path("/tmp/.keras/datasets"))
    return dirs


def _primary(relative: str) -> Path:
    return keras_datasets_dirs()[0] / relative


def _cached(relative: str, members: tuple[str, ...] = ()) -> Path | None:
    """The cached file, or the cached folder holding every one of `members`, if any."""
    for base in keras_datasets_dirs():
        path = base / relative
        if path.exists() and all((path / member).is_file() for member in members):
            return path
    return None


def _read_cached(name: str, path: Path, read: Callable[[], Arrays]) -> Arrays:
    import numpy as np

    try:
        images, labels = read()
    except _UNREADABLE as error:
        raise DataError(f"The {name} files in the Keras cache at {path} cannot be read "
                        f"({type(error).__name__}: {error}). Delete them so they are downloaded "
                        f"again.") from error
    if images.dtype != np.uint8 or len(images) != len(labels):
        raise DataError(f"The {name} files in the Keras cache at {path} are inconsistent: "
                        f"{len(images)} {images.dtype} images, {len(labels)} labels. Delete "
                        f"them so they are downloaded again.")
    return images, labels.reshape(-1).astype(np.int64)


def _read_idx(path: Path, ndim: int) -> np.ndarray:
    """Read a gzipped IDX array (LeCun's MNIST format) of unsigned bytes."""
    import numpy as np

    with gzip.open(path, "rb") as file:
        data = file.read()
    header = 4 + 4 * ndim  # magic number, then one big-endian uint32 per dimension
    shape = struct.unpack(f">{ndim}I", data[4:header])
    values = np.frombuffer(data, np.uint8, offset=header)
    if values.size != np.prod(shape):
        raise ValueError(f"{path.name} holds {values.size} values, its header says {shape}")
    return values.reshape(shape)


def offline() -> str | None:
    """Why ganzoo must not download (``GANZOO_OFFLINE`` set, as the test suite sets it), or
    None. Honoured by every download: Keras data sets and InceptionV3's weights."""
    value = os.environ.get("GANZOO_OFFLINE", "")
    return None if value in ("", "0") else f"GANZOO_OFFLINE={value} is set"


def _download(name: str, place: str) -> Arrays:
    """Have Keras download and cache `name`; explain how to place it by hand if it cannot."""
    import numpy as np

    reason = offline()
    if reason is None:
        import keras

        try:
            (images, labels), _ = getattr(keras.datasets, name).load_data()
            return images, labels.reshape(-1).astype(np.int64)
        except Exception as error:  # downloads fail in many ways: DNS, proxy, HTTP, hash
            reason = f"{type(error).__name__}: {error}"
    raise DataError(f"{name} is not in the Keras cache and could not be downloaded ({reason}). "
                    f"{place}, or use --data digits, which ships with ganzoo.")


BUILT_IN_DATASETS = [
    DatasetSpec("digits", "1,797 handwritten digits, 8x8 grayscale, 10 classes; ships with "
                "scikit-learn.", load_digits, ships_with_install=True),
    DatasetSpec("mnist", "60,000 handwritten digits, 28x28 grayscale, 10 classes; downloaded "
                "once through Keras.", load_mnist),
    DatasetSpec("fashion_mnist", "60,000 Zalando clothing images, 28x28 grayscale, 10 classes; "
                "downloaded once through Keras.", load_fashion_mnist),
    DatasetSpec("cifar10", "50,000 natural images, 32x32 RGB, 10 classes; downloaded once "
                "through Keras.", load_cifar10),
]


@hookimpl
def ganzoo_datasets() -> list[DatasetSpec]:
    return BUILT_IN_DATASETS
