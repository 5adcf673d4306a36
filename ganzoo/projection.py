"""Back from a picture: the latent from which a run's generator redraws it (``ganzoo project``).

Follows StyleGAN's projector (Karras et al., "Analyzing and Improving the Image Quality of
StyleGAN", CVPR 2020, section 5 and appendix D; official code: projector.py of
NVlabs/stylegan2-ada-pytorch): start from a latent of high prior probability, then take Adam
steps on a perceptual distance to the target, with the learning rate ramped up and down and a
penalty that keeps the latent where the prior puts its mass. Then the error is put beside a
baseline that says what it means: each picture's distance to its nearest other real picture
of the run's data.

Deviations, each named:

- ganzoo's generators take one latent z ~ N(0, I) (no per-layer W, no noise inputs), so z is
  optimised directly; there is no per-layer W+ and no noise-map optimisation.
- The start is the best of `CANDIDATES` latents drawn with the seed (for a conditional run
  without a label, of every class: the class is chosen there and kept), not the mean W.
- The perceptual distance is ganzoo's shipped feature network (``ganzoo-features``), not
  LPIPS's VGG16, whose weights this tool does not download; a pixel distance is added, since
  the shipped network sees pictures at 64 px.
- The prior penalty is (mean(z**2) - 1)**2, whose minimum is the norm a standard normal latent
  has, instead of StyleGAN's noise regulariser (there are no noise maps).
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ganzoo.errors import GanzooError

__all__ = ["Projection", "project"]

CANDIDATES = 64        # latents tried before the optimisation starts
STEPS = 300            # Adam steps (StyleGAN: 1,000; ganzoo's generators are small)
LEARNING_RATE = 0.05   # peak, as StyleGAN's projector
RAMP_UP, RAMP_DOWN = 0.05, 0.25  # fractions of the steps, as StyleGAN's projector
PIXEL_WEIGHT = 1.0     # the pixel distance beside the perceptual one (both about 1 at the start)
PRIOR_WEIGHT = 0.1
BASELINE_PICTURES = 2000  # real pictures searched for each picture's nearest other one


@dataclasses.dataclass(frozen=True)
class Projection:
    """What `project` found, one row per picture, in the order given.

    `latents` float32 ``[n, latent_dim]`` and `labels` (int32 ``[n]``; None for an
    unconditional run) redraw `reconstructions` (uint8 NHWC) from `originals` (the pictures as
    the run sees them). `pixel_error` is the RMS difference in pixel levels (0-255) and
    `feature_error` the RMS difference of the shipped features; `baseline_*` are the same
    distances from each original to its nearest other real picture of the run's data (nearest
    by features), the scale the errors are read on: an error well under its baseline is a
    close redraw, one above it is further than another real picture is.
    """

    images: tuple[str, ...]
    latents: np.ndarray
    labels: np.ndarray | None
    originals: np.ndarray
    reconstructions: np.ndarray
    pixel_error: np.ndarray
    feature_error: np.ndarray
    baseline_pixel_error: np.ndarray
    baseline_feature_error: np.ndarray
    steps: int
    seed: int
    features: str

    def records(self) -> list[dict]:
        return [{"image": image, "row": row,
                 "label": None if self.labels is None else int(self.labels[row]),
                 "pixel_error": float(self.pixel_error[row]),
                 "feature_error": float(self.feature_error[row]),
                 "baseline_pixel_error": float(self.baseline_pixel_error[row]),
                 "baseline_feature_error": float(self.baseline_feature_error[row])}
                for row, image in enumerate(self.images)]

    def table(self) -> str:
        lines = [f"{'picture':<28} {'pixel RMS':>9} {'(nearest real)':>14} {'feature RMS':>11} "
                 f"{'(nearest real)':>14}"]
        for r in self.records():
            lines.append(f"{Path(r['image']).name[:28]:<28} {r['pixel_error']:>9.1f} "
                         f"{r['baseline_pixel_error']:>14.1f} {r['feature_error']:>11.3f} "
                         f"{r['baseline_feature_error']:>14.3f}")
        lines.append(f"Pixel RMS in levels (0-255); feature RMS in the {self.features} space; "
                     f"each beside the distance from the picture to its nearest other real "
                     f"picture of the run's data.")
        return "\n".join(lines)


def project(run: str | os.PathLike, images: Sequence[str | os.PathLike], *,
            out: str | os.PathLike | None = None, steps: int = STEPS, seed: int = 0,
            label: int | str | None = None, step: int | str | None = None,
            progress: bool = True) -> Projection:
    """Find the latent from which the run's generator redraws each picture in `images`.

    Args:
        run: the run directory that ``ganzoo train`` printed.
        images: picture files; each is read as the run read its data (size, channels,
            background, fit).
        out: a folder to write ``latents.npy``, ``projection.json`` and, per picture, its
            original beside its reconstruction (``NAME.png``); None writes nothing.
        steps: optimisation steps per picture (all pictures move together).
        seed: seed of the candidate latents; the same seed gives the same latents.
        label: for a conditional run, the class (index or name) of every picture; None picks,
            per picture, the class whose candidates fit it best.
        step: a checkpoint step instead of the latest, or ``"best"``.
        progress: show a progress bar.

    Example:
        >>> found = ganzoo.project("runs/dcgan-20261121-101500", ["seven.png"], out="proj")
        >>> print(found.table())
    """
    import tensorflow as tf
    from tqdm import tqdm

    from ganzoo.data.folder import read_picture
    from ganzoo.images import to_uint8
    from ganzoo.metrics import shipped_network
    from ganzoo.runs import Run
    from ganzoo.sampling import latents as seeded_latents

    if steps < 1:
        raise GanzooError(f"steps must be a positive number. Received: steps={steps}.")
    paths = [str(p) for p in images]
    if not paths:
        raise GanzooError("Give at least one picture to project.")
    opened = Run.open(run)
    config = opened.config
    size, channels = config.image_shape[0], config.image_shape[2]
    label_index = None if label is None else config.label_index(label)
    reading = dict(background=getattr(config, "background", None) or "white",
                   fit=getattr(config, "fit", None) or "crop")
    targets = np.stack([read_picture(p, size, channels, **reading) for p in paths])
    generator = opened.load_generator(step)
    network = shipped_network()
    model, preprocess = network.model, network.preprocess

    def features(images):  # generator-range images [-1, 1] -> shipped features
        pixels = (tf.convert_to_tensor(images, tf.float32) + 1.0) * 127.5
        return model(preprocess(pixels), training=False)

    target = tf.constant(targets, tf.float32)
    target_features = features(target)
    feature_scale = tf.reduce_mean(tf.square(target_features)) + 1e-12
    pixel_scale = tf.reduce_mean(tf.square(target)) + 1e-12
    conditional = bool(config.num_classes)

    def draw(z, labels):
        return generator([z, labels] if conditional else z, training=False)

    def distances(images):  # per picture: feature and pixel terms, each about 1 at the start
        feature = tf.reduce_mean(tf.square(features(images) - target_features), axis=-1)
        pixel = tf.reduce_mean(tf.square(images - target), axis=[1, 2, 3])
        return feature / feature_scale, pixel / pixel_scale

    # The start: per picture, the best candidate (and class), all candidates drawn once.
    count = len(paths)
    candidates = seeded_latents(CANDIDATES, config.latent_dim, seed)
    classes = ([label_index] if label_index is not None else list(range(config.num_classes))
               if conditional else [0])
    best = np.full(count, np.inf)
    start = np.zeros((count, config.latent_dim), np.float32)
    labels = np.zeros(count, np.int32)
    for cls in classes:
        drawn = draw(candidates, np.full(CANDIDATES, cls, np.int32))
        feature = tf.reduce_mean(tf.square(features(drawn)[:, None] - target_features[None]),
                                 axis=-1) / feature_scale
        pixel = tf.reduce_mean(tf.square(drawn[:, None] - target[None]),
                               axis=[2, 3, 4]) / pixel_scale
        loss = (feature + PIXEL_WEIGHT * pixel).numpy()  # [candidate, picture]
        choice = loss.argmin(axis=0)
        better = loss[choice, np.arange(count)] < best
        best[better] = loss[choice, np.arange(count)][better]
        start[better], labels[better] = candidates[choice[better]], cls
    z = tf.Variable(start)
    label_tensor = tf.constant(labels)
    optimizer = tf.keras.optimizers.Adam(learning_rate=LEARNING_RATE, beta_1=0.9, beta_2=0.999)

    @tf.function
    def update(rate):
        optimizer.learning_rate.assign(rate)
        with tf.GradientTape() as tape:
            feature, pixel = distances(draw(z, label_tensor))
            prior = tf.square(tf.reduce_mean(tf.square(z), axis=-1) - 1.0)
            loss = tf.reduce_sum(feature + PIXEL_WEIGHT * pixel + PRIOR_WEIGHT * prior)
        optimizer.apply_gradients([(tape.gradient(loss, z), z)])
        return loss

    for i in tqdm(range(steps), desc="Projecting", unit="step", disable=not progress):
        update(tf.constant(LEARNING_RATE * _ramp(i / steps), tf.float32))
    found = z.numpy()
    redrawn = np.asarray(draw(found, labels))
    feature_rms = np.sqrt(np.mean(np.square(np.asarray(features(tf.constant(redrawn)))
                                            - np.asarray(target_features)), axis=-1))
    pixel_rms = _pixel_rms(to_uint8(redrawn), to_uint8(targets))
    base_pixel, base_feature = _baseline(opened, targets, np.asarray(target_features),
                                         features, reading)
    result = Projection(tuple(paths), found, labels if conditional else None,
                        to_uint8(targets), to_uint8(redrawn), pixel_rms, feature_rms,
                        base_pixel, base_feature, steps, seed, network.name)
    if out is not None:
        _write(result, Path(out))
    return result


def _ramp(t: float) -> float:
    """StyleGAN projector's learning-rate schedule at fraction `t` of the steps: a linear
    ramp up over the first `RAMP_UP`, a cosine ramp down over the last `RAMP_DOWN`."""
    down = 0.5 - 0.5 * np.cos(min(1.0, (1.0 - t) / RAMP_DOWN) * np.pi)
    return float(down * min(1.0, t / RAMP_UP))


def _pixel_rms(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    difference = a.astype(np.float64) - b.astype(np.float64)
    return np.sqrt(np.mean(np.square(difference), axis=(1, 2, 3)))


def _baseline(run, targets: np.ndarray, target_features: np.ndarray, features, reading):
    """Per picture, the pixel and feature RMS distance to its nearest other real picture of
    the run's data (nearest by features; up to `BASELINE_PICTURES` of them, the picture itself
    left out where the data holds it)."""
    from ganzoo.data import load_data
    from ganzoo.images import to_uint8

    config = run.config
    dataset = load_data(config.data, config.image_shape[0], config.image_shape[2], **reading)
    real = np.concatenate([np.asarray(images) for images, _ in dataset.batches(
        min(256, dataset.num_examples), seed=0).take(-(-BASELINE_PICTURES // 256))])
    real = real[:BASELINE_PICTURES]
    real_features = np.concatenate([np.asarray(features(real[i:i + 256]))
                                    for i in range(0, len(real), 256)])
    real_pixels, target_pixels = to_uint8(real), to_uint8(targets)
    pixel, feature = np.empty(len(targets)), np.empty(len(targets))
    for row in range(len(targets)):
        distance = np.sqrt(np.mean(np.square(real_features - target_features[row]), axis=-1))
        same = _pixel_rms(real_pixels, np.repeat(target_pixels[row:row + 1], len(real), 0)) == 0
        distance[same] = np.inf  # the picture itself is not its own nearest other picture
        nearest = int(np.argmin(distance))
        feature[row] = distance[nearest]
        pixel[row] = _pixel_rms(real_pixels[nearest:nearest + 1], target_pixels[row:row + 1])[0]
    return pixel, feature


def _write(result: Projection, out: Path) -> None:
    from ganzoo.images import grid, save_atomic

    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise GanzooError(f"Cannot write to the output folder {str(out)!r}: "
                          f"{error.strerror or error}. Choose another one with --out.") from error
    np.save(out / "latents.npy", result.latents)
    names = []
    for row, image in enumerate(result.images):
        name = f"{row:03d}-{Path(image).stem}.png"
        pair = np.stack([result.originals[row], result.reconstructions[row]])
        save_atomic(grid(pair, columns=2), out / name)
        names.append(name)
    report = {"steps": result.steps, "seed": result.seed, "features": result.features,
              "latents": "latents.npy",
              "pictures": [{**r, "side_by_side": n} for r, n in zip(result.records(), names)]}
    (out / "projection.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
