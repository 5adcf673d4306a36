"""Conditioning that fades in (Shahbazi et al. 2022, an architecture's `Transition`): the
schedule, what the trainer does with it, and that a run resumed inside it is exact."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import ganzoo
from ganzoo.blocks import conditioning_strength
from ganzoo.errors import PluginError
from ganzoo.layers import strength_variables
from ganzoo.plugin import ArchitectureSpec, Defaults, Paper, Transition
from ganzoo.testing import registry_with

QUICK = Transition(start=2, end=4)


def _spec(transition: Transition | None = QUICK, both_logits: bool = True,
          **changes) -> ArchitectureSpec:
    """A dense conditional GAN at 28 px with the class faded in, cheap enough to train here."""
    from keras import layers

    def generator(shape, classes, latent_dim):
        z = keras.Input((latent_dim,), name="z")
        label = keras.Input((), dtype="int32", name="label")
        embedded = conditioning_strength(layers.Embedding(classes, 4)(label))
        x = layers.Dense(int(np.prod(shape)), activation="tanh")(
            layers.Concatenate()([z, embedded]))
        return keras.Model([z, label], layers.Reshape(shape)(x))

    def discriminator(shape, classes):
        image = keras.Input(shape, name="image")
        label = keras.Input((), dtype="int32", name="label")
        features = layers.Flatten()(image)
        logit = layers.Dense(1)(features)
        projection = layers.Dot(axes=1)(
            [layers.Embedding(classes, features.shape[-1])(label), features])
        outputs = [logit, layers.Add()([logit, projection])] if both_logits else logit
        return keras.Model([image, label], outputs)

    values = dict(name="tiny-transition", summary="tiny", paper=Paper("t", "u"),
                  build_generator=generator, build_discriminator=discriminator,
                  conditional=True, transition=transition, image_sizes=(28,), channels=(1,),
                  defaults=Defaults(latent_dim=8, batch_size=8, steps=6, loss="hinge"))
    return ArchitectureSpec(**{**values, **changes})


def _train(tmp_path, name: str, steps: int, resume=None, spec: ArchitectureSpec | None = None):
    registry = registry_with(spec or _spec())
    if resume is not None:
        return ganzoo.train(resume=resume, steps=steps, registry=registry, progress=False)
    return ganzoo.train("tiny-transition", data="digits", steps=steps, seed=3,
                        checkpoint_every=1, out=tmp_path / name, registry=registry,
                        progress=False)


def _draw(run, step: int, averaged: bool = True) -> list[np.ndarray]:
    """The generator of `step` drawing one latent as classes 0 and 1."""
    generator = run.load_generator(step, registry_with(_spec()), averaged=averaged)
    z = np.random.default_rng(0).normal(size=(1, 8)).astype(np.float32)
    return [generator([z, np.array([label], np.int32)], training=False).numpy()
            for label in (0, 1)]


def test_the_strength_is_zero_until_start_then_rises_linearly_to_one_at_end():
    assert [float(QUICK.strength(step)) for step in range(7)] == [0, 0, 0, 0.5, 1, 1, 1]
    assert [float(Transition(3, 3).strength(step)) for step in (2, 3, 4)] == [0, 0, 1]
    with pytest.raises(ValueError, match="start <= end"):
        Transition(5, 2)


@pytest.mark.parametrize("changes", [dict(conditional=False),
                                     dict(auxiliary_classifier=True)],
                         ids=["unconditional", "auxiliary-classifier"])
def test_a_transition_needs_a_discriminator_that_takes_the_label(changes):
    with pytest.raises(PluginError, match="a transition needs a conditional architecture"):
        _spec(**changes)


def test_a_discriminator_with_a_transition_must_return_both_logits():
    with pytest.raises(PluginError, match=r"\(None, 1\), \(None, 1\)"):
        _spec(both_logits=False).discriminator((28, 28, 1), 10)


def test_before_the_transition_the_class_changes_nothing_and_after_it_it_is_drawn(tmp_path):
    # Steps 1 and 2 run at strength 0 (after 0 and 1 updates); step 6 at 1 (after 5).
    run = _train(tmp_path, "run", steps=2).run
    for averaged in (True, False):
        zero, one = _draw(run, 2, averaged)
        np.testing.assert_array_equal(zero, one)
    _train(tmp_path, "run", steps=6, resume=run.path)
    for averaged in (True, False):
        zero, one = _draw(run, 6, averaged)
        assert np.abs(zero - one).max() > 1e-3
    generator = run.load_generator(6, registry_with(_spec()))
    assert [float(v.numpy()) for v in strength_variables(generator)] == [1.0]


def test_a_run_resumed_inside_the_transition_matches_an_uninterrupted_one(tmp_path):
    straight = _train(tmp_path, "straight", steps=5).run
    halted = _train(tmp_path, "halted", steps=3).run  # stops at strength 0.5
    resumed = _train(tmp_path, "halted", steps=5, resume=halted.path)
    assert resumed.start_step == 3
    for averaged in (False, True):
        a = straight.load_generator(5, registry_with(_spec()), averaged=averaged).weights
        b = halted.load_generator(5, registry_with(_spec()), averaged=averaged).weights
        for x, y in zip(a, b, strict=True):
            np.testing.assert_array_equal(x.numpy(), y.numpy())


def test_cfastgan_draws_the_same_picture_for_every_class_before_its_transition():
    spec = ganzoo.get_architecture("cfastgan")
    assert spec.transition is not None and spec.transition.start > 0
    generator = spec.generator((64, 64, 3), 5, spec.defaults.latent_dim)
    z = np.random.default_rng(1).normal(size=(2, spec.defaults.latent_dim)).astype(np.float32)
    drawn = [generator([z, np.full(2, label, np.int32)], training=False).numpy()
             for label in (0, 4)]
    np.testing.assert_array_equal(*drawn)
    discriminator = spec.discriminator((64, 64, 3), 5)
    assert [tuple(o.shape) for o in discriminator.outputs[:2]] == [(None, 1), (None, 1)]


def test_discriminator_outputs_still_takes_its_old_keyword_with_a_deprecation_warning():
    from ganzoo.plugin import discriminator_outputs

    with pytest.warns(DeprecationWarning, match="second_head"):
        assert discriminator_outputs([1, 2, 3], auxiliary_classifier=True) == (1, 2, [3])
