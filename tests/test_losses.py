"""Each loss equals its formula, per example, for logits of any sign."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from ganzoo import losses


def softplus(x):
    return np.log1p(np.exp(x))


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


@pytest.fixture
def logits():
    rng = np.random.default_rng(7)
    return (rng.normal(0, 3, (16, 1)).astype(np.float32),
            rng.normal(0, 3, (16, 1)).astype(np.float32))


def check(actual, expected):
    np.testing.assert_allclose(np.asarray(actual), np.ravel(expected), rtol=1e-5, atol=1e-5)


def test_nonsaturating_losses_are_binary_cross_entropy(logits):
    real, fake = logits
    check(losses.nonsaturating_discriminator_loss(real, fake),
          -np.log(sigmoid(real)) - np.log(1 - sigmoid(fake)))
    check(losses.nonsaturating_generator_loss(fake), -np.log(sigmoid(fake)))


def test_minimax_generator_loss_is_log_one_minus_d(logits):
    _, fake = logits
    check(losses.minimax_generator_loss(fake), np.log(1 - sigmoid(fake)))


def test_hinge_losses(logits):
    real, fake = logits
    check(losses.hinge_discriminator_loss(real, fake),
          np.maximum(0, 1 - real) + np.maximum(0, 1 + fake))
    check(losses.hinge_generator_loss(fake), -fake)


def test_least_squares_losses(logits):
    real, fake = logits
    check(losses.least_squares_discriminator_loss(real, fake),
          0.5 * (real - 1) ** 2 + 0.5 * fake ** 2)
    check(losses.least_squares_generator_loss(fake), 0.5 * (fake - 1) ** 2)


def test_wasserstein_losses(logits):
    real, fake = logits
    check(losses.wasserstein_discriminator_loss(real, fake), fake - real)
    check(losses.wasserstein_generator_loss(fake), -fake)


def test_losses_stay_finite_for_extreme_logits():
    extreme = tf.constant([[-200.0], [200.0]])
    for value in (losses.nonsaturating_discriminator_loss(extreme, extreme),
                  losses.nonsaturating_generator_loss(extreme),
                  losses.minimax_generator_loss(extreme)):
        assert np.all(np.isfinite(value))


def test_gradient_penalty_of_a_linear_critic_is_its_weight_norm_minus_one_squared():
    weights = tf.constant(np.random.default_rng(0).normal(size=(1, 4, 4, 1)), tf.float32)
    critic = lambda x: tf.reduce_sum(x * weights, axis=[1, 2, 3])  # noqa: E731
    real, fake = tf.random.normal([5, 4, 4, 1]), tf.random.normal([5, 4, 4, 1])
    penalty = losses.gradient_penalty(critic, real, fake, tf.random.uniform([5]))
    check(penalty, np.full(5, (np.linalg.norm(weights.numpy()) - 1) ** 2))


def test_gradient_penalty_is_taken_at_the_interpolation_between_real_and_fake():
    critic = lambda x: 0.5 * tf.reduce_sum(x ** 2, axis=[1, 2, 3])  # gradient is x  # noqa: E731
    real, fake = tf.random.normal([3, 2, 2, 1]), tf.random.normal([3, 2, 2, 1])
    t = tf.constant([0.0, 0.25, 1.0])
    mixed = t[:, None, None, None] * real + (1 - t[:, None, None, None]) * fake
    expected = (np.linalg.norm(mixed.numpy().reshape(3, -1), axis=1) - 1) ** 2
    check(losses.gradient_penalty(critic, real, fake, t), expected)


def test_wasserstein_gp_uses_penalty_weight_ten_from_the_paper(registry):
    assert registry.loss("wasserstein-gp").gradient_penalty_weight == 10.0
