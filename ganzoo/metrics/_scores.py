"""Sample-quality metrics as pure functions of feature arrays (NumPy only, float64 inside).

Every function takes features of generated samples first and features of real images second,
each of shape ``[count, dim]``, and raises `InsufficientSamplesError` when there are too few
samples for the estimate to be defined.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ganzoo.errors import GanzooError

__all__ = ["Estimate", "InsufficientSamplesError", "class_consistency", "frechet_distance",
           "fid", "gaussian_statistics", "inception_score", "kid", "memorisation",
           "nearest_neighbour_distances", "precision_recall"]

# Rows of one block of pairwise distances: bounds the temporary matrix to ~64 MB of float64.
_BLOCK_VALUES = 1 << 23
# KID computes whole kernel matrices (8 * n^2 bytes each) up to this many samples per side.
_KID_WHOLE_KERNEL = 2500


class InsufficientSamplesError(GanzooError):
    """A metric was asked for with fewer samples than its estimator needs."""


class Estimate(NamedTuple):
    """A value estimated over random subsets or splits: their mean and standard deviation."""

    mean: float
    std: float


def _features(name: str, values: np.ndarray, minimum: int, rule: str) -> np.ndarray:
    array = np.asarray(values, np.float64)
    if array.ndim != 2:
        raise ValueError(f"`{name}` must be a 2-D array of features [count, dim]. "
                         f"Received: shape={array.shape}.")
    if len(array) < minimum:
        raise InsufficientSamplesError(f"{rule} Received: {len(array)} {name}.")
    return array


def _same_dim(a: np.ndarray, b: np.ndarray) -> None:
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"Both feature arrays must have the same dimension. Received: "
                         f"{a.shape[1]} and {b.shape[1]}.")


def gaussian_statistics(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and (unbiased) covariance of `features` ``[count, dim]``, in float64."""
    array = _features("features", features, 2, "A covariance needs at least 2 samples.")
    return array.mean(axis=0), np.cov(array, rowvar=False).reshape(array.shape[1], -1)


def _symmetric_sqrt(matrix: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray,
                     sigma2: np.ndarray) -> float:
    """Squared Fréchet (2-Wasserstein) distance between N(mu1, sigma1) and N(mu2, sigma2).

    ``||mu1 - mu2||^2 + tr(sigma1 + sigma2 - 2 (sigma1 sigma2)^(1/2))``.

    ``tr((sigma1 sigma2)^(1/2))`` is the sum of the square roots of the eigenvalues of
    ``sigma1 sigma2``, which equal those of the symmetric positive semi-definite
    ``sigma1^(1/2) sigma2 sigma1^(1/2)``; two symmetric eigendecompositions give them with no
    complex round-off and no singular-matrix retry (which `scipy.linalg.sqrtm` on the
    non-symmetric product needs, see Heusel et al.'s reference code).
    """
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    sigma1, sigma2 = np.atleast_2d(sigma1).astype(np.float64), np.atleast_2d(sigma2).astype(
        np.float64)
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape or sigma1.shape != (len(mu1),) * 2:
        raise ValueError(f"Means must have shape [dim] and covariances [dim, dim], alike for "
                         f"both. Received: {mu1.shape}, {sigma1.shape}, {mu2.shape}, "
                         f"{sigma2.shape}.")
    root1 = _symmetric_sqrt(sigma1)
    product = root1 @ sigma2 @ root1
    trace_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh((product + product.T) / 2), 0.0, None)).sum()
    difference = mu1 - mu2
    value = difference @ difference + np.trace(sigma1) + np.trace(sigma2) - 2.0 * trace_sqrt
    return float(max(value, 0.0))


