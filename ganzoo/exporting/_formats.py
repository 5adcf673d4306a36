"""The table of export formats: the single source of truth for names, files and options.

Every format, built-in or from a plugin, is an `ExportFormatSpec` that arrives through the
``ganzoo_export_formats`` hook; everything that differs between formats is a field of it (the
file suffix, the runtime, the precisions with their PSNR floors, a fixed batch, the ONNX
opsets). Validation, conversion, checks, ``ganzoo export --help`` and the docs read it.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ganzoo.errors import UnknownNameError
from ganzoo.exporting._errors import ExportError
from ganzoo.plugin import ExportFormatSpec, ExportPrecision

FLOAT_TOLERANCE = 1e-4
"""Largest absolute difference from the Keras generator that a float32 file may show."""

ONE_PIXEL_LEVEL = 2 / 255
"""One step of a uint8 image mapped back to [-1, 1]: the tolerance of a float32 file with
``--output uint8``, whose rounding may flip where the float values agree to within 1e-4."""

OUTPUTS = ("float32", "uint8")


def formats_table(registry=None) -> dict[str, ExportFormatSpec]:
    """Every registered format (``ganzoo_export_formats``), built-in and plugin, by name."""
    from ganzoo.registry import default_registry

    provided = (registry or default_registry()).export_formats()
    return {name: provided[name].spec for name in sorted(provided)}


class _RegisteredFormats(Mapping):
    """`FORMATS`: the formats of the installed plugins, looked up on each use."""

    def __getitem__(self, name: str) -> ExportFormatSpec:
        return formats_table()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(formats_table())

    def __len__(self) -> int:
        return len(formats_table())

    def __repr__(self) -> str:
        return f"FORMATS({', '.join(self)})"


FORMATS: Mapping[str, ExportFormatSpec] = _RegisteredFormats()


@dataclass(frozen=True)
class Target:
    """One file to write: a format in one precision with a batch size."""

    format: ExportFormatSpec
    precision: ExportPrecision
    batch: int | None  # None: left open (dynamic)
    path: Path
    opset: int | None = None

    @property
    def batch_label(self) -> str:
        return "dynamic" if self.batch is None else str(self.batch)


def plan(out: Path, formats: str | Sequence[str] = "all",
         quantize: str | Sequence[str] = "none", batch: int | str = "dynamic",
         opset: int | None = None, output: str = "float32",
         table: Mapping[str, ExportFormatSpec] | None = None,
         runtime_dir: str | os.PathLike | None = None) -> list[Target]:
    """Check every option against the table and list the files to write.

    ``formats="all"`` means every format in ``all`` (`ExportFormatSpec.in_all`) that takes at
    least one of the quantizations asked for; a format named explicitly must take at least one
    of them, and every quantization asked for must be taken by at least one chosen format.
    """
    table = table if table is not None else formats_table()
    names, explicit = _formats(formats, table)
    quantizations = _quantizations(quantize, table)
    fixed = _batch(batch)
    if output not in OUTPUTS:
        raise UnknownNameError("output type", str(output), OUTPUTS)
    chosen = [table[name] for name in names]
    for q in quantizations:
        if not any(q in f.quantizations for f in chosen):
            takers = [f.name for f in table.values() if q in f.quantizations]
            raise ExportError(f"--quantize {q} is not taken by "
                              f"{_formats_phrase([f.name for f in chosen])}. "
                              f"Formats that take it: {', '.join(takers)}.")
    for f in chosen:
        if explicit and not set(quantizations) & set(f.quantizations):
            raise ExportError(f"Format {f.name!r} does not take --quantize "
                              f"{','.join(quantizations)}. It takes: "
                              f"{', '.join(f.quantizations)}.")
    with_opsets = [f for f in chosen if f.opsets is not None]
    if opset is not None:
        if not with_opsets:
            takers = [f.name for f in table.values() if f.opsets is not None]
            raise ExportError(f"--opset {_applies_only_to(takers, names)}. Received: "
                              f"opset={opset}.")
        for f in with_opsets:
            if opset not in f.opsets:
                raise ExportError(f"Format {f.name!r} takes opsets {f.opsets.start} to "
                                  f"{f.opsets.stop - 1}. Received: opset={opset}.")
    if runtime_dir is not None and not any(f.takes_runtime_dir for f in chosen):
        takers = [f.name for f in table.values() if f.takes_runtime_dir]
        raise ExportError(f"--runtime-dir {_applies_only_to(takers, names)}. Received: "
                          f"runtime_dir={str(runtime_dir)!r}.")
    return [
        Target(f, f.precision(q), fixed if fixed is not None else f.fixed_batch,
               out / f.filename(f.precision(q)),
               (opset or f.default_opset) if f.opsets is not None else None)
        for f in chosen for q in quantizations if q in f.quantizations
    ]


def _formats(formats: str | Sequence[str],
             table: Mapping[str, ExportFormatSpec]) -> tuple[list[str], bool]:
    requested = _split(formats)
    if not requested:
        raise ExportError(f"Name at least one format, or 'all'. Available: "
                          f"{', '.join(table)}.")
    if "all" in requested:
        return [name for name, spec in table.items() if spec.in_all], False
    for name in requested:
        if name not in table:
            raise UnknownNameError("format", name, [*table, "all"])
    return list(dict.fromkeys(requested)), True


def quantizations(table: Mapping[str, ExportFormatSpec]) -> tuple[str, ...]:
    """Every ``--quantize`` value some format in `table` takes, in the order they declare."""
    return tuple(dict.fromkeys(q for f in table.values() for q in f.quantizations))


def _quantizations(quantize: str | Sequence[str],
                   table: Mapping[str, ExportFormatSpec]) -> list[str]:
    known = quantizations(table)
    requested = _split(quantize)
    if not requested:
        raise ExportError(f"Name at least one quantization. Available: "
                          f"{', '.join(known)}.")
    for name in requested:
        if name not in known:
            raise UnknownNameError("quantization", name, known)
    return list(dict.fromkeys(requested))


def _batch(batch: int | str) -> int | None:
    """The fixed batch size asked for, or None for ``dynamic``."""
    text = str(batch).strip()
    if text.lower() == "dynamic":
        return None
    if isinstance(batch, bool) or not text.isdigit() or int(text) < 1:
        raise ExportError(f"batch must be a positive number of images or 'dynamic'. "
                          f"Received: batch={batch!r}.")
    return int(text)


def _split(value: str | Sequence[str]) -> list[str]:
    parts = value.split(",") if isinstance(value, str) else list(value)
    return [str(part).strip().lower() for part in parts if str(part).strip()]


def _formats_phrase(names: Sequence[str]) -> str:
    return f"format {names[0]!r}" if len(names) == 1 else \
        "the formats " + ", ".join(repr(n) for n in names)


def _applies_only_to(takers: Sequence[str], names: Sequence[str]) -> str:
    which = (f"{takers[0]}, which is not" if len(takers) == 1 else
             f"{', '.join(takers[:-1])} and {takers[-1]}, neither of which is" if len(takers) == 2
             else f"{', '.join(takers[:-1])} and {takers[-1]}, none of which is")
    return f"applies only to {which} among the formats asked for ({', '.join(names)})"


def calls_for(count: int, batch: int | None) -> int:
    """How many calls a file of `batch` needs for `count` images (one if the batch is open)."""
    return 1 if batch is None else math.ceil(count / batch)
