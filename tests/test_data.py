"""Data loading: named data sets, folders, .npz files and the batch stream they share.

Every file a test reads is made here, in tmp_path; the Keras cache is faked under a temporary
KERAS_HOME, so nothing is downloaded.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import pickle
import struct
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import ganzoo.data.builtin
from ganzoo.data import DataWarning, ImageDataset, load_data
from ganzoo.data.npz import read_npz
from ganzoo.errors import DataError, PluginError, UnknownNameError
from ganzoo.plugin import ArrayData, DatasetSpec, hookimpl
from ganzoo.registry import Registry

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def builtin_registry() -> Registry:
    """The built-in data sets, registered without entry points."""
    registry = Registry(autoload=False)
    registry.register(ganzoo.data.builtin, name="datasets")
    return registry


@pytest.fixture
def keras_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty Keras cache; returns its datasets folder."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("GANZOO_OFFLINE", "1")
    datasets = tmp_path / "keras" / "datasets"
    datasets.mkdir(parents=True)
    return datasets


def take(dataset: ImageDataset, count: int, batch_size: int, seed: int = 0,
         skip: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    stream = dataset.batches(batch_size, seed, skip=skip).take(count)
    return [(images.numpy(), labels.numpy()) for images, labels in stream]


def assert_same_batches(first: list, second: list) -> None:
    assert len(first) == len(second)
    for (images_a, labels_a), (images_b, labels_b) in zip(first, second):
        np.testing.assert_array_equal(images_a, images_b)
        np.testing.assert_array_equal(labels_a, labels_b)


def write_image(path: Path, value: int | tuple = 128, size: tuple[int, int] = (12, 10),
                mode: str = "RGB", noise: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.empty((size[1], size[0], 3), np.uint8)
    pixels[...] = value
    if noise:
        pixels = np.random.default_rng(0).integers(0, 256, pixels.shape, dtype=np.uint8)
    Image.fromarray(pixels).convert(mode).save(path)
    return path


def write_truncated(path: Path) -> Path:
    write_image(path, size=(64, 64), noise=True)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def write_npz(path: Path, **arrays: np.ndarray) -> str:
    np.savez(path, **arrays)
    return str(path)


# Named data sets -------------------------------------------------------------------------------

@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("image_size", [28, 32, 64])
def test_digits_loads_1797_labelled_images_at_any_size(builtin_registry, image_size, channels):
    data = load_data("digits", image_size, channels, registry=builtin_registry)

    assert data.image_shape == (image_size, image_size, channels)
    assert data.num_examples == 1797
    assert data.num_classes == 10
    assert data.class_names == tuple("0123456789")
    [(images, labels)] = take(data, 1, batch_size=16)
    assert images.shape == (16, image_size, image_size, channels)
    assert images.dtype == np.float32 and labels.dtype == np.int32
    assert images.min() >= -1.0 and images.max() <= 1.0
    assert images.min() == -1.0 and images.max() == 1.0  # background and full ink
    assert set(labels) <= set(range(10))


def test_digits_are_grayscale_by_default(builtin_registry):
    assert load_data("digits", 28, registry=builtin_registry).image_shape == (28, 28, 1)


def test_unknown_dataset_name_suggests_a_close_match(builtin_registry):
    with pytest.raises(UnknownNameError, match="Did you mean 'digits'.*folder of images"):
        load_data("digit", 28, registry=builtin_registry)


def test_a_dataset_plugin_is_loaded_by_name():
    class Plugin:
        @hookimpl
        def ganzoo_datasets(self):
            images = np.zeros((3, 8, 8, 3), np.uint8)
            return [DatasetSpec("squares", "Three black squares.",
                                lambda: ArrayData(images, np.array([0, 1, 1]), ("a", "b")))]

    registry = Registry(autoload=False)
    registry.register(Plugin(), name="squares")
    data = load_data("squares", 16, registry=registry)

    assert (data.image_shape, data.num_examples, data.class_names) == ((16, 16, 3), 3, ("a", "b"))


def test_a_dataset_plugin_returning_the_wrong_type_is_a_plugin_error():
    class Plugin:
        @hookimpl
        def ganzoo_datasets(self):
            return [DatasetSpec("broken", "Not ArrayData.", lambda: np.zeros((3, 8, 8)))]

    registry = Registry(autoload=False)
    registry.register(Plugin(), name="broken")
    with pytest.raises(PluginError, match="'broken'.*ArrayData.*ndarray"):
        load_data("broken", 16, registry=registry)


@pytest.mark.parametrize("options, message", [
    ({"image_size": 0}, "image_size must be an integer >= 1. Received: image_size=0"),
    ({"image_size": 28, "channels": 2}, "channels must be 1 .* Received: channels=2"),
], ids=["size-0", "channels-2"])
def test_invalid_image_options_are_data_errors(builtin_registry, options, message):
    with pytest.raises(DataError, match=message):
        load_data("digits", registry=builtin_registry, **options)


# The Keras cache -------------------------------------------------------------------------------

def fake_mnist(datasets: Path) -> None:
    x = np.arange(20, dtype=np.uint8)[:, None, None] * np.ones((20, 28, 28), np.uint8)
    np.savez(datasets / "mnist.npz", x_train=x, y_train=np.arange(20) % 10,
             x_test=x[:2], y_test=np.arange(2))


def fake_fashion_mnist(datasets: Path) -> None:
    folder = datasets / "fashion-mnist"
    folder.mkdir()
    images = np.arange(20, dtype=np.uint8).repeat(28 * 28)
    labels = (np.arange(20) % 10).astype(np.uint8)
    with gzip.open(folder / "train-images-idx3-ubyte.gz", "wb") as file:
        file.write(struct.pack(">IIII", 2051, 20, 28, 28) + images.tobytes())
    with gzip.open(folder / "train-labels-idx1-ubyte.gz", "wb") as file:
        file.write(struct.pack(">II", 2049, 20) + labels.tobytes())


def fake_cifar10(datasets: Path, folder: str = "cifar-10-batches-py-target/cifar-10-batches-py"):
    """Five batches of 4 images; image k has red = k, green = 100, blue = 200."""
    (datasets / folder).mkdir(parents=True)
    for batch in range(5):
        ks = np.arange(4 * batch, 4 * batch + 4, dtype=np.uint8)
        chw = np.empty((4, 3, 32, 32), np.uint8)
        chw[:, 0], chw[:, 1], chw[:, 2] = ks[:, None, None], 100, 200
        content = {b"data": chw.reshape(4, 3072), b"labels": list(ks % 10)}
        (datasets / folder / f"data_batch_{batch + 1}").write_bytes(pickle.dumps(content))


@pytest.mark.parametrize("name, make, shape, class_name", [
    ("mnist", fake_mnist, (28, 28, 1), "9"),
    ("fashion_mnist", fake_fashion_mnist, (28, 28, 1), "Ankle boot"),
    ("cifar10", fake_cifar10, (32, 32, 3), "truck"),
])
def test_a_dataset_in_the_keras_cache_is_read_without_downloading(
        builtin_registry, keras_home, name, make, shape, class_name):
    make(keras_home)

    raw = builtin_registry.dataset(name).load()
    data = load_data(name, shape[0], registry=builtin_registry)

    np.testing.assert_array_equal(raw.labels, np.arange(20) % 10)
    np.testing.assert_array_equal(raw.images.reshape(20, -1)[:, 0], np.arange(20))
    assert (data.image_shape, data.num_examples, data.num_classes) == (shape, 20, 10)
    assert data.class_names[9] == class_name


@pytest.mark.parametrize("folder", ["cifar-10-batches-py-target/cifar-10-batches-py",
                                    "cifar-10-batches-py"], ids=["keras-extracted", "by-hand"])
def test_cifar10_pixels_are_converted_from_channels_first(builtin_registry, keras_home, folder):
    fake_cifar10(keras_home, folder)

    images = builtin_registry.dataset("cifar10").load().images

    assert images.shape == (20, 32, 32, 3)
    np.testing.assert_array_equal(images[7, 5, 9], [7, 100, 200])


@pytest.mark.parametrize("name, missing", [
    ("mnist", "mnist.npz"),
    ("fashion_mnist", "fashion-mnist"),
    ("cifar10", "cifar-10-batches-py/data_batch_1"),
])
def test_a_dataset_missing_offline_names_the_file_to_place(builtin_registry, keras_home, name,
                                                           missing):
    with pytest.raises(DataError, match="not in the Keras cache") as error:
        load_data(name, 32, registry=builtin_registry)

    assert str(keras_home / missing) in str(error.value)
    assert "GANZOO_OFFLINE=1" in str(error.value) and "digits" in str(error.value)


def test_a_failed_download_says_why_and_where_to_place_the_file(builtin_registry, keras_home,
                                                               monkeypatch):
    import keras

    def no_network():
        raise OSError("Name or service not known")

    monkeypatch.delenv("GANZOO_OFFLINE")
    monkeypatch.setattr(keras.datasets.mnist, "load_data", no_network)
    with pytest.raises(DataError, match="Name or service not known.*mnist.npz"):
        load_data("mnist", 28, registry=builtin_registry)


def test_a_missing_dataset_is_downloaded_through_keras_when_online(builtin_registry, keras_home,
                                                                   monkeypatch):
    import keras

    train = (np.zeros((6, 32, 32, 3), np.uint8), np.arange(6).reshape(6, 1))
    monkeypatch.delenv("GANZOO_OFFLINE")
    monkeypatch.setattr(keras.datasets.cifar10, "load_data", lambda: (train, train))
    raw = builtin_registry.dataset("cifar10").load()

    np.testing.assert_array_equal(raw.labels, np.arange(6))


def test_a_corrupt_cache_file_is_a_data_error(builtin_registry, keras_home):
    (keras_home / "mnist.npz").write_bytes(b"not a zip file")

    with pytest.raises(DataError, match="cannot be read.*Delete"):
        load_data("mnist", 28, registry=builtin_registry)


# The batch stream ------------------------------------------------------------------------------

def test_same_seed_gives_the_same_batches_from_fresh_datasets(builtin_registry):
    first = take(load_data("digits", 28, registry=builtin_registry), 3, batch_size=32, seed=7)
    again = take(load_data("digits", 28, registry=builtin_registry), 3, batch_size=32, seed=7)
    other = take(load_data("digits", 28, registry=builtin_registry), 3, batch_size=32, seed=8)

    assert_same_batches(first, again)
    assert not np.array_equal(first[0][1], other[0][1])


def digest(batches: list) -> str:
    return hashlib.sha256(b"".join(a.tobytes() + b.tobytes() for a, b in batches)).hexdigest()


def test_same_seed_gives_the_same_batches_in_a_fresh_process_whatever_its_global_seed(
        builtin_registry):
    # The trainer seeds TensorFlow globally and enables op determinism; neither may change
    # which examples a seed picks, or a resumed run would see different data.
    script = (
        "import keras, tensorflow as tf, ganzoo.data.builtin, tests.test_data as t\n"
        "from ganzoo.registry import Registry\n"
        "keras.utils.set_random_seed(99); tf.config.experimental.enable_op_determinism()\n"
        "tf.random.uniform([3])\n"
        "r = Registry(autoload=False); r.register(ganzoo.data.builtin, name='datasets')\n"
        "print(t.digest(t.take(t.load_data('digits', 28, registry=r), 2, 32, seed=7)))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env,
                            capture_output=True, text=True, check=True, timeout=120)

    here = take(load_data("digits", 28, registry=builtin_registry), 2, 32, seed=7)
    assert result.stdout.strip().splitlines()[-1] == digest(here)


def test_every_example_is_seen_once_per_epoch(tmp_path):
    x = np.zeros((12, 4, 4), np.uint8)
    data = load_data(write_npz(tmp_path / "d.npz", x=x, y=np.arange(12)), 4)

    labels = [labels for _, labels in take(data, 6, batch_size=4)]

    assert sorted(np.concatenate(labels[:3])) == list(range(12))
    assert sorted(np.concatenate(labels[3:])) == list(range(12))
    assert not np.array_equal(np.concatenate(labels[:3]), np.concatenate(labels[3:]))


def test_a_batch_larger_than_the_dataset_repeats_examples(tmp_path):
    data = load_data(write_npz(tmp_path / "d.npz", x=np.zeros((3, 4, 4), np.uint8)), 4)

    [(images, labels)] = take(data, 1, batch_size=8)

    assert images.shape == (8, 4, 4, 1)
    np.testing.assert_array_equal(labels, np.zeros(8))


def in_memory_source(tmp_path: Path) -> ImageDataset:
    x = np.arange(10, dtype=np.uint8)[:, None, None] * np.ones((10, 4, 4), np.uint8) * 20
    return load_data(write_npz(tmp_path / "d.npz", x=x, y=np.arange(10)), 4)


def folder_source(tmp_path: Path) -> ImageDataset:
    for value in range(5):
        write_image(tmp_path / "images" / f"{value}.png", value * 50)
    return load_data(str(tmp_path / "images"), 4)


@pytest.mark.parametrize("make", [in_memory_source, folder_source], ids=["in-memory", "folder"])
def test_skipping_batches_continues_the_same_stream(tmp_path, make):
    data = make(tmp_path)
    # Batches of 4 from 10 examples, or of 2 from 5, so the skip crosses an epoch boundary.
    batch_size = 4 if data.num_examples == 10 else 2

    stream = take(data, 7, batch_size, seed=5)
    resumed = take(data, 4, batch_size, seed=5, skip=3)

    assert_same_batches(stream[3:], resumed)


def test_invalid_batch_size_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="batch_size must be an integer >= 1. Received: "
                                        "batch_size=0"):
        in_memory_source(tmp_path).batches(0, seed=0)


# Folders of images -----------------------------------------------------------------------------

def test_class_subfolders_become_labels_in_sorted_order(tmp_path):
    write_image(tmp_path / "white" / "a.png", 255)
    write_image(tmp_path / "white" / "nested" / "b.GIF", 255)
    write_image(tmp_path / "black" / "c.jpg", 0)
    write_image(tmp_path / "black" / "d.bmp", 0)
    write_image(tmp_path / "black" / "e.JPEG", 0)
    (tmp_path / "black" / "notes.txt").write_text("not an image")
    write_image(tmp_path / ".hidden" / "f.png", 128)

    data = load_data(str(tmp_path), 16)

    assert (data.class_names, data.num_classes, data.num_examples) == (("black", "white"), 2, 5)
    assert data.image_shape == (16, 16, 3)
    [(images, labels)] = take(data, 1, batch_size=10)
    np.testing.assert_allclose(images.mean(axis=(1, 2, 3)), np.where(labels == 1, 1.0, -1.0),
                               atol=0.02)


def test_a_folder_without_subfolders_is_one_unlabelled_set(tmp_path):
    for name in ["a.png", "b.jpg", "c.bmp"]:
        write_image(tmp_path / name, size=(30, 10))

    data = load_data(str(tmp_path), 28)

    assert (data.num_examples, data.num_classes, data.class_names) == (3, 0, ())
    [(images, labels)] = take(data, 1, batch_size=4)
    assert images.shape == (4, 28, 28, 3)
    np.testing.assert_array_equal(labels, np.zeros(4, np.int32))


def test_images_next_to_class_subfolders_are_ignored_with_a_warning(tmp_path):
    write_image(tmp_path / "cats" / "a.png")
    write_image(tmp_path / "stray.png")
    write_image(tmp_path / "other.jpg")

    with pytest.warns(DataWarning, match="2 image.* are ignored"):
        data = load_data(str(tmp_path), 8)
    assert data.num_examples == 1


def test_a_folder_of_grayscale_images_has_one_channel(tmp_path):
    write_image(tmp_path / "a.png", mode="L")
    write_image(tmp_path / "b.jpg", mode="L")

    assert load_data(str(tmp_path), 8).image_shape == (8, 8, 1)
    write_image(tmp_path / "c.png", mode="RGB")
    assert load_data(str(tmp_path), 8).image_shape == (8, 8, 3)


def test_folder_images_are_read_from_disk_as_batches_are_built(tmp_path):
    path = write_image(tmp_path / "a.png", 0)
    data = load_data(str(tmp_path), 8)
    write_image(path, 255)

    [(images, _)] = take(data, 1, batch_size=1)

    assert images.min() == 1.0


def bad_folder(tmp_path: Path) -> Path:
    for index in range(3):
        write_image(tmp_path / f"good{index}.png")
    write_truncated(tmp_path / "cut.png")
    write_truncated(tmp_path / "cut.jpg")
    (tmp_path / "text.png").write_text("not an image")
    return tmp_path


def test_unreadable_files_are_skipped_with_one_warning_that_counts_them(tmp_path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = load_data(str(bad_folder(tmp_path)), 8)

    [warning] = [w for w in caught if issubclass(w.category, DataWarning)]
    assert "Skipped 3 of 6 image files" in str(warning.message)
    for name in ["cut.jpg", "cut.png", "text.png"]:
        assert name in str(warning.message)
    assert data.num_examples == 3
    assert take(data, 1, batch_size=6)[0][0].shape == (6, 8, 8, 3)


def test_strict_mode_turns_the_first_unreadable_file_into_an_error(tmp_path):
    with pytest.raises(DataError, match="cut.jpg.*truncated"):
        load_data(str(bad_folder(tmp_path)), 8, strict=True)


def test_a_warning_names_the_first_three_bad_files_only(tmp_path):
    write_image(tmp_path / "good.png")
    for index in range(5):
        (tmp_path / f"bad{index}.jpg").write_bytes(b"")

    with pytest.warns(DataWarning, match="Skipped 5 of 6.*bad2.jpg.*and 2 more") as record:
        load_data(str(tmp_path), 8)
    assert "bad3.jpg" not in str(record[0].message)


def test_a_folder_of_only_unreadable_files_is_an_error(tmp_path):
    write_truncated(tmp_path / "cut.png")

    with pytest.raises(DataError, match="None of the 1 image files"):
        load_data(str(tmp_path), 8)


@pytest.mark.parametrize("contents", [[], ["notes.txt", "data.csv"]], ids=["empty", "no-images"])
def test_a_folder_without_images_names_the_accepted_extensions(tmp_path, contents):
    for name in contents:
        (tmp_path / name).write_text("x")

    with pytest.raises(DataError, match=f"{tmp_path}.*\\.png, \\.jpg, \\.jpeg, \\.bmp, \\.gif, "
                                        f"\\.webp, \\.tif, \\.tiff"):
        load_data(str(tmp_path), 8)


def test_a_paletted_bmp_is_read_in_its_palette_colours(tmp_path):
    image = Image.new("P", (4, 4), 1)
    image.putpalette([0, 0, 0, 200, 30, 30] + [0] * 762)
    save(tmp_path / "palette.bmp", image)

    np.testing.assert_array_equal(pixels(load_data(str(tmp_path), 4, strict=True))[0, 0, 0],
                                  [200, 30, 30])


# Folders as users have them: transparency, formats, orientation, bit depth, aspect ratio ----

def pixels(data: ImageDataset) -> np.ndarray:
    """The first batch of one image per file, as uint8 (the stream's [-1, 1] mapped back)."""
    [(images, _)] = take(data, 1, batch_size=data.num_examples)
    return np.rint((images + 1.0) * 127.5).astype(np.uint8)


def save(path: Path, image: Image.Image, **options) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, **options)
    return path


