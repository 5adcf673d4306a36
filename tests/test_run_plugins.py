"""A run records every plugin it used and checks them when it is reopened; training refuses, at
step 0, a generator that could not be reloaded afterwards (issue 10, items 7 and 8)."""

from __future__ import annotations

import json
import logging

import keras
import numpy as np
import pytest
from keras import layers

import ganzoo
from ganzoo.architectures import mlp_gan
from ganzoo.errors import PluginError, RunError
from ganzoo.plugin import (ArchitectureSpec, ArrayData, DatasetSpec, Defaults, Paper,
                           hookimpl)
from ganzoo.runs import PluginVersionWarning, Run
from ganzoo.testing import registry_with


def load_shapes() -> ArrayData:
    images = np.random.default_rng(0).integers(0, 256, (32, 28, 28), dtype=np.uint8)
    return ArrayData(images, np.arange(32) % 2, ("a", "b"))


class ShapesPlugin:
    @hookimpl
    def ganzoo_datasets(self):
        return [DatasetSpec("shapes", "random pictures", load_shapes, ships_with_install=True)]


def versioned_gan(width: int) -> ArchitectureSpec:
    """An architecture whose layers change with `width`, as between two plugin releases."""

    def build_generator(image_shape, num_classes, latent_dim):
        z = keras.Input((latent_dim,), name="z")
        x = layers.Dense(width, activation="relu")(z)
        x = layers.Dense(28 * 28, activation="tanh")(x)
        return keras.Model(z, layers.Reshape(image_shape)(x))

    return ArchitectureSpec("vgan", "versioned", Paper("A paper", "https://arxiv.org"),
                            build_generator, mlp_gan.build_discriminator,
                            defaults=Defaults(latent_dim=8, batch_size=8, ema_decay=0.0))


class VersionedPlugin:
    def __init__(self, width: int) -> None:
        self.spec = versioned_gan(width)

    @hookimpl
    def ganzoo_architectures(self):
        return [self.spec]


def with_plugins(*plugins: tuple[object, str, str, str]):
    registry = registry_with(builtins=True)
    for plugin, name, distribution, version in plugins:
        registry.register(plugin, name, distribution, version)
    return registry


@pytest.fixture(scope="module")
def shapes_run(tmp_path_factory) -> Run:
    """A vgan run (vgan 0.1) on the 'shapes' data set (ganzoo-shapes 1.0)."""
    registry = with_plugins((ShapesPlugin(), "shapes", "ganzoo-shapes", "1.0"),
                            (VersionedPlugin(16), "vgan", "vgan", "0.1"))
    return ganzoo.train("vgan", data="shapes", steps=1, out=tmp_path_factory.mktemp("runs"),
                        progress=False, registry=registry).run


def test_a_run_records_the_architecture_loss_and_dataset_plugins(shapes_run):
    config = json.loads((shapes_run.path / "config.json").read_text())
    assert config["plugins"] == {
        "architecture": {"entry_point": "vgan", "distribution": "vgan", "version": "0.1"},
        "loss": {"entry_point": "losses", "distribution": "ganzoo",
                 "version": ganzoo.__version__},
        "dataset": {"entry_point": "shapes", "distribution": "ganzoo-shapes", "version": "1.0"}}
    assert config["plugin"] == {"name": "vgan", "distribution": "vgan", "version": "0.1"}


def test_a_folder_or_npz_is_not_recorded_as_a_plugin():
    registry = registry_with(builtins=True)
    assert set(registry.provenance(architecture="dcgan", loss="hinge",
                                   dataset="~/faces.npz")) == {"architecture", "loss"}


def test_evaluating_a_run_whose_dataset_plugin_is_gone_names_the_distribution(shapes_run):
    without = with_plugins((VersionedPlugin(16), "vgan", "vgan", "0.1"))
    with pytest.raises(RunError, match=r"Unknown dataset 'shapes'.*pip install ganzoo-shapes"):
        ganzoo.evaluate(shapes_run.path, registry=without)


def test_resuming_a_run_whose_dataset_plugin_is_gone_names_the_distribution(shapes_run):
    without = with_plugins((VersionedPlugin(16), "vgan", "vgan", "0.1"))
    with pytest.raises(RunError, match=r"pip install ganzoo-shapes"):
        ganzoo.train(resume=shapes_run.path, steps=2, progress=False, registry=without)


def test_sampling_needs_only_the_architecture_plugin(shapes_run):
    only_architecture = with_plugins((VersionedPlugin(16), "vgan", "vgan", "0.1"))
    generator = Run.open(shapes_run.path).load_generator(registry=only_architecture)
    assert generator.output_shape == (None, 28, 28, 1)


def test_sampling_a_run_whose_architecture_plugin_is_gone_names_the_distribution(shapes_run):
    with pytest.raises(RunError, match=r"Unknown architecture 'vgan'.*pip install vgan"):
        Run.open(shapes_run.path).load_generator(registry=registry_with(builtins=True))


def test_another_installed_version_is_one_warning(shapes_run):
    upgraded = with_plugins((VersionedPlugin(16), "vgan", "vgan", "0.2"))
    run = Run.open(shapes_run.path)
    with pytest.warns(PluginVersionWarning) as warned:
        run.load_generator(registry=upgraded)
        run.load_generator(registry=upgraded)
    assert [str(w.message) for w in warned] == [
        f"Run {str(run.path)!r} was trained with the architecture 'vgan' of vgan 0.1; "
        f"vgan 0.2 is installed."]


def test_weights_that_no_longer_fit_are_one_error_naming_both_versions(shapes_run, caplog):
    changed_layers = with_plugins((VersionedPlugin(32), "vgan", "vgan", "0.2"))
    with caplog.at_level(logging.WARNING), pytest.warns(PluginVersionWarning):
        with pytest.raises(RunError) as caught:
            Run.open(shapes_run.path).load_generator(registry=changed_layers)
    message = str(caught.value)
    assert "trained with vgan 0.1, vgan 0.2 is installed" in message
    assert "pip install 'vgan==0.1'" in message and "\n" not in message
    assert not [r for r in caplog.records if r.name == "tensorflow"]


# Safe mode at step 0 ---------------------------------------------------------------------------

def generator_with_a_lambda(image_shape, num_classes, latent_dim):
    z = keras.Input((latent_dim,), name="z")
    x = layers.Dense(28 * 28, activation="tanh")(z)
    x = layers.Lambda(lambda t: t * 0.5, name="halve")(x)
    return keras.Model(z, layers.Reshape(image_shape)(x))


def test_training_refuses_at_step_0_a_generator_safe_mode_cannot_reload(tmp_path):
    spec = ArchitectureSpec("lambda-gan", "halves its output", Paper("A paper", "https://x"),
                            generator_with_a_lambda, mlp_gan.build_discriminator)
    with pytest.raises(PluginError) as caught:
        ganzoo.train("lambda-gan", steps=3, batch_size=8, out=tmp_path, progress=False,
                     registry=registry_with(spec))
    message = str(caught.value)
    assert "Architecture 'lambda-gan' (plugin 'inline-lambda-gan'" in message
    assert "layer 'halve' (Lambda)" in message and "safe mode" in message
    assert "\n" not in message
    assert not list(tmp_path.rglob("ckpt-*")), "it trained before refusing"
