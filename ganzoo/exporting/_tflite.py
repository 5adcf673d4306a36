"""LiteRT (TensorFlow Lite): builtin ops only, a fixed batch, float32 or quantized weights."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from ganzoo.export import _metadata
from ganzoo.export._errors import ExportError, cannot_express
from ganzoo.export._formats import Target
from ganzoo.export._serving import Serving

_IDENTIFIER = b"TFL3"
_UNSUPPORTED = (re.compile(r"'tf\.(\w+)' op is neither a custom op nor a flex op"),
                re.compile(r"(?:TF Select ops|Custom ops): ([\w, ]+)"))


def write(serving: Serving, target: Target, metadata: dict[str, Any],
          calibration: Callable[[], Iterable[list[np.ndarray]]] | None = None) -> None:
    """Convert `serving` to `target.path` in `target.precision`.

    int8 is full-integer quantization calibrated on `calibration` (batches of inputs in the
    signature's order); z goes in and the image comes out as float32 (or uint8), so every
    precision has the same inputs and outputs.
    """
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_concrete_functions([serving.concrete],
                                                                serving.trackable())
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    quantize = target.precision.quantize
    if quantize != "none":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if quantize == "fp16":
        converter.target_spec.supported_types = [tf.float16]
    elif quantize == "int8":
        converter.representative_dataset = calibration
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    try:
        model = converter.convert()
    except Exception as error:  # ConverterError; its module path moves between TF releases
        raise _explain(error, serving) from error
    _write_bytes(target.path, _finish(model, metadata))


def runner(path: Path, threads: int | None = None):
    """Run the file's ``serving_default`` signature in the LiteRT interpreter."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path), num_threads=threads or os.cpu_count())
    signature = interpreter.get_signature_runner("serving_default")

    def run(inputs: dict[str, np.ndarray]) -> np.ndarray:
        return signature(**inputs)["image"]

    return run


def read_metadata(path: Path) -> dict[str, Any] | None:
    return _metadata.read_tflite(Path(path).read_bytes())


def size(path: Path) -> int:
    return Path(path).stat().st_size


def _finish(model: bytes, metadata: dict[str, Any]) -> bytes:
    """Name the input and output tensors as the signature does and embed the metadata.

    The converter names them ``serving_default_z:0`` and ``StatefulPartitionedCall:0``; apps
    that address tensors by index (the iOS and C APIs) then see ``z``, ``label`` and ``image``.
    """
    import flatbuffers
    from ai_edge_litert import schema_py_generated as schema

    tree = schema.ModelT.InitFromPackedBuf(bytearray(model), 0)
    for signature in tree.signatureDefs or []:
        tensors = tree.subgraphs[signature.subgraphIndex].tensors
        for mapping in [*signature.inputs, *signature.outputs]:
            tensors[mapping.tensorIndex].name = mapping.name
    _metadata.add_to_tflite(tree, metadata)
    builder = flatbuffers.Builder(1024)
    builder.Finish(tree.Pack(builder), file_identifier=_IDENTIFIER)
    return bytes(builder.Output())


def _explain(error: Exception, serving: Serving) -> ExportError:
    message = str(error)
    op_types = {name.strip() for pattern in _UNSUPPORTED for found in pattern.findall(message)
                for name in found.split(",") if name.strip()}
    if not op_types:
        first = next((line for line in message.splitlines() if "error" in line.lower()),
                     message.splitlines()[0] if message else type(error).__name__)
        return ExportError(f"Format 'tflite' could not convert the generator: {first.strip()}")
    op_names = [op.name for op in serving.concrete.graph.get_operations() if op.type in op_types]
    return cannot_express("tflite", op_types, op_names, serving.layer_names,
                          "Use layers built from TFLite builtin ops, or export another format.")


def _write_bytes(path: Path, data: bytes) -> None:
    partial = path.with_name(f".{path.name}.tmp")
    partial.write_bytes(data)
    os.replace(partial, path)