def transparent_left_half(mode: str = "RGBA") -> Image.Image:
    """8x8: the left half fully transparent red, the right half opaque blue."""
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[:, :4] = (255, 0, 0, 0)
    rgba[:, 4:] = (0, 0, 255, 255)
    return Image.fromarray(rgba, "RGBA")


@pytest.mark.parametrize("background, rgb", [
    ("white", (255, 255, 255)), ("black", (0, 0, 0)), ("#336699", (0x33, 0x66, 0x99)),
])
def test_transparent_pixels_take_the_background_colour(tmp_path, background, rgb):
    save(tmp_path / "a.png", transparent_left_half())

    image = pixels(load_data(str(tmp_path), 8, background=background))[0]

    np.testing.assert_array_equal(image[:, :4], np.broadcast_to(rgb, (8, 4, 3)))
    np.testing.assert_array_equal(image[:, 4:], np.broadcast_to((0, 0, 255), (8, 4, 3)))


def test_transparency_is_white_by_default_and_half_transparency_blends(tmp_path):
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[...] = (255, 0, 0, 128)
    save(tmp_path / "a.png", Image.fromarray(rgba, "RGBA"))

    image = pixels(load_data(str(tmp_path), 8))[0]

    alpha = 128 / 255
    expected = np.rint(np.array([255, 0, 0]) * alpha + 255 * (1 - alpha))
    np.testing.assert_array_equal(image, np.broadcast_to(expected, (8, 8, 3)))


