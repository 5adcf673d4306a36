"""Discriminator augmentations: each transform against its formula, ADA's controller, and
training with them (exact resume, equal replicas, a hook like every other extension)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

import ganzoo
from ganzoo import augmentations as aug
from ganzoo.errors import RunError, UnknownNameError
from ganzoo.plugin import Augmentation, AugmentationSpec
from ganzoo.runs import Run
from ganzoo.testing import ContractError, augmentations_to_check, check_augmentation

TINY = dict(data="digits", batch_size=8, image_size=28, progress=False)


def images(count: int = 4, size: int = 8, channels: int = 3, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1, 1, (count, size, size, channels)) \
        .astype(np.float32)


def test_colour_transforms_follow_their_formulas():
    x = images()
    value = np.array([0.1, -0.3, 0.0, 0.5], np.float32)
    np.testing.assert_allclose(aug.brightness(x, value), x + value[:, None, None, None],
                               atol=1e-6)
    channel_mean = x.mean(axis=3, keepdims=True)
    np.testing.assert_allclose(aug.saturation(x, value + 1),
                               (x - channel_mean) * (value + 1)[:, None, None, None]
                               + channel_mean, atol=1e-5)
    image_mean = x.mean(axis=(1, 2, 3), keepdims=True)
    np.testing.assert_allclose(aug.contrast(x, value + 1),
                               (x - image_mean) * (value + 1)[:, None, None, None] + image_mean,
                               atol=1e-5)


def test_translation_shifts_whole_pixels_and_fills_with_zeros():
    x = images(count=2)
    shifted = aug.translate(x, tf.constant([1, -2]), tf.constant([0, 3]), limit=3).numpy()
    expected = np.zeros_like(x)
    expected[0, 1:, :] = x[0, :-1, :]
    expected[1, :-2, 3:] = x[1, 2:, :-3]
    np.testing.assert_array_equal(shifted, expected)


def test_cutout_zeroes_a_square_of_half_the_side_around_its_centre():
    x = np.ones((1, 8, 8, 1), np.float32)
    out = aug.cutout(x, tf.constant([0.5]), tf.constant([0.5])).numpy()[0, :, :, 0]
    expected = np.ones((8, 8), np.float32)
    expected[2:6, 2:6] = 0
    np.testing.assert_array_equal(out, expected)


def test_diffaugment_without_cutout_draws_the_same_colours_and_shifts_as_with_it():
    x = tf.constant(images(size=16))
    randoms = tf.random.stateless_uniform([4, aug.DiffAugment.randoms_per_image], seed=[3, 4])

    with_cutout = aug.DiffAugment().apply(x, randoms).numpy()
    without = aug.DiffAugment(use_cutout=False).apply(x, randoms).numpy()

    kept = aug.cutout(np.ones_like(x), randoms[:, 5], randoms[:, 6]).numpy()
    assert (kept == 0).any() and not np.allclose(without, x)
    np.testing.assert_array_equal(with_cutout, without * kept)


BUILT_IN = {spec.name: spec.build for spec in aug.BUILT_IN_AUGMENTATIONS}


@pytest.mark.parametrize("name", sorted(BUILT_IN))
def test_every_augmentation_passes_the_generators_gradient_through(name):
    augmentation = BUILT_IN[name]()
    if name == "ada":
        augmentation.probability.assign(1.0)
    x = tf.constant(images())
    randoms = tf.random.stateless_uniform([4, augmentation.randoms_per_image], seed=[1, 2])
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = augmentation.apply(x, randoms)
        total = tf.reduce_sum(out * tf.constant(images(seed=1)))
    gradient = tape.gradient(total, x).numpy()
    assert out.shape == x.shape and np.isfinite(gradient).all() and np.abs(gradient).sum() > 0


@pytest.mark.parametrize("name", sorted(BUILT_IN))
def test_every_augmentations_step_methods_convert_under_autograph(name):
    # The training step is a tf.function: a method AutoGraph cannot convert still runs, but
    # prints a warning asking the user to report a TensorFlow bug (the base class's
    # docstring-only `update` did, in every run through the Python API).
    augmentation = type(BUILT_IN[name]())
    for method in ("apply", "statistics", "update"):
        tf.autograph.to_graph(getattr(augmentation, method))


def test_ada_at_p_zero_leaves_images_untouched_and_at_p_one_changes_them():
    ada = aug.AdaptiveAugment()
    x = tf.constant(images())
    randoms = tf.random.stateless_uniform([4, ada.randoms_per_image], seed=[3, 4])
    np.testing.assert_array_equal(ada.apply(x, randoms), x)
    ada.probability.assign(1.0)
    changed = np.abs(ada.apply(x, randoms).numpy() - x.numpy()).reshape(4, -1).max(axis=1)
    assert (changed > 0).all()


@pytest.mark.parametrize("sign, direction", [(1.0, 1), (-1.0, -1)], ids=["overfits", "fine"])
def test_ada_moves_p_every_fourth_step_by_images_over_speed_toward_the_target(sign, direction):
    ada = aug.AdaptiveAugment(speed_images=1000)
    ada.probability.assign(0.5)
    for step in range(1, 5):
        # 10 real logits per step, all of one sign: r_t = sign, far from the 0.6 target.
        ada.update(tf.constant(step, tf.int64), tf.constant([10.0 * sign, 10.0]), 10)
        if step < 4:
            assert ada.probability.numpy() == pytest.approx(0.5)
    assert ada.probability.numpy() == pytest.approx(0.5 + direction * 40 / 1000)
    assert ada.logs()["augment_rt"] == pytest.approx(sign)


def test_ada_keeps_p_between_zero_and_one():
    ada = aug.AdaptiveAugment(speed_images=1)
    for step in range(1, 9):
        ada.update(tf.constant(step, tf.int64), tf.constant([-5.0, 5.0]), 5)
    assert ada.probability.numpy() == 0.0


def test_ada_logs_p_and_resumes_it_exactly(tmp_path):
    whole = ganzoo.train("dcgan", steps=8, out=tmp_path / "whole", augment="ada", log_every=4,
                         checkpoint_every=4, **TINY).run
    half = ganzoo.train("dcgan", steps=4, out=tmp_path / "half", augment="ada", log_every=4,
                        checkpoint_every=4, **TINY).run
    ganzoo.train(resume=half.path, steps=8, progress=False)
    records = [[json.loads(line) for line in run.metrics_path.read_text().splitlines()]
               for run in (whole, half)]
    assert [[(r["step"], r["augment_p"], r["augment_rt"]) for r in run] for run in records][0] \
        == [(r["step"], r["augment_p"], r["augment_rt"]) for r in records[1]]
    assert records[0][-1]["augment_rt"] != 0.0  # the controller did measure
    for a, b in zip(whole.load_generator().weights, half.load_generator().weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_diffaugment_changes_training_but_not_the_generators_interface(tmp_path):
    plain = ganzoo.train("dcgan", steps=2, out=tmp_path / "plain", **TINY).run
    augmented = ganzoo.train("dcgan", steps=2, out=tmp_path / "aug", augment="diffaugment",
                             **TINY).run
    assert augmented.config.augment == "diffaugment"
    differs = [not np.array_equal(a.numpy(), b.numpy()) for a, b in
               zip(plain.load_generator().weights, augmented.load_generator().weights)]
    assert any(differs)


def test_training_without_augmentation_is_unchanged_by_the_augmentation_stream(tmp_path):
    # The augmentation randoms come from their own stream: a run with augment="none" draws
    # exactly the latents it drew before augmentations existed (resume tests pin the rest).
    first = ganzoo.train("mlp-gan", steps=2, out=tmp_path / "a", **TINY).run
    again = ganzoo.train("mlp-gan", steps=2, out=tmp_path / "b", augment="none", **TINY).run
    for a, b in zip(first.load_generator().weights, again.load_generator().weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_an_unknown_augmentation_lists_the_installed_ones(tmp_path):
    with pytest.raises(UnknownNameError, match="Did you mean 'diffaugment'.*ada"):
        ganzoo.train("dcgan", steps=1, out=tmp_path, augment="difaugment", **TINY)
    assert not any(tmp_path.iterdir())


def test_an_unknown_augmentation_is_a_one_line_cli_error(tmp_path):
    done = subprocess.run([sys.executable, "-m", "ganzoo", "train", "--arch", "dcgan",
                           "--augment", "flip", "--steps", "1", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.startswith("ganzoo")]
    assert len(lines) == 1 and "Unknown augmentation 'flip'" in lines[0]
    assert "Traceback" not in done.stderr


def test_resume_refuses_another_augmentation(tmp_path):
    run = ganzoo.train("mlp-gan", steps=1, out=tmp_path, augment="diffaugment", **TINY).run
    with pytest.raises(RunError, match="--augment cannot change"):
        ganzoo.train(resume=run.path, steps=2, augment="ada", progress=False)
    assert Run.open(run.path).config.augment == "diffaugment"


MIRRORED_ADA = """
import json, sys
import numpy as np, tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import ganzoo
settings = dict(steps=4, batch_size=8, log_every=1, progress=False, seed=3, augment="ada")
runs = [ganzoo.train("dcgan", out=sys.argv[1] + "/" + strategy, strategy=strategy,
                     **settings).run for strategy in ("default", "mirrored")]
