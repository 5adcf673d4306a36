"""Wall time is the budget, so speed is quality: fastgan's FLOP per image and what this CPU does.

    python benchmarks/fastgan_flops.py [--image-size 64] [--batch-size 8] [--steps 60]

Counts the multiply-adds of fastgan's generator and discriminator from their layers (every
Conv2D and Dense: output positions x kernel area x input channels x output channels; the
element-wise layers are left out, a few per cent), and from them a training step's FLOP: one
joint step runs the generator forward and backward, and the discriminator forward and backward
on a real and a fake batch, the fake one backward twice (for each network's loss); backward is
counted as twice the forward, the usual estimate. It then
times steps of the recommended command's training (``--precision auto``, ganzoo's own
`ganzoo.train`) and a large bfloat16 matrix product, the practical peak of this CPU's bfloat16
arithmetic, and prints the achieved GFLOP/s against it. Run it alone: it measures speed.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def multiply_adds(model) -> int:
    """Multiply-adds of one image through `model`'s Conv2D and Dense layers."""
    import keras

    total = 0
    for layer in model.layers:
        # a wrapped layer (spectral normalisation) does its inner layer's arithmetic
        inner = layer.layer if isinstance(layer, keras.layers.Wrapper) else layer
        if isinstance(inner, keras.layers.Conv2D):
            _, height, width, channels = layer.output.shape
            kernel = inner.kernel.shape
            total += height * width * kernel[0] * kernel[1] * kernel[2] * channels
        elif isinstance(inner, keras.layers.Dense):
            total += inner.kernel.shape[0] * inner.kernel.shape[1]
    return int(total)


def step_multiply_adds(generator: int, discriminator: int) -> int:
    """Multiply-adds of a joint training step per image, from the two networks' forward counts.

    Backward at twice the forward: G forward and backward (3g); D on the real batch, forward and
    backward for its loss (3d); D on the fake batch, forward, backward for its loss and again for
    the generator's loss, which the joint step's second tape takes through it (5d)."""
    return 3 * generator + 8 * discriminator


def matmul_peak(dtype: str = "bfloat16", side: int = 4096, repeats: int = 5) -> float:
    """GFLOP/s of a `side` x `side` matrix product in `dtype`, best of `repeats`."""
    import tensorflow as tf

    a = tf.random.stateless_normal([side, side], [0, 1], dtype=tf.float32)
    a, b = tf.cast(a, dtype), tf.cast(tf.transpose(a), dtype)
    @tf.function
    def product(x, y):
        return tf.reduce_sum(tf.cast(tf.matmul(x, y), tf.float32))

    product(a, b).numpy()
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        product(a, b).numpy()
        best = min(best, time.perf_counter() - started)
    return 2 * side ** 3 / best / 1e9


def step_seconds(size: int, batch_size: int, steps: int) -> tuple[float, int]:
    """Seconds per step of fastgan's training as the recommended command runs it, on random
    pictures after 20 warm-up steps: the median of the trainer's own images/s over intervals of
    20 steps, and how many intervals."""
    import json

    import numpy as np
    from PIL import Image

    import ganzoo

    with tempfile.TemporaryDirectory() as scratch:
        folder = os.path.join(scratch, "pictures")
        os.makedirs(folder)
        rng = np.random.default_rng(0)
        for index in range(64):
            Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8)).save(
                os.path.join(folder, f"{index}.png"))
        run = ganzoo.train("fastgan", data=folder, image_size=size, batch_size=batch_size,
                           steps=20 + steps, precision="auto", progress=False,
                           log_every=20, out=os.path.join(scratch, "runs"),
                           checkpoint_every=10 ** 6, sample_every=10 ** 6).run
        rates = [json.loads(line)["images_per_second"]
                 for line in run.metrics_path.read_text().splitlines()
                 if "images_per_second" in line][1:]  # the first interval holds the tracing
    return batch_size / float(np.median(rates)), len(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--steps", type=int, default=60, help="timed steps (after 20 warm-up)")
    args = parser.parse_args()
    from ganzoo.architectures import fastgan

    size = args.image_size
    generator = fastgan.build_generator((size, size, 3), 0, fastgan.FASTGAN.defaults.latent_dim)
    discriminator = fastgan.build_discriminator((size, size, 3), 0)
    g, d = multiply_adds(generator), multiply_adds(discriminator)
    step_flop = 2 * args.batch_size * step_multiply_adds(g, d)
    print(f"fastgan at {size} px: generator {2 * g / 1e9:.3f} GFLOP per image, discriminator "
          f"{2 * d / 1e9:.3f} GFLOP per image; a training step of {args.batch_size}: "
          f"{step_flop / 1e9:.2f} GFLOP")

    seconds, intervals = step_seconds(size, args.batch_size, args.steps)
    achieved = step_flop / seconds / 1e9
    peak = matmul_peak("bfloat16")
    peak32 = matmul_peak("float32")
    print(f"a step takes {seconds:.3f} s (median of {intervals} logged intervals of 20 steps, "
          f"the trainer's own images/s): {achieved:.1f} GFLOP/s achieved")
    print(f"this CPU's matrix-product peak: bfloat16 {peak:.0f} GFLOP/s, float32 "
          f"{peak32:.0f} GFLOP/s; fastgan reaches {100 * achieved / peak:.1f} % of the "
          f"bfloat16 peak")


if __name__ == "__main__":
    main()
