"""Refuse, before the first training step, a generator that Keras safe mode cannot reload.

Every run ends in ``generator.keras``, loaded with ``safe_mode=True`` by sampling, export and
``ganzoo.load_generator``. A layer that safe mode refuses (a ``Lambda``, a custom layer that is
not registered or has no ``get_config``) would otherwise train for hours and then fail to load
(issue 10, item 8).
"""

from __future__ import annotations

import os
import random
import tempfile
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from ganzoo.errors import PluginError

if TYPE_CHECKING:
    import keras

    from ganzoo.plugin import ArchitectureSpec
    from ganzoo.registry import Registry


def check_generator_reloads(generator: keras.Model, spec: ArchitectureSpec,
                            registry: Registry | None = None) -> None:
    """Save `generator` to a ``.keras`` file and load it back in safe mode, or raise a
    one-line `PluginError` naming the architecture, its plugin and the layer at fault.

    The global Python and numpy random states are left as they were, so the check does not
    change a seeded run's trajectory.
    """
    import keras

    states = random.getstate(), np.random.get_state()
    try:
        with tempfile.TemporaryDirectory(prefix="ganzoo-reload-") as scratch:
            path = os.path.join(scratch, "generator.keras")
            try:
                generator.save(path)
                keras.saving.load_model(path, safe_mode=True)
            except Exception as error:  # Keras raises ValueError, TypeError, KeyError, ...
                raise PluginError(_message(generator, spec, registry, error)) from error
    finally:
        random.setstate(states[0])
        np.random.set_state(states[1])


def _message(generator: keras.Model, spec: ArchitectureSpec, registry: Registry | None,
             error: Exception) -> str:
    where = _culprit(generator)
    reason = _first_sentence(where[1] if where else error)
    layer = f"layer {where[0].name!r} ({type(where[0]).__name__})" if where else "it"
    return (f"Architecture {spec.name!r}{_plugin(spec, registry)} builds a generator that "
            f"cannot be saved and reloaded in Keras safe mode: {layer} fails ({reason}). "
            f"Use built-in Keras layers, or a custom layer registered with "
            f"@keras.saving.register_keras_serializable that implements get_config; never a "
            f"Lambda.")


def _culprit(model: keras.Model) -> tuple[keras.layers.Layer, Exception] | None:
    """The first layer that does not survive a safe-mode round trip on its own."""
    import keras

    for layer in _layers(model):
        try:
            keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer),
                                                  safe_mode=True)
        except Exception as error:
            return layer, error
    return None


def _layers(model: keras.layers.Layer) -> Iterator[keras.layers.Layer]:
    # Innermost first, so a nested model is not blamed for the layer inside it.
    for layer in getattr(model, "layers", []):
        yield from _layers(layer)
        yield layer


def _plugin(spec: ArchitectureSpec, registry: Registry | None) -> str:
    from ganzoo.errors import GanzooError
    from ganzoo.registry import default_registry

    try:
        plugin = (registry or default_registry()).provider(spec.name)
    except GanzooError:
        return ""
    return f" (plugin {plugin.name!r}, {plugin.origin})"


def _first_sentence(error: Exception) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return f"{type(error).__name__}: {text.split('. ')[0].rstrip('.')}"
