"""Load an exported generator, read its metadata, draw latents and run it."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ganzoo_edge._images import to_uint8

METADATA_KEY = "ganzoo"


class EdgeError(Exception):
    """A file, option or label the runner cannot use; the command line exits with status 2."""

    exit_code = 2


class _Backend(Protocol):
    def metadata(self) -> dict[str, Any]: ...

    def run(self, inputs: dict[str, np.ndarray]) -> np.ndarray: ...


@dataclass
class Generator:
    """An exported generator: call it on latents (and labels), or let it draw them."""

    path: Path
    metadata: dict[str, Any]
    _backend: _Backend

    @property
    def latent_dim(self) -> int:
        return int(self.metadata["latent_dim"])

    @property
    def num_classes(self) -> int:
        return int(self.metadata.get("num_classes", 0))

    @property
    def class_names(self) -> list[str]:
        return list(self.metadata.get("class_names", []))

    @property
    def batch(self) -> int | None:
        """The fixed batch size of the file, or None when any batch size runs."""
        batch = self.metadata.get("batch", "dynamic")
        return None if batch == "dynamic" else int(batch)

    def latents(self, n: int, seed: int = 0) -> np.ndarray:
        """`n` latent vectors drawn from the standard normal distribution, float32."""
        return np.random.default_rng(seed).standard_normal((n, self.latent_dim),
                                                           dtype=np.float32)

    def labels(self, n: int, label: int | None = None) -> np.ndarray | None:
        """`n` int32 labels: `label` each time, or every class in turn; None if unconditional."""
        if not self.num_classes:
            if label is not None:
                raise EdgeError(f"{self.path.name} is an unconditional generator "
                                f"({self.metadata.get('architecture')}) and takes no label. "
                                f"Received: label={label}.")
            return None
        if label is None:
            return (np.arange(n) % self.num_classes).astype(np.int32)
        if not 0 <= label < self.num_classes:
            names = f" ({', '.join(self.class_names)})" if self.class_names else ""
            raise EdgeError(f"label must be a class index from 0 to {self.num_classes - 1}"
                            f"{names}. Received: label={label}.")
        return np.full(n, label, np.int32)

    def __call__(self, z: np.ndarray, labels: np.ndarray | None = None) -> np.ndarray:
        """Run the generator on `z` (and `labels`); returns its raw output, NHWC.

        A file with a fixed batch runs in calls of that batch, the last one padded.
        """
        inputs = {"z": np.asarray(z, np.float32)}
        if self.num_classes:
            if labels is None:
                raise EdgeError("This generator is conditional: give one label per latent.")
            inputs["label"] = np.asarray(labels, np.int32)
        count = len(inputs["z"])
        if self.batch is None:
            return self._backend.run(inputs)
        parts = []
        for start in range(0, count, self.batch):
            chunk = {k: v[start:start + self.batch] for k, v in inputs.items()}
            short = self.batch - len(chunk["z"])
            if short:
                chunk = {k: np.concatenate([v, np.repeat(v[-1:], short, axis=0)])
                         for k, v in chunk.items()}
            parts.append(self._backend.run(chunk))
        return np.concatenate(parts)[:count]

    def generate(self, n: int, label: int | None = None, seed: int = 0) -> np.ndarray:
        """Draw `n` images as uint8 NHWC, from latents seeded with `seed`."""
        if n < 1:
            raise EdgeError(f"n must be a positive number of images. Received: n={n}.")
        return to_uint8(self(self.latents(n, seed), self.labels(n, label)))


def load(path: str | os.PathLike, threads: int | None = None) -> Generator:
    """Open an exported ``.onnx`` or ``.tflite`` generator and read its metadata."""
    path = Path(path)
    if not path.is_file():
        raise EdgeError(f"Model file {str(path)!r} does not exist.")
    suffix = path.suffix.lower()
    if suffix == ".onnx":
        backend: _Backend = _OnnxRuntime(path, threads)
    elif suffix == ".tflite":
        backend = _LiteRT(path, threads)
    else:
        raise EdgeError(f"Model file must be a .onnx or .tflite file exported by "
                        f"'ganzoo export'. Received: {str(path)!r}.")
    metadata = backend.metadata()
    if metadata is None:
        raise EdgeError(f"{str(path)!r} has no ganzoo metadata: it was not written by "
                        f"'ganzoo export'.")
    return Generator(path, metadata, backend)


class _OnnxRuntime:
    def __init__(self, path: Path, threads: int | None) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or 0
        options.log_severity_level = 3
        try:
            self.session = onnxruntime.InferenceSession(str(path), options,
                                                        providers=["CPUExecutionProvider"])
        except Exception as error:  # onnxruntime raises its own Fail/InvalidGraph types
            raise EdgeError(f"onnxruntime cannot load {str(path)!r}: {_first_line(error)}") \
                from error

    def metadata(self) -> dict[str, Any] | None:
        text = self.session.get_modelmeta().custom_metadata_map.get(METADATA_KEY)
        return json.loads(text) if text else None

    def run(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        return self.session.run(["image"], inputs)[0]


class _LiteRT:
    def __init__(self, path: Path, threads: int | None) -> None:
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError as error:
            raise EdgeError("Running .tflite files needs LiteRT: pip install "
                            "'ganzoo-edge[litert]'.") from error
        self.path = path
        try:
            self.interpreter = Interpreter(model_path=str(path),
                                           num_threads=threads or os.cpu_count())
            self.signature = self.interpreter.get_signature_runner("serving_default")
        except (ValueError, RuntimeError) as error:
            raise EdgeError(f"LiteRT cannot load {str(path)!r}: {_first_line(error)}") \
                from error

    def metadata(self) -> dict[str, Any] | None:
        # The interpreter does not expose a model's metadata; read the flatbuffer's
        # Model.metadata list with the schema that ships with LiteRT.
        from ai_edge_litert import schema_py_generated as schema

        model = schema.Model.GetRootAs(self.path.read_bytes(), 0)
        for index in range(model.MetadataLength()):
            entry = model.Metadata(index)
            if entry.Name().decode("utf-8") == METADATA_KEY:
                return json.loads(model.Buffers(entry.Buffer()).DataAsNumpy().tobytes())
        return None

    def run(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        return self.signature(**inputs)["image"]


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]
