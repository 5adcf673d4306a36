"""Draw images from a trained generator: grids, labelled data sets and latent walks.

The data-set writer, its latents, truncation and the discriminator rejection live in the edge
runner's `ganzoo_edge.dataset` (numpy and Pillow only), so ``ganzoo sample --out-dir`` and
``ganzoo-edge --out-dir`` are one implementation; this module adds what needs the run: its
generator, its discriminator (for ``keep_best``) and the manifest's checkpoint step.

Latent walks use spherical interpolation (White, "Sampling Generative Networks", 2016,
https://arxiv.org/abs/1609.04468), which keeps intermediate latents at the norm a Gaussian
latent has, where a straight line would pass through unlikely, too-short vectors.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ganzoo.errors import GanzooError
from ganzoo.images import grid, grid_columns, save_atomic, to_uint8
from ganzoo.plugin import discriminator_outputs


def latents(count: int, latent_dim: int, seed: int) -> np.ndarray:
    """Latents 0 to `count` - 1 of `seed`, float32 ``[count, latent_dim]``: the same seed draws
    the same z on every machine, in ganzoo-edge and in an exported web page
    (`ganzoo_edge.latents`, which documents the rule)."""
    from ganzoo_edge.latents import latents as seeded

    return seeded(range(count), latent_dim, seed)


_seeded = latents  # `interpolate` takes a parameter of that name


def grid_labels(count: int, num_classes: int) -> np.ndarray:
    """Labels that cycle through the classes, so a grid with `num_classes` columns shows one
    class per column."""
    return (np.arange(count) % num_classes).astype(np.int32)


def generate(generator, count: int, latent_dim: int, seed: int, labels: np.ndarray | None = None,
             batch_size: int = 256) -> np.ndarray:
    """Run the generator in inference mode; return uint8 NHWC images."""
    import tensorflow as tf

    z = tf.convert_to_tensor(latents(count, latent_dim, seed))
    if labels is not None:
        labels = tf.convert_to_tensor(labels, tf.int32)
    outputs = []
    for start in range(0, count, batch_size):
        stop = min(start + batch_size, count)
        inputs = z[start:stop] if labels is None else [z[start:stop], labels[start:stop]]
        outputs.append(np.asarray(generator(inputs, training=False)))
    return to_uint8(np.concatenate(outputs))


def sample(run: str | os.PathLike, n: int = 64, label: int | str | None = None, seed: int = 0,
           out: str | os.PathLike | None = None, step: int | str | None = None, *,
           truncation: float | None = None, keep_best: float | None = None) -> np.ndarray:
    """Draw `n` images from a trained run (its latest checkpoint, or `step`).

    Args:
        run: the run directory that ``ganzoo train`` printed.
        n: how many images.
        label: for a conditional run, the class to draw, by name (a class folder's) or index
            (default: every class in turn).
        seed: seed of the latent vectors; the same seed gives the same images.
        out: if given, a PNG file to write the images to as a grid.
        step: a checkpoint step to use instead of the latest, or ``"best"`` for the checkpoint
            with the lowest FID (kept when trained with ``eval_every``).
        truncation: redraw latent entries whose magnitude exceeds this (BigGAN truncation):
            smaller values trade variety for quality.
        keep_best: keep this fraction of candidates, the ones the run's discriminator rates
            most real (simplified discriminator rejection sampling).

        With `truncation` or `keep_best`, latents come from the data-set writer's per-index
        stream (`sample_dataset`), so they differ from the unfiltered draw of the same seed.

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
        if label is not None:
            label = config.label_index(label)
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
    if truncation is None and keep_best is None:
        images = generate(opened.load_generator(step), n, config.latent_dim, seed, labels)
    else:
        images = _filtered(opened, step, labels, n, seed, truncation, keep_best)
    if out is not None:
        save_atomic(grid(images, columns=grid_columns(config.num_classes, label)), out)
    return images


def _edge_dataset():
    try:
        from ganzoo_edge import dataset
    except ImportError as error:  # the edge runner ships beside ganzoo, not inside it
        raise GanzooError("Data sets, truncation and keep_best use the edge runner's writer, "
                          "which is not installed: install the ganzoo-edge distribution that "
                          "ships in ganzoo's repository (pip install -e <its folder>).") \
            from error
    return dataset


def _checked(call, *args, **kwargs):
    """Run an edge-runner function, re-raising its user errors as `GanzooError`s."""
    from ganzoo_edge import EdgeError

    try:
        return call(*args, **kwargs)
    except EdgeError as error:
        raise GanzooError(str(error)) from error


def _drawer(generator, conditional: bool):
    def draw(z: np.ndarray, labels: np.ndarray | None) -> np.ndarray:
        inputs = [z, labels] if conditional else z
        return to_uint8(np.asarray(generator(inputs, training=False)))

    return draw


def load_discriminator(run, step: int | str | None = None, registry=None):
    """Rebuild a run's discriminator and restore it from the checkpoint at `step`."""
    import tensorflow as tf

    from ganzoo.errors import RunError
    from ganzoo.runs import CONFIG, Run

    opened = run if isinstance(run, Run) else Run.open(run)
    config = opened.config
    path = opened.checkpoint_path(step)
    discriminator = opened.architecture(registry).discriminator(config.image_shape,
                                                                config.num_classes)
    try:
        tf.train.Checkpoint(discriminator=discriminator).restore(path) \
            .assert_existing_objects_matched().expect_partial()
    except AssertionError as error:
        raise RunError(f"Checkpoint {path!r} of run {str(opened.path)!r} has no weights for "
                       f"the discriminator that {CONFIG} describes; was it written by another "
                       f"run?") from error
    return discriminator


def _scorer(opened, step, registry=None):
    """Realness logits of uint8 images (and labels) under the run's discriminator."""
    spec = opened.architecture(registry)
    discriminator = load_discriminator(opened, step, registry)

    def score(images: np.ndarray, labels: np.ndarray | None) -> np.ndarray:
        x = np.asarray(images, np.float32) / 127.5 - 1.0
        outputs = discriminator([x, labels] if spec.discriminator_takes_label else x,
                                training=False)
        # A transition's conditional logit judges "a real picture of this class".
        logits = discriminator_outputs(outputs, spec.second_head)[
            1 if spec.transition is not None else 0]
        return np.asarray(logits, np.float64).reshape(-1)

    return score


def _filtered(opened, step, labels: np.ndarray | None, n: int, seed: int,
              truncation: float | None, keep_best: float | None,
              averaged: bool = True) -> np.ndarray:
    """`n` images drawn through the data-set writer's latents and filters, in the order of
    `labels` (one class per grid column)."""
    dataset = _edge_dataset()
    config = opened.config
    num_classes = config.num_classes
    _checked(dataset.check_options, n=n, num_classes=num_classes, truncation=truncation,
             keep_best=keep_best)
    counts = (np.bincount(labels, minlength=num_classes).tolist() if labels is not None
              else [n])
    generator = opened.load_generator(step, averaged=averaged)
    score = _scorer(opened, step) if keep_best is not None else None
    by_class: list[list[np.ndarray]] = [[] for _ in counts]
    for batch in _checked(lambda: list(dataset.iter_samples(
            _drawer(generator, bool(num_classes)), latent_dim=config.latent_dim,
            num_classes=num_classes, counts=counts, seed=seed, truncation=truncation,
            keep_best=keep_best, score=score))):
        by_class[0 if batch.labels is None else int(batch.labels[0])].append(batch.images)
    images = np.empty((n, *config.image_shape), np.uint8)
    for label, parts in enumerate(by_class):
        if parts:
            where = np.arange(n) if labels is None else np.flatnonzero(labels == label)
            images[where] = np.concatenate(parts)
    return images


def sample_dataset(run: str | os.PathLike, out_dir: str | os.PathLike, n: int | None = None,
                   *, per_class: int | None = None, seed: int = 0,
                   step: int | str | None = None, truncation: float | None = None,
                   keep_best: float | None = None, format: str = "png",
                   overwrite: bool = False, batch_size: int = 256, averaged: bool = True,
                   progress: bool = False):
    """Write a labelled synthetic data set: one image file per sample and a manifest.

    Conditional runs get one subfolder per class (named by the run's class names) with
    `per_class` images each, or `n` split evenly; unconditional runs a flat folder of `n`.
    ``ganzoo train --data DIR`` and ``keras.utils.image_dataset_from_directory`` read the tree
    as it is. ``DIR/manifest.csv`` and ``DIR/manifest.jsonl`` list each file with its label,
    class name, latent seed and index, truncation, checkpoint step, weights and (with
    `keep_best`) discriminator score. The same run, step and seed give byte-identical files.
    Images are written batch by batch (flat memory) into ``.DIR.partial``, renamed to DIR at
    the end, so an interrupted write never leaves a complete-looking DIR.

    Args:
        run: the run directory that ``ganzoo train`` printed.
        out_dir: the folder to create; an existing non-empty one needs `overwrite`.
        n, per_class: how many images in all, or per class (conditional runs).
        seed: the latent seed.
        step: checkpoint step, ``"best"`` or None for the latest.
        truncation: redraw latent entries beyond this magnitude (Brock et al. 2019).
        keep_best: keep this fraction of candidates by the discriminator's realness logit,
            per class (simplified Azadi et al. 2019); the manifest records each score.
        format: ``png`` (default), ``jpg`` or ``webp`` (WebP is not read by ``ganzoo train``
            or Keras).
        averaged: draw from the moving average of the generator's weights, if the run keeps
            one (as ``ganzoo sample`` does); False uses the trained weights.
        progress: show a progress bar on stderr.

    Returns:
        A `ganzoo_edge.dataset.DatasetSummary` (path, count, counts per class, format).

    Example:
        >>> ganzoo.sample_dataset("runs/cgan-20261121-101500", "synthetic", per_class=500)
    """
    from tqdm.auto import tqdm

    from ganzoo.runs import Run

    dataset = _edge_dataset()
    opened = Run.open(run)
    config = opened.config
    _checked(dataset.check_options, n=n, per_class=per_class, num_classes=config.num_classes,
             truncation=truncation, keep_best=keep_best, format=format)
    _checked(dataset.check_destination, Path(out_dir), overwrite)
    checkpoint = opened.checkpoint_path(step)
    generator = opened.load_generator(step, averaged=averaged)
    score = _scorer(opened, step) if keep_best is not None else None
    total = sum(dataset.class_counts(config.num_classes, n, per_class))
    with tqdm(total=total, unit="img", disable=not progress, desc="sample") as bar:
        return _checked(
            dataset.write_dataset, out_dir, _drawer(generator, bool(config.num_classes)),
            latent_dim=config.latent_dim, num_classes=config.num_classes,
            class_names=config.class_names, n=n, per_class=per_class, seed=seed,
            truncation=truncation, keep_best=keep_best, score=score, format=format,
            overwrite=overwrite, batch_size=batch_size,
            step=int(checkpoint.rsplit("-", 1)[1]),
            weights="average" if averaged and config.ema_decay else "trained",
            progress=lambda done: bar.update(done - bar.n))


def slerp(start: np.ndarray, stop: np.ndarray, t: float) -> np.ndarray:
    """Spherical interpolation between two latents, t in [0, 1] (White 2016)."""
    start, stop = np.asarray(start, np.float64), np.asarray(stop, np.float64)
    cosine = np.dot(start, stop) / max(np.linalg.norm(start) * np.linalg.norm(stop), 1e-12)
    omega = math.acos(float(np.clip(cosine, -1.0, 1.0)))
    if omega < 1e-6:  # (nearly) the same direction: the straight line is the arc
        return (1 - t) * start + t * stop
    return (math.sin((1 - t) * omega) * start + math.sin(t * omega) * stop) / math.sin(omega)


ANIMATION_FORMATS = (".gif", ".webp", ".mp4", ".png")


def interpolate(run: str | os.PathLike, seeds: Sequence[int] | None = None, n: int = 4, *,
                seed: int = 0, frames_per_step: int = 16, label: int | str | None = None,
                across_classes: bool = False, loop: bool = True, fps: float = 12.0,
                out: str | os.PathLike | None = None, step: int | str | None = None,
                min_width: int = 512, latents: np.ndarray | None = None) -> np.ndarray:
    """A walk through a run's latent space, as frames (and, with `out`, a file).

    The walk visits the rows of `latents` (e.g. `ganzoo.project`'s, to walk between real
    pictures), else one latent per seed in `seeds` (or `n` latents drawn with `seed`) and
    moves between them by spherical interpolation, `frames_per_step` frames per leg, back to
    the first when `loop`. A conditional run shows every class side by side (one class per
    column) on the same latent, or only `label`. With `across_classes` the latent of the
    first seed stays fixed and the label moves through the classes, each held for
    `frames_per_step` frames (labels are discrete inputs, so there is nothing between two).

    Args:
        out: ``.gif`` or ``.webp`` (animated, Pillow), ``.mp4`` (needs
            ``pip install 'ganzoo[video]'``) or ``.png`` (every frame in one grid).
        fps: frames per second of the animation.
        min_width: frames are scaled up (nearest neighbour) to at least this width.

    Returns:
        uint8 array ``[frames, height, width, channels]`` of the frames as written.

    Example:
        >>> frames = ganzoo.interpolate("runs/cgan-20261121-101500", seeds=[0, 5, 9],
        ...                             out="walk.gif")
    """
    from ganzoo.runs import Run

    if frames_per_step < 1:
        raise GanzooError(f"frames_per_step must be a positive number of frames. Received: "
                          f"frames_per_step={frames_per_step}.")
    if not fps > 0:
        raise GanzooError(f"fps must be a positive number of frames per second. Received: "
                          f"fps={fps}.")
    if out is not None:
        out = Path(out)
        if out.suffix.lower() not in ANIMATION_FORMATS:
            raise GanzooError(f"out must end in one of {', '.join(ANIMATION_FORMATS)}. "
                              f"Received: out={str(out)!r}.")
        if not out.parent.exists():
            raise GanzooError(f"The folder of out does not exist: {str(out.parent)!r}.")
        if out.suffix.lower() == ".mp4":
            _video_writer()  # a missing extra fails before any work
    opened = Run.open(run)
    config = opened.config
    classes = config.num_classes
    if latents is not None:
        keys = np.asarray(latents, np.float64)
        if keys.ndim != 2 or keys.shape[1] != config.latent_dim or \
                len(keys) < (1 if across_classes else 2):
            raise GanzooError(f"latents must be an array [n, {config.latent_dim}] with n >= 2. "
                              f"Received: shape {tuple(keys.shape)}.")
    elif seeds is None:
        if n < 2 and not across_classes:
            raise GanzooError(f"A walk needs at least 2 latents. Received: n={n}.")
        keys = np.asarray(_seeded(n, config.latent_dim, seed), np.float64)
    else:
        seeds = list(seeds)
        if len(seeds) < (1 if across_classes else 2):
            raise GanzooError(f"A walk needs at least 2 seeds. Received: seeds={seeds}.")
        keys = np.stack([np.asarray(_seeded(1, config.latent_dim, s), np.float64)[0]
                         for s in seeds])
    if across_classes and not classes:
        raise GanzooError(f"across_classes needs a conditional run; {config.arch!r} takes no "
                          f"label. Received: across_classes=True.")
    if label is not None:
        label = config.label_index(label)
    generator = opened.load_generator(step)
    if across_classes:
        walk = np.repeat(keys[:1], classes * frames_per_step, axis=0)
        frame_labels = np.repeat(np.arange(classes, dtype=np.int32), frames_per_step)
        per_frame = [(z[None], frame_labels[i:i + 1]) for i, z in enumerate(walk)]
        columns = None
    else:
        legs = len(keys) if loop else len(keys) - 1
        walk = [slerp(keys[i], keys[(i + 1) % len(keys)], f / frames_per_step)
                for i in range(legs) for f in range(frames_per_step)]
        if not loop:
            walk.append(keys[-1])
        row = (np.arange(classes, dtype=np.int32) if classes and label is None
               else np.array([label], np.int32) if classes else None)
        width = 1 if row is None else len(row)
        per_frame = [(np.repeat(np.asarray(z, np.float32)[None], width, axis=0), row)
                     for z in walk]
        columns = grid_columns(classes, label)
    draw = _drawer(generator, bool(classes))
    frames = np.stack([np.asarray(grid(draw(np.asarray(z, np.float32), labels), columns=columns,
                                       min_width=min_width)) for z, labels in per_frame])
    if frames.ndim == 3:
        frames = frames[..., None]
    if out is not None:
        _write_frames(frames, out, fps)
    return frames


def _video_writer():
    try:
        import imageio.v3 as iio
        import imageio_ffmpeg  # noqa: F401  (the ffmpeg binary imageio writes MP4 with)
    except ImportError as error:
        raise GanzooError("Writing .mp4 needs the video extra: pip install 'ganzoo[video]' "
                          "(imageio and imageio-ffmpeg). .gif and .webp need nothing more.") \
            from error
    return iio


def _write_frames(frames: np.ndarray, out: Path, fps: float) -> Path:
    from PIL import Image

    suffix = out.suffix.lower()
    if suffix == ".png":
        return save_atomic(grid(frames, min_width=0), out)
    temporary = out.with_name(f".{out.stem}.tmp{out.suffix}")
    if suffix == ".mp4":
        iio = _video_writer()
        # H.264 in yuv420p needs even sides: pad with black rather than resize.
        height, width = frames.shape[1:3]
        padded = np.zeros((len(frames), height + height % 2, width + width % 2, 3), np.uint8)
        padded[:, :height, :width] = frames  # grey broadcasts to RGB
        iio.imwrite(temporary, padded, fps=fps, codec="libx264", macro_block_size=1,
                    plugin="FFMPEG")
    else:
        pictures = [Image.fromarray(f[..., 0] if f.shape[-1] == 1 else f) for f in frames]
        options = {"lossless": True} if suffix == ".webp" else {}
        pictures[0].save(temporary, format=suffix[1:].upper(), save_all=True,
                         append_images=pictures[1:], duration=round(1000 / fps), loop=0,
                         **options)
    os.replace(temporary, out)
    return out


def load_generator(path: str | os.PathLike, step: int | str | None = None):
    """Load a generator from a run directory (its checkpoint) or a ``.keras`` file.

    A ``.keras`` file is loaded in Keras safe mode, so a file cannot run arbitrary code.
    """
    path = Path(path)
    if path.suffix == ".keras":
        import keras

        import ganzoo.layers  # noqa: F401  registers ganzoo's own layers for safe mode

        if not path.is_file():
            raise GanzooError(f"Generator file {str(path)!r} does not exist.")
        return keras.saving.load_model(path, compile=False, safe_mode=True)
    from ganzoo.runs import Run

    return Run.open(path).load_generator(step)
