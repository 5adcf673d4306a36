"""Does the synthetic data help? The Classification Accuracy Score and the augmentation gain.

Ravuri & Vinyals, "Classification Accuracy Score for Conditional Generative Models", NeurIPS
2019, https://arxiv.org/abs/1905.10887. A classifier trained only on generated images of each
class is tested on real images it never saw; its accuracy (CAS) is set beside the same
classifier trained on the same number of real images per class (the ceiling) and chance (the
floor, 1 / classes). The augmentation gain asks the practical question of the paper's
section 4.3: does adding the generated images to the real ones raise the accuracy on held-out
real images? It is measured at several amounts of real data (`REAL_PER_CLASS`: 10 and 50 real
images per class, and every real training image), since synthetic data helps most where real
data is scarce.

The classifier is the domain feature network's model and optimizer (`ganzoo.metrics._features`),
trained deterministically for a fixed number of updates (`UPDATES`) whatever the training set's
size, so the figures differ only in their training images. With every real training image the
classes keep their real sizes (imbalanced where the folder is); the other sets are balanced.

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ganzoo.errors import GanzooError
from ganzoo.metrics import _features

__all__ = ["UPDATES", "REAL_PER_CLASS", "AugmentationGain", "ClassifierScore",
           "classifier_score"]

UPDATES = 600
# Real images per class of the augmentation experiment; None: every real training image.
REAL_PER_CLASS = (10, 50, None)
_VERSION = 2


@dataclass(frozen=True)
class AugmentationGain:
    """Held-out accuracy with some real images alone, and with the generated ones added.

    Attributes:
        real_per_class: real training images per class; None for every real training image
            (the classes at their real sizes).
        real: trained on those real images only.
        augmented: trained on those real images plus the generated ones.
        gain: ``augmented - real``.
    """

    real_per_class: int | None
    real: float
    augmented: float
    gain: float

    def describe(self) -> str:
        amount = ("all real" if self.real_per_class is None
                  else f"{self.real_per_class} real per class")
        return (f"{amount} {100 * self.real:.1f} % -> plus the generated "
                f"{100 * self.augmented:.1f} % (gain {100 * self.gain:+.1f} points)")


@dataclass(frozen=True)
class ClassifierScore:
    """What `classifier_score` measured; accuracies are shares of the held-out real images.

    Attributes:
        per_class: generated (and, for the ceiling, real) training images per class.
        test_count: held-out real images the accuracies are measured on.
        accuracy: CAS, the classifier trained on generated images only.
        ceiling: the same classifier trained on `per_class` real images per class.
        chance: 1 / number of classes.
        augmentation: the augmentation gain at each amount of real data, fewest first.
        updates: training updates of every classifier.
    """

    per_class: int
    test_count: int
    accuracy: float
    ceiling: float
    chance: float
    augmentation: tuple[AugmentationGain, ...]
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
            *(f"  augmentation: {gain.describe()}" for gain in self.augmentation),
        ]


def _accuracy(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray,
              test_y: np.ndarray, num_classes: int, updates: int) -> float:
    """Held-out accuracy of the domain classifier trained for `updates` updates."""
    if len(train_x) < _features.DOMAIN_BATCH:
        # A set smaller than a batch (10 per class of 3 classes) is repeated to fill one, so
        # it trains for the same updates as every other set.
        repeated = np.resize(np.arange(len(train_x)), _features.DOMAIN_BATCH)
        train_x, train_y = train_x[repeated], train_y[repeated]
    model = _features._build_domain_model(train_x.shape[1:], num_classes)
    batches = len(train_x) // _features.DOMAIN_BATCH
    accuracy, _ = _features._train_domain_model(
        model, np.concatenate([train_x, test_x]), np.concatenate([train_y, test_y]),
        held_out=len(test_x), epochs=math.ceil(updates / batches))
    return accuracy


def _first_per_class(labels: np.ndarray, num_classes: int, count: int | None) -> np.ndarray:
    if count is None:
        return np.arange(len(labels))
    return np.concatenate([np.flatnonzero(labels == c)[:count] for c in range(num_classes)])


def measure(sample, num_classes: int, generate: Callable[[np.ndarray], np.ndarray], *,
            per_class: int | None = None, real_per_class: Sequence[int | None] | None = None,
            updates: int | None = None, cache: str | os.PathLike | None = None,
            progress: bool = False) -> ClassifierScore:
    """`classifier_score` for any generator: `generate(labels)` returns one uint8 image of
    each requested class. `sample` is the real data (`ganzoo.metrics._reference.real_sample`);
    its last `DOMAIN_HELD_OUT` share is the test set. The arguments are `classifier_score`'s."""
    updates = UPDATES if updates is None else updates
    held_out = max(1, int(round(len(sample.images) * _features.DOMAIN_HELD_OUT)))
    pool_x, pool_y = sample.images[:-held_out], sample.labels[:-held_out]
    test_x, test_y = sample.images[-held_out:], sample.labels[-held_out:]
    available = int(np.bincount(pool_y, minlength=num_classes).min())
    per_class = available if per_class is None else per_class
    if real_per_class is None:  # the default amounts the rarest class has
        real_per_class = [n for n in REAL_PER_CLASS if n is None or n <= available]
    counts = [n for n in real_per_class if n is not None]
    if not 1 <= per_class <= available or not all(1 <= n <= available for n in counts):
        raise GanzooError(f"per_class and real_per_class must be from 1 to {available}, the "
                          f"real training images of the rarest class. Received: "
                          f"per_class={per_class}, real_per_class={list(real_per_class)}.")
    say = (lambda text: print(text, file=sys.stderr, flush=True)) if progress else (
        lambda text: None)

    amounts = sorted(set(real_per_class), key=lambda n: math.inf if n is None else n)
    subsets = {n: _first_per_class(pool_y, num_classes, n) for n in [per_class, *amounts]}
    key = hashlib.sha256(f"classifier-score-v{_VERSION};{sample.fingerprint};"
                         f"{_features._domain_recipe(0)};updates={updates}".encode()).hexdigest()
    path = Path(cache or _features.cache_dir()) / "classifier-score" / f"{key[:24]}.json"
    try:
        real = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        real = {}
    missing = [n for n in subsets if str(n) not in real]
    if missing:
        amounts_said = ", ".join("all" if n is None else str(n) for n in missing)
        say(f"Training the real-data classifiers ({amounts_said} real images per class; once, "
            f"cached in {path.parent})...")
        path.parent.mkdir(parents=True, exist_ok=True)
        for n in missing:  # each figure kept as soon as it is measured
            chosen = subsets[n]
            real[str(n)] = _accuracy(pool_x[chosen], pool_y[chosen], test_x, test_y,
                                     num_classes, updates)
            temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            temporary.write_text(json.dumps(real), encoding="utf-8")
            os.replace(temporary, path)

    labels = np.repeat(np.arange(num_classes, dtype=np.int64), per_class)
    generated = generate(labels)
    say(f"Training the classifier on {len(generated)} generated images...")
    accuracy = _accuracy(generated, labels, test_x, test_y, num_classes, updates)
    gains = []
    for n in amounts:
        say(f"Training the classifier on {'all' if n is None else n} real images per class "
            f"and the generated ones...")
        chosen = subsets[n]
        augmented = _accuracy(np.concatenate([pool_x[chosen], generated]),
                              np.concatenate([pool_y[chosen], labels]),
                              test_x, test_y, num_classes, updates)
        gains.append(AugmentationGain(real_per_class=n, real=real[str(n)], augmented=augmented,
                                      gain=augmented - real[str(n)]))
    return ClassifierScore(per_class=per_class, test_count=held_out, accuracy=accuracy,
                           ceiling=real[str(per_class)], chance=1.0 / num_classes,
                           augmentation=tuple(gains), updates=updates)