def test_gray_with_alpha_is_composited_and_stays_gray(tmp_path):
    la = np.zeros((8, 8, 2), np.uint8)
    la[:, :4] = (40, 0)
    la[:, 4:] = (40, 255)
    save(tmp_path / "a.png", Image.fromarray(la, "LA"))

    data = load_data(str(tmp_path), 8, background="black")

    assert data.image_shape == (8, 8, 1)
    image = pixels(data)[0, :, :, 0]
    np.testing.assert_array_equal(image[:, :4], 0)
    np.testing.assert_array_equal(image[:, 4:], 40)


def test_gray_with_alpha_on_a_coloured_background_is_read_as_colour(tmp_path):
    save(tmp_path / "a.png", transparent_left_half().convert("LA"))

    data = load_data(str(tmp_path), 8, background="#ff0000")

    assert data.image_shape == (8, 8, 3)
    np.testing.assert_array_equal(pixels(data)[0, 0, 0], [255, 0, 0])


@pytest.mark.parametrize("suffix", [".png", ".gif"])
def test_a_palette_colour_marked_transparent_takes_the_background(tmp_path, suffix):
    indices = np.zeros((8, 8), np.uint8)
    indices[:, 4:] = 1
    image = Image.fromarray(indices, "P")
    image.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)  # 0: red, 1: blue
    save(tmp_path / f"a{suffix}", image, transparency=0)

    image = pixels(load_data(str(tmp_path), 8, background="white"))[0]

    np.testing.assert_array_equal(image[:, :4], np.full((8, 4, 3), 255))
    np.testing.assert_array_equal(image[:, 4:], np.broadcast_to((0, 0, 255), (8, 4, 3)))


