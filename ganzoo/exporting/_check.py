"""Proof that an exported file draws what the Keras generator draws, and how fast.

Every file runs the same latents (and labels) as the generator in its own runtime. Outputs are
compared on the [-1, 1] scale (uint8 outputs mapped back with ``x / 127.5 - 1``): the largest
absolute difference, and the PSNR with a peak-to-peak of 2.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ganzoo.exporting._formats import FLOAT_TOLERANCE, ONE_PIXEL_LEVEL, Target, calls_for
from ganzoo.images import to_uint8

Runner = Callable[[dict[str, np.ndarray]], np.ndarray]

CHECK_SEED = 0
CALIBRATION_SEED = 1  # int8 calibrates on other latents than it is checked on
LATENCY_BATCH = 64


def inputs(count: int, latent_dim: int, num_classes: int, seed: int) -> dict[str, np.ndarray]:
    """`count` latents from `ganzoo.sampling.latents` and labels cycling through the classes."""
    from ganzoo.sampling import grid_labels, latents

    batch = {"z": np.asarray(latents(count, latent_dim, seed), np.float32)}
    if num_classes:
        batch["label"] = grid_labels(count, num_classes)
    return batch


def check_count(batch: int | None) -> int:
    """Enough images for a batch-64 measurement, in whole calls of a fixed `batch`."""
    return LATENCY_BATCH if batch is None else batch * calls_for(LATENCY_BATCH, batch)


def reference(generator, batch: dict[str, np.ndarray], output: str) -> np.ndarray:
    """The Keras generator's images for `batch`, as the file should give them, on [-1, 1]."""
    model_inputs = [batch["z"], batch["label"]] if "label" in batch else batch["z"]
    images = np.asarray(generator(model_inputs, training=False), np.float32)
    return unit_range(to_uint8(images)) if output == "uint8" else images


def unit_range(images: np.ndarray) -> np.ndarray:
    if images.dtype == np.uint8:
        return images.astype(np.float32) / 127.5 - 1.0
    return np.asarray(images, np.float32)


def run_all(run: Runner, batch: dict[str, np.ndarray], file_batch: int | None) -> np.ndarray:
    """Run every row of `batch` through a file, in calls of its fixed batch size if it has one."""
    if file_batch is None:
        return unit_range(run(batch))
    count = len(batch["z"])
    parts = [run({k: v[start:start + file_batch] for k, v in batch.items()})
             for start in range(0, count, file_batch)]
    return unit_range(np.concatenate(parts))


@dataclass(frozen=True)
class Parity:
    max_diff: float
    psnr_db: float

    @classmethod
    def measure(cls, actual: np.ndarray, expected: np.ndarray) -> Parity:
        difference = np.asarray(actual, np.float64) - np.asarray(expected, np.float64)
        mse = float(np.mean(difference ** 2))
        psnr = math.inf if mse == 0 else 10 * math.log10(2.0 ** 2 / mse)
        return cls(float(np.max(np.abs(difference))), psnr)


def requirement(target: Target, output: str) -> str:
    floor = target.precision.psnr_floor
    if floor is not None:
        return f"PSNR >= {floor:g} dB"
    return f"max diff <= {tolerance(output):.2g}"


def tolerance(output: str) -> float:
    return FLOAT_TOLERANCE + (ONE_PIXEL_LEVEL if output == "uint8" else 0.0)


def shortfall(target: Target, output: str, parity: Parity) -> str | None:
    """Why `parity` fails the file's requirement, with by how much; None when it passes."""
    floor = target.precision.psnr_floor
    if not math.isfinite(parity.max_diff) or math.isnan(parity.psnr_db):
        return "its output is not finite (NaN or infinity)"
    if floor is not None and parity.psnr_db < floor:
        return (f"PSNR {parity.psnr_db:.1f} dB is {floor - parity.psnr_db:.1f} dB below its "
                f"floor of {floor:g} dB (max diff {parity.max_diff:.3g})")
    if floor is None and parity.max_diff > tolerance(output):
        return (f"max diff {parity.max_diff:.3g} exceeds the tolerance {tolerance(output):.2g} "
                f"by {parity.max_diff - tolerance(output):.3g}")
    return None


def latency_ms(run: Runner, batch: dict[str, np.ndarray], images: int, file_batch: int | None,
               repeats: int) -> float:
    """Median wall time, in ms, to draw `images` images: one call with an open batch, or as many
    calls of the fixed batch as it takes."""
    size = images if file_batch is None else file_batch
    one_call = {k: v[:size] for k, v in batch.items()}
    calls = calls_for(images, file_batch)
    for _ in range(2):  # the first calls allocate and pick kernels
        run(one_call)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            run(one_call)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def latency_note(file_batch: int | None) -> str:
    if file_batch is None:
        return ""
    calls = calls_for(LATENCY_BATCH, file_batch)
    note = f"batch {LATENCY_BATCH} = {calls} call{'s' if calls > 1 else ''} of {file_batch}"
    if file_batch != 1:
        note += f"; batch 1 = 1 call of {file_batch}"
    return note
