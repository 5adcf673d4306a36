"""Load an exported generator, check its metadata, draw latents and run it."""

from __future__ import annotations

import json
import operator
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ganzoo_edge._errors import EdgeError
from ganzoo_edge.images import to_uint8
from ganzoo_edge.latents import latents
from ganzoo_edge.runtimes import REPORT, Runtime, file_sha256, open_runtime


def label_index(label: int | str, class_names: list[str] | tuple[str, ...],
                num_classes: int) -> int:
    """The class index `label` names: a class name (a folder's class names are often digits,
    so a name wins over an index), or an index from 0 to `num_classes` - 1, as an integer or
    its digits. Raises `ValueError` listing the classes."""
    names = list(class_names)
    if isinstance(label, str) and label in names:
        return names.index(label)
    try:  # digits, or an integer (numpy's too); never a bool or a float such as 1.5
        index = (int(label) if isinstance(label, str)
                 else -1 if isinstance(label, bool) else operator.index(label))
    except (TypeError, ValueError):
        index = -1
    if not 0 <= index < num_classes:
        shown = ", ".join(names) if names else f"0 to {num_classes - 1}"
        raise ValueError(f"label must be one of the classes ({shown}), by name or index. "
                         f"Received: label={label!r}.")
    return index


@dataclass
class Generator:
    """An exported generator: call it on latents (and labels), or let it draw them."""

    path: Path
    metadata: dict[str, Any]
    _runtime: Runtime

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
        """Latents 0 to `n` - 1 of `seed`, float32 ``[n, latent_dim]``: what ``ganzoo sample``
        and an exported web page draw for the same seed (`ganzoo_edge.latents`)."""
        return latents(range(n), self.latent_dim, seed)

    def labels(self, n: int, label: int | str | None = None) -> np.ndarray | None:
        """`n` int32 labels: `label` (a class name or index) each time, or every class in turn;
        None if unconditional."""
        if not self.num_classes:
            if label is not None:
                raise EdgeError(f"{self.path.name} is an unconditional generator "
                                f"({self.metadata.get('architecture')}) and takes no label. "
                                f"Received: label={label}.")
            return None
        if label is None:
            return (np.arange(n) % self.num_classes).astype(np.int32)
        try:
            index = label_index(label, self.class_names, self.num_classes)
        except ValueError as error:
            raise EdgeError(str(error)) from None
        return np.full(n, index, np.int32)

    def __call__(self, z: np.ndarray, labels: np.ndarray | None = None) -> np.ndarray:
        """Run the generator on `z` (and `labels`); returns its raw output, NHWC.

        `z` is ``[n, latent_dim]``; a conditional generator needs `n` integer class indices.
        A file with a fixed batch runs in calls of that batch, the last one padded.
        """
        z = np.asarray(z, np.float32)
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise EdgeError(f"z must have the shape [n, {self.latent_dim}]. "
                            f"Received: z.shape={tuple(z.shape)}.")
        inputs = {"z": z}
        if self.num_classes:
            if labels is None:
                raise EdgeError("This generator is conditional: give one label per latent.")
            inputs["label"] = self._checked_labels(labels, len(z))
        elif labels is not None:
            raise EdgeError(f"{self.path.name} is an unconditional generator and takes no "
                            f"labels. Received: labels={np.asarray(labels).tolist()}.")
        count = len(z)
        if self.batch is None:
            return self._run(inputs)
        parts = []
        for start in range(0, count, self.batch):
            chunk = {k: v[start:start + self.batch] for k, v in inputs.items()}
            short = self.batch - len(chunk["z"])
            if short:
                chunk = {k: np.concatenate([v, np.repeat(v[-1:], short, axis=0)])
                         for k, v in chunk.items()}
            parts.append(self._run(chunk))
        return np.concatenate(parts)[:count]

    def generate(self, n: int, label: int | str | None = None, seed: int = 0) -> np.ndarray:
        """Draw `n` images as uint8 NHWC, from latents seeded with `seed`; `label`, a class name
        or index, draws that class only."""
        if n < 1:
            raise EdgeError(f"n must be a positive number of images. Received: n={n}.")
        return to_uint8(self(self.latents(n, seed), self.labels(n, label)))

    def _checked_labels(self, labels, count: int) -> np.ndarray:
        # A negative label would index the embedding from its end: the last class, silently.
        values = np.asarray(labels)
        if values.ndim != 1 or len(values) != count:
            raise EdgeError(f"labels must hold one class index per latent ({count}). "
                            f"Received: labels of shape {tuple(values.shape)}.")
        if values.size and not np.issubdtype(values.dtype, np.integer):
            raise EdgeError(f"labels must be integer class indices. Received: labels of "
                            f"dtype {values.dtype}.")
        bad = values[(values < 0) | (values >= self.num_classes)]
        if bad.size:
            names = f" ({', '.join(self.class_names)})" if self.class_names else ""
            raise EdgeError(f"label must be a class index from 0 to {self.num_classes - 1}"
                            f"{names}. Received: label={int(bad[0])}.")
        return values.astype(np.int32)

    def _run(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        try:
            return self._runtime.run(inputs)
        except Exception as error:  # the runtime's own error types; the metadata was checked
            raise EdgeError(f"{self.path.name} failed to run: {type(error).__name__}: "
                            f"{str(error).strip().splitlines()[0] if str(error) else ''}") \
                from error


def load(path: str | os.PathLike, threads: int | None = None) -> Generator:
    """Open an exported ``.onnx`` or ``.tflite`` generator and check its metadata; with the
    export's ganzoo.json beside it, check first that the file's bytes are those exported."""
    _check_sha256(Path(path))
    runtime = open_runtime(path, threads)
    metadata = runtime.metadata()
    if metadata is None:
        raise EdgeError(f"{str(path)!r} has no ganzoo metadata: it was not written by "
                        f"'ganzoo export'.")
    _check_metadata(metadata, runtime)
    return Generator(Path(path), metadata, runtime)


def _check_sha256(path: Path) -> None:
    """Refuse a file whose SHA-256 is not the one the export's report beside it recorded: a
    flipped bit in a copy or a download can leave a model that loads and runs, drawing wrong
    pictures. Without a report that lists the file there is nothing to compare with."""
    report = path.parent / REPORT
    try:
        rows = json.loads(report.read_text(encoding="utf-8"))["files"]
        expected = next(row["sha256"] for row in rows
                        if Path(row["path"]).name == path.name and row.get("sha256"))
        actual = file_sha256(path)
    except (OSError, ValueError, KeyError, TypeError, StopIteration):
        return  # a missing or unreadable file is the runtime's to report, in its own words
    if actual != expected:
        raise EdgeError(f"{str(path)!r} is not the file 'ganzoo export' wrote: its SHA-256 "
                        f"differs from the one {str(report)!r} records, so it was damaged or "
                        f"changed after that export. Copy it again, or export it again.")


def _check_metadata(metadata: dict[str, Any], runtime: Runtime) -> None:
    """Refuse metadata the runner would trip over, naming the field, before anything runs."""
    def malformed(problem: str) -> EdgeError:
        return EdgeError(f"{str(runtime.path)!r} has malformed ganzoo metadata: {problem}. "
                         f"Export it again with 'ganzoo export'.")

    for name, valid in (("latent_dim", lambda v: _is_int(v) and v > 0),
                        ("num_classes", lambda v: _is_int(v) and v >= 0),
                        ("image_shape", lambda v: isinstance(v, list) and len(v) == 3
                         and all(_is_int(n) and n > 0 for n in v)),
                        ("batch", lambda v: v == "dynamic" or str(v).isdigit() and int(v) > 0)):
        if name not in metadata:
            raise malformed(f"the field {name!r} is missing")
        if not valid(metadata[name]):
            raise malformed(f"the field {name!r} is invalid. Received: "
                            f"{name}={metadata[name]!r}")
    shapes = runtime.input_shapes()
    expected = ["z", "label"] if metadata["num_classes"] else ["z"]
    if sorted(shapes) != sorted(expected):
        raise malformed(f"num_classes={metadata['num_classes']} means inputs "
                        f"{', '.join(expected)}, but the file's inputs are {', '.join(shapes)}")
    z_shape = shapes["z"]
    if len(z_shape) != 2 or z_shape[1] != metadata["latent_dim"]:
        raise malformed(f"latent_dim={metadata['latent_dim']}, but the file's input z has the "
                        f"shape {z_shape}")
    batch = metadata["batch"]
    fixed = z_shape[0] if isinstance(z_shape[0], int) and z_shape[0] > 0 else None
    if fixed != (None if batch == "dynamic" else int(batch)):
        raise malformed(f"batch={batch!r}, but the file's input z has the shape {z_shape}")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