@pytest.mark.parametrize("background", ["#336699", "none"])
def test_a_png_and_a_webp_of_one_transparent_image_read_the_same(tmp_path, background):
    # TensorFlow decodes the PNG, Pillow the WebP: both paths must composite alike.
    rgba = np.random.default_rng(2).integers(0, 256, (8, 8, 4), dtype=np.uint8)
    save(tmp_path / "png" / "a.png", Image.fromarray(rgba, "RGBA"))
    save(tmp_path / "webp" / "a.webp", Image.fromarray(rgba, "RGBA"), lossless=True, exact=True)

    png, webp = (pixels(load_data(str(tmp_path / kind), 8, background=background))
                 for kind in ("png", "webp"))

    np.testing.assert_array_equal(png, webp)


def test_background_none_keeps_the_colour_under_transparent_pixels(tmp_path):
    save(tmp_path / "a.png", transparent_left_half())

    image = pixels(load_data(str(tmp_path), 8, background="none"))[0]

    np.testing.assert_array_equal(image[:, :4], np.broadcast_to((255, 0, 0), (8, 4, 3)))


def noise_rgb(size: tuple[int, int] = (8, 8)) -> np.ndarray:
    return np.random.default_rng(1).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)


@pytest.mark.parametrize("name, options", [
    ("a.webp", {"lossless": True}), ("a.tif", {}), ("a.TIFF", {"compression": "tiff_lzw"}),
], ids=["webp", "tiff", "lzw-tiff"])
def test_webp_and_tiff_files_are_read_exactly(tmp_path, name, options):
    rgb = noise_rgb()
    save(tmp_path / name, Image.fromarray(rgb), **options)

    np.testing.assert_array_equal(pixels(load_data(str(tmp_path), 8, strict=True))[0], rgb)


