"""Does the synthetic data help? The Classification Accuracy Score and the augmentation gain.

Ravuri & Vinyals, "Classification Accuracy Score for Conditional Generative Models", NeurIPS
2019, https://arxiv.org/abs/1905.10887. A classifier trained only on generated images of each
class is tested on real images it never saw; its accuracy (CAS) is set beside the same
classifier trained on the same number of real images per class (the ceiling) and chance (the
floor, 1 / classes). The augmentation gain asks the practical question of the paper's
section 4.3: with only a few real images per class (10 by default), does adding the generated
ones raise the accuracy on held-out real images?

The classifier is the domain feature network's model and optimizer (`ganzoo.metrics._features`),
trained deterministically for a fixed number of updates (`UPDATES`) whatever the training set's
size, so the four figures differ only in their training images.

Deviations from the paper, named:

- The paper trains a ResNet-50 on ImageNet-size sets; here the small convolutional domain
  classifier, for data sets like digits.
- Test images are the last 20 % of the run's real data in ganzoo's fixed real order (the domain
  network's held-out part). The classifier never sees them, but the generator was trained on
  all of the data, them included: ganzoo's data sets have no split the generator did not see.
- Generated images come from the data-set writer (`ganzoo sample --out-dir --per-class N`), so
  the score is that of the data set the same options write, truncation and ``keep_best``
  included.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ganzoo.errors import GanzooError
from ganzoo.metrics import _features
from ganzoo.metrics._scores import InsufficientSamplesError

__all__ = ["UPDATES", "SMALL_REAL_PER_CLASS", "ClassifierScore", "classifier_score"]

UPDATES = 600
SMALL_REAL_PER_CLASS = 10
_VERSION = 1


@dataclass(frozen=True)
class ClassifierScore:
    """What `classifier_score` measured; accuracies are shares of the held-out real images.

    Attributes:
        per_class: generated (and, for the ceiling, real) training images per class.
        test_count: held-out real images the accuracies are measured on.
        accuracy: CAS, the classifier trained on generated images only.
        ceiling: the same classifier trained on `per_class` real images per class.
        chance: 1 / number of classes.
        small_real_per_class: real images per class of the augmentation experiment.
        small_real: trained on those real images only.
        augmented: trained on those real images plus the `per_class` generated ones.
        gain: ``augmented - small_real``.
        updates: training updates of every classifier.
    """

    per_class: int
    test_count: int
    accuracy: float
    ceiling: float
    chance: float
    small_real_per_class: int
    small_real: float
    augmented: float
    gain: float
    updates: int

    def lines(self) -> list[str]:
        """The figures as report lines."""
        return [
            f"classifier score (CAS, Ravuri & Vinyals 2019; {self.test_count} held-out real "
            f"test images):",
            f"  trained on {self.per_class} generated images per class: "
            f"{100 * self.accuracy:.1f} %",
            f"  trained on {self.per_class} real images per class (ceiling): "
            f"{100 * self.ceiling:.1f} %   chance (floor): {100 * self.chance:.1f} %",
            f"  augmentation: {self.small_real_per_class} real per class "
            f"{100 * self.small_real:.1f} % -> plus the generated {100 * self.augmented:.1f} % "
            f"(gain {100 * self.gain:+.1f} points)",
        ]


def _accuracy(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray,
              test_y: np.ndarray, num_classes: int, updates: int) -> float:
    """Held-out accuracy of the domain classifier trained for `updates` updates."""
    if len(train_x) < _features.DOMAIN_BATCH:
        raise InsufficientSamplesError(
            f"The classifier score trains on batches of {_features.DOMAIN_BATCH} images and "
            f"got only {len(train_x)}. Use more images per class.")
    model = _features._build_domain_model(train_x.shape[1:], num_classes)
    batches = len(train_x) // _features.DOMAIN_BATCH
    accuracy, _ = _features._train_domain_model(
        model, np.concatenate([train_x, test_x]), np.concatenate([train_y, test_y]),
        held_out=len(test_x), epochs=math.ceil(updates / batches))
    return accuracy


def _first_per_class(labels: np.ndarray, num_classes: int, count: int) -> np.ndarray:
    return np.concatenate([np.flatnonzero(labels == c)[:count] for c in range(num_classes)])


def classifier_score(run, *, per_class: int | None = None,
                     small_real_per_class: int = SMALL_REAL_PER_CLASS, updates: int | None = None,
                     seed: int = 0, step: int | str | None = None, averaged: bool = True,
                     truncation: float | None = None, keep_best: float | None = None,
                     cache: str | os.PathLike | None = None, registry=None,
                     progress: bool = False) -> ClassifierScore:
    """The Classification Accuracy Score of a conditional run and the augmentation gain.

    Args:
        run: a conditional run directory (or `Run`).
        per_class: generated images per class; default (and at most) the real training
            images of the rarest class, so the ceiling uses the same count.
        small_real_per_class: real images per class of the augmentation experiment.
        updates: training updates of each classifier (fewer make every figure weaker);
            `UPDATES` unless given, read when called.
        seed, step, averaged, truncation, keep_best: how the generated images are drawn, as
            for `ganzoo.sample_dataset`.
        cache: where the real-data figures (ceiling, small real) are cached.

    Raises:
        GanzooError: the run is unconditional, or `per_class` exceeds the real images.

    Example:
        >>> ganzoo.metrics.classifier_score("runs/cgan-20261121-101500").accuracy
    """
    from ganzoo.metrics._reference import real_sample
    from ganzoo.runs import Run
    from ganzoo.sampling import _filtered

    updates = UPDATES if updates is None else updates
    opened = run if isinstance(run, Run) else Run.open(run)
    config = opened.config
    classes = config.num_classes
    if not classes:
        raise GanzooError(f"The classifier score needs a conditional run (one that draws a "
                          f"requested class); {config.arch!r} is unconditional. Received: "
                          f"run={str(opened.path)!r}.")
    sample = real_sample(config.data, config.image_size, config.channels, strict=config.strict,
                         registry=registry)
    held_out = max(1, int(round(len(sample.images) * _features.DOMAIN_HELD_OUT)))
    pool_x, pool_y = sample.images[:-held_out], sample.labels[:-held_out]
    test_x, test_y = sample.images[-held_out:], sample.labels[-held_out:]
    available = int(np.bincount(pool_y, minlength=classes).min())
    per_class = available if per_class is None else per_class
    if not 1 <= per_class <= available or not 1 <= small_real_per_class <= available:
        raise GanzooError(f"per_class and small_real_per_class must be from 1 to {available}, "
                          f"the real training images of the rarest class. Received: "
                          f"per_class={per_class}, small_real_per_class="
                          f"{small_real_per_class}.")
    say = (lambda text: print(text, file=sys.stderr, flush=True)) if progress else (
        lambda text: None)

    real = _first_per_class(pool_y, classes, per_class)
    small = _first_per_class(pool_y, classes, small_real_per_class)
    key = hashlib.sha256(f"classifier-score-v{_VERSION};{sample.fingerprint};"
                         f"{_features._domain_recipe(0)};updates={updates};per_class={per_class};"
                         f"small={small_real_per_class}".encode()).hexdigest()
    path = Path(cache or _features.cache_dir()) / "classifier-score" / f"{key[:24]}.json"
    try:
        baseline = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        say(f"Training the real-data classifiers ({per_class} and {small_real_per_class} real "
            f"images per class; once, cached in {path.parent})...")
        baseline = {
            "ceiling": _accuracy(pool_x[real], pool_y[real], test_x, test_y, classes, updates),
            "small_real": _accuracy(pool_x[small], pool_y[small], test_x, test_y, classes,
                                    updates)}
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps(baseline), encoding="utf-8")
        os.replace(temporary, path)

    labels = np.repeat(np.arange(classes, dtype=np.int32), per_class)
    generated = _filtered(opened, step, labels, len(labels), seed, truncation, keep_best,
                          averaged=averaged)
    say(f"Training the classifier on {len(generated)} generated images...")
    accuracy = _accuracy(generated, labels.astype(np.int64), test_x, test_y, classes, updates)
    say("Training the classifier on real and generated images...")
    augmented = _accuracy(np.concatenate([pool_x[small], generated]),
                          np.concatenate([pool_y[small], labels.astype(np.int64)]),
                          test_x, test_y, classes, updates)
    return ClassifierScore(per_class=per_class, test_count=held_out, accuracy=accuracy,
                           ceiling=baseline["ceiling"], chance=1.0 / classes,
                           small_real_per_class=small_real_per_class,
                           small_real=baseline["small_real"], augmented=augmented,
                           gain=augmented - baseline["small_real"], updates=updates)