def classifier_score(run, *, per_class: int | None = None,
                     real_per_class: Sequence[int | None] | None = None,
                     updates: int | None = None, seed: int = 0, step: int | str | None = None,
                     averaged: bool = True, truncation: float | None = None,
                     keep_best: float | None = None, cache: str | os.PathLike | None = None,
                     registry=None, progress: bool = False) -> ClassifierScore:
    """The Classification Accuracy Score of a conditional run and the augmentation gain.

    Args:
        run: a conditional run directory (or `Run`).
        per_class: generated images per class; default (and at most) the real training
            images of the rarest class, so the ceiling uses the same count.
        real_per_class: the amounts of real data of the augmentation experiment, as real
            images per class (None: every real training image); default `REAL_PER_CLASS`,
            less the amounts the rarest class does not have.
        updates: training updates of each classifier (fewer make every figure weaker);
            `UPDATES` unless given, read when called.
        seed, step, averaged, truncation, keep_best: how the generated images are drawn, as
            for `ganzoo.sample_dataset`.
        cache: where the real-data figures (ceiling, real alone) are cached.

    Raises:
        GanzooError: the run is unconditional, or an amount exceeds the real images.

    Example:
        >>> ganzoo.metrics.classifier_score("runs/cgan-20261121-101500").accuracy
    """
    from ganzoo.metrics._reference import real_sample
    from ganzoo.runs import Run
    from ganzoo.sampling import _filtered

    opened = run if isinstance(run, Run) else Run.open(run)
    config = opened.config
    if not config.num_classes:
        raise GanzooError(f"The classifier score needs a conditional run (one that draws a "
                          f"requested class); {config.arch!r} is unconditional. Received: "
                          f"run={str(opened.path)!r}.")
    # Read as the run read it (and as `evaluate` reads it): a folder's background and fit.
    sample = real_sample(config.data, config.image_size, config.channels, strict=config.strict,
                         registry=registry, background=config.background, fit=config.fit)

    def generate(labels: np.ndarray) -> np.ndarray:
        return _filtered(opened, step, labels.astype(np.int32), len(labels), seed, truncation,
                         keep_best, averaged=averaged)

    return measure(sample, config.num_classes, generate, per_class=per_class,
                   real_per_class=real_per_class, updates=updates, cache=cache,
                   progress=progress)
