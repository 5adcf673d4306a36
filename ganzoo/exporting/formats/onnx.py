"""ONNX through tf2onnx, from a `tf.function` with an explicit input signature.

`tf2onnx.convert.from_keras` fails on Keras 3 models (``KeyError: 'keras_tensor_66'``,
https://github.com/onnx/tensorflow-onnx/issues/2448); `from_function` does not.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

from ganzoo.exporting._errors import ExportError, cannot_express
from ganzoo.plugin import ExportFormatSpec, ExportJob, hookimpl

BATCH_AXIS = "batch"
_STANDARD_DOMAINS = ("", "ai.onnx")


def write(job: ExportJob) -> None:
    import onnx
    import tf2onnx

    from ganzoo.exporting import _metadata

    try:
        with _quiet("tf2onnx"):
            model, _ = tf2onnx.convert.from_function(
                job.function, input_signature=job.function.input_signature, opset=job.opset)
    except Exception as error:  # tf2onnx raises whatever its handlers raise
        raise ExportError(f"Format 'onnx' could not convert the generator: "
                          f"{type(error).__name__}: {error}") from error
    # tf2onnx keeps an op it cannot convert as a node of the TensorFlow op's name, which no
    # runtime can run; it only logs about it.
    unknown = [node for node in model.graph.node if node.domain in _STANDARD_DOMAINS
               and not onnx.defs.has(node.op_type, node.domain or "")]
    if unknown:
        raise cannot_express("onnx", {n.op_type for n in unknown}, [n.name for n in unknown],
                             job.layer_names,
                             "Use layers built from ops that tf2onnx converts, or export "
                             "another format.")
    if job.batch is None:
        _name_batch_axis(model)
    metadata = job.metadata
    model.doc_string = (f"ganzoo {metadata['architecture']} generator: z (standard normal) "
                        f"to image {metadata['output_dtype']} NHWC in "
                        f"{metadata['output_range']}.")
    _metadata.add_to_onnx(model, metadata)
    onnx.save(model, str(job.path))


def runner(path: Path, threads: int | None = None):
    """Run the file in onnxruntime on the CPU."""
    from ganzoo_edge.runtimes import OnnxRuntime

    return OnnxRuntime(path, threads).run


def read_metadata(path: Path):
    from ganzoo_edge.runtimes import OnnxRuntime

    return OnnxRuntime(path, threads=1).metadata()


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


# tf2onnx 1.17 writes opsets 13 to 18; the suite runs 17 on every architecture, and 13.
ONNX = ExportFormatSpec(
    "onnx", suffix=".onnx", runtime="onnxruntime", write=write, runner=runner,
    read_metadata=read_metadata, opsets=range(13, 19), default_opset=17,
    summary="ONNX model converted by tf2onnx")


@hookimpl
def ganzoo_export_formats() -> list[ExportFormatSpec]:
    return [ONNX]
