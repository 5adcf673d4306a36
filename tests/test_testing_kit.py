"""The plugin test kit: it passes every registered architecture and names what a broken one
must fix."""

from __future__ import annotations

import dataclasses

import keras
import pytest

import ganzoo
from ganzoo.architectures import dcgan
from ganzoo.plugin import ArchitectureSpec, Paper, hookimpl
from ganzoo.testing import ContractError, check_architecture, registry_with


@pytest.mark.slow
def test_every_registered_architecture_passes_the_kit(architecture, tmp_path):
    # Every supported shape is built by test_architectures and every export made by test_export,
    # for every registered architecture; here the kit's own path (its checks, a tiny run through
    # the trainer, the reload) at one shape. The whole kit, every shape and export included,
    # runs on the example plugin (plugins/ganzoo-wgan-gp/tests).
    spec = ganzoo.get_architecture(architecture)
    shape = (min(spec.image_sizes),) * 2 + (max(spec.channels),)
    report = check_architecture(architecture, shapes=[shape], export=False, workdir=tmp_path)
    assert report.trained_steps == 2 and report.shapes == (shape,)
    assert report.exported_formats == ()


def generator_without_tanh(image_shape, num_classes, latent_dim):
    z = keras.Input((latent_dim,), name="z")
    x = keras.layers.Dense(image_shape[0] * image_shape[1] * image_shape[2],
                           kernel_initializer=keras.initializers.Constant(0.5))(z)
    return keras.Model(z, keras.layers.Reshape(image_shape)(x))


def test_a_generator_outside_minus_one_to_one_is_told_to_end_in_tanh(tmp_path):
    broken = dataclasses.replace(dcgan.DCGAN, name="untanhed",
                                 build_generator=generator_without_tanh)
    with pytest.raises(ContractError, match=r"untanhed.*\[-1, 1\].*to_image"):
        check_architecture(broken, shapes=[(28, 28, 1)], export=False, workdir=tmp_path)


def test_a_discriminator_without_one_logit_is_named(tmp_path):
    def two_outputs(image_shape, num_classes):
        image = keras.Input(image_shape)
        return keras.Model(image, keras.layers.Dense(3)(keras.layers.Flatten()(image)))

    broken = dataclasses.replace(dcgan.DCGAN, name="threeway", build_discriminator=two_outputs)
    with pytest.raises(ContractError, match=r"threeway.*discriminator.*\(None, 1\)"):
        check_architecture(broken, shapes=[(28, 28, 1)], export=False, workdir=tmp_path)


def test_a_throwaway_plugin_defined_inline_trains_through_the_kit(tmp_path):
    class TinyPlugin:
        @hookimpl
        def ganzoo_architectures(self):
            return [ArchitectureSpec(
                name="tiny", summary="DCGAN at 28x28 only", paper=Paper("t", "https://arxiv.org"),
                build_generator=dcgan.DCGAN.build_generator,
                build_discriminator=dcgan.DCGAN.build_discriminator, image_sizes=(28,),
                channels=(1,))]

    registry = registry_with(TinyPlugin())
    assert list(registry.architectures()) == ["tiny"]
    report = check_architecture("tiny", registry=registry, export=False, workdir=tmp_path)
    assert report.shapes == ((28, 28, 1),)
