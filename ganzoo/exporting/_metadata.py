"""The metadata every exported file carries, and where each format keeps it.

One JSON object (UTF-8) under the name ``ganzoo`` in every format:

- ONNX: ``metadata_props["ganzoo"]`` (onnxruntime: ``session.get_modelmeta().custom_metadata_map``).
- TFLite: an entry named ``ganzoo`` in the flatbuffer's ``Model.metadata`` list, whose buffer
  holds the JSON (C++: ``tflite::FlatBufferModel::ReadAllMetadata()["ganzoo"]``).
- SavedModel: the asset ``assets/ganzoo.json`` and a ``metadata()`` function on the object that
  ``tf.saved_model.load`` returns.

and ``ganzoo.json`` beside the files, with the report of the export.
"""

from __future__ import annotations

import datetime
import json
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from ganzoo_edge.runtimes import METADATA_KEY, REPORT, read_tflite_metadata

if TYPE_CHECKING:
    from ganzoo.exporting._formats import Target
    from ganzoo.runs import RunConfig

KEY = METADATA_KEY
# The edge runner reads the metadata for the exporter's checks too: one reader, not two.
read_tflite = read_tflite_metadata
FILENAME = REPORT  # the edge runner checks a file's SHA-256 against this report


def describe(config: RunConfig, step: int, output: str, averaged: bool = True) -> dict[str, Any]:
    """What every file of one export shares: the generator, its weights, inputs and output.

    `data` is the data set's name or its folder's base name, never a path of the training
    machine; `data_fingerprint` identifies its content (``"unknown"`` for runs that predate it).
    `weights` says whether the file holds the moving average of the generator's weights
    (``"average"``, with its `ema_decay`) or the trained weights (``"trained"``).
    """
    import ganzoo

    average = averaged and bool(config.ema_decay)
    return {
        "ganzoo_version": ganzoo.__version__,
        "architecture": config.arch,
        "data": data_name(config.data),
        "data_fingerprint": getattr(config, "data_fingerprint", "") or "unknown",
        "training_step": step,
        "weights": "average" if average else "trained",
        "ema_decay": config.ema_decay if average else None,
        "exported_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "latent_dim": config.latent_dim,
        "latent_distribution": "standard normal",
        "num_classes": config.num_classes,
        "class_names": list(config.class_names),
        "image_shape": list(config.image_shape),
        "layout": "NHWC",
        "output_name": "image",
        "output_dtype": output,
        "output_range": [0, 255] if output == "uint8" else [-1.0, 1.0],
    }


def data_name(data: str) -> str:
    """A data set's name (``digits``) as it is, a folder or file by its base name only."""
    return PurePath(str(data).rstrip("/\\")).name or str(data)


def for_file(shared: dict[str, Any], target: Target) -> dict[str, Any]:
    """The metadata of one file: the shared part, its format, precision and input shapes."""
    batch = "batch" if target.batch is None else target.batch
    inputs = {"z": {"dtype": "float32", "shape": [batch, shared["latent_dim"]]}}
    if shared["num_classes"]:
        inputs["label"] = {"dtype": "int32", "shape": [batch]}
    return {**shared, "format": target.format.name, "quantization": target.precision.quantize,
            "precision": target.precision.label, "batch": target.batch_label, "inputs": inputs,
            "output_shape": [batch, *shared["image_shape"]]}


def dumps(metadata: dict[str, Any]) -> str:
    return json.dumps(metadata, indent=2, sort_keys=False)


def add_to_tflite(tree, metadata: dict[str, Any]) -> None:
    """Append the metadata to an unpacked .tflite model (a ``schema.ModelT``) as an entry of
    its ``metadata`` list, the way the converter adds its ``CONVERSION_METADATA`` entry."""
    import numpy as np
    from ai_edge_litert import schema_py_generated as schema

    buffer = schema.BufferT()
    buffer.data = np.frombuffer(dumps(metadata).encode("utf-8"), np.uint8)
    tree.buffers = [*(tree.buffers or []), buffer]
    entry = schema.MetadataT()
    entry.name = KEY
    entry.buffer = len(tree.buffers) - 1
    tree.metadata = [m for m in (tree.metadata or []) if _name(m.name) != KEY] + [entry]


def add_to_onnx(model, metadata: dict[str, Any]) -> None:
    """Set ``metadata_props["ganzoo"]`` of an ONNX ModelProto (replacing an older one)."""
    kept = [p for p in model.metadata_props if p.key != KEY]
    del model.metadata_props[:]
    model.metadata_props.extend(kept)
    model.metadata_props.add(key=KEY, value=dumps(metadata))


def _name(name: bytes | str | None) -> str:
    return name.decode("utf-8") if isinstance(name, bytes) else (name or "")
