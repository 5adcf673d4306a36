"""Every registered architecture builds for every shape it supports, and keeps the contract:
generators make NHWC float32 images in [-1, 1], discriminators one logit per image."""

from __future__ import annotations

import numpy as np
import pytest

from ganzoo.errors import UnsupportedImageShapeError
from ganzoo.plugin import discriminator_outputs, upsampling_plan

LATENT = 16


def supported_shapes(spec):
    return [(size, size, channels) for size in spec.image_sizes for channels in spec.channels]


def inputs_for(spec, batch, latent=LATENT, classes=10):
    z = np.random.default_rng(0).normal(size=(batch, latent)).astype(np.float32)
    labels = np.arange(batch, dtype=np.int32) % classes
    return (z, labels) if spec.is_conditional else (z, None)


def test_every_architecture_supports_the_common_image_sizes(registry, architecture):
    spec = registry.architecture(architecture)
    assert {spec.defaults.image_size, 64} <= set(spec.image_sizes)
    if spec.defaults.image_size == 28:  # made for the bundled digits (fastgan starts at 64)
        assert {28, 32, 64} <= set(spec.image_sizes)
    assert {1, 3} <= set(spec.channels)
    assert spec.paper.url.startswith("https://arxiv.org/abs/")


def test_generator_and_discriminator_keep_the_contract_for_every_supported_shape(
        registry, architecture):
    spec = registry.architecture(architecture)
    classes = 10 if spec.is_conditional else 0
    for shape in supported_shapes(spec):
        generator = spec.generator(shape, classes, LATENT)
        discriminator = spec.discriminator(shape, classes)
        z, labels = inputs_for(spec, 3)
        images = np.asarray(generator([z, labels] if spec.is_conditional else z, training=False))
        assert images.shape == (3, *shape) and images.dtype == np.float32, shape
        assert images.min() >= -1.0 and images.max() <= 1.0
        scores = discriminator([images, labels] if spec.discriminator_takes_label else images,
                               training=False)
        if spec.self_supervised_loss is not None:  # outputs for it follow the logit(s)
            scores = scores[:2] if spec.auxiliary_classifier else scores[0]
        if spec.auxiliary_classifier:
            scores, class_logits = scores
            assert tuple(class_logits.shape) == (3, classes), shape
        assert tuple(scores.shape) == (3, 1), shape
        assert np.all(np.isfinite(scores))


def test_an_unsupported_size_names_the_supported_sizes(registry, architecture):
    spec = registry.architecture(architecture)
    with pytest.raises(UnsupportedImageShapeError) as caught:
        spec.generator((48, 48, 1), 10, LATENT)
    message = str(caught.value)
    assert "image_shape=(48, 48, 1)" in message
    assert all(f"{s}x{s}" in message for s in spec.image_sizes)


def test_a_conditional_architecture_refuses_unlabelled_data(registry):
    for name in ("cgan", "acgan"):
        with pytest.raises(UnsupportedImageShapeError, match="needs labelled data"):
            registry.architecture(name).generator((28, 28, 1), 0, LATENT)


def test_a_plugin_model_with_the_wrong_output_shape_is_named(registry):
    import dataclasses

    import keras

    from ganzoo.errors import PluginError

    def two_logits(image_shape, num_classes):
        image = keras.Input(image_shape)
        return keras.Model(image, keras.layers.Dense(2)(keras.layers.Flatten()(image)))

    broken = dataclasses.replace(registry.architecture("dcgan"), name="broken",
                                 build_discriminator=two_logits)
    with pytest.raises(PluginError, match=r"'broken'.*discriminator.*\(None, 1\).*\(None, 2\)"):
        broken.discriminator((28, 28, 1), 0)


@pytest.mark.parametrize("size, plan", [(28, (7, 2)), (32, (4, 3)), (64, (4, 4)), (16, (4, 2))])
def test_upsampling_plan_halves_down_to_a_small_start(size, plan):
    assert upsampling_plan(size) == plan


@pytest.mark.parametrize("outputs, auxiliary, parts", [
    ("logit", False, ("logit", None, [])),
    (["logit"], False, ("logit", None, [])),
    (["logit", "classes"], True, ("logit", "classes", [])),
    (["logit", "decoded", "part"], False, ("logit", None, ["decoded", "part"])),
    (("logit", "classes", "decoded"), True, ("logit", "classes", ["decoded"])),
])
def test_discriminator_outputs_are_read_logit_first_then_classes_then_self_supervised(
        outputs, auxiliary, parts):
    assert discriminator_outputs(outputs, auxiliary) == parts


NORMALIZATIONS = {"BatchNormalization", "SpectralNormalization"}


@pytest.mark.parametrize("name, normalization", [
    ("dcgan", {"BatchNormalization"}), ("lsgan", {"BatchNormalization"}),
    ("sngan", {"SpectralNormalization"}), ("wgan-gp", set()),
])
def test_the_convolutional_family_normalizes_its_discriminator_as_its_paper_says(
        registry, name, normalization):
    if name not in registry.architectures():
        pytest.skip(f"{name} is not installed")
    discriminator = registry.architecture(name).discriminator((28, 28, 1), 0)
    assert {type(layer).__name__ for layer in discriminator.layers} & NORMALIZATIONS \
        == normalization