def fid(generated: np.ndarray, real: np.ndarray) -> float:
    """Fréchet Inception Distance between two sets of features (lower is better).

    Heusel et al., "GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash
    Equilibrium", NeurIPS 2017. https://arxiv.org/abs/1706.08500
    Official code: https://github.com/bioinf-jku/TTUR

    The Fréchet distance between Gaussians fitted to each set. It is biased upwards for small
    samples, so compare only figures computed with the same sample sizes (the real-vs-real
    floor of `ganzoo.evaluate` is computed with them).

    Args:
        generated: features of generated images, ``[n, dim]``, n >= 2.
        real: features of real images, ``[m, dim]``, m >= 2.

    Returns:
        The distance, >= 0.

    Example:
        >>> fid(np.random.randn(500, 8), np.random.randn(500, 8) + 1.0)  # about 8 = 8 * 1^2
    """
    rule = "FID fits a covariance, which needs at least 2 samples."
    generated = _features("generated samples", generated, 2, rule)
    real = _features("real samples", real, 2, rule)
    _same_dim(generated, real)
    return frechet_distance(*gaussian_statistics(generated), *gaussian_statistics(real))


def _polynomial_kernel(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a @ b.T / a.shape[1] + 1.0) ** 3


def kid(generated: np.ndarray, real: np.ndarray, subset_size: int | None = None,
        subsets: int = 100, seed: int = 0) -> Estimate:
    """Kernel Inception Distance: unbiased MMD² with a cubic polynomial kernel (lower is better).

    Bińkowski et al., "Demystifying MMD GANs", ICLR 2018. https://arxiv.org/abs/1801.01401
    Official code: https://github.com/mbinkowski/MMD-GAN

    ``k(x, y) = (x·y / dim + 1)^3``. For each of `subsets` random subsets of `subset_size`
    generated and as many real features (each drawn without replacement), the unbiased MMD²
    estimate; returns their mean and standard deviation. Unlike FID, the estimate is unbiased,
    so two samples of one distribution score about 0 (slightly negative values happen).

    Args:
        generated: features ``[n, dim]``.
        real: features ``[m, dim]``.
        subset_size: samples per subset; default ``min(1000, n, m)``. Must be 2..min(n, m).
        subsets: how many subsets to average over.
        seed: seeds the subset draws.

    Returns:
        `Estimate` (mean, std) over the subsets.
    """
    rule = "KID's unbiased estimate needs at least 2 samples of each kind."
    generated = _features("generated samples", generated, 2, rule)
    real = _features("real samples", real, 2, rule)
    _same_dim(generated, real)
    available = min(len(generated), len(real))
    if subset_size is None:
        subset_size = min(1000, available)
    if subset_size < 2 or subset_size > available:
        raise InsufficientSamplesError(
            f"KID's subset_size must be between 2 and the number of samples of each kind "
            f"({len(generated)} generated, {len(real)} real). Received: "
            f"subset_size={subset_size}. Draw more samples or choose a smaller subset size.")
    if subsets < 1:
        raise ValueError(f"subsets must be at least 1. Received: subsets={subsets}.")
    rng = np.random.default_rng(seed)
    draws = [(rng.choice(len(generated), subset_size, replace=False),
              rng.choice(len(real), subset_size, replace=False)) for _ in range(subsets)]
    if max(len(generated), len(real)) <= _KID_WHOLE_KERNEL:
        estimates = _mmd_from_whole_kernels(generated, real, draws)
    else:
        estimates = np.array([_mmd(generated[x], real[y]) for x, y in draws])
    return Estimate(float(estimates.mean()), float(estimates.std()))


def _mmd(x: np.ndarray, y: np.ndarray) -> float:
    """Unbiased MMD² of two equal-sized samples (Bińkowski et al., eq. 3 with m = n)."""
    m = len(x)
    k_xx, k_yy = _polynomial_kernel(x, x), _polynomial_kernel(y, y)
    within = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
    return float(within - 2.0 * _polynomial_kernel(x, y).mean())


