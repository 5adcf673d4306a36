"""LiteRT (TensorFlow Lite): builtin ops only, a fixed batch, float32 or quantized weights."""

from __future__ import annotations

import re
from pathlib import Path

from ganzoo.exporting._errors import ExportError, cannot_express
from ganzoo.plugin import FLOAT32, ExportFormatSpec, ExportJob, ExportPrecision, hookimpl

_IDENTIFIER = b"TFL3"
_UNSUPPORTED = (re.compile(r"'tf\.(\w+)' op is neither a custom op nor a flex op"),
                re.compile(r"(?:TF Select ops|Custom ops): ([\w, ]+)"))

# Floors: the lowest PSNR measured over dcgan, cgan and mlp-gan (after 2 and 300 training
# steps, float32 and uint8 outputs) less a margin of 6 to 9 dB; docs/export.md has the numbers.
# A uint8 output costs fp16 most: a pixel that flips by one level outweighs fp16's own error.
FP16 = ExportPrecision("fp16", "fp16", psnr_floor=60.0,
                       summary="float16 weights, dequantized to float32 at load time")
DYNAMIC = ExportPrecision("dynamic", "dynamic", psnr_floor=45.0,
                          summary="int8 weights, float activations quantized on the fly")
INT8 = ExportPrecision("int8", "int8", psnr_floor=40.0,
                       summary="int8 weights and activations calibrated on latents; float32 in "
                               "and out")


def write(job: ExportJob) -> None:
    """Convert the serving function in `job.precision`.

    int8 is full-integer quantization calibrated on `job.calibration`; z goes in and the image
    comes out as float32 (or uint8), so every precision has the same inputs and outputs.
    """
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_concrete_functions([job.concrete],
                                                                job.variables_module())
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    quantize = job.precision.quantize
    if quantize != "none":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if quantize == "fp16":
        converter.target_spec.supported_types = [tf.float16]
    elif quantize == "int8":
        converter.representative_dataset = job.calibration
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    try:
        model = converter.convert()
    except Exception as error:  # ConverterError; its module path moves between TF releases
        raise _explain(error, job) from error
    Path(job.path).write_bytes(_finish(model, job.metadata))


def runner(path: Path, threads: int | None = None):
    """Run the file's ``serving_default`` signature in the LiteRT interpreter."""
    from ganzoo_edge.runtimes import LiteRT

    return LiteRT(path, threads).run


def read_metadata(path: Path):
    from ganzoo_edge.runtimes import read_tflite_metadata

    return read_tflite_metadata(Path(path).read_bytes(), path)


def _finish(model: bytes, metadata: dict) -> bytes:
    """Name the input and output tensors as the signature does and embed the metadata.

    The converter names them ``serving_default_z:0`` and ``StatefulPartitionedCall:0``; apps
    that address tensors by index (the iOS and C APIs) then see ``z``, ``label`` and ``image``.
    """
    import flatbuffers
    from ai_edge_litert import schema_py_generated as schema

    from ganzoo.exporting import _metadata

    tree = schema.ModelT.InitFromPackedBuf(bytearray(model), 0)
    for signature in tree.signatureDefs or []:
        tensors = tree.subgraphs[signature.subgraphIndex].tensors
        for mapping in [*signature.inputs, *signature.outputs]:
            tensors[mapping.tensorIndex].name = mapping.name
    _metadata.add_to_tflite(tree, metadata)
    builder = flatbuffers.Builder(1024)
    builder.Finish(tree.Pack(builder), file_identifier=_IDENTIFIER)
    return bytes(builder.Output())


def _explain(error: Exception, job: ExportJob) -> ExportError:
    message = str(error)
    op_types = {name.strip() for pattern in _UNSUPPORTED for found in pattern.findall(message)
                for name in found.split(",") if name.strip()}
    if not op_types:
        first = next((line for line in message.splitlines() if "error" in line.lower()),
                     message.splitlines()[0] if message else type(error).__name__)
        return ExportError(f"Format 'tflite' could not convert the generator: {first.strip()}")
    op_names = [op.name for op in job.concrete.graph.get_operations() if op.type in op_types]
    return cannot_express("tflite", op_types, op_names, job.layer_names,
                          "Use layers built from TFLite builtin ops, or export another format.")


# A batch left open leaves the transposed convolutions' output shapes to be computed at run
# time, which XNNPACK does not delegate (3 partitions instead of 1): a DCGAN int8 file then
# takes 8.2 ms per image instead of 0.16 ms (docs/export.md).
TFLITE = ExportFormatSpec(
    "tflite", suffix=".tflite", runtime="LiteRT", write=write, runner=runner,
    read_metadata=read_metadata, precisions=(FLOAT32, FP16, DYNAMIC, INT8), fixed_batch=1,
    summary="LiteRT (TensorFlow Lite) flatbuffer, builtin ops only")


@hookimpl
def ganzoo_export_formats() -> list[ExportFormatSpec]:
    return [TFLITE]
