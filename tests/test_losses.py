"""Each loss equals its formula, per example, for logits of any sign; every registered loss
passes the test kit; a loss plugin that breaks the contract is named in one line."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from ganzoo import losses
from ganzoo.errors import PluginError
from ganzoo.plugin import LossContext, LossSpec, hookimpl
from ganzoo.registry import PluginLoadWarning
from ganzoo.testing import ContractError, check_loss, losses_to_check, registry_with


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


def test_relativistic_average_losses_compare_each_side_with_the_other_sides_mean(logits):
    real, fake = logits
    check(losses.relativistic_average_discriminator_loss(real, fake),
          -np.log(sigmoid(real - fake.mean())) - np.log(1 - sigmoid(fake - real.mean())))
    check(losses.relativistic_average_generator_loss(real, fake),
          -np.log(sigmoid(fake - real.mean())) - np.log(1 - sigmoid(real - fake.mean())))


# The registered specs, as NumPy formulas of (real, fake) logits -> (discriminator, generator).
FORMULAS = {
    "nonsaturating": lambda r, f: (softplus(-r) + softplus(f), softplus(-f)),
    "minimax": lambda r, f: (softplus(-r) + softplus(f), -softplus(f)),
    "hinge": lambda r, f: (np.maximum(0, 1 - r) + np.maximum(0, 1 + f), -f),
    "least-squares": lambda r, f: (0.5 * (r - 1) ** 2 + 0.5 * f ** 2, 0.5 * (f - 1) ** 2),
    "wasserstein-gp": lambda r, f: (f - r, -f),
    "relativistic-average": lambda r, f: (softplus(-(r - f.mean())) + softplus(f - r.mean()),
                                          softplus(-(f - r.mean())) + softplus(r - f.mean())),
}


@pytest.mark.parametrize("loss", losses_to_check())
def test_every_registered_loss_passes_the_kit(loss):
    report = check_loss(loss, reference=FORMULAS.get(loss))
    assert report.name == loss


def test_every_built_in_loss_has_its_formula_checked(registry):
    built_in = {name for name, provided in registry.losses().items()
                if provided.plugin.distribution == "ganzoo"}
    assert built_in == set(FORMULAS)


def spec_of(discriminator, generator, name="broken"):
    return LossSpec(name, "a broken loss for the kit", discriminator, generator)


def real_of(context):
    return context.real_logits[:, 0]


def fake_of(context):
    return context.fake_logits[:, 0]


def flipped_discriminator(context):
    return tf.nn.softplus(real_of(context)) + tf.nn.softplus(-fake_of(context))


def standard_discriminator(context):
    return tf.nn.softplus(-real_of(context)) + tf.nn.softplus(fake_of(context))


def standard_generator(context):
    return tf.nn.softplus(-fake_of(context))


def generator_of_real_logits(context):
    return tf.nn.softplus(-real_of(context))


def naive_discriminator(context):
    return (-tf.math.log(tf.sigmoid(real_of(context)))
            - tf.math.log(1 - tf.sigmoid(fake_of(context))))


def noisy_discriminator(context):
    return standard_discriminator(context) + tf.random.uniform(tf.shape(real_of(context)))


def per_batch_discriminator(context):
    return tf.reduce_mean(standard_discriminator(context))


@pytest.mark.parametrize("spec, complaint", [
    (spec_of(flipped_discriminator, standard_generator),
     r"discriminator_loss must fall as the real logits rise"),
    (spec_of(standard_discriminator, generator_of_real_logits),
     r"generator_loss must fall as the fake logits rise.*slope of 0 "),
    (spec_of(naive_discriminator, standard_generator), r"gradient .* not finite.*softplus"),
    (spec_of(noisy_discriminator, standard_generator), r"different values for the same batch"),
    (spec_of(per_batch_discriminator, standard_generator),
     r"one value per example, shape \(8,\)\. Received: shape \(\)"),
], ids=["flipped-signs", "generator-ignores-fakes", "unstable-log", "random", "batch-mean"])
def test_the_kit_names_what_a_broken_loss_must_fix(spec, complaint):
    with pytest.raises(ContractError, match=complaint):
        check_loss(spec)


def test_the_kit_compares_a_loss_with_its_reference_formula():
    with pytest.raises(ContractError, match="discriminator_loss differs from the reference"):
        check_loss("nonsaturating", reference=FORMULAS["hinge"])


def test_a_loss_written_for_the_old_two_argument_signature_is_refused_with_the_new_one():
    with pytest.raises(PluginError, match=r"'old'.*one argument, a ganzoo.plugin.LossContext.*"
                                          r"Received: discriminator_loss\(real, fake\)"):
        LossSpec("old", "ganzoo 0.1 style", lambda real, fake: real - fake, lambda fake: -fake)


def test_a_plugin_with_an_old_style_loss_is_skipped_with_a_warning_naming_it():
    class OldStyleLosses:
        @hookimpl
        def ganzoo_losses(self):
            return [LossSpec("old", "ganzoo 0.1 style", lambda real, fake: fake - real,
                             lambda fake: -fake)]

    registry = registry_with()
    registry.register(OldStyleLosses(), "old-style-losses")
    with pytest.warns(PluginLoadWarning, match=r"'old-style-losses'.*LossContext"):
        assert "old" not in registry.losses()


class FlatLosses:
    """A plugin whose discriminator loss forgets to flatten its [batch, 1] logits."""

    @hookimpl
    def ganzoo_losses(self):
        return [LossSpec("unflattened", "returns [batch, 1]",
                         lambda context: tf.nn.softplus(-context.real_logits),
                         standard_generator)]


def test_a_loss_of_the_wrong_shape_stops_training_with_one_line_naming_it(tmp_path):
    import ganzoo

    with pytest.raises(PluginError) as caught:
        ganzoo.train("dcgan", loss="unflattened", steps=1, batch_size=4, out=tmp_path,
                     progress=False, registry=registry_with(FlatLosses(), builtins=True))
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("Loss 'unflattened' (module ")
    assert __name__ in message
    assert "discriminator_loss must return one value per example, shape (4,). " \
           "Received: shape (4, 1)." in message


@pytest.fixture
def flat_loss_distribution(tmp_path, monkeypatch):
    """An installed distribution `flat-loss 0.2` whose loss returns [batch, 1]."""
    from ganzoo.registry import reset_default_registry

    site = tmp_path / "site"
    site.mkdir()
    (site / "flat_loss.py").write_text(
        "import tensorflow as tf\n"
        "from ganzoo.plugin import LossSpec, hookimpl\n\n"
        "@hookimpl\n"
        "def ganzoo_losses():\n"
        "    return [LossSpec('flat', 'returns [batch, 1]',\n"
        "                     lambda c: tf.nn.softplus(-c.real_logits),\n"
        "                     lambda c: tf.nn.softplus(-c.fake_logits))]\n")
    info = site / "flat_loss-0.2.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: flat-loss\nVersion: 0.2\n")
    (info / "entry_points.txt").write_text("[ganzoo]\nflat = flat_loss\n")
    (info / "top_level.txt").write_text("flat_loss\n")
    monkeypatch.syspath_prepend(str(site))
    reset_default_registry()
    yield tmp_path
    reset_default_registry()


def test_ganzoo_train_shows_a_wrong_loss_shape_as_one_line_naming_the_distribution(
        flat_loss_distribution, capsys):
    from ganzoo.cli import main

    status = main(["train", "--arch", "dcgan", "--loss", "flat", "--steps", "1",
                   "--batch-size", "4", "--out", str(flat_loss_distribution / "runs"), "--quiet"])
    error = capsys.readouterr().err.strip().splitlines()
    assert status == 2
    assert error == ["ganzoo train: error: Loss 'flat' (module flat_loss, distribution flat-loss "
                     "0.2): discriminator_loss must return one value per example, shape (4,). "
                     "Received: shape (4, 1)."]


def test_a_relativistic_generator_loss_gets_the_generator_gradient_of_its_formula():
    import keras

    from ganzoo.training.step import GanStep, with_noise

    batch, latent, features, rate = 6, 4, 3, 0.1
    keras.utils.set_random_seed(0)
    generator = keras.Sequential([keras.Input((latent,)), keras.layers.Dense(features)])
    discriminator = keras.Sequential([keras.Input((features,)), keras.layers.Dense(1)])
    images = np.random.default_rng(1).normal(size=(batch, features)).astype(np.float32)
    data = tf.data.Dataset.from_tensors((images, np.zeros(batch, np.int32)))
    batches = with_noise(data, latent, seed=3)
    real, _, z = next(iter(batches))[:3]
    with tf.GradientTape() as tape:
        expected_loss = tf.reduce_mean(losses.relativistic_average_generator_loss(
            discriminator(real), discriminator(generator(z))))
    expected = [w - rate * g for w, g in zip(
        [w.numpy() for w in generator.trainable_weights],
        tape.gradient(expected_loss, generator.trainable_weights))]

    step = GanStep(generator, discriminator, keras.optimizers.SGD(rate),
                   keras.optimizers.SGD(rate), registry_with().loss("relativistic-average"),
                   global_batch_size=batch, conditional=False, step=tf.Variable(0))
    _, g_loss = step(iter(batches))

    np.testing.assert_allclose(float(g_loss), float(expected_loss), rtol=1e-5)
    for weight, want in zip(generator.trainable_weights, expected):
        np.testing.assert_allclose(weight.numpy(), want, rtol=1e-5, atol=1e-6)


def test_an_old_one_argument_generator_loss_is_told_to_read_the_context():
    def old_generator_loss(fake_logits):
        return tf.nn.softplus(-tf.reshape(fake_logits, [-1]))

    spec = LossSpec("half-migrated", "new discriminator, 0.1 generator", standard_discriminator,
                    old_generator_loss)
    context = LossContext(tf.zeros([4, 1]), tf.zeros([4, 1]))
    with pytest.raises(PluginError, match=r"'half-migrated' \(module .*generator_loss must take "
                                          r"a LossContext and read context.fake_logits"):
        tf.function(lambda: spec.per_example("generator", context))()
