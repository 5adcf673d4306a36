"""ganzoo's own Keras layers, registered so that ``generator.keras`` reloads in safe mode.

Importing this module imports Keras (a layer class needs it), so architecture modules import it
inside their builders, as they import Keras, and every loader of ``.keras`` files imports it
first.
"""

from __future__ import annotations

import keras


@keras.saving.register_keras_serializable(package="ganzoo")
class ConditioningStrength(keras.layers.Layer):
    """Multiplies its input by the run's conditioning strength, a scalar the trainer sets
    before every step (an `ArchitectureSpec.transition`): 0 while a run trains unconditionally,
    rising to 1 (Shahbazi et al. 2022). A weight of the layer, so checkpoints, the weight
    average and exported files keep the value the generator was trained with."""

    def build(self, input_shape) -> None:
        self.strength = self.add_weight(shape=(), initializer="zeros", trainable=False,
                                        name="strength")

    def call(self, inputs):
        return inputs * keras.ops.cast(self.strength, inputs.dtype)


def strength_variables(*models: keras.layers.Layer) -> list:
    """The strength of every `ConditioningStrength` layer inside `models` (nested included)."""

    def walk(layer):
        if isinstance(layer, ConditioningStrength):
            yield layer.strength
        for inner in getattr(layer, "layers", []):
            yield from walk(inner)

    found = []
    for model in models:
        found.extend(v for v in walk(model) if not any(v is seen for seen in found))
    return found
