"""Errors and warnings of `ganzoo export`."""

from __future__ import annotations

import re
from collections.abc import Iterable

from ganzoo.errors import GanzooError


class ExportError(GanzooError):
    """An export cannot run as asked (bad option, no checkpoint, unwritable folder), or one
    format cannot express the generator."""


class ExportWarning(UserWarning):
    """An export that works but loses something the user should know about."""


def offending_layers(op_names: Iterable[str], layer_names: Iterable[str]) -> list[str]:
    """The Keras layers that TensorFlow ops belong to, found from the ops' name scopes.

    Keras names the scope of a layer's ops after the layer, with a ``_N`` suffix when the same
    scope is entered more than once: ``dcgan_generator_1/conv2d_transpose_1_2/conv_transpose``
    belongs to layer ``conv2d_transpose_1``.
    """
    layers = set(layer_names)
    found = [_layer_of(op_name, layers) for op_name in op_names]
    return list(dict.fromkeys(name for name in found if name is not None))


def _layer_of(op_name: str, layers: set[str]) -> str | None:
    for scope in op_name.split("/"):
        for candidate in (scope, re.sub(r"_\d+$", "", scope)):
            if candidate in layers:
                return candidate
    return None


def cannot_express(format_name: str, op_types: Iterable[str], op_names: Iterable[str],
                   layer_names: Iterable[str], hint: str) -> ExportError:
    """The error for a generator that uses an operation a format has no equivalent of."""
    op_types, op_names = sorted(set(op_types)), list(op_names)
    layers = offending_layers(op_names, layer_names)
    where = (f"layer {', '.join(repr(name) for name in layers)}" if layers
             else f"operation {', '.join(repr(name) for name in op_names) or '?'}")
    return ExportError(f"Format {format_name!r} cannot express {where} of the generator: "
                       f"TensorFlow op {', '.join(op_types) or '?'} has no {format_name} "
                       f"equivalent. {hint}")
