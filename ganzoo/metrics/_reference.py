"""The real side of every metric: a fixed sample of the run's data and its cached features.

The real sample is the first epoch of the data's own deterministic batch stream, with a fixed
seed (`REFERENCE_SEED`, not the run's seed), at the run's image size and channels, capped at
`MAX_REAL` images: the same data gives the same sample, in the same order, in every process.
It is cut into two disjoint halves:

- ``B``, the *reference*: generated samples are scored against it;
- ``A``, the *floor sample*: scored against ``B`` exactly as generated samples are, it gives the
  real-vs-real floor, the figure a generator that drew fresh real images would get with the
  same sample sizes.

Their features are cached under ``<cache>/reference/`` by a fingerprint of the feature network
and of the data, so a feature network as slow as InceptionV3 runs over the real data once.
"""

from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ganzoo.metrics._features import FeatureNetwork, cache_dir

__all__ = ["MAX_REAL", "REFERENCE_SEED", "RealSample", "Reference", "real_sample", "reference"]

REFERENCE_SEED = 1706_08500  # any fixed number; this one is the FID paper's arXiv id
MAX_REAL = 20_000
_READ_BATCH = 1000
_VERSION = 1


@dataclass(frozen=True)
class RealSample:
    """Real images (uint8 NHWC) and labels (None when the data has none) in a fixed order."""

    source: str
    images: np.ndarray
    labels: np.ndarray | None
    num_classes: int
    fingerprint: str

    @property
    def halves(self) -> tuple[slice, slice]:
        """The floor sample A and the reference B, as slices of `images`."""
        middle = len(self.images) // 2
        return slice(0, middle), slice(middle, len(self.images))


def real_sample(source: str, image_size: int, channels: int | None = None, *,
                strict: bool = False, registry=None, limit: int = MAX_REAL,
                dataset=None, background: str | None = None,
                fit: str | None = None) -> RealSample:
    """Read up to `limit` real images of `source` through ganzoo's data pipeline.

    `dataset`, an `ImageDataset` of `source` already open at this size (the trainer's), is
    read instead of opening the source again. `background` and `fit` read a folder as a run
    did (see `ganzoo.data.load_data`; None: its defaults).

    Raises:
        DataError: the data is missing or unreadable (as for training).
    """
    from ganzoo.data import load_data
    from ganzoo.images import to_uint8

    reading = {name: value for name, value in (("background", background), ("fit", fit))
               if value is not None}
    data = dataset or load_data(source, image_size, channels, strict=strict, registry=registry,
                                **reading)
    count = min(data.num_examples, limit)
    batch = min(_READ_BATCH, data.num_examples)
    images, labels = [], []
    # The stream's first `num_examples` images are one epoch: every image once.
    for batch_images, batch_labels in data.batches(batch, REFERENCE_SEED).take(-(-count // batch)):
        images.append(to_uint8(batch_images.numpy()))
        labels.append(batch_labels.numpy())
    images_array = np.concatenate(images)[:count]
    labels_array = np.concatenate(labels)[:count].astype(np.int64) if data.num_classes else None
    digest = hashlib.sha256(f"real-sample-v{_VERSION};seed={REFERENCE_SEED};limit={limit};"
                            f"shape={images_array.shape}".encode())
    digest.update(images_array.tobytes())
    if labels_array is not None:
        digest.update(labels_array.tobytes())
    return RealSample(source, images_array, labels_array, data.num_classes, digest.hexdigest())


@dataclass(frozen=True)
class Reference:
    """Features (and class probabilities) of the two real halves, in one feature space."""

    network: str
    fingerprint: str
    floor_features: np.ndarray
    reference_features: np.ndarray
    floor_probabilities: np.ndarray | None
    reference_probabilities: np.ndarray | None

    @property
    def training_features(self) -> np.ndarray:
        """Every real image's features: the images the generator was trained on."""
        return np.concatenate([self.floor_features, self.reference_features])


def reference(network: FeatureNetwork, sample: RealSample, *,
              cache: str | os.PathLike | None = None, progress: bool = False) -> Reference:
    """The features of `sample`'s halves under `network`: from the cache, else computed now."""
    key = hashlib.sha256(f"reference-v{_VERSION};{network.fingerprint};"
                         f"{sample.fingerprint}".encode()).hexdigest()
    path = Path(cache or cache_dir()) / "reference" / f"{key[:24]}.npz"
    floor, ref = sample.halves
    try:
        with np.load(path, allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files}
        if str(arrays.get("key")) != key:
            raise ValueError("stale")
    except (OSError, ValueError, KeyError):
        if progress:
            print(f"Computing {network.name} features of {len(sample.images)} real images "
                  f"(once; cached in {path.parent})...", file=sys.stderr, flush=True)
        embedding = network.embed(sample.images)
        arrays = {"key": np.array(key), "features": embedding.features.astype(np.float32)}
        if embedding.probabilities is not None:
            arrays["probabilities"] = embedding.probabilities.astype(np.float32)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.stem}.{os.getpid()}.tmp.npz")
        np.savez(temporary, **arrays)
        os.replace(temporary, path)
    features = arrays["features"].astype(np.float64)
    probabilities = arrays.get("probabilities")
    if probabilities is not None:
        probabilities = probabilities.astype(np.float64)
        probabilities /= probabilities.sum(1, keepdims=True)
    return Reference(network.name, key, features[floor], features[ref],
                     None if probabilities is None else probabilities[floor],
                     None if probabilities is None else probabilities[ref])