records = [[json.loads(line) for line in run.metrics_path.read_text().splitlines()]
           for run in runs]
weights = [[v.numpy().tolist() for v in run.load_generator().weights] for run in runs]
print(json.dumps({"records": records, "weights": weights}))
"""


@pytest.mark.slow
def test_mirrored_over_two_devices_augments_like_one_device(tmp_path):
    done = subprocess.run([sys.executable, "-c", MIRRORED_ADA, str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    one, two = result["records"]
    assert [r["augment_rt"] for r in one] == [r["augment_rt"] for r in two]
    np.testing.assert_allclose([r["augment_p"] for r in one], [r["augment_p"] for r in two])
    np.testing.assert_allclose([r["d_loss"] for r in one], [r["d_loss"] for r in two], rtol=1e-4)
    for a, b in zip(*result["weights"]):
        np.testing.assert_allclose(np.array(a), np.array(b), atol=1e-5)


@pytest.mark.parametrize("name", augmentations_to_check())
def test_every_registered_augmentation_passes_the_kit(name):
    assert check_augmentation(name) == name


class _Noisy(Augmentation):
    randoms_per_image = 1

    def apply(self, images, randoms):
        return images + tf.random.uniform(tf.shape(images))


class _Numpy(Augmentation):
    def apply(self, images, randoms):
        return tf.numpy_function(lambda x: x[:, ::-1], [images], tf.float32)


@pytest.mark.parametrize("broken, message", [
    (_Noisy, "same randoms give different images"), (_Numpy, "differentiable")],
    ids=["own-randomness", "not-differentiable"])
def test_the_kit_names_what_a_broken_augmentation_must_fix(broken, message):
    with pytest.raises(ContractError, match=message):
        check_augmentation(AugmentationSpec("broken", "test", broken))


# --- ADA's r_t per loss -----------------------------------------------------------------------

def _context(real: list[float], fake: list[float]):
    from ganzoo.plugin import LossContext

    return LossContext(tf.constant(real, tf.float32)[:, None], tf.constant(fake, tf.float32)[:, None])


# Per loss: logits a discriminator that has learnt to tell them apart would give (real, fake).
SEPARATED = {"nonsaturating": (3.0, -3.0), "minimax": (3.0, -3.0), "hinge": (1.0, -1.0),
             "least-squares": (1.0, 0.0), "wasserstein-gp": (7.0, 4.0),
             "relativistic-average": (2.0, -1.0)}


@pytest.mark.parametrize("name", sorted(SEPARATED))
def test_every_built_in_loss_says_which_real_images_its_discriminator_judges_real(name):
    realness = ganzoo.registry.default_registry().loss(name).realness
    real, fake = SEPARATED[name]
    # A discriminator that separates real from fake judges the real images real ...
    assert (realness(_context([real] * 4, [fake] * 4)).numpy() > 0).all()
    # ... and one fooled into scoring the real images as fakes does not.
    assert (realness(_context([fake] * 4, [real] * 4)).numpy() < 0).all()


def test_least_squares_realness_sits_halfway_between_its_targets_not_at_zero():
    realness = ganzoo.registry.default_registry().loss("least-squares").realness
    # Logits of 0.3 are positive, yet nearer the fake target 0 than the real target 1.
    assert (realness(_context([0.3] * 4, [0.0] * 4)).numpy() < 0).all()


@pytest.mark.parametrize("name", ["wasserstein-gp", "relativistic-average"])
def test_a_critic_without_an_origin_is_judged_against_the_average_fake(name):
    realness = ganzoo.registry.default_registry().loss(name).realness
    # All scores negative, reals above the fakes: judged real; a common shift changes nothing.
    shifted = realness(_context([-5.0, -4.0], [-9.0, -8.0])).numpy()
    assert (shifted > 0).all()
    np.testing.assert_allclose(realness(_context([95.0, 96.0], [91.0, 92.0])).numpy(), shifted)


def test_ada_counts_the_signs_of_the_realness_it_is_given():
    statistics = aug.AdaptiveAugment().statistics(tf.constant([0.4, -0.1, 2.0, 0.0]))
    np.testing.assert_array_equal(statistics.numpy(), [1.0, 4.0])  # +1 - 1 + 1 + 0, 4 images


def test_ada_refuses_a_loss_that_does_not_say_where_its_boundary_lies(tmp_path):
    from ganzoo.errors import GanzooError
    from ganzoo.plugin import LossSpec, hookimpl
    from ganzoo.testing import registry_with

    class Plugin:
        @hookimpl
        def ganzoo_losses(self):
            return [LossSpec("opaque", "A loss without a realness function.",
                             lambda c: -c.real_logits[:, 0] + c.fake_logits[:, 0],
                             lambda c: -c.fake_logits[:, 0])]

    registry = registry_with(Plugin(), builtins=True)
    with pytest.raises(GanzooError, match="loss 'opaque' does not say where its decision"):
        ganzoo.train("dcgan", loss="opaque", augment="ada", steps=1, out=tmp_path / "runs",
                     registry=registry, **TINY)
    assert not (tmp_path / "runs").exists()  # refused before the run directory
    ganzoo.train("dcgan", loss="opaque", augment="diffaugment", steps=1, out=tmp_path / "ok",
                 registry=registry, **TINY)


@pytest.mark.parametrize("loss", ["least-squares", "wasserstein-gp"])
def test_ada_trains_with_losses_other_than_the_papers(tmp_path, loss):
    run = ganzoo.train("dcgan", loss=loss, augment="ada", steps=4, log_every=4,
                       out=tmp_path, **TINY).run
    record = json.loads(run.metrics_path.read_text().splitlines()[-1])
    assert -1.0 <= record["augment_rt"] <= 1.0 and record["augment_p"] >= 0.0
