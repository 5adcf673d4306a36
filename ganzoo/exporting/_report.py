"""What an export wrote and how each file did: the table the command ends with."""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STATUSES = ("ok", "failed", "error")


@dataclass(frozen=True)
class ExportedFile:
    """One row of the report.

    `status` is ``ok`` (written and checked), ``failed`` (written, but its output is further
    from the Keras generator than `requirement` allows) or ``error`` (not written: `message`
    says why). Latencies are medians in the file's own runtime; `note` says how a fixed-batch
    file was timed. `sha256` is the written file's (None for a folder, such as a SavedModel, or
    a file not written); ganzoo-edge checks a file against it. `bundled` is what a format that
    bundles a runtime records of it (`ExportFormatSpec.bundled`; the web format: package,
    version, npm integrity hash and each file's SHA-256).
    """

    format: str
    precision: str
    path: Path
    batch: str
    runtime: str
    status: str
    requirement: str
    size_mb: float | None = None
    seconds: float | None = None
    max_diff: float | None = None
    psnr_db: float | None = None
    latency_b1_ms: float | None = None
    latency_b64_ms: float | None = None
    images_per_s: float | None = None
    note: str = ""
    message: str = ""
    sha256: str | None = None
    bundled: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict[str, Any]:
        values = dataclasses.asdict(self)
        values["path"] = str(self.path)
        return {k: _json_number(v) for k, v in values.items()}


@dataclass(frozen=True)
class ExportReport:
    """Everything `ganzoo.export` did: one `ExportedFile` per file, and the shared metadata."""

    run: Path
    out: Path
    step: int
    output: str
    metadata: dict[str, Any]
    files: tuple[ExportedFile, ...]
    warnings: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """True when every file was written and passed its check."""
        return all(f.ok for f in self.files)

    @property
    def failures(self) -> tuple[ExportedFile, ...]:
        return tuple(f for f in self.files if not f.ok)

    def file(self, format: str, precision: str = "float32") -> ExportedFile:
        """The row of one format and precision (``KeyError`` if it was not exported)."""
        for row in self.files:
            if row.format == format and row.precision == precision:
                return row
        raise KeyError(f"{format} {precision}")

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON values; file paths are relative to `out`, so the folder can move."""
        files = []
        for row in self.files:
            values = row.to_dict()
            if row.path.parent == self.out:
                values["path"] = row.path.name
            files.append(values)
        return {"run": str(self.run), "out": str(self.out), "step": self.step,
                "output": self.output, "metadata": self.metadata, "files": files,
                "warnings": list(self.warnings)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def table(self) -> str:
        """A plain-text table, one row per file, then one line per failure."""
        header = ("FORMAT", "PRECISION", "BATCH", "STATUS", "SIZE MB", "MAX DIFF", "PSNR dB",
                  "B1 ms", "B64 ms", "IMAGES/S", "NOTE")
        rows = [header] + [(
            f.format, f.precision, f.batch, f.status, _number(f.size_mb, ".2f"),
            _number(f.max_diff, ".1e"), _number(f.psnr_db, ".1f"),
            _number(f.latency_b1_ms, ".2f"), _number(f.latency_b64_ms, ".2f"),
            _number(f.images_per_s, ".0f"), f.note) for f in self.files]
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        numeric = {4, 5, 6, 7, 8, 9}
        lines = ["  ".join(cell.rjust(w) if i in numeric else cell.ljust(w)
                           for i, (cell, w) in enumerate(zip(row, widths))).rstrip()
                 for row in rows]
        lines += [f"{f.format} {f.precision}: {f.status}: {f.message}" for f in self.failures]
        return "\n".join(lines)


def _number(value: float | None, spec: str) -> str:
    if value is None:
        return "-"
    if math.isinf(value):
        return "inf"
    return format(value, spec)


def _json_number(value: Any) -> Any:
    # JSON has no infinity; an exact match has an infinite PSNR.
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value