def _mmd_from_whole_kernels(generated: np.ndarray, real: np.ndarray,
                            draws: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """`_mmd` of every subset at once: each kernel is computed once over all samples, and a
    subset's kernel sum is ``v' K v`` for its 0/1 indicator vector v."""
    m = len(draws[0][0])
    in_x = np.zeros((len(generated), len(draws)))
    in_y = np.zeros((len(real), len(draws)))
    for column, (x, y) in enumerate(draws):
        in_x[x, column] = 1.0
        in_y[y, column] = 1.0
    k_xx, k_yy = _polynomial_kernel(generated, generated), _polynomial_kernel(real, real)
    k_xy = _polynomial_kernel(generated, real)
    sum_xx = (in_x * (k_xx @ in_x)).sum(0) - np.diag(k_xx) @ in_x
    sum_yy = (in_y * (k_yy @ in_y)).sum(0) - np.diag(k_yy) @ in_y
    sum_xy = (in_x * (k_xy @ in_y)).sum(0)
    return (sum_xx + sum_yy) / (m * (m - 1)) - 2.0 * sum_xy / (m * m)


def _squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    squared = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    return np.maximum(squared, 0.0)


def _blocks(count: int, other: int):
    step = max(1, _BLOCK_VALUES // max(other, 1))
    for start in range(0, count, step):
        yield slice(start, min(start + step, count))


def nearest_neighbour_distances(features: np.ndarray, k: int) -> np.ndarray:
    """Distance from each row to its k-th nearest other row (the row itself does not count)."""
    features = np.asarray(features, np.float64)
    if not 1 <= k < len(features):
        raise InsufficientSamplesError(
            f"The k-th nearest neighbour among {len(features)} samples needs k between 1 and "
            f"{len(features) - 1}. Received: k={k}.")
    radii = np.empty(len(features))
    for rows in _blocks(len(features), len(features)):
        squared = _squared_distances(features[rows], features)
        squared[np.arange(rows.stop - rows.start), np.arange(rows.start, rows.stop)] = np.inf
        radii[rows] = np.sqrt(np.partition(squared, k - 1, axis=1)[:, k - 1])
    return radii


def _share_inside(points: np.ndarray, centres: np.ndarray, radii: np.ndarray) -> float:
    """Share of `points` inside at least one ball (centre, radius): the k-NN manifold."""
    inside = np.zeros(len(points), bool)
    for rows in _blocks(len(points), len(centres)):
        inside[rows] = (_squared_distances(points[rows], centres) <= radii[None, :] ** 2).any(1)
    return float(inside.mean())


def precision_recall(generated: np.ndarray, real: np.ndarray, k: int = 3) -> tuple[float, float]:
    """Improved precision and recall of k-NN manifolds (higher is better, both in [0, 1]).

    Kynkäänniemi et al., "Improved Precision and Recall Metric for Assessing Generative Models",
    NeurIPS 2019. https://arxiv.org/abs/1904.06991
    Official code: https://github.com/kynkaat/improved-precision-and-recall-metric

    Each real feature is the centre of a ball reaching its k-th nearest real neighbour; their
    union estimates the real manifold. Precision is the share of generated samples inside it
    (are samples realistic?); recall swaps the roles (is the real variety covered?). A collapsed
    generator keeps precision but loses recall.

    Args:
        generated: features ``[n, dim]``, n > k.
        real: features ``[m, dim]``, m > k.
        k: the neighbour that sets each ball's radius (3 in the paper).

    Returns:
        ``(precision, recall)``.
    """
    rule = f"Precision and recall with k={k} need more than k samples of each kind."
    generated = _features("generated samples", generated, k + 1, rule)
    real = _features("real samples", real, k + 1, rule)
    _same_dim(generated, real)
    precision = _share_inside(generated, real, nearest_neighbour_distances(real, k))
    recall = _share_inside(real, generated, nearest_neighbour_distances(generated, k))
    return precision, recall


def memorisation(generated: np.ndarray, training: np.ndarray, quantile: float = 0.05) -> float:
    """Share of generated samples that sit closer to a training image than real images do.

    For each training feature, its leave-one-out distance to the nearest *other* training
    feature is the distance at which a fresh image from the data distribution typically finds
    its nearest training image. The threshold is the `quantile` (5 %) of those distances; the
    score is the share of generated samples whose nearest training feature is at most that far.

    A generator that draws new images from the data distribution scores about `quantile`
    (that is the real-vs-real floor); a generator that copies training images scores about 1.
    Novelty is ``1 - memorisation``. Lower is better, down to the floor.

    Args:
        generated: features ``[n, dim]``.
        training: features of the images the generator was trained on, ``[m, dim]``, m >= 2.
        quantile: in (0, 1).

    Returns:
        The share in [0, 1].
    """
    if not 0.0 < quantile < 1.0:
        raise ValueError(f"quantile must be between 0 and 1. Received: quantile={quantile}.")
    generated = _features("generated samples", generated, 1, "Memorisation needs samples.")
    training = _features("training samples", training, 2,
                         "Memorisation needs at least 2 training samples.")
    _same_dim(generated, training)
    threshold = np.quantile(nearest_neighbour_distances(training, 1), quantile)
    nearest = np.empty(len(generated))
    for rows in _blocks(len(generated), len(training)):
        nearest[rows] = np.sqrt(_squared_distances(generated[rows], training).min(1))
    return float((nearest <= threshold).mean())


def _probabilities(name: str, values: np.ndarray) -> np.ndarray:
    array = np.asarray(values, np.float64)
    if array.ndim != 2 or not len(array):
        raise ValueError(f"`{name}` must be class probabilities [count, classes]. Received: "
                         f"shape={array.shape}.")
    if (array < 0).any() or not np.allclose(array.sum(1), 1.0, atol=1e-3):
        raise ValueError(f"`{name}` must hold probabilities (non-negative, each row summing "
                         f"to 1); apply a softmax to logits first.")
    return array


def inception_score(probabilities: np.ndarray, splits: int = 1) -> Estimate:
    """Inception score ``exp(E_x KL(p(y|x) || p(y)))`` of classifier outputs (higher is better).

    Salimans et al., "Improved Techniques for Training GANs", NeurIPS 2016.
    https://arxiv.org/abs/1606.03498

    Between 1 (every sample gets the same prediction, or none is confident) and the number of
    classes (confident predictions spread evenly over all classes). Computed with whichever
    classifier the feature network has, so it is comparable only within one feature network.

    Args:
        probabilities: ``p(y|x)`` per sample, ``[n, classes]``.
        splits: the samples are cut into this many equal parts (10 in the paper, for 50,000
            samples) and the score is averaged over them.

    Returns:
        `Estimate` (mean, std) over the splits; std is 0 with one split.
    """
    array = _probabilities("probabilities", probabilities)
    if not 1 <= splits <= len(array):
        raise InsufficientSamplesError(f"The inception score needs at least one sample per "
                                       f"split. Received: splits={splits} for {len(array)} "
                                       f"samples.")
    scores = []
    for part in np.array_split(array, splits):
        marginal = part.mean(0, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(part > 0, part * (np.log(part) - np.log(marginal)), 0.0)
        scores.append(np.exp(terms.sum(1).mean()))
    return Estimate(float(np.mean(scores)), float(np.std(scores)))


def class_consistency(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """Share of samples generated for class k that the classifier assigns to class k.

    For conditional generators: the accuracy of a classifier trained on the real labelled data,
    measured on generated samples against the labels they were generated for. Its ceiling is
    the classifier's own accuracy on held-out real images.

    Args:
        probabilities: class scores per sample ``[n, classes]`` (probabilities or logits).
        labels: the class each sample was generated for, ``[n]``.
    """
    scores = np.asarray(probabilities)
    labels = np.asarray(labels).reshape(-1)
    if scores.ndim != 2 or len(scores) != len(labels) or not len(labels):
        raise ValueError(f"Expected class scores [n, classes] and one label per sample. "
                         f"Received: shapes {scores.shape} and {labels.shape}.")
    return float((scores.argmax(1) == labels).mean())
