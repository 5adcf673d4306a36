"""Sample quality: metrics as pure functions of features, feature networks, and `evaluate`.

The metrics take feature arrays ``[count, dim]`` (generated first, real second) and need only
NumPy::

    from ganzoo.metrics import fid, kid, precision_recall

    fid(generated_features, real_features)

`evaluate` (``ganzoo eval``) scores a run's checkpoints: it draws samples, embeds them with a
feature network (the ``domain`` classifier ganzoo trains on the run's labelled data, or
InceptionV3) and prints every metric beside the real-vs-real floor. `classifier_score`
(``ganzoo eval --classifier-score``) asks whether a conditional run's images train a classifier.
See docs/metrics.md.
"""

from __future__ import annotations

from ganzoo.metrics._scores import (Estimate, InsufficientSamplesError, class_consistency, fid,
                                    frechet_distance, gaussian_statistics, inception_score, kid,
                                    memorisation, nearest_neighbour_distances, precision_recall)
from ganzoo.metrics._spectrum import log_spectrum, spectral_distance

__all__ = [
    "AugmentationGain",
    "CheckpointScore",
    "ClassScore",
    "ClassifierScore",
    "EvalReport",
    "Estimate",
    "Evaluator",
    "FeatureInfo",
    "FeatureNetwork",
    "FeatureNetworkError",
    "HealthMonitor",
    "InsufficientSamplesError",
    "Metrics",
    "TrainingHealthWarning",
    "class_consistency",
    "classifier_score",
    "contrastive_network",
    "domain_network",
    "evaluate",
    "evaluate_folders",
    "fid",
    "frechet_distance",
    "gaussian_statistics",
    "inception_network",
    "inception_score",
    "kid",
    "ladder",
    "log_spectrum",
    "memorisation",
    "shipped_network",
    "nearest_neighbour_distances",
    "precision_recall",
    "spectral_distance",
]

_LAZY = {
    "CheckpointScore": "_evaluate", "EvalReport": "_evaluate", "Evaluator": "_evaluate",
    "FeatureInfo": "_evaluate", "Metrics": "_evaluate", "evaluate": "_evaluate",
    "evaluate_folders": "_evaluate", "shipped_network": "_shipped",
    "FeatureNetwork": "_features", "FeatureNetworkError": "_features",
    "domain_network": "_features", "inception_network": "_features",
    "HealthMonitor": "_health", "TrainingHealthWarning": "_health",
    "contrastive_network": "_contrastive", "ladder": "_ladder",
    "AugmentationGain": "_classifier_score", "ClassifierScore": "_classifier_score",
    "classifier_score": "_classifier_score",
    "ClassScore": "_per_class",
}


def __getattr__(name: str):
    # The pure metrics need only NumPy; the rest pulls in TensorFlow when first used.
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f"ganzoo.metrics.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'ganzoo.metrics' has no attribute {name!r}")
