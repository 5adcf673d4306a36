"""Per-class figures of a conditional run: each class's samples scored against that class's real
pictures, beside the class's own real-vs-real floor and its own ladder.

The mean of the per-class FIDs is the intra-FID that Miyato & Koyama report for conditional
generators ("cGANs with Projection Discriminator", ICLR 2018, https://arxiv.org/abs/1802.05637,
section 4): an overall FID can look fine while some classes draw another class's pictures.

Each class keeps the evaluator's split of the real sample: its pictures in the floor half are
its floor, those in the reference half its reference, both cut to the smaller count, so the
class's samples, floor and ladder rungs all have one size. A class with fewer than
`MIN_PER_HALF` pictures in either half is not scored: its figures are None, with a note.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from ganzoo.metrics._evaluate import Evaluator, Metrics
from ganzoo.metrics._reference import RealSample, Reference

__all__ = ["MIN_PER_HALF", "ClassScore", "class_evaluator", "frequency_labels", "per_class"]

MIN_PER_HALF = 8
"""Real pictures a class needs in each half of the real sample to be scored (16 in all)."""


@dataclass(frozen=True)
class ClassScore:
    """One class's figures: its samples against its real pictures (None if too few), its floor
    and its ladder (the same rungs as the whole data's, made of this class's pictures)."""

    name: str
    index: int
    real: int
    metrics: Metrics | None
    floor: Metrics | None
    ladder: dict[str, Metrics] | None
    note: str | None = None

    def position(self, metric: str = "fid") -> str | None:
        """Where this class's figure sits on its own ladder, in words."""
        from ganzoo.metrics._ladder import position

        if self.metrics is None or self.ladder is None:
            return None
        return position(getattr(self.metrics, metric), self.ladder, metric)


def class_evaluator(evaluator: Evaluator, label: int) -> Evaluator | None:
    """An evaluator of class `label` alone (its real pictures of both halves, cut to one
    size), or None if the class has fewer than `MIN_PER_HALF` pictures in a half."""
    sample, real = evaluator.sample, evaluator.real
    floor_half, reference_half = sample.halves
    in_floor = np.flatnonzero(sample.labels[floor_half] == label)
    in_reference = np.flatnonzero(sample.labels[reference_half] == label)
    count = min(len(in_floor), len(in_reference))
    if count < MIN_PER_HALF:
        return None
    in_floor, in_reference = in_floor[:count], in_reference[:count]
    images = np.concatenate([sample.images[floor_half][in_floor],
                             sample.images[reference_half][in_reference]])
    digest = hashlib.sha256(f"{sample.fingerprint};class={label}".encode()).hexdigest()
    class_sample = RealSample(f"{sample.source} (class {label})", images,
                              np.full(2 * count, label, np.int64), sample.num_classes, digest)

    def rows(values, where):
        return None if values is None else values[where]

    class_real = Reference(real.network, f"{real.fingerprint};class={label}",
                           real.floor_features[in_floor], real.reference_features[in_reference],
                           rows(real.floor_probabilities, in_floor),
                           rows(real.reference_probabilities, in_reference))
    return Evaluator(evaluator.network, class_sample, class_real, evaluator.classifier, n=count,
                     k=evaluator.k, kid_subsets=evaluator.kid_subsets, seed=evaluator.seed)


def per_class(evaluator: Evaluator, draw, class_names: tuple[str, ...] | list[str],
              cache=None) -> tuple[ClassScore, ...]:
    """Every class's `ClassScore`. `draw(count, label)` returns `count` uint8 samples of class
    `label` (the run's generator)."""
    from ganzoo.metrics._ladder import ladder

    counts = np.bincount(evaluator.sample.labels, minlength=evaluator.sample.num_classes)
    scores = []
    for label in range(evaluator.sample.num_classes):
        name = class_names[label] if label < len(class_names) else str(label)
        sub = class_evaluator(evaluator, label)
        if sub is None:
            scores.append(ClassScore(name, label, int(counts[label]), None, None, None,
                                     f"class {name!r} has {counts[label]} real pictures in the "
                                     f"evaluated sample: too few to score (at least "
                                     f"{2 * MIN_PER_HALF})"))
            continue
        labels = np.full(sub.n, label, np.int32)
        scores.append(ClassScore(name, label, int(counts[label]),
                                 sub.score(draw(sub.n, label), labels), sub.floor,
                                 ladder(sub, cache=cache)))
    return tuple(scores)


def intra_fid(scores: tuple[ClassScore, ...]) -> float | None:
    """The mean FID of the classes that were scored (None if none was)."""
    values = [s.metrics.fid for s in scores if s.metrics is not None]
    return float(np.mean(values)) if values else None


def frequency_labels(sample: RealSample, count: int) -> np.ndarray:
    """`count` labels at the real class frequencies: the floor half's labels, in order, repeated
    as needed (an overall score then weighs each class as the data does)."""
    floor = sample.labels[sample.halves[0]]
    return np.resize(floor, count).astype(np.int32)
