"""The metrics as pure functions, checked against closed forms and constructed generators;
the training-health checks; the feature networks."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

from ganzoo.metrics import (InsufficientSamplesError, class_consistency, fid, frechet_distance,
                            inception_score, kid, memorisation, nearest_neighbour_distances,
                            precision_recall)
from ganzoo.metrics._health import HealthMonitor
from ganzoo.metrics._scores import _mmd


def normal(seed: int, count: int, dim: int, shift: float = 0.0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((count, dim)) + shift


# --- FID ---------------------------------------------------------------------------------------

def test_frechet_distance_matches_the_closed_form_for_diagonal_gaussians():
    rng = np.random.default_rng(0)
    mu1, mu2 = rng.normal(size=6), rng.normal(size=6)
    s1, s2 = rng.uniform(0.1, 3.0, 6), rng.uniform(0.1, 3.0, 6)
    expected = ((mu1 - mu2) ** 2).sum() + (s1 + s2 - 2 * np.sqrt(s1 * s2)).sum()
    assert frechet_distance(mu1, np.diag(s1), mu2, np.diag(s2)) == pytest.approx(expected,
                                                                                  rel=1e-10)


def test_frechet_distance_matches_scipy_sqrtm_on_full_covariances():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(8, 8)), rng.normal(size=(8, 8))
    sigma1, sigma2 = a @ a.T + 0.1 * np.eye(8), b @ b.T + 0.1 * np.eye(8)
    mu1, mu2 = rng.normal(size=8), rng.normal(size=8)
    root = scipy.linalg.sqrtm(sigma1 @ sigma2).real
    expected = ((mu1 - mu2) ** 2).sum() + np.trace(sigma1 + sigma2 - 2 * root)
    assert frechet_distance(mu1, sigma1, mu2, sigma2) == pytest.approx(expected, rel=1e-8)


def test_frechet_distance_of_a_singular_covariance_with_itself_is_zero_not_nan():
    low_rank = normal(2, 4, 10)
    sigma = low_rank.T @ low_rank  # rank 4 of 10: sqrtm of the product is ill-conditioned
    value = frechet_distance(np.zeros(10), sigma, np.zeros(10), sigma)
    assert np.isfinite(value) and value == pytest.approx(0.0, abs=1e-6)


def test_fid_of_samples_approaches_the_closed_form_and_grows_with_the_shift():
    real = normal(3, 4000, 4)
    shifted = normal(4, 4000, 4, shift=1.0)  # closed form: 4 * 1^2 + 0
    assert fid(shifted, real) == pytest.approx(4.0, abs=0.15)
    assert fid(normal(5, 4000, 4), real) < 0.02
    assert fid(normal(6, 4000, 4, shift=2.0), real) > fid(shifted, real)


def test_fid_needs_two_samples():
    with pytest.raises(InsufficientSamplesError, match="at least 2"):
        fid(normal(0, 1, 3), normal(1, 5, 3))


# --- KID ---------------------------------------------------------------------------------------

def test_kid_is_about_zero_for_one_distribution_and_positive_for_a_shifted_one():
    real = normal(0, 600, 16)
    same = kid(normal(1, 600, 16), real, subset_size=300, subsets=20)
    shifted = kid(normal(2, 600, 16, shift=0.5), real, subset_size=300, subsets=20)
    assert abs(same.mean) < 0.01 < shifted.mean
    assert shifted.mean > 10 * max(same.std, abs(same.mean))


def test_kid_equals_the_unbiased_mmd_of_the_definition():
    x, y = normal(0, 7, 3), normal(1, 7, 3, shift=0.3)
    kernel = lambda a, b: (a @ b / 3 + 1) ** 3  # noqa: E731
    pairs = [(i, j) for i in range(7) for j in range(7) if i != j]
    expected = (sum(kernel(x[i], x[j]) + kernel(y[i], y[j]) for i, j in pairs) / 42
                - 2 * sum(kernel(x[i], y[j]) for i in range(7) for j in range(7)) / 49)
    assert _mmd(x, y) == pytest.approx(expected, rel=1e-10)
    # With the subset as large as both samples every subset holds all of them.
    assert kid(x, y, subset_size=7, subsets=3) == pytest.approx((expected, 0.0), abs=1e-10)


def test_kid_gives_the_same_value_whether_or_not_it_builds_whole_kernels(monkeypatch):
    from ganzoo.metrics import _scores

    x, y = normal(0, 60, 5), normal(1, 50, 5, shift=0.2)
    whole = kid(x, y, subset_size=20, subsets=10, seed=3)
    monkeypatch.setattr(_scores, "_KID_WHOLE_KERNEL", 10)
    assert kid(x, y, subset_size=20, subsets=10, seed=3) == pytest.approx(whole, rel=1e-10)


def test_kid_rejects_a_subset_larger_than_the_samples():
    with pytest.raises(InsufficientSamplesError, match="subset_size=50"):
        kid(normal(0, 40, 4), normal(1, 100, 4), subset_size=50)


# --- precision, recall, memorisation -----------------------------------------------------------

def test_nearest_neighbour_distances_skip_the_point_itself():
    points = np.array([[0.0], [1.0], [3.0], [7.0]])
    assert nearest_neighbour_distances(points, 1) == pytest.approx([1, 1, 2, 4])
    assert nearest_neighbour_distances(points, 2) == pytest.approx([3, 2, 3, 6])


def test_samples_of_the_data_distribution_have_high_precision_and_recall():
    precision, recall = precision_recall(normal(0, 500, 8), normal(1, 500, 8), k=3)
    assert precision > 0.8 and recall > 0.8


def test_a_memorising_generator_has_high_precision_and_is_flagged_as_copying():
    training = normal(0, 600, 8)
    held_out = normal(1, 300, 8)
    copies = training[np.random.default_rng(2).choice(600, 300)] + 1e-4 * normal(3, 300, 8)
    precision, _ = precision_recall(copies, training, k=3)
    assert precision > 0.99
    assert memorisation(copies, training) > 0.95  # novelty below 5 %
    assert memorisation(held_out, training) == pytest.approx(0.05, abs=0.04)


def test_a_collapsed_generator_has_low_recall():
    real = normal(0, 500, 8)
    collapsed = real[7] + 0.01 * normal(1, 500, 8)
    precision, recall = precision_recall(collapsed, real, k=3)
    assert recall < 0.05
    assert precision > 0.9  # its samples are realistic: they sit on one real image


def test_precision_recall_need_more_than_k_samples():
    with pytest.raises(InsufficientSamplesError, match="more than k"):
        precision_recall(normal(0, 3, 4), normal(1, 100, 4), k=3)


# --- classifier scores -------------------------------------------------------------------------

def test_inception_score_is_the_number_of_classes_for_confident_even_predictions():
    confident = np.eye(10)[np.arange(200) % 10]
    assert inception_score(confident).mean == pytest.approx(10.0)
    assert inception_score(np.eye(10)[np.zeros(200, int)]).mean == pytest.approx(1.0)
    assert inception_score(np.full((50, 10), 0.1)).mean == pytest.approx(1.0)
    split = inception_score(confident, splits=4)
    assert split.mean == pytest.approx(10.0) and split.std == pytest.approx(0.0)


def test_inception_score_rejects_logits():
    with pytest.raises(ValueError, match="softmax"):
        inception_score(np.array([[2.0, -1.0], [0.5, 3.0]]))


def test_class_consistency_counts_samples_assigned_to_their_class():
    scores = np.eye(3)[[0, 1, 2, 2]]
    assert class_consistency(scores, [0, 1, 2, 0]) == pytest.approx(0.75)


# --- training health ---------------------------------------------------------------------------

def test_a_discriminator_that_wins_for_a_while_is_reported_once():
    monitor = HealthMonitor(loss="nonsaturating", patience=3)
    reports = [monitor.observe_losses(step, 0.001, 8.0) for step in range(1, 6)]
    assert [len(r) for r in reports[:2]] == [0, 0]
    codes = [w.code for r in reports for w in r]
    assert codes.count("discriminator-wins") == 1
    assert "step 3" in reports[2][0].message and monitor.status == "D wins"
    assert monitor.observe_losses(6, 0.7, 0.9) == [] and monitor.status == ""


def test_the_discriminator_check_ignores_losses_without_a_zero_floor():
    monitor = HealthMonitor(loss="wasserstein-gp", patience=1)
    assert not any(monitor.observe_losses(step, 0.0, 0.0) for step in range(5))


def test_a_loss_far_above_its_history_is_reported_as_divergence():
    monitor = HealthMonitor()
    for step in range(1, 8):
        assert monitor.observe_losses(step, 1.3, 0.8) == []
    warnings = monitor.observe_losses(8, 1.3, 40.0)
    assert [w.code for w in warnings] == ["divergence"] and "g_loss 40" in warnings[0].message


def test_recall_falling_far_below_its_best_is_reported_as_mode_collapse():
    monitor = HealthMonitor()
    assert monitor.observe_recall(1, 0.05) == []  # early, low recall is not a collapse
    assert monitor.observe_recall(2, 0.6) == []
    warnings = monitor.observe_recall(3, 0.1)
    assert [w.code for w in warnings] == ["mode-collapse"]
    assert monitor.observe_recall(4, 0.08) == []  # still collapsed: not repeated
    assert monitor.observe_recall(5, 0.5) == []
    assert [w.code for w in monitor.observe_recall(6, 0.1)] == ["mode-collapse"]


# --- feature networks --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def digits():
    from ganzoo.metrics._reference import real_sample

    return real_sample("digits", 28, 1)


@pytest.fixture(scope="module")
def fast_domain(digits, tmp_path_factory):
    from ganzoo.metrics import domain_network

    return domain_network(digits.images, digits.labels, digits.num_classes, epochs=1,
                          cache=tmp_path_factory.mktemp("cache"))


def test_the_real_sample_is_every_image_once_in_a_fixed_order(digits):
    from ganzoo.metrics._reference import real_sample

    assert digits.images.shape == (1797, 28, 28, 1) and digits.images.dtype == np.uint8
    assert len({image.tobytes() for image in digits.images}) == 1797
    assert np.bincount(digits.labels).min() > 150
    again = real_sample("digits", 28, 1)
    assert again.fingerprint == digits.fingerprint
    np.testing.assert_array_equal(again.images, digits.images)


def test_the_domain_network_is_trained_deterministically_and_cached(digits, fast_domain,
                                                                    tmp_path, monkeypatch):
    from ganzoo.metrics import _features, domain_network

    retrained = domain_network(digits.images, digits.labels, 10, epochs=1, cache=tmp_path)
    assert retrained.fingerprint == fast_domain.fingerprint
    images = digits.images[:64]
    expected = fast_domain.embed(images)
    np.testing.assert_array_equal(retrained.embed(images).features, expected.features)

    def no_training(*args):
        raise AssertionError("the cached network was trained again")

    monkeypatch.setattr(_features, "_train_domain_model", no_training)
    cached = domain_network(digits.images, digits.labels, 10, epochs=1, cache=tmp_path)
    np.testing.assert_array_equal(cached.embed(images).features, expected.features)
    assert cached.held_out_accuracy == retrained.held_out_accuracy > 0.5
    assert expected.features.shape == (64, 128)
    np.testing.assert_allclose(expected.probabilities.sum(1), 1.0, rtol=1e-5)


def test_the_fingerprint_covers_images_labels_and_budget(digits):
    from ganzoo.metrics._features import domain_fingerprint

    base = domain_fingerprint(digits.images, digits.labels, 10)
    labels = digits.labels.copy()
    labels[0] = (labels[0] + 1) % 10
    images = digits.images.copy()
    images[5, 3, 3, 0] ^= 1
    others = {domain_fingerprint(digits.images, labels, 10),
              domain_fingerprint(images, digits.labels, 10),
              domain_fingerprint(digits.images, digits.labels, 10, epochs=2)}
    assert base not in others and len(others) == 3


def test_the_domain_network_needs_labels(digits):
    from ganzoo.metrics import FeatureNetworkError, domain_network

    with pytest.raises(FeatureNetworkError, match="trained on the data's labels.*--features "
                                                  "inception"):
        domain_network(digits.images, None, 0, source="faces")


def test_a_feature_network_rejects_images_of_another_shape(fast_domain):
    from ganzoo.metrics import FeatureNetworkError

    with pytest.raises(FeatureNetworkError, match=r"takes images of shape \(28, 28, 1\).*"
                                                  r"\(32, 32, 3\)"):
        fast_domain.embed(np.zeros((2, 32, 32, 3), np.uint8))


def test_missing_inception_weights_say_which_file_to_put_where(tmp_path, monkeypatch):
    from ganzoo.metrics import FeatureNetworkError, inception_network
    from ganzoo.metrics._features import INCEPTION_NOTOP

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    with pytest.raises(FeatureNetworkError) as error:
        inception_network()
    message = str(error.value)
    assert INCEPTION_NOTOP in message and str(tmp_path / "models") in message
    assert "--inception-weights" in message and "--features domain" in message
    with pytest.raises(FeatureNetworkError, match="does not exist"):
        inception_network(tmp_path / "nowhere.h5")


def test_an_inception_weights_file_given_by_path_is_loaded(tmp_path):
    import keras
    import tensorflow as tf

    from ganzoo.metrics import inception_network
    from ganzoo.metrics._features import _inception_preprocess

    source = keras.applications.InceptionV3(include_top=False, weights=None, pooling="avg")
    path = tmp_path / "inception.weights.h5"
    source.save_weights(path)
    network = inception_network(path)
    assert network.name == "inception-v3-notop" and network.num_classes == 0
    images = np.random.default_rng(0).integers(0, 256, (2, 28, 28, 1), dtype=np.uint8)
    embedding = network.embed(images)
    expected = source(_inception_preprocess(tf.constant(images, tf.float32)), training=False)
    assert embedding.features.shape == (2, 2048) and embedding.probabilities is None
    np.testing.assert_allclose(embedding.features, np.asarray(expected), rtol=1e-4, atol=1e-5)