def sixteen_bit_gray() -> np.ndarray:
    return np.array([[0, 257 * 100, 65535, 65535 // 2]] * 4, np.uint16)


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_sixteen_bit_gray_is_scaled_by_its_value_range_not_clipped(tmp_path, suffix):
    values = sixteen_bit_gray()
    save(tmp_path / f"a{suffix}", Image.fromarray(values))

    data = load_data(str(tmp_path), 4)

    assert data.image_shape == (4, 4, 1)
    image = pixels(data)[0, :, :, 0]
    np.testing.assert_array_equal(image[:, [0, 1, 2]], np.broadcast_to([0, 100, 255], (4, 3)))
    np.testing.assert_array_equal(image[:, 3], np.rint(float(values[0, 3]) * 255 / 65535))


def test_sixteen_bit_rgb_keeps_its_high_bytes(tmp_path):
    import tensorflow as tf

    rgb = np.zeros((8, 8, 3), np.uint16)
    rgb[...] = (65535, 32768, 256 * 7 + 200)
    (tmp_path / "a.png").write_bytes(tf.io.encode_png(rgb).numpy())

    np.testing.assert_array_equal(pixels(load_data(str(tmp_path), 8))[0, 0, 0], [255, 128, 7])


def test_the_exif_orientation_is_applied(tmp_path):
    # Stored with its top half black; orientation 6 means "rotate 90 degrees clockwise to
    # display", which moves the top half to the right.
    stored = np.full((16, 16, 3), 255, np.uint8)
    stored[:8] = 0
    exif = Image.Exif()
    exif[0x0112] = 6
    save(tmp_path / "a.jpg", Image.fromarray(stored), exif=exif, quality=95)

    image = pixels(load_data(str(tmp_path), 16))[0].astype(float)

    assert image[:, :8].mean() > 245 and image[:, 8:].mean() < 10


def two_to_one() -> np.ndarray:
    """16 wide, 8 tall: columns 0-3 red, 4-11 green, 12-15 blue."""
    rgb = np.zeros((8, 16, 3), np.uint8)
    rgb[:, :4], rgb[:, 4:12], rgb[:, 12:] = (255, 0, 0), (0, 255, 0), (0, 0, 255)
    return rgb


def test_crop_keeps_the_centre_square_and_is_the_default(tmp_path):
    save(tmp_path / "wide.png", Image.fromarray(two_to_one()))
    save(tmp_path / "tall.png", Image.fromarray(two_to_one().transpose(1, 0, 2).copy()))

    for data in (load_data(str(tmp_path), 8), load_data(str(tmp_path), 8, fit="crop")):
        np.testing.assert_array_equal(pixels(data), np.broadcast_to((0, 255, 0), (2, 8, 8, 3)))


def test_pad_centres_the_image_on_the_background(tmp_path):
    save(tmp_path / "wide.png", Image.fromarray(two_to_one()))

    image = pixels(load_data(str(tmp_path), 16, fit="pad", background="#808080"))[0]

    np.testing.assert_array_equal(image[:4], np.full((4, 16, 3), 128))
    np.testing.assert_array_equal(image[4:12], two_to_one())
    np.testing.assert_array_equal(image[12:], np.full((4, 16, 3), 128))


def test_pad_on_one_channel_uses_the_background_gray(tmp_path):
    save(tmp_path / "wide.png", Image.fromarray(np.full((8, 16), 200, np.uint8)))

    image = pixels(load_data(str(tmp_path), 16, fit="pad", background="black"))[0, :, :, 0]

    np.testing.assert_array_equal(image[:4], 0)
    np.testing.assert_array_equal(image[4:12], 200)


def test_stretch_keeps_every_column(tmp_path):
    save(tmp_path / "wide.png", Image.fromarray(two_to_one()))

    image = pixels(load_data(str(tmp_path), 8, fit="stretch"))[0].astype(int)

    assert np.argmax(image[:, 0].mean(0)) == 0 and np.argmax(image[:, -1].mean(0)) == 2


@pytest.mark.parametrize("options, message", [
    ({"background": "pink"}, "background must be white, black, none .* or a colour as #rrggbb. "
                             "Received: background='pink'"),
    ({"background": "#12345"}, "Received: background='#12345'"),
    ({"fit": "zoom"}, "fit must be one of crop, pad, stretch. Received: fit='zoom'"),
])
def test_an_unknown_background_or_fit_is_a_data_error_for_any_source(builtin_registry, options,
                                                                     message):
    with pytest.raises(DataError, match=message):
        load_data("digits", 8, registry=builtin_registry, **options)


def test_a_colour_has_one_spelling():
    from ganzoo.data.folder import check_background

    assert [check_background(c) for c in ("#FFFFFF", " White", "#000000", "#AbCdEf")] == [
        "white", "white", "black", "#abcdef"]


def test_files_decoded_by_pillow_give_the_same_batches_in_a_fresh_process_under_op_determinism(
        tmp_path):
    # The trainer enables op determinism; a stateful decode would also run serially under it.
    for index in range(6):
        save(tmp_path / f"{index}.webp", Image.fromarray(noise_rgb((9, 7))), lossless=True)
        write_image(tmp_path / f"{index}.png", index * 40, size=(7, 9))
    script = (
        "import sys, tensorflow as tf, tests.test_data as t\n"
        "tf.config.experimental.enable_op_determinism()\n"
        "print(t.digest(t.take(t.load_data(sys.argv[1], 8), 4, 5, seed=3)))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run([sys.executable, "-c", script, str(tmp_path)], cwd=REPO, env=env,
                            capture_output=True, text=True, check=True, timeout=120)

    here = take(load_data(str(tmp_path), 8), 4, 5, seed=3)
    assert result.stdout.strip().splitlines()[-1] == digest(here)


# .npz files ------------------------------------------------------------------------------------

def test_an_npz_with_images_only_is_unlabelled_grayscale(tmp_path):
    data = load_data(write_npz(tmp_path / "d.npz", x=np.zeros((5, 8, 8), np.uint8)), 16)

    assert (data.image_shape, data.num_examples, data.num_classes) == ((16, 16, 1), 5, 0)


def test_an_npz_with_labels_counts_its_classes(tmp_path):
    x = np.zeros((4, 8, 8, 3), np.uint8)
    data = load_data(write_npz(tmp_path / "d.npz", x=x, y=np.array([0, 2, 1, 2])), 8)

    assert (data.image_shape, data.num_classes, data.class_names) == ((8, 8, 3), 3, ())


@pytest.mark.parametrize("scale", [
    lambda x: x / np.float32(255), lambda x: x / 127.5 - 1.0, lambda x: x.astype(float),
    lambda x: x.astype(np.int64),
], ids=["float-0-1", "float-minus1-1", "float-0-255", "int64"])
def test_npz_images_in_any_accepted_range_become_the_same_uint8(tmp_path, scale):
    x = np.random.default_rng(0).integers(0, 256, (3, 8, 8), dtype=np.uint8)
    x[0, 0, :2] = [0, 255]  # both ends present, as in real images

    images = read_npz(write_npz(tmp_path / "d.npz", x=scale(x))).images

    np.testing.assert_array_equal(images, x)


def test_npz_channels_are_converted_as_asked(tmp_path):
    red = np.zeros((2, 4, 4, 4), np.uint8)
    red[..., 0], red[..., 3] = 255, 7  # RGBA: the alpha channel is dropped

    rgb = load_data(write_npz(tmp_path / "rgba.npz", x=red), 4)
    gray = load_data(str(tmp_path / "rgba.npz"), 4, channels=1)
    replicated = load_data(write_npz(tmp_path / "g.npz", x=red[..., 0]), 4, channels=3)

    assert rgb.image_shape == (4, 4, 3)
    np.testing.assert_array_equal(take(rgb, 1, 1)[0][0][0, 0, 0], [1.0, -1.0, -1.0])
    np.testing.assert_allclose(take(gray, 1, 1)[0][0][0, 0, 0], [0.2989 * 255 / 127.5 - 1],
                               atol=1 / 127.5)
    np.testing.assert_array_equal(take(replicated, 1, 1)[0][0][0, 0, 0], [1.0, 1.0, 1.0])


def test_a_missing_npz_is_an_error_naming_the_path(tmp_path):
    with pytest.raises(DataError, match=f"{tmp_path / 'nope.npz'} does not exist"):
        load_data(str(tmp_path / "nope.npz"), 8)


def test_an_npz_without_x_names_the_keys_it_has(tmp_path):
    path = write_npz(tmp_path / "d.npz", images=np.zeros((2, 8, 8)), labels=np.zeros(2))

    with pytest.raises(DataError, match="no array 'x'.*Keys found: images, labels"):
        load_data(path, 8)


def test_npz_labels_must_match_the_number_of_images(tmp_path):
    path = write_npz(tmp_path / "d.npz", x=np.zeros((4, 8, 8), np.uint8), y=np.arange(3))

    with pytest.raises(DataError, match=r"one label per image in 'x' \(4\).*shape=\(3,\)"):
        load_data(path, 8)


@pytest.mark.parametrize("x, message", [
    (np.zeros((2, 3, 8, 8), np.uint8), "NHW or NHWC.*Transpose NCHW"),
    (np.full((2, 8, 8), 300.0), r"floats in \[0, 1\].*values in \[300, 300\]"),
    (np.zeros((2, 8, 8), bool), "dtype=bool"),
], ids=["channels-first", "out-of-range", "bool"])
def test_npz_images_in_an_unknown_layout_or_range_are_errors(tmp_path, x, message):
    with pytest.raises(DataError, match=message):
        load_data(write_npz(tmp_path / "d.npz", x=x), 8)


def test_a_path_that_is_neither_name_nor_data_is_an_unknown_name(builtin_registry, tmp_path):
    with pytest.raises(UnknownNameError, match="Unknown dataset .*Available: cifar10, digits"):
        load_data(str(tmp_path / "missing-folder"), 8, registry=builtin_registry)


# The folder options as settings of a run --------------------------------------------------------

def test_a_run_records_how_it_read_its_folder_and_a_resume_may_not_change_it(tmp_path):
    import ganzoo
    from ganzoo.errors import RunError

    for index in range(4):
        save(tmp_path / "data" / f"{index}.png", Image.fromarray(two_to_one()))
    run = ganzoo.train("mlp-gan", str(tmp_path / "data"), steps=1, batch_size=4, image_size=28,
                       out=tmp_path / "runs", progress=False, background="#FFFFFF", fit="pad").run

    assert (run.config.background, run.config.fit) == ("white", "pad")
    with pytest.raises(RunError, match="--fit cannot change when resuming.*fit='pad'"):
        ganzoo.train(resume=run.path, steps=2, fit="crop", progress=False)


def test_a_run_made_before_the_folder_options_resumes_reading_as_it_was_trained(tmp_path):
    from ganzoo.runs import Run, RunConfig

    written = RunConfig(arch="mlp-gan", data="folder", image_size=28, channels=3, num_classes=0,
                        latent_dim=8, batch_size=4, loss="nonsaturating", generator_lr=1e-4,
                        discriminator_lr=1e-4, beta_1=0.5, beta_2=0.999,
                        discriminator_steps=1, steps=1, seed=0, sample_every=1,
                        checkpoint_every=1, log_every=1)
    values = json.loads(written.to_json())
    del values["background"], values["fit"]
    (tmp_path / "config.json").write_text(json.dumps(values))

    config = Run.open(tmp_path).config

    # Alpha dropped and images stretched, as folders were read before.
    assert (config.background, config.fit) == ("none", "stretch")


@pytest.mark.parametrize("flag, value, message", [
    ("--background", "pink", "background must be white, black, none"),
    ("--fit", "zoom", "fit must be one of crop, pad, stretch"),
])
def test_a_bad_background_or_fit_on_the_command_line_is_one_line_with_status_2(
        capsys, tmp_path, flag, value, message):
    from ganzoo.cli import main

    code = main(["train", "--arch", "mlp-gan", "--out", str(tmp_path), flag, value])

    err = capsys.readouterr().err
    assert code == 2
    assert message in err and f"Received: {flag[2:]}='{value}'" in err
    assert len(err.strip().splitlines()) == 1 and not any(tmp_path.iterdir())


def test_evaluation_reads_the_real_images_as_the_run_did(tmp_path):
    from ganzoo.metrics._reference import real_sample

    save(tmp_path / "wide.png", Image.fromarray(two_to_one()))

    sample = real_sample(str(tmp_path), 16, fit="pad", background="#808080")

    expected = pixels(load_data(str(tmp_path), 16, fit="pad", background="#808080"))
    np.testing.assert_array_equal(sample.images, expected)
    assert not np.array_equal(sample.images, real_sample(str(tmp_path), 16).images)
