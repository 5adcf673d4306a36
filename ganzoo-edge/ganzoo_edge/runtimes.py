"""The runtimes that run exported generators, and the reader of the metadata they carry.

One implementation for both sides: the edge runner draws images with it, and ``ganzoo export``
checks and times every .onnx and .tflite file it writes with it. It needs numpy and onnxruntime
(``.onnx``) or ai-edge-litert (``.tflite``), never TensorFlow.

Every runtime takes ``{"z": float32 [batch, latent_dim], "label": int32 [batch]}`` (``label``
only for conditional generators) and returns the ``image`` output, NHWC.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ganzoo_edge._errors import EdgeError

METADATA_KEY = "ganzoo"
"""The name the metadata has in every format (ONNX metadata_props, TFLite Model.metadata)."""
REPORT = "ganzoo.json"
"""The report 'ganzoo export' writes beside its files, with each file's SHA-256."""

SUFFIXES = (".onnx", ".tflite")


class Runtime(Protocol):
    """An exported file loaded in its runtime."""

    path: Path

    def run(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        """The ``image`` output for numpy inputs ``z`` (and ``label``)."""

    def metadata(self) -> dict[str, Any] | None:
        """The ganzoo metadata embedded in the file, or None if it has none."""

    def input_shapes(self) -> dict[str, list]:
        """Each input's shape; an open axis is None or a name (``"batch"``)."""


def open_runtime(path: str | os.PathLike, threads: int | None = None) -> Runtime:
    """Load an exported ``.onnx`` or ``.tflite`` file in its runtime on the CPU.

    `threads` None uses one thread per core. Raises `EdgeError` for a missing file, another
    suffix, or a file the runtime cannot load.
    """
    path = Path(path)
    if path.is_dir():
        raise EdgeError(f"Model file {str(path)!r} is a folder; give the .onnx or .tflite file "
                        f"inside it that 'ganzoo export' wrote.")
    if not path.is_file():
        raise EdgeError(f"Model file {str(path)!r} does not exist.")
    suffix = path.suffix.lower()
    if suffix == ".onnx":
        return OnnxRuntime(path, threads)
    if suffix == ".tflite":
        return LiteRT(path, threads)
    raise EdgeError(f"Model file must be a .onnx or .tflite file exported by 'ganzoo export'. "
                    f"Received: {str(path)!r}.")


class OnnxRuntime:
    """An ONNX file in onnxruntime's CPU provider."""

    def __init__(self, path: str | os.PathLike, threads: int | None = None) -> None:
        import onnxruntime

        self.path = Path(path)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or 0  # 0: one per core
        options.log_severity_level = 3
        try:
            self.session = onnxruntime.InferenceSession(str(self.path), options,
                                                        providers=["CPUExecutionProvider"])
        except Exception as error:  # onnxruntime raises its own Fail/InvalidGraph types
            raise EdgeError(f"onnxruntime cannot load {str(self.path)!r}: "
                            f"{_first_line(error)}") from error

    def run(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        return self.session.run(["image"], inputs)[0]

    def metadata(self) -> dict[str, Any] | None:
        text = self.session.get_modelmeta().custom_metadata_map.get(METADATA_KEY)
        return parse_metadata(text, self.path)

    def input_shapes(self) -> dict[str, list]:
        return {i.name: list(i.shape) for i in self.session.get_inputs()}


class LiteRT:
    """A .tflite file's ``serving_default`` signature in the LiteRT interpreter."""

    def __init__(self, path: str | os.PathLike, threads: int | None = None) -> None:
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError as error:
            raise EdgeError("Running .tflite files needs LiteRT: pip install "
                            "'ganzoo-edge[litert]'.") from error
        self.path = Path(path)
        try:
            self.interpreter = Interpreter(model_path=str(self.path),
                                           num_threads=threads or os.cpu_count())
            self.signature = self.interpreter.get_signature_runner("serving_default")
        except (ValueError, RuntimeError) as error:
            raise EdgeError(f"LiteRT cannot load {str(self.path)!r}: {_first_line(error)}") \
                from error

    def run(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        return self.signature(**inputs)["image"]

    def metadata(self) -> dict[str, Any] | None:
        return read_tflite_metadata(self.path.read_bytes(), self.path)

    def input_shapes(self) -> dict[str, list]:
        return {name: [int(n) for n in details["shape"]]
                for name, details in self.signature.get_input_details().items()}


def read_tflite_metadata(model: bytes, path: str | os.PathLike = "<bytes>") \
        -> dict[str, Any] | None:
    """The ganzoo metadata of a .tflite file's bytes, or None.

    The LiteRT interpreter does not expose a model's metadata; this reads the flatbuffer's
    ``Model.metadata`` list with the schema that ships with LiteRT.
    """
    from ai_edge_litert import schema_py_generated as schema

    root = schema.Model.GetRootAs(model, 0)
    for index in range(root.MetadataLength()):
        entry = root.Metadata(index)
        if (entry.Name() or b"").decode("utf-8") == METADATA_KEY:
            text = root.Buffers(entry.Buffer()).DataAsNumpy().tobytes().decode("utf-8", "replace")
            return parse_metadata(text, path)
    return None


def parse_metadata(text: str | None, path: str | os.PathLike) -> dict[str, Any] | None:
    """The metadata's JSON object, None for no metadata; `EdgeError` if it is not an object."""
    if not text:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise EdgeError(f"{str(path)!r} has malformed ganzoo metadata: it is not JSON "
                        f"({error.msg} at character {error.pos}). Export it again with "
                        f"'ganzoo export'.") from error
    if not isinstance(value, dict):
        raise EdgeError(f"{str(path)!r} has malformed ganzoo metadata: expected a JSON object. "
                        f"Received: {type(value).__name__}.")
    return value


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def file_sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
