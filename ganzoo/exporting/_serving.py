"""The function every format is converted from: inputs ``z`` (and ``label``), output ``image``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import keras
    import tensorflow as tf


@dataclass
class Serving:
    """A generator wrapped for export at one batch size and output type."""

    function: tf.types.experimental.PolymorphicFunction
    conditional: bool
    layer_names: tuple[str, ...]


def serving(generator: keras.Model, latent_dim: int, conditional: bool, batch: int | None,
            output: str) -> Serving:
    """Wrap `generator` as a `tf.function` with an explicit input signature of `batch` (None:
    any batch), returning ``{"image": ...}`` as float32 in [-1, 1] or uint8 in 0..255."""
    import tensorflow as tf

    specs = [tf.TensorSpec([batch, latent_dim], tf.float32, name="z")]
    if conditional:
        specs.append(tf.TensorSpec([batch], tf.int32, name="label"))

    def serve(*inputs):
        images = generator(list(inputs) if conditional else inputs[0], training=False)
        return {"image": to_pixels(images) if output == "uint8" else images}

    function = tf.function(serve, input_signature=specs, autograph=False)
    function.get_concrete_function()  # trace once, here, for every file that shares it
    return Serving(function, conditional,
                   tuple(layer.name for layer in generator.layers))


def to_pixels(images: tf.Tensor) -> tf.Tensor:
    """round((x + 1) * 127.5) clipped to 0..255, as uint8, inside the graph.

    Written as ``x * 127.5 + 127.5``: with ``(x + 1) * 127.5`` the int8 quantizer gave ``x + 1``
    the scale of the product, and the int8 file's pixels were off by up to 67 levels.
    """
    import tensorflow as tf

    scaled = tf.clip_by_value(images * 127.5 + 127.5, 0.0, 255.0)
    return tf.cast(tf.round(scaled), tf.uint8)
