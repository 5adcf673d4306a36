"""Input pipeline measurements for throughput.py: ganzoo's batches with no training at all.

Three sources hold the same bundled digits at 28x28x1: the registered ``digits`` data set (in
memory), a folder of JPEG files (decoded from disk batch by batch) and an ``.npz`` file. Their
images/s, set against the fastest training row, show whether the input could ever be what
training waits for. `stream_memory` checks that streaming a folder does not grow memory.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

# The built-in architectures' default batch size; the fastest training rows use it.
BATCH_SIZE = 64
JPEG_FILES = 2000
IMAGE_SIZE = 28
# The memory check streams larger JPEGs, so that far more decoded pixels pass through the
# pipeline than any leak or cache could hide; RSS is read after N and 10N batches.
MEMORY_JPEG_SIDE = 128
MEMORY_BATCHES = 25

Tick = Callable[[int], bool]


def digits_uint8() -> tuple[np.ndarray, np.ndarray]:
    """The bundled digits at 28x28 as uint8 ``[n, 28, 28, 1]`` and their labels, as ganzoo
    resizes them for training (the same pixels every training row sees)."""
    from ganzoo.data import load_data

    data = load_data("digits", IMAGE_SIZE)
    images, labels = next(iter(data.batches(data.num_examples, seed=0)))
    return np.rint((images.numpy() + 1.0) * 127.5).astype(np.uint8), labels.numpy()


def write_jpeg_folder(folder: Path, count: int, side: int) -> Path:
    """Write `count` JPEGs of the digits (repeated as needed) at `side` x `side`, one subfolder
    per class, as ganzoo's folder layout expects."""
    from PIL import Image

    images, labels = digits_uint8()
    for index in range(count):
        image = Image.fromarray(images[index % len(images), :, :, 0])
        if side != IMAGE_SIZE:
            image = image.resize((side, side), Image.Resampling.BILINEAR)
        label_folder = folder / str(labels[index % len(labels)])
        label_folder.mkdir(parents=True, exist_ok=True)
        image.save(label_folder / f"{index:05d}.jpg", quality=95)
    return folder


def write_npz(path: Path) -> Path:
    images, labels = digits_uint8()
    np.savez(path, x=images, y=labels)
    return path


def prepare(kind: str, workdir: Path) -> str:
    """The source to pass to ``load_data`` for `kind` (``digits``, ``jpeg`` or ``npz``)."""
    if kind == "digits":
        return "digits"
    if kind == "jpeg":
        return str(write_jpeg_folder(workdir / "jpeg", JPEG_FILES, IMAGE_SIZE))
    if kind == "npz":
        return str(write_npz(workdir / "digits.npz"))
    raise ValueError(f"kind must be digits, jpeg or npz. Received: kind={kind!r}.")


def stream(source: str, tick: Tick) -> dict:
    """Iterate ``load_data(source, 28).batches()`` until `tick` says the measurement is done."""
    import time

    from ganzoo.data import load_data

    started = time.perf_counter()
    # For a folder this decodes every file once, to report bad files before training starts.
    data = load_data(source, IMAGE_SIZE)
    opened = time.perf_counter() - started
    for _batch in data.batches(BATCH_SIZE, seed=0):
        if not tick(BATCH_SIZE):
            break
    return {"batch": BATCH_SIZE, "open_seconds": opened, "num_examples": data.num_examples}


def stream_memory(workdir: Path, rss_mb: Callable[[], float | None]) -> dict:
    """Resident memory after N and after 10N batches streamed from a folder of JPEGs."""
    from ganzoo.data import load_data

    folder = write_jpeg_folder(workdir / "jpeg-large", JPEG_FILES, MEMORY_JPEG_SIDE)
    on_disk = sum(path.stat().st_size for path in folder.rglob("*.jpg"))
    data = load_data(str(folder), IMAGE_SIZE)
    readings = {"opened": rss_mb()}
    batches = iter(data.batches(BATCH_SIZE, seed=0))
    for count in range(1, 10 * MEMORY_BATCHES + 1):
        next(batches)
        if count in (MEMORY_BATCHES, 10 * MEMORY_BATCHES):
            readings[count] = rss_mb()
    images = 10 * MEMORY_BATCHES * BATCH_SIZE
    return {
        "files": JPEG_FILES, "side": MEMORY_JPEG_SIDE, "on_disk_mb": on_disk / 2**20,
        "batch": BATCH_SIZE, "batches": MEMORY_BATCHES, "images": images,
        # tf.io.decode_image(channels=3) decodes every file to side x side x 3 bytes.
        "decoded_mb": images * MEMORY_JPEG_SIDE ** 2 * 3 / 2**20,
        "rss_opened_mb": readings["opened"], "rss_n_mb": readings[MEMORY_BATCHES],
        "rss_10n_mb": readings[10 * MEMORY_BATCHES],
    }
