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
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ganzoo.export._formats import Target
    from ganzoo.runs import RunConfig

KEY = "ganzoo"
FILENAME = "ganzoo.json"


def describe(config: RunConfig, step: int, output: str) -> dict[str, Any]:
    """What every file of one export shares: the generator, its inputs and its output."""
    import ganzoo

    return {
        "ganzoo_version": ganzoo.__version__,
        "architecture": config.arch,
        "data": config.data,
        "training_step": step,
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


def read_tflite(model: bytes) -> dict[str, Any] | None:
    """The ``ganzoo`` metadata of a .tflite file, or None."""
    from ai_edge_litert import schema_py_generated as schema

    root = schema.Model.GetRootAs(model, 0)
    for index in range(root.MetadataLength()):
        entry = root.Metadata(index)
        if _name(entry.Name()) == KEY:
            return json.loads(root.Buffers(entry.Buffer()).DataAsNumpy().tobytes())
    return None


def add_to_onnx(model, metadata: dict[str, Any]) -> None:
    """Set ``metadata_props["ganzoo"]`` of an ONNX ModelProto (replacing an older one)."""
    kept = [p for p in model.metadata_props if p.key != KEY]
    del model.metadata_props[:]
    model.metadata_props.extend(kept)
    model.metadata_props.add(key=KEY, value=dumps(metadata))


def read_onnx(model) -> dict[str, Any] | None:
    for prop in model.metadata_props:
        if prop.key == KEY:
            return json.loads(prop.value)
    return None


def _name(name: bytes | str | None) -> str:
    return name.decode("utf-8") if isinstance(name, bytes) else (name or "")
