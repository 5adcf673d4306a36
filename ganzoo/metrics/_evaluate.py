"""Scoring a run: generate samples from its checkpoints, embed them, compare with real images."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ganzoo.errors import GanzooError
from ganzoo.metrics import _features
from ganzoo.metrics._features import (WEAK_CLASSIFIER, FeatureNetwork, domain_network,
                                      inception_network)
from ganzoo.metrics._reference import RealSample, Reference, real_sample, reference
from ganzoo.metrics._scores import (InsufficientSamplesError, class_consistency, fid,
                                    inception_score, kid, memorisation, precision_recall)
from ganzoo.metrics import _spectrum

if TYPE_CHECKING:
    from ganzoo.metrics._classifier_score import ClassifierScore
    from ganzoo.metrics._per_class import ClassScore

__all__ = ["CheckpointScore", "EvalReport", "Evaluator", "FeatureInfo", "Metrics", "evaluate",
           "evaluate_folders"]

# "auto": the shipped network for a folder of pictures, the domain network (or its label-free
# twin) for a named data set or an .npz, such as the digits.
FEATURES = ("auto", "shipped", "domain", "inception")

# name, attribute, better ("lower"/"higher"), format
_ROWS = (
    ("FID", "fid", "lower"),
    ("KID x 1000", "kid", "lower"),
    ("precision", "precision", "higher"),
    ("recall", "recall", "higher"),
    ("memorisation", "memorisation", "lower"),
    ("inception-style score", "inception_score", "higher"),
    ("class consistency", "class_consistency", "higher"),
    ("spectral distance (pixels)", "spectral_distance", "lower"),
)


@dataclass(frozen=True)
class Metrics:
    """Every metric of one set of samples against the real reference.

    Attributes:
        samples: how many samples were scored.
        fid: Fréchet distance of the features (lower is better).
        kid, kid_std: KID (unbiased MMD², cubic kernel) mean and std over subsets.
        precision, recall: k-NN manifold precision and recall (k=3).
        memorisation: share of samples closer to a training image than 95 % of real images are
            to their nearest other one (lower is better; about 0.05 for fresh real images).
        inception_score: exp(E KL(p(y|x) || p(y))) with the feature network's classifier; None
            when it has none.
        class_consistency: for a conditional run, the share of samples the domain classifier
            assigns to the class they were generated for; None otherwise.
        spectral_distance: mean absolute difference of the log azimuthally averaged power
            spectra of the samples and the real reference (`ganzoo.metrics.spectral_distance`,
            decades of power; lower is better). Computed on pixels, not features.
    """

    samples: int
    fid: float
    kid: float
    kid_std: float
    precision: float
    recall: float
    memorisation: float
    inception_score: float | None = None
    class_consistency: float | None = None
    spectral_distance: float | None = None


@dataclass(frozen=True)
class FeatureInfo:
    """Which feature space the figures are in."""

    name: str
    fingerprint: str
    dim: int
    held_out_accuracy: float | None = None
    held_out_count: int = 0
    version: str = ""

    @classmethod
    def of(cls, network: FeatureNetwork, dim: int) -> FeatureInfo:
        return cls(network.name, network.fingerprint, dim, network.held_out_accuracy,
                   network.held_out_count, network.version)

    def describe(self) -> str:
        text = f"{self.name} (fingerprint {self.fingerprint[:12]}, {self.dim} features)"
        if self.held_out_accuracy is not None:
            text += "; " + _features.held_out_check(self.name, self.held_out_accuracy,
                                                    self.held_out_count)
        return text


@dataclass(frozen=True)
class CheckpointScore:
    """The metrics of one checkpoint."""

    step: int
    metrics: Metrics
    best: bool = False


@dataclass(frozen=True)
class EvalReport:
    """What `evaluate` measured: the metrics per checkpoint beside the real-vs-real floor.

    Attributes:
        run: the run directory.
        arch, data: what the run trained, on what.
        image_shape: the images' (height, width, channels).
        features: the feature space of FID, KID, precision, recall and memorisation.
        classifier: the classifier of class consistency (the domain network), if used.
        reference_samples: the real images the samples are compared with (half the real set).
        floor: the same metrics for real images (the other half) against the reference: what
            a generator that drew fresh real images would score with these sample sizes.
        checkpoints: one entry per evaluated checkpoint, oldest first.
        notes: what could not be measured, and why.
        weights: which generator weights drew the samples: ``"average"`` (the moving average
            the run keeps, what ``ganzoo sample`` uses) or ``"trained"``.
        classifier_score: with ``classifier_score=True``, the Classification Accuracy Score
            and augmentation gain of the last checkpoint (`ClassifierScore`).
        ladder: the real pictures of the data damaged in known ways (blur, colour, lattice,
            JPEG, noise), each scored like a generator (`ganzoo.metrics.ladder`), by rung.
        fake: for two folders (`evaluate_folders`), the folder of pictures scored; None for a
            run.
        per_class: for a conditional run, each class of the last checkpoint against its own
            real pictures, floor and ladder (`ganzoo.metrics.ClassScore`); None otherwise.
    """

    run: str
    arch: str
    data: str
    image_shape: tuple[int, int, int]
    features: FeatureInfo
    classifier: FeatureInfo | None
    reference_samples: int
    floor: Metrics
    checkpoints: tuple[CheckpointScore, ...]
    notes: tuple[str, ...] = ()
    weights: str = "trained"
    classifier_score: ClassifierScore | None = None
    ladder: dict[str, Metrics] | None = None
    fake: str | None = None
    per_class: tuple[ClassScore, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @property
    def intra_fid(self) -> float | None:
        """The mean of the per-class FIDs (Miyato & Koyama 2018), None without them."""
        from ganzoo.metrics._per_class import intra_fid

        return None if not self.per_class else intra_fid(self.per_class)

    def _per_class_record(self) -> dict[str, Any]:
        separate = self.precision_recall_separate
        out = {}
        for score in self.per_class:
            m = score.metrics
            out[score.name] = {
                "index": score.index, "real": score.real,
                "samples": None if m is None else m.samples,
                "fid": None if m is None else m.fid, "kid": None if m is None else m.kid,
                "recall": None if m is None or not separate else m.recall,
                "consistency": None if m is None else m.class_consistency,
                "floor": None if score.floor is None else {
                    "fid": score.floor.fid, "kid": score.floor.kid,
                    "recall": score.floor.recall if separate else None,
                    "consistency": score.floor.class_consistency},
                "position": {metric: score.position(metric) for metric in ("fid", "kid")},
                "note": score.note}
        return out

    def _per_class_lines(self) -> list[str]:
        if not self.per_class:
            return []
        separate = self.precision_recall_separate
        lines = [f"per class (step {self.checkpoints[-1].step}): each class's samples against "
                 f"its own real pictures, beside its own floor and ladder"]
        rows = [("class", "real", "samples", "FID", "floor", "FID on its ladder", "KID x 1000",
                 "floor", *(("recall", "floor") if separate else ()), "consistency")]
        for score in self.per_class:
            m, f = score.metrics, score.floor
            if m is None:
                rows.append((score.name, str(score.real), "-", "-", "-", "too few to score",
                             "-", "-", *(("-", "-") if separate else ()), "-"))
                continue
            rows.append((score.name, str(score.real), str(m.samples), f"{m.fid:.2f}",
                         f"{f.fid:.2f}", score.position("fid") or "-", f"{1000 * m.kid:.2f}",
                         f"{1000 * f.kid:.2f}",
                         *((f"{m.recall:.3f}", f"{f.recall:.3f}") if separate else ()),
                         "-" if m.class_consistency is None else f"{m.class_consistency:.3f}"))
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        lines += ["  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip()
                  for row in rows]
        if self.intra_fid is not None:
            lines.append(f"intra-FID (the mean of the classes' FIDs): {self.intra_fid:.2f}")
        lines += [f"note: {score.note}" for score in self.per_class if score.note]
        return lines

    @property
    def precision_recall_separate(self) -> bool:
        """Whether precision and recall tell real from noise on this data
        (`ganzoo.metrics._ladder.precision_recall_separate`; True without a ladder, which cannot
        say). Where they do not, the report leaves them out: a precision that rates noise as
        realistic says nothing."""
        from ganzoo.metrics._ladder import precision_recall_separate

        return self.ladder is None or precision_recall_separate(self.ladder)

    def _shown(self, metrics: Metrics) -> dict[str, Any]:
        values = dataclasses.asdict(metrics)
        if not self.precision_recall_separate:
            values["precision"] = values["recall"] = None
        return values

    def position(self, metrics: Metrics, metric: str = "fid") -> str | None:
        """Where `metrics`' figure sits on this data's ladder, in words (None without one)."""
        from ganzoo.metrics._ladder import position

        return None if self.ladder is None else position(getattr(metrics, metric), self.ladder,
                                                         metric)

    def records(self) -> list[dict[str, Any]]:
        """One JSON-ready object per checkpoint: its figures at top level (``fid``, ``kid``,
        ``spectral_distance``, ...), the ``floor``, the ``ladder`` {rung: {fid, kid,
        spectral_distance}}, where the figures sit on it, and the ``features`` {name,
        version, fingerprint, ...}."""
        ladder = None if self.ladder is None else {
            name: {"fid": m.fid, "kid": m.kid, "spectral_distance": m.spectral_distance}
            for name, m in self.ladder.items()}
        out = []
        for index, score in enumerate(self.checkpoints):
            record: dict[str, Any] = {
                "run": None if self.fake else self.run, "real": self.data, "fake": self.fake,
                "arch": self.arch, "image_shape": list(self.image_shape),
                "step": None if self.fake else score.step, "best": score.best,
                **self._shown(score.metrics),
                "position": {metric: self.position(score.metrics, metric)
                             for metric in ("fid", "kid")},
                "floor": self._shown(self.floor), "ladder": ladder,
                "features": dataclasses.asdict(self.features),
                "classifier": (None if self.classifier is None
                               else dataclasses.asdict(self.classifier)),
                "reference_samples": self.reference_samples, "weights": self.weights,
                "notes": list(self.notes) + self._precision_recall_note()}
            if index == len(self.checkpoints) - 1 and self.classifier_score is not None:
                record["classifier_score"] = dataclasses.asdict(self.classifier_score)
            if index == len(self.checkpoints) - 1 and self.per_class:
                record["intra_fid"] = self.intra_fid
                record["per_class"] = self._per_class_record()
            out.append(record)
        return out

    def to_json(self) -> str:
        """`records` as JSON: one object for one checkpoint, a list of them for several."""
        records = self.records()
        return json.dumps(records[0] if len(records) == 1 else records, indent=2)

    def table(self) -> str:
        """The report as text: a header, then one row per metric, one column per checkpoint and
        the floor last."""
        height, width, channels = self.image_shape
        samples = sorted({c.metrics.samples for c in self.checkpoints})
        generator = ("the moving average of its weights" if self.weights == "average"
                     else "its trained weights")
        if self.fake is not None:
            lines = [f"{self.fake}: pictures against the real pictures of {self.data} "
                     f"({height}x{width}x{channels})"]
        else:
            lines = [f"{self.run}: {self.arch} on {self.data} ({height}x{width}x{channels}), "
                     f"sampled with {generator}"]
        lines.append(f"features: {self.features.describe()}")
        if self.classifier is not None and self.classifier.fingerprint != \
                self.features.fingerprint:
            lines.append(f"class consistency classifier: {self.classifier.describe()}")
        drawn = "pictures" if self.fake is not None else "generated per checkpoint"
        lines.append(f"samples: {', '.join(map(str, samples))} {drawn} vs "
                     f"{self.reference_samples} real reference images; floor: "
                     f"{self.floor.samples} other real images vs the same reference")
        headers = ["metric"] + [("pictures" if self.fake is not None else f"step {c.step}")
                                + (" (best)" if c.best else "")
                                for c in self.checkpoints] + ["real-vs-real floor"]
        rows = [headers]
        for label, name, better in _ROWS:
            values = [getattr(c.metrics, name) for c in self.checkpoints]
            floor = getattr(self.floor, name)
            if all(v is None for v in values) or (
                    name in ("precision", "recall") and not self.precision_recall_separate):
                continue
            arrow = "↓" if better == "lower" else "↑"
            row = [f"{label} {arrow}"]
            for value, metrics in zip(values + [floor], [c.metrics for c in self.checkpoints]
                                      + [self.floor]):
                row.append(_format(name, value, metrics))
            rows.append(row)
        widths = [max(len(row[i]) for row in rows) for i in range(len(headers))]
        for row in rows:
            lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
        lines.extend(self._ladder_lines())
        lines.extend(self._per_class_lines())
        if self.classifier_score is not None:
            lines.extend(self.classifier_score.lines())
        lines.extend(f"note: {note}" for note in list(self.notes) + self._precision_recall_note())
        return "\n".join(lines)

    def _precision_recall_note(self) -> list[str]:
        if self.precision_recall_separate:
            return []
        noise = self.ladder["noise"]
        return [f"precision and recall are left out: on this data's ladder uniform noise "
                f"scores precision {noise.precision:.3f} and recall {noise.recall:.3f}, not "
                f"under half the held-out real pictures', so they cannot tell real from noise "
                f"here."]

    def _ladder_lines(self) -> list[str]:
        if self.ladder is None:
            return []
        from ganzoo.metrics._ladder import ordered

        lines = [f"ladder: the real pictures of {self.data}, damaged, scored the same way "
                 f"({self.features.name} features; spectral distance on pixels)"]
        rows = [("rung", "FID", "KID x 1000", "spectral distance")] + [
            (name, f"{m.fid:.2f}", f"{1000 * m.kid:.2f}",
             "-" if m.spectral_distance is None else f"{m.spectral_distance:.3f}")
            for name, m in self.ladder.items()]
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        lines += ["  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip()
                  for row in rows]
        for score in self.checkpoints:
            what = "pictures" if self.fake is not None else f"step {score.step}"
            lines.append(f"{what}: FID {self.position(score.metrics, 'fid')}; "
                         f"KID {self.position(score.metrics, 'kid')} (of this data's ladder)")
        if not ordered(self.ladder):
            lines.append("note: this feature space does not order the ladder on this data "
                         "(held-out real < blur 1 < blur 2 < blur 3 < noise, colour, lattice "
                         "and JPEG clearly above held-out real): read its figures with care.")
        return lines


def _format(name: str, value: float | None, metrics: Metrics) -> str:
    if value is None:
        return "-"
    if name == "kid":
        return f"{1000 * value:.2f} ± {1000 * metrics.kid_std:.2f}"
    if name == "fid":
        return f"{value:.2f}"
    return f"{value:.3f}"


class Evaluator:
    """Scores images against a fixed real reference in one feature space.

    Build it once (the feature network and the reference are cached on disk), then `score`
    any number of sample sets; `floor` is the real-vs-real figure. `ganzoo.evaluate` and
    ``ganzoo train --eval-every`` both use it.

    Example:
        >>> evaluator = Evaluator.for_data("digits", image_size=28)
        >>> evaluator.score(uint8_images).fid
    """

    def __init__(self, network: FeatureNetwork, sample: RealSample, real: Reference,
                 classifier: FeatureNetwork | None = None, *, n: int | None = None, k: int = 3,
                 kid_subset_size: int | None = None, kid_subsets: int = 100,
                 seed: int = 0) -> None:
        self.network, self.sample, self.real, self.classifier = network, sample, real, classifier
        self.k, self.kid_subset_size, self.kid_subsets, self.seed = (
            k, kid_subset_size, kid_subsets, seed)
        self.n = len(real.floor_features) if n is None else n
        self.image_shape: tuple[int, int, int] = tuple(sample.images.shape[1:])
        self.notes: list[str] = []
        if network.num_classes == 0 and network.name.startswith("inception"):
            self.notes.append(f"No inception-style score: {network.name} has no classifier "
                              f"(use the full InceptionV3 weights file for one).")
        for net in {id(n): n for n in (network, classifier) if n is not None}.values():
            # A classifier's accuracy; the label-free network's retrieval figure is not one.
            if net.num_classes and net.held_out_accuracy is not None \
                    and net.held_out_accuracy < WEAK_CLASSIFIER:
                self.notes.append(f"{net.name} reaches only {100 * net.held_out_accuracy:.1f} % "
                                  f"held-out accuracy on this data: its features may miss "
                                  f"differences (consider --features inception).")
        self._check_sizes(self.n)
        self._floor: Metrics | None = None
        self._reference_spectrum: np.ndarray | None = None

    @classmethod
    def for_data(cls, data: str, image_size: int, channels: int | None = None, *,
                 features: str | FeatureNetwork = "auto", conditional: bool = False,
                 inception_weights: str | os.PathLike | None = None,
                 classifier_epochs: int | None = None,
                 cache: str | os.PathLike | None = None, strict: bool = False, registry=None,
                 progress: bool = False, dataset=None, background: str | None = None,
                 fit: str | None = None, **options: Any) -> Evaluator:
        """An evaluator for images of `data` at `image_size` (and `channels`).

        Args:
            data: the data set name, folder or .npz the generator was trained on.
            features: ``"auto"`` (``"shipped"`` for a folder of pictures, else ``"domain"``),
                ``"shipped"``, ``"domain"``, ``"inception"`` or a `FeatureNetwork`.
            conditional: also measure class consistency (needs labelled data; uses the domain
                network's classifier whatever `features` is).
            inception_weights: an InceptionV3 weights file (default: Keras' cache).
            classifier_epochs: training budget of the domain network, default
                `DOMAIN_EPOCHS` (a different budget is a different network, with its own
                fingerprint).
            cache: cache folder (default ``$GANZOO_CACHE`` or ``~/.cache/ganzoo``).
            dataset: `data` already open as an `ImageDataset` at this size (the trainer's), so
                it is not read again.
            background, fit: how a folder is read, as the run read it (`load_data`).
            options: `n`, `k`, `kid_subset_size`, `kid_subsets`, `seed` (see `evaluate`).
        """
        sample = real_sample(data, image_size, channels, strict=strict, registry=registry,
                             dataset=dataset, background=background, fit=fit)
        domain = None

        def domain_net() -> FeatureNetwork:
            nonlocal domain
            if domain is None:
                domain = domain_network(sample.images, sample.labels, sample.num_classes,
                                        source=data,
                                        epochs=classifier_epochs or _features.DOMAIN_EPOCHS,
                                        cache=cache, progress=progress)
            return domain

        def label_free_net() -> FeatureNetwork:
            from ganzoo.metrics._contrastive import contrastive_network

            return contrastive_network(sample.images, source=data, cache=cache,
                                       progress=progress)

        if features == "auto":
            features = "shipped" if os.path.isdir(os.path.expanduser(str(data))) else "domain"
        if isinstance(features, FeatureNetwork):
            network = features
            network.check_image_shape(sample.images.shape[1:])
        elif features == "shipped":
            from ganzoo.metrics._shipped import shipped_network

            network = shipped_network()
        elif features == "domain" and (sample.labels is None or sample.num_classes < 2) \
                and not conditional:
            # No labels to train a classifier on: the label-free network of the same data.
            network = label_free_net()
        elif features == "domain":
            network = domain_net()
        elif features == "inception":
            network = inception_network(inception_weights)
        else:
            from ganzoo.errors import UnknownNameError

            raise UnknownNameError("feature network", str(features), FEATURES)
        classifier = None
        if conditional:
            if network.image_shape is not None and network.num_classes == sample.num_classes:
                classifier = network
            else:
                classifier = domain_net()
        real = reference(network, sample, cache=cache, progress=progress)
        return cls(network, sample, real, classifier, **options)

    def _check_sizes(self, n: int) -> None:
        if n < 2:
            raise InsufficientSamplesError(f"n must be at least 2 samples for FID and KID. "
                                           f"Received: n={n}.")
        if n <= self.k:
            raise InsufficientSamplesError(
                f"Precision and recall with k={self.k} nearest neighbours need more than "
                f"{self.k} samples. Received: n={n}.")
        limit = min(n, len(self.real.reference_features), len(self.real.floor_features))
        if self.kid_subset_size is not None and self.kid_subset_size > limit:
            raise InsufficientSamplesError(
                f"KID's subset size must not exceed the samples of each kind ({n} generated, "
                f"{len(self.real.reference_features)} real reference, "
                f"{len(self.real.floor_features)} real floor). Received: "
                f"kid_subset_size={self.kid_subset_size}. Pass a larger n or a smaller subset.")
        if len(self.real.floor_features) <= self.k:
            raise InsufficientSamplesError(
                f"The real data has too few images ({len(self.sample.images)}) to compare two "
                f"halves with k={self.k} nearest neighbours.")

    @property
    def feature_info(self) -> FeatureInfo:
        return FeatureInfo.of(self.network, self.real.reference_features.shape[1])

    @property
    def classifier_info(self) -> FeatureInfo | None:
        if self.classifier is None:
            return None
        dim = self.classifier.model.outputs[0].shape[-1]
        return FeatureInfo.of(self.classifier, int(dim))

    @property
    def floor(self) -> Metrics:
        """Real-vs-real: up to `n` images of the floor half scored against the reference half."""
        if self._floor is None:
            count = min(self.n, len(self.real.floor_features))
            accuracy = None
            if self.classifier is not None:
                accuracy = self.classifier.held_out_accuracy
            floor_images = self.sample.images[self.sample.halves[0]][:count]
            self._floor = self._metrics(
                self.real.floor_features[:count],
                None if self.real.floor_probabilities is None
                else self.real.floor_probabilities[:count],
                self.real.reference_features, accuracy, self._spectral_distance(floor_images))
        return self._floor

    @property
    def reference_images(self) -> np.ndarray:
        """The real reference half, as pixels (what the spectral distance compares with)."""
        return self.sample.images[self.sample.halves[1]]

    def _spectral_distance(self, images: np.ndarray) -> float:
        # The reference's spectrum once per evaluator, not once per scored set (the ladder
        # alone scores nine).
        if self._reference_spectrum is None:
            self._reference_spectrum = _spectrum.log_spectrum(self.reference_images)
        return _spectrum.distance(_spectrum.log_spectrum(images), self._reference_spectrum)

    def score(self, images: np.ndarray, labels: np.ndarray | None = None) -> Metrics:
        """The metrics of uint8 NHWC `images` (with the `labels` they were generated for, for
        class consistency)."""
        images = np.asarray(images)
        self._check_sizes(len(images))
        self.network.check_image_shape(images.shape[1:])
        embedding = self.network.embed(images)
        consistency = None
        if self.classifier is not None and labels is not None:
            probabilities = (embedding.probabilities if self.classifier is self.network
                             else self.classifier.embed(images).probabilities)
            consistency = class_consistency(probabilities, labels)
        return self._metrics(embedding.features, embedding.probabilities,
                             self.real.training_features, consistency,
                             self._spectral_distance(images))

    def _metrics(self, features: np.ndarray, probabilities: np.ndarray | None,
                 training: np.ndarray, consistency: float | None,
                 spectral: float | None = None) -> Metrics:
        reference_features = self.real.reference_features
        kid_value = kid(features, reference_features, self.kid_subset_size, self.kid_subsets,
                        self.seed)
        precision, recall = precision_recall(features, reference_features, self.k)
        score = None
        if probabilities is not None and self.network.num_classes:
            score = inception_score(probabilities).mean
        return Metrics(
            samples=len(features), fid=fid(features, reference_features),
            kid=kid_value.mean, kid_std=kid_value.std, precision=precision, recall=recall,
            memorisation=memorisation(features, training), inception_score=score,
            class_consistency=consistency, spectral_distance=spectral)


def _checkpoints(run, checkpoint: int | str | Sequence[int] | None) -> list[tuple[int, Any]]:
    """(step, what to pass to `Run.load_generator`) for each checkpoint to evaluate."""
    if checkpoint is None:
        from ganzoo.runs import step_of

        return [(step_of(run.checkpoint_path()), None)]  # the newest intact checkpoint
    if checkpoint == "best":
        return [(run.best_step(), "best")]
    if checkpoint == "all":
        run.checkpoint_path()
        chosen = [(step, step) for step in run.checkpoint_steps()]
        try:
            best = run.best_step()
        except GanzooError:
            return chosen
        if best not in {step for step, _ in chosen}:
            chosen.append((best, "best"))
        return sorted(chosen, key=lambda item: item[0])
    if isinstance(checkpoint, str):
        raise GanzooError(f"checkpoint must be a step, 'best' or 'all'. Received: "
                          f"checkpoint={checkpoint!r}.")
    steps = [checkpoint] if isinstance(checkpoint, int) else list(checkpoint)
    for step in steps:
        run.checkpoint_path(step)  # raises with the available steps
    return [(step, step) for step in steps]


def evaluate(run: str | os.PathLike, n: int | None = None,
             features: str | FeatureNetwork = "auto",
             checkpoint: int | str | Sequence[int] | None = None, *, seed: int = 0, k: int = 3,
             kid_subset_size: int | None = None, kid_subsets: int = 100,
             inception_weights: str | os.PathLike | None = None,
             classifier_epochs: int | None = None, cache: str | os.PathLike | None = None,
             registry=None, progress: bool = False, averaged: bool = True,
             classifier_score: bool = False, per_class: bool | None = None) -> EvalReport:
    """Measure a run's sample quality: FID, KID, precision, recall, memorisation, the
    inception-style score and (conditional runs) class consistency, beside the real-vs-real
    floor.

    Args:
        run: the run directory that ``ganzoo train`` printed.
        n: samples to generate per checkpoint; default: as many as the floor sample (half the
            real images, at most 10,000), so the floor uses the same sample sizes.
        features: ``"auto"`` (the default: ``"shipped"`` for a folder of pictures, else
            ``"domain"``), ``"shipped"`` (the network that ships with ganzoo: figures compare
            across folders), ``"domain"`` (a classifier trained on the run's labelled data, or
            a contrastive network of its unlabelled data; cached; offline), ``"inception"``
            (InceptionV3 ImageNet weights from Keras' cache or `inception_weights`) or a
            `FeatureNetwork`.
        checkpoint: None for the latest, a step, a list of steps, ``"best"`` (lowest FID, kept
            by ``eval_every``) or ``"all"``.
        seed: seed of the latent vectors and of KID's subsets.
        k: the neighbour of precision and recall (3).
        kid_subset_size, kid_subsets: KID's subsets (default ``min(1000, n)`` samples, 100).
        inception_weights: an InceptionV3 weights file, for ``features="inception"``.
        classifier_epochs: the domain network's training budget (the default is the one whose
            accuracy docs/metrics.md reports; fewer make a different, weaker network).
        cache: where feature networks and reference features are cached.
        progress: print what is being computed to stderr.
        averaged: score the moving average of the generator's weights, if the run keeps one
            (what ``ganzoo sample`` and export use); False scores the trained weights.
        classifier_score: also measure the Classification Accuracy Score and the augmentation
            gain of the last checkpoint (conditional runs; `ganzoo.metrics.classifier_score`).
        per_class: score each class of the last checkpoint against its own real pictures,
            floor and ladder, and the intra-FID (default: for conditional runs). A conditional
            run's overall figures draw labels at the real class frequencies.

    Returns:
        An `EvalReport`; ``report.table()`` formats it, ``report.to_json()`` serializes it.

    Raises:
        RunError: no such run, no checkpoint, or no such step.
        InsufficientSamplesError: `n` too small for a metric.
        FeatureNetworkError: InceptionV3 weights missing, unlabelled data for the domain
            network, or a feature network for another image shape.

    Example:
        >>> report = ganzoo.evaluate("runs/dcgan-20261121-101500")
        >>> print(report.table())
    """
    from ganzoo.runs import Run
    from ganzoo.sampling import generate

    opened = Run.open(run)
    opened.require_plugins("architecture", "dataset", registry=registry)
    config = opened.config
    if classifier_score and not config.num_classes:
        raise GanzooError(f"--classifier-score needs a conditional run; {config.arch!r} is "
                          f"unconditional. Received: run={str(run)!r}.")
    if per_class and not config.num_classes:
        raise GanzooError(f"per_class needs a conditional run; {config.arch!r} is "
                          f"unconditional. Received: per_class=True.")
    chosen = _checkpoints(opened, checkpoint)
    evaluator = Evaluator.for_data(
        config.data, config.image_size, config.channels, features=features,
        conditional=bool(config.num_classes), inception_weights=inception_weights,
        classifier_epochs=classifier_epochs, cache=cache, strict=config.strict,
        background=config.background, fit=config.fit,
        registry=registry, progress=progress, n=n, k=k, kid_subset_size=kid_subset_size,
        kid_subsets=kid_subsets, seed=seed)
    from ganzoo.metrics._per_class import frequency_labels, per_class as score_classes

    labels = frequency_labels(evaluator.sample, evaluator.n) if config.num_classes else None
    best_step = None
    try:
        best_step = opened.best_step()
    except GanzooError:
        pass
    scores = []
    for step, selector in chosen:
        generator = opened.load_generator(selector, registry, averaged=averaged)
        images = generate(generator, evaluator.n, config.latent_dim, seed, labels)
        scores.append(CheckpointScore(step, evaluator.score(images, labels),
                                      best=step == best_step))
    classes = None
    if config.num_classes and per_class is not False:
        last = generator  # the last checkpoint's, loaded above
        classes = score_classes(
            evaluator, lambda count, label: generate(last, count, config.latent_dim, seed,
                                                     np.full(count, label, np.int32)),
            tuple(config.class_names), cache=cache)

    accuracy_score = None
    if classifier_score:
        from ganzoo.metrics._classifier_score import classifier_score as measure

        accuracy_score = measure(opened, seed=seed, step=chosen[-1][1], averaged=averaged,
                                 cache=cache, registry=registry, progress=progress)
    return EvalReport(
        run=str(opened.path), arch=config.arch, data=config.data,
        image_shape=tuple(config.image_shape), features=evaluator.feature_info,
        classifier=evaluator.classifier_info,
        reference_samples=len(evaluator.real.reference_features), floor=evaluator.floor,
        checkpoints=tuple(scores), notes=tuple(evaluator.notes),
        weights="average" if averaged and config.ema_decay else "trained",
        classifier_score=accuracy_score, ladder=_ladder(evaluator, cache), per_class=classes)


def _ladder(evaluator: Evaluator, cache) -> dict[str, Metrics]:
    from ganzoo.metrics._ladder import ladder

    return ladder(evaluator, cache=cache)


def _first_side(folder: str) -> int:
    """The shorter side of the first picture of `folder` (sorted order)."""
    from PIL import Image

    from ganzoo.data.folder import _discover
    from ganzoo.errors import DataError

    paths, _, _ = _discover(folder)
    for path in paths:
        try:
            with Image.open(path) as picture:
                return min(picture.size)
        except OSError:
            continue
    raise DataError(f"No readable picture in {folder!r}; pass --image-size or check the folder.")


def evaluate_folders(real: str | os.PathLike, fake: str | os.PathLike, *,
                     image_size: int | None = None, n: int | None = None,
                     features: str | FeatureNetwork = "shipped", seed: int = 0, k: int = 3,
                     kid_subset_size: int | None = None, kid_subsets: int = 100,
                     inception_weights: str | os.PathLike | None = None,
                     cache: str | os.PathLike | None = None,
                     progress: bool = False) -> EvalReport:
    """Score the pictures of folder `fake` against the real pictures of folder `real`, with no
    run: pictures from any generator, ganzoo's or another's, on the same ruler (as clean-fid's
    folder mode). The report is `evaluate`'s, with the ladder of `real`.

    Args:
        real: a folder of real pictures (subfolders are read, their names ignored).
        fake: a folder of the pictures to score, read the same way.
        image_size: the side both are read at (centre square, resized); default: the side of
            `fake`'s first picture.
        n: pictures of `fake` to score; default: all of them, at most the floor's size (half
            the real pictures, at most 10,000), so both columns use the same sizes.
        features: ``"shipped"`` (default), ``"domain"``, ``"inception"`` or a
            `FeatureNetwork`.
        seed, k, kid_subset_size, kid_subsets, inception_weights, cache, progress: as for
            `evaluate`.

    Raises:
        DataError: a folder is missing, empty or unreadable.

    Example:
        >>> print(ganzoo.metrics.evaluate_folders("~/emoji", "samples/").table())
    """
    from ganzoo.data import load_data
    from ganzoo.errors import DataError

    for name, folder in (("real", real), ("fake", fake)):
        if not os.path.isdir(os.path.expanduser(str(folder))):
            raise DataError(f"--{name} must be a folder of pictures. Received: {str(folder)!r}.")
    if image_size is None:
        image_size = _first_side(os.path.expanduser(str(fake)))
    evaluator = Evaluator.for_data(str(real), image_size, 3, features=features,
                                   inception_weights=inception_weights, cache=cache,
                                   progress=progress, k=k, kid_subset_size=kid_subset_size,
                                   kid_subsets=kid_subsets, seed=seed)
    pictures = real_sample(str(fake), image_size, 3, dataset=load_data(
        str(fake), image_size, 3)).images
    evaluator.n = count = min(len(pictures), evaluator.n if n is None else n)
    evaluator._check_sizes(count)
    scores = (CheckpointScore(0, evaluator.score(pictures[:count])),)
    return EvalReport(
        run=str(fake), arch="pictures", data=str(real), image_shape=(image_size, image_size, 3),
        features=evaluator.feature_info, classifier=None,
        reference_samples=len(evaluator.real.reference_features), floor=evaluator.floor,
        checkpoints=scores, notes=tuple(evaluator.notes), weights="pictures",
        ladder=_ladder(evaluator, cache), fake=str(fake))
