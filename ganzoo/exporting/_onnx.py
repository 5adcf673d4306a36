"""ONNX through tf2onnx, from a `tf.function` with an explicit input signature.

`tf2onnx.convert.from_keras` fails on Keras 3 models (``KeyError: 'keras_tensor_66'``,
https://github.com/onnx/tensorflow-onnx/issues/2448); `from_function` does not.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from ganzoo.export import _metadata
from ganzoo.export._errors import ExportError, cannot_express
from ganzoo.export._formats import Target
from ganzoo.export._serving import Serving

BATCH_AXIS = "batch"
_STANDARD_DOMAINS = ("", "ai.onnx")


def write(serving: Serving, target: Target, metadata: dict[str, Any], calibration=None) -> None:
    import onnx
    import tf2onnx

    try:
        with _quiet("tf2onnx"):
            model, _ = tf2onnx.convert.from_function(
                serving.function, input_signature=serving.function.input_signature,
                opset=target.opset)
    except Exception as error:  # tf2onnx raises whatever its handlers raise
        raise ExportError(f"Format 'onnx' could not convert the generator: "
                          f"{type(error).__name__}: {error}") from error
    # tf2onnx keeps an op it cannot convert as a node of the TensorFlow op's name, which no
    # runtime can run; it only logs about it.
    unknown = [node for node in model.graph.node if node.domain in _STANDARD_DOMAINS
               and not onnx.defs.has(node.op_type, node.domain or "")]
    if unknown:
        raise cannot_express("onnx", {n.op_type for n in unknown}, [n.name for n in unknown],
                             serving.layer_names,
                             "Use layers built from ops that tf2onnx converts, or export "
                             "another format.")
    if target.batch is None:
        _name_batch_axis(model)
    model.doc_string = (f"ganzoo {metadata['architecture']} generator: z (standard normal) "
                        f"to image {metadata['output_dtype']} NHWC in "
                        f"{metadata['output_range']}.")
    _metadata.add_to_onnx(model, metadata)
    partial = target.path.with_name(f".{target.path.name}.tmp")
    onnx.save(model, str(partial))
    os.replace(partial, target.path)


def runner(path: Path, threads: int | None = None):
    """Run the file in onnxruntime on the CPU."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads or 0  # 0: one per core
    options.log_severity_level = 3
    session = onnxruntime.InferenceSession(str(path), options,
                                           providers=["CPUExecutionProvider"])

    def run(inputs: dict[str, np.ndarray]) -> np.ndarray:
        return session.run(["image"], inputs)[0]

    return run


def read_metadata(path: Path) -> dict[str, Any] | None:
    import onnx

    return _metadata.read_onnx(onnx.load(str(path), load_external_data=False))


def size(path: Path) -> int:
    return Path(path).stat().st_size


def _name_batch_axis(model) -> None:
    """tf2onnx names an open batch axis ``unk__92``; name it ``batch`` on inputs and output."""
    for value in (*model.graph.input, *model.graph.output):
        first = value.type.tensor_type.shape.dim[0]
        if not first.HasField("dim_value"):
            first.dim_param = BATCH_AXIS


@contextlib.contextmanager
def _quiet(logger_name: str):
    # tf2onnx logs every rewrite at INFO and unconvertible ops at ERROR; the latter become an
    # ExportError above, so its log would only repeat it.
    logger = logging.getLogger(logger_name)
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)
