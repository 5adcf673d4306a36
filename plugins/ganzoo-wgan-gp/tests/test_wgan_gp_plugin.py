"""The example plugin's own tests, as a plugin author would write them: one kit call, plus what
is special about WGAN-GP."""

from __future__ import annotations

from ganzoo_wgan_gp import WGAN_GP


def test_wgan_gp_keeps_the_ganzoo_contract(check_architecture):
    report = check_architecture("wgan-gp", shapes=[(28, 28, 1), (32, 32, 3)])
    assert report.name == "wgan-gp"
    assert set(report.exported_formats) == {"onnx", "savedmodel", "tflite"}


def test_wgan_gp_follows_algorithm_1_of_the_paper():
    defaults = WGAN_GP.defaults
    assert defaults.discriminator_steps == 5
    assert (defaults.generator_lr, defaults.beta_1, defaults.beta_2) == (1e-4, 0.0, 0.9)
    assert defaults.loss == "wasserstein-gp"


def test_the_critic_has_no_batch_norm():
    critic = WGAN_GP.discriminator((28, 28, 1), 0)
    assert not [layer for layer in critic.layers if "batch_normalization" in layer.name]
