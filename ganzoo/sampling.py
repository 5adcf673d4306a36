"""Draw images from a trained generator."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ganzoo.errors import GanzooError
from ganzoo.images import grid, grid_columns, save_atomic, to_uint8


def latents(count: int, latent_dim: int, seed: int):
    """A reproducible latent batch: the same seed gives the same z on every machine.

    Stateless, so drawing it never disturbs the training run's random stream.
    """
    import tensorflow as tf

    return tf.random.stateless_normal([count, latent_dim], seed=[seed, 0x5A3])


def grid_labels(count: int, num_classes: int) -> np.ndarray:
    """Labels that cycle through the classes, so a grid with `num_classes` columns shows one
    class per column."""
    return (np.arange(count) % num_classes).astype(np.int32)


def generate(generator, count: int, latent_dim: int, seed: int, labels: np.ndarray | None = None,
             batch_size: int = 256) -> np.ndarray:
    """Run the generator in inference mode; return uint8 NHWC images."""
    import tensorflow as tf

    z = latents(count, latent_dim, seed)
    if labels is not None:
        labels = tf.convert_to_tensor(labels, tf.int32)
    outputs = []
    for start in range(0, count, batch_size):
        stop = min(start + batch_size, count)
        inputs = z[start:stop] if labels is None else [z[start:stop], labels[start:stop]]
        outputs.append(np.asarray(generator(inputs, training=False)))
    return to_uint8(np.concatenate(outputs))


def sample(run: str | os.PathLike, n: int = 64, label: int | None = None, seed: int = 0,
           out: str | os.PathLike | None = None, step: int | str | None = None) -> np.ndarray:
    """Draw `n` images from a trained run (its latest checkpoint, or `step`).

    Args:
        run: the run directory that ``ganzoo train`` printed.
        n: how many images.
        label: for a conditional run, the class to draw (default: every class in turn).
        seed: seed of the latent vectors; the same seed gives the same images.
        out: if given, a PNG file to write the images to as a grid.
        step: a checkpoint step to use instead of the latest, or ``"best"`` for the checkpoint
            with the lowest FID (kept when trained with ``eval_every``).

    Returns:
        uint8 array of shape ``[n, height, width, channels]``.

    Example:
        >>> images = ganzoo.sample("runs/dcgan-20261121-101500", n=16, out="grid.png")
    """
    from ganzoo.runs import Run

    if n < 1:
        raise GanzooError(f"n must be a positive number of images. Received: n={n}.")
    opened = Run.open(run)
    config = opened.config
    labels = None
    if config.num_classes:
        if label is not None and not 0 <= label < config.num_classes:
            names = f" ({', '.join(config.class_names)})" if config.class_names else ""
            raise GanzooError(f"label must be a class index from 0 to {config.num_classes - 1}"
                              f"{names}. Received: label={label}.")
        labels = (np.full(n, label, np.int32) if label is not None
                  else grid_labels(n, config.num_classes))
    elif label is not None:
        raise GanzooError(f"Run {str(run)!r} trained the unconditional architecture "
                          f"{config.arch!r}, which takes no label. Received: label={label}.")
    if out is not None:
        out = Path(out)
        if out.suffix.lower() != ".png":
            raise GanzooError(f"out must be a .png file. Received: out={str(out)!r}.")
        if not out.parent.exists():
            raise GanzooError(f"The folder of out does not exist: {str(out.parent)!r}.")
    generator = opened.load_generator(step)
    images = generate(generator, n, config.latent_dim, seed, labels)
    if out is not None:
        save_atomic(grid(images, columns=grid_columns(config.num_classes, label)), out)
    return images


def load_generator(path: str | os.PathLike, step: int | str | None = None):
    """Load a generator from a run directory (its checkpoint) or a ``.keras`` file.

    A ``.keras`` file is loaded in Keras safe mode, so a file cannot run arbitrary code.
    """
    path = Path(path)
    if path.suffix == ".keras":
        import keras

        if not path.is_file():
            raise GanzooError(f"Generator file {str(path)!r} does not exist.")
        return keras.saving.load_model(path, compile=False, safe_mode=True)
    from ganzoo.runs import Run

    return Run.open(path).load_generator(step)
