"""FastGAN and the contract's self-supervised discriminator loss it needs."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

import ganzoo
from ganzoo.architectures import fastgan
from ganzoo.errors import PluginError
from ganzoo.plugin import ArchitectureSpec, Paper
from ganzoo.testing import registry_with


def test_fastgan_builds_at_64_128_and_256_pixels_with_a_decoder_at_half_the_side():
    for size in (64, 128, 256):
        discriminator = ganzoo.get_architecture("fastgan").discriminator((size, size, 3), 0)
        reconstruction = discriminator.outputs[1].shape
        assert reconstruction == (None, min(size // 2, 128), min(size // 2, 128), 3)


def test_skip_layer_excitation_gates_the_large_map_channel_by_channel():
    low = keras.Input((16, 16, 4))
    high = keras.Input((64, 64, 6))
    model = keras.Model([low, high], fastgan._excite(low, high, "sle"))
    gate = keras.Model(model.inputs, model.get_layer("sle_sigmoid").output)
    lows = np.random.default_rng(0).normal(size=(2, 16, 16, 4)).astype(np.float32)
    highs = np.random.default_rng(1).normal(size=(2, 64, 64, 6)).astype(np.float32)
    weights = gate([lows, highs]).numpy()
    assert weights.shape == (2, 1, 1, 6) and ((weights > 0) & (weights < 1)).all()
    np.testing.assert_allclose(model([lows, highs]), highs * weights, rtol=1e-5, atol=1e-6)


def test_the_reconstruction_loss_is_the_mean_squared_error_at_the_decoders_size():
    real = np.random.default_rng(0).uniform(-1, 1, (2, 8, 8, 1)).astype(np.float32)
    decoded = np.zeros((2, 4, 4, 1), np.float32)
    # Area resizing by 2 averages 2x2 blocks.
    target = real.reshape(2, 4, 2, 4, 2, 1).mean(axis=(2, 4))
    np.testing.assert_allclose(fastgan.reconstruction_loss(real, [decoded]),
                               np.square(target).mean(axis=(1, 2, 3)), rtol=1e-5)


def _tiny_spec(**changes) -> ArchitectureSpec:
    def generator(shape, classes, latent_dim):
        z = keras.Input((latent_dim,), name="z")
        x = keras.layers.Dense(int(np.prod(shape)), activation="tanh")(z)
        return keras.Model(z, keras.layers.Reshape(shape)(x))

    def discriminator(shape, classes):
        image = keras.Input(shape)
        flat = keras.layers.Flatten()(image)
        return keras.Model(image, [keras.layers.Dense(1)(flat), keras.layers.Dense(3)(flat)])

    values = dict(name="tiny-ssl", summary="tiny", paper=Paper("t", "u"),
                  build_generator=generator, build_discriminator=discriminator,
                  image_sizes=(28,), channels=(1,))
    return ArchitectureSpec(**{**values, **changes})


def test_a_discriminator_with_extra_outputs_needs_a_self_supervised_loss():
    with pytest.raises(PluginError, match="must have 1 output"):
        _tiny_spec().discriminator((28, 28, 1), 0)


def test_the_trainer_adds_the_self_supervised_loss_to_the_discriminators(tmp_path):
    def constant(real, outputs):
        return 0.0 * outputs[0][:, 0] + 100.0

    def one_output(shape, classes):
        image = keras.Input(shape)
        return keras.Model(image, keras.layers.Dense(1)(keras.layers.Flatten()(image)))

    with_loss = _tiny_spec(self_supervised_loss=constant)
    plain = _tiny_spec(name="tiny-plain", build_discriminator=one_output)
    runs = [ganzoo.train(spec.name, steps=1, batch_size=8, log_every=1, out=tmp_path,
                         registry=registry_with(spec), progress=False).run
            for spec in (with_loss, plain)]
    d_losses = [json.loads(run.metrics_path.read_text().splitlines()[0])["d_loss"]
                for run in runs]
    # Both start near 2 log 2; the constant 100 per example is what separates them.
    assert 99.0 < d_losses[0] - d_losses[1] < 101.0
