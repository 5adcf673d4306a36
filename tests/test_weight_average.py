"""The generator weight average: its update rule, where it is used, and how runs keep it."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

import ganzoo
from ganzoo.errors import GanzooError, RunError
from ganzoo.registry import default_registry
from ganzoo.runs import Run
from ganzoo.training.average import GeneratorAverage, warmed_up_decay

TINY = dict(data="digits", batch_size=8, image_size=28, progress=False)


def small_model() -> keras.Model:
    inputs = keras.Input((3,))
    x = keras.layers.Dense(4)(inputs)
    return keras.Model(inputs, keras.layers.BatchNormalization()(x))


def values(model: keras.Model) -> list[np.ndarray]:
    return [np.array(v.numpy()) for v in model.weights]


def test_the_decay_warms_up_and_then_stays_at_the_chosen_value():
    assert float(warmed_up_decay(0.999, 1)) == pytest.approx(2 / 11)
    assert float(warmed_up_decay(0.999, 90)) == pytest.approx(91 / 100)
    assert float(warmed_up_decay(0.999, 10**6)) == pytest.approx(0.999)
    assert float(warmed_up_decay(0.5, 100)) == pytest.approx(0.5)


def test_each_update_moves_every_weight_and_batch_norm_statistic_by_one_minus_the_decay():
    generator, average = small_model(), small_model()
    averaging = GeneratorAverage(generator, average, decay=0.9)
    averaging.reset()
    expected = values(generator)
    rng = np.random.default_rng(0)
    for update in range(1, 40):
        for variable in generator.weights:  # stands in for an optimizer step
            variable.assign(rng.normal(size=variable.shape).astype("float32"))
        averaging.update(tf.constant(update, tf.int64))
        decay = min(0.9, (1 + update) / (10 + update))
        expected = [a + (1 - decay) * (w - a) for a, w in zip(expected, values(generator))]
    assert len(expected) == 6  # kernel, bias, gamma, beta, moving mean, moving variance
    for got, want in zip(values(average), expected):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


class Counter(keras.layers.Layer):
    """A layer with integer state, like a seed or a step count."""

    def build(self, input_shape):
        self.count = self.add_weight(shape=(), dtype="int32", initializer="zeros",
                                     trainable=False)

    def call(self, inputs):
        return inputs


def test_integer_state_is_copied_not_averaged():
    def model():
        inputs = keras.Input((3,))
        return keras.Model(inputs, Counter()(keras.layers.Dense(2)(inputs)))

    generator, average = model(), model()
    averaging = GeneratorAverage(generator, average, decay=0.999)
    generator.layers[-1].count.assign(7)
    averaging.update(tf.constant(1000, tf.int64))
    assert int(average.layers[-1].count.numpy()) == 7
    kernel, trained = average.layers[1].kernel.numpy(), generator.layers[1].kernel.numpy()
    assert not np.array_equal(kernel, trained)  # floats move only part of the way


def test_two_generators_with_different_weights_cannot_be_averaged():
    other = keras.Sequential([keras.Input((3,)), keras.layers.Dense(5)])
    with pytest.raises(GanzooError, match="different weights"):
        GeneratorAverage(small_model(), other, decay=0.9)


@pytest.mark.parametrize("decay", [-0.1, 1.0, 1.5])
def test_a_decay_outside_zero_to_one_is_refused_before_any_directory_is_made(decay, tmp_path):
    with pytest.raises(GanzooError, match=f"ema_decay must be .* Received: ema_decay={decay}"):
        ganzoo.train("dcgan", steps=1, ema_decay=decay, out=tmp_path / "runs", **TINY)
    assert not (tmp_path / "runs").exists()


def test_training_keeps_the_average_step_by_step_beside_the_trained_weights(tmp_path):
    run = ganzoo.train("dcgan", steps=3, checkpoint_every=1, out=tmp_path, ema_decay=0.999,
                       **TINY).run
    assert run.config.ema_decay == 0.999
    for step in (2, 3):
        before = values(run.load_generator(step - 1))
        trained = values(run.load_generator(step, averaged=False))
        decay = (1 + step) / (10 + step)
        expected = [a + (1 - decay) * (w - a) for a, w in zip(before, trained)]
        for got, want in zip(values(run.load_generator(step)), expected):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert any(not np.array_equal(a, w) for a, w in zip(
        values(run.load_generator()), values(run.load_generator(averaged=False))))


def test_samples_and_the_saved_generator_come_from_the_average(tmp_path):
    run = ganzoo.train("dcgan", steps=2, out=tmp_path, **TINY).run
    saved = ganzoo.load_generator(run.generator_path)
    for got, want in zip(values(saved), values(run.load_generator())):
        np.testing.assert_array_equal(got, want)
    drawn = ganzoo.sample(run.path, n=4, seed=1)
    from ganzoo.sampling import generate

    assert np.array_equal(drawn, generate(run.load_generator(), 4, run.config.latent_dim, 1))
    assert not np.array_equal(drawn, generate(run.load_generator(averaged=False), 4,
                                              run.config.latent_dim, 1))


def test_the_decay_defaults_to_the_architectures_choice(tmp_path):
    dcgan = ganzoo.train("dcgan", steps=1, out=tmp_path, **TINY).run
    mlp_gan = ganzoo.train("mlp-gan", steps=1, out=tmp_path, **TINY).run
    assert dcgan.config.ema_decay == default_registry().architecture(
        "dcgan").defaults.ema_decay == 0.999
    assert mlp_gan.config.ema_decay == 0.0


def test_a_decay_of_zero_keeps_no_average_and_samples_the_trained_weights(tmp_path):
    run = ganzoo.train("dcgan", steps=2, out=tmp_path, ema_decay=0, **TINY).run
    assert run.config.ema_decay == 0
    for a, b in zip(values(run.load_generator()), values(run.load_generator(averaged=False))):
        np.testing.assert_array_equal(a, b)


def test_resume_keeps_the_decay_and_refuses_to_change_it(tmp_path):
    run = ganzoo.train("dcgan", steps=1, out=tmp_path, ema_decay=0.99, **TINY).run
    with pytest.raises(RunError, match="--ema-decay cannot change when resuming.*0.99"):
        ganzoo.train(resume=run.path, steps=2, ema_decay=0.9, progress=False)
    resumed = ganzoo.train(resume=run.path, steps=2, progress=False)
    assert resumed.run.config.ema_decay == 0.99 and resumed.step == 2


def test_a_run_made_before_weight_averaging_loads_its_trained_generator(tmp_path):
    run = ganzoo.train("dcgan", steps=1, out=tmp_path, ema_decay=0, **TINY).run
    config = json.loads((run.path / "config.json").read_text())
    del config["ema_decay"]
    (run.path / "config.json").write_text(json.dumps(config))
    reopened = Run.open(run.path)
    assert reopened.config.ema_decay == 0
    for a, b in zip(values(reopened.load_generator()), values(run.load_generator())):
        np.testing.assert_array_equal(a, b)


def test_a_checkpoint_without_the_average_its_config_promises_is_named(tmp_path):
    run = ganzoo.train("dcgan", steps=1, out=tmp_path, ema_decay=0, **TINY).run
    config = json.loads((run.path / "config.json").read_text())
    config["ema_decay"] = 0.999
    (run.path / "config.json").write_text(json.dumps(config))
    with pytest.raises(RunError, match="ckpt-1.*no weights for the generator average"):
        Run.open(run.path).load_generator()
