"""The table of export formats: the single source of truth for names, files and options.

Everything that differs between formats is a field here: the file name, the runtime that runs
it, the quantizations it takes (each with the PSNR it must reach), whether its batch size can be
left open and which ONNX opsets it accepts. Validation, conversion, checks and docs read it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ganzoo.errors import UnknownNameError
from ganzoo.export._errors import ExportError

FLOAT_TOLERANCE = 1e-4
"""Largest absolute difference from the Keras generator that a float32 file may show."""

ONE_PIXEL_LEVEL = 2 / 255
"""One step of a uint8 image mapped back to [-1, 1]: the tolerance of a float32 file with
``--output uint8``, whose rounding may flip where the float values agree to within 1e-4."""

OUTPUTS = ("float32", "uint8")
QUANTIZATIONS = ("none", "fp16", "dynamic", "int8")


@dataclass(frozen=True)
class Precision:
    """One precision a format can be written in.

    `quantize` is the ``--quantize`` value, `label` the name used in file names and the report.
    A file passes its check when it differs from the Keras generator by at most
    `FLOAT_TOLERANCE` (when `psnr_floor` is None) or reaches `psnr_floor` dB of PSNR.
    """

    quantize: str
    label: str
    psnr_floor: float | None = None
    summary: str = ""

    def infix(self) -> str:
        return "" if self.quantize == "none" else f".{self.label}"


FLOAT32 = Precision("none", "float32", summary="float32 weights and arithmetic")

# Floors: the lowest PSNR measured over dcgan, cgan and mlp-gan (after 2 and 300 training
# steps, float32 and uint8 outputs) less a margin of 6 to 9 dB; docs/export.md has the numbers.
# A uint8 output costs fp16 most: a pixel that flips by one level outweighs fp16's own error.
FP16 = Precision("fp16", "fp16", psnr_floor=60.0,
                 summary="float16 weights, dequantized to float32 at load time")
DYNAMIC = Precision("dynamic", "dynamic", psnr_floor=45.0,
                    summary="int8 weights, float activations quantized on the fly")
INT8 = Precision("int8", "int8", psnr_floor=40.0,
                 summary="int8 weights and activations calibrated on latents; float32 in and out")


@dataclass(frozen=True)
class Format:
    """An export format and what it accepts.

    `suffix` ends the file (or folder) name; `fixed_batch` is the batch a file gets when the
    batch is left ``dynamic`` and the format cannot leave it open (None: it can).
    """

    name: str
    suffix: str
    runtime: str
    precisions: tuple[Precision, ...]
    fixed_batch: int | None = None
    opsets: range | None = None
    default_opset: int | None = None
    summary: str = ""
    backend: object | None = None  # None: the built-in module ganzoo.export._<name>

    def writer(self):
        """What writes, runs and reads this format: write, runner, read_metadata and size."""
        import importlib

        return self.backend or importlib.import_module(f"ganzoo.export._{self.name}")

    @property
    def quantizations(self) -> tuple[str, ...]:
        return tuple(p.quantize for p in self.precisions)

    def precision(self, quantize: str) -> Precision:
        return next(p for p in self.precisions if p.quantize == quantize)

    def filename(self, precision: Precision) -> str:
        return f"generator{precision.infix()}{self.suffix}"


FORMATS: dict[str, Format] = {
    f.name: f for f in (
        Format("savedmodel", suffix="_savedmodel", runtime="TensorFlow", precisions=(FLOAT32,),
               summary="TensorFlow SavedModel with a serving_default signature"),
        # A batch left open leaves the transposed convolutions' output shapes to be computed at
        # run time, which XNNPACK does not delegate (3 partitions instead of 1): a DCGAN int8
        # file then takes 8.2 ms per image instead of 0.16 ms (docs/export.md).
        Format("tflite", suffix=".tflite", runtime="LiteRT",
               precisions=(FLOAT32, FP16, DYNAMIC, INT8), fixed_batch=1,
               summary="LiteRT (TensorFlow Lite) flatbuffer, builtin ops only"),
        # tf2onnx 1.17 writes opsets 13 to 18; the suite runs 17 on every architecture, and 13.
        Format("onnx", suffix=".onnx", runtime="onnxruntime", precisions=(FLOAT32,),
               opsets=range(13, 19), default_opset=17,
               summary="ONNX model converted by tf2onnx"),
    )
}


@dataclass(frozen=True)
class Target:
    """One file to write: a format in one precision with a batch size."""

    format: Format
    precision: Precision
    batch: int | None  # None: left open (dynamic)
    path: Path
    opset: int | None = None

    @property
    def batch_label(self) -> str:
        return "dynamic" if self.batch is None else str(self.batch)


def plan(out: Path, formats: str | Sequence[str] = "all",
         quantize: str | Sequence[str] = "none", batch: int | str = "dynamic",
         opset: int | None = None, output: str = "float32",
         table: dict[str, Format] | None = None) -> list[Target]:
    """Check every option against the table and list the files to write.

    ``formats="all"`` means every format that takes at least one of the quantizations asked
    for; a format named explicitly must take at least one of them, and every quantization asked
    for must be taken by at least one chosen format.
    """
    table = table or FORMATS
    names, explicit = _formats(formats, table)
    quantizations = _quantizations(quantize)
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
            raise ExportError(f"--opset applies only to {', '.join(takers)}, which is not among "
                              f"the formats asked for ({', '.join(names)}). Received: "
                              f"opset={opset}.")
        for f in with_opsets:
            if opset not in f.opsets:
                raise ExportError(f"Format {f.name!r} takes opsets {f.opsets.start} to "
                                  f"{f.opsets.stop - 1}. Received: opset={opset}.")
    return [
        Target(f, f.precision(q), fixed if fixed is not None else f.fixed_batch,
               out / f.filename(f.precision(q)),
               (opset or f.default_opset) if f.opsets is not None else None)
        for f in chosen for q in quantizations if q in f.quantizations
    ]


def _formats(formats: str | Sequence[str], table: dict[str, Format]) -> tuple[list[str], bool]:
    requested = _split(formats)
    if not requested:
        raise ExportError(f"Name at least one format, or 'all'. Available: "
                          f"{', '.join(table)}.")
    if "all" in requested:
        return list(table), False
    for name in requested:
        if name not in table:
            raise UnknownNameError("format", name, [*table, "all"])
    return list(dict.fromkeys(requested)), True


def _quantizations(quantize: str | Sequence[str]) -> list[str]:
    requested = _split(quantize)
    if not requested:
        raise ExportError(f"Name at least one quantization. Available: "
                          f"{', '.join(QUANTIZATIONS)}.")
    for name in requested:
        if name not in QUANTIZATIONS:
            raise UnknownNameError("quantization", name, QUANTIZATIONS)
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


def calls_for(count: int, batch: int | None) -> int:
    """How many calls a file of `batch` needs for `count` images (one if the batch is open)."""
    return 1 if batch is None else math.ceil(count / batch)


class _PluginBackend:
    """Adapts a plugin's `ExportFormatSpec` to the interface of the built-in format modules."""

    def __init__(self, spec) -> None:
        self.spec = spec

    def write(self, serving, target: Target, metadata: dict, calibration=None) -> None:
        try:
            self.spec.write(serving.function, target.path, metadata)
        except Exception as error:
            raise ExportError(f"Format {self.spec.name!r} could not write {target.path}: "
                              f"{type(error).__name__}: {error}") from error

    def runner(self, path: Path, threads: int | None = None):
        return self.spec.runner(path)

    def read_metadata(self, path: Path):
        return self.spec.read_metadata(path)

    def size(self, path: Path) -> int:
        path = Path(path)
        if path.is_dir():
            return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
        return path.stat().st_size


def formats_table(registry=None) -> dict[str, Format]:
    """The built-in formats plus those installed plugins provide (`ganzoo_export_formats`)."""
    import warnings

    from ganzoo.registry import default_registry

    table = dict(FORMATS)
    for name, provided in sorted((registry or default_registry()).export_formats().items()):
        spec = provided.spec
        if name in table:
            warnings.warn(f"Plugin {provided.plugin.name!r} ({provided.plugin.origin}) tries to "
                          f"replace the built-in export format {name!r}; it is ignored.")
            continue
        table[name] = Format(name, suffix=spec.suffix, runtime=spec.runtime,
                             precisions=(FLOAT32,), fixed_batch=spec.fixed_batch,
                             summary=f"{spec.summary} [{provided.plugin.origin}]",
                             backend=_PluginBackend(spec))
    return table
