"""`export`: check the options, convert the generator to each file, prove each file."""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import tempfile
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from ganzoo_edge.runtimes import file_sha256

from ganzoo.exporting import _check, _metadata
from ganzoo.errors import DiskFullError, is_disk_full
from ganzoo.exporting._errors import ExportError, ExportWarning
from ganzoo.exporting._formats import Target, formats_table, plan
from ganzoo.exporting._report import ExportedFile, ExportReport
from ganzoo.plugin import ExportJob
from ganzoo.runs import Run, step_of, write_atomic

if TYPE_CHECKING:
    from ganzoo.exporting._serving import Serving

INT8_WARNING = ("int8: tanh outputs are quantized to steps of 1/128 (256 levels on [-1, 1]), "
                "so int8 images show banding that float32, fp16 and dynamic files do not.")
CALIBRATION_IMAGES = 128


def export(run: str | os.PathLike, formats: str | Sequence[str] = "all",
           quantize: str | Sequence[str] = "none", batch: int | str = "dynamic",
           opset: int | None = None, output: str = "float32",
           out: str | os.PathLike | None = None, step: int | str | None = None,
           repeats: int = 20, threads: int | None = None, progress: bool = True, registry=None,
           averaged: bool = True,
           runtime_dir: str | os.PathLike | None = None) -> ExportReport:
    """Export a run's generator for inference outside ganzoo, and prove every file.

    Each file is checked against the Keras generator on a fixed batch of latents (and labels)
    and timed in its own runtime; a file that fails its check is kept and reported, and the
    other files are still written.

    Args:
        run: the run directory that ``ganzoo train`` printed.
        formats: ``"all"`` or a comma-separated list (or a list) of ``FORMATS`` names: the
            built-in formats and those plugins add.
        quantize: precisions: ``none`` (float32), ``fp16``, ``dynamic`` (int8 weights) and
            ``int8`` (full integer); each is written for every chosen format that takes it.
        batch: ``"dynamic"`` (an open batch size; TFLite files still get a fixed batch of 1,
            which keeps their transposed convolutions on XNNPACK) or a fixed number of images.
        opset: the ONNX opset (default: the tested one in ``FORMATS["onnx"]``).
        output: ``"float32"`` (images in [-1, 1]) or ``"uint8"`` (pixels 0..255, computed in
            the graph as round((x + 1) * 127.5), clipped).
        out: the folder to write to (default: ``RUN/export``).
        step: a checkpoint step to export instead of the latest, or ``"best"`` for the
            checkpoint with the lowest FID (kept when trained with ``eval_every``).
        repeats: timed repetitions per latency (the median is reported).
        threads: CPU threads for each runtime (default: one per core).
        progress: print a line per file as it is written.
        registry: plugins to use (default: the installed ones).
        averaged: export the moving average of the generator's weights, if the run keeps one
            (the default, as for ``ganzoo sample``); False exports the trained weights. The
            files' metadata says which (``weights``, ``ema_decay``).
        runtime_dir: for formats that bundle a runtime (``web``): the folder of its files,
            e.g. ``node_modules/onnxruntime-web/dist`` (default: fetched once into the cache).

    Returns:
        An `ExportReport`; ``report.ok`` is False if any file failed its check. The report is
        also written to ``OUT/ganzoo.json``.

    Raises:
        ExportError, RunError: before anything is written, for options a format does not take,
            a run without a checkpoint or an output folder that cannot be written; and when
            the disk fills up (the files written so far are complete, none is half-written).

    Example:
        >>> report = ganzoo.export("runs/dcgan-20261121-101500", quantize="none,int8")
        >>> print(report.table())
    """
    opened = Run.open(run)
    out = Path(out) if out is not None else opened.path / "export"
    targets = plan(out, formats, quantize, batch, opset, output,
                   formats_table(registry), runtime_dir)
    if repeats < 1:
        raise ExportError(f"repeats must be at least 1. Received: repeats={repeats}.")
    trained_steps = step_of(opened.checkpoint_path(step))
    config = opened.config
    generator = opened.load_generator(step, registry, averaged=averaged)
    _prepare(out)  # after the load, so a run that cannot be loaded leaves no empty folder

    notes = []
    if any(t.precision.quantize == "int8" for t in targets):
        notes.append(INT8_WARNING)
        warnings.warn(INT8_WARNING, ExportWarning, stacklevel=2)
    shared = _metadata.describe(config, trained_steps, output, averaged)
    calibration = _check.inputs(CALIBRATION_IMAGES, config.latent_dim, config.num_classes,
                                _check.CALIBRATION_SEED)
    exporter = _Exporter(generator, config, output, calibration, repeats, threads, progress,
                         Path(runtime_dir) if runtime_dir is not None else None)
    files = tuple(exporter.export(target, _metadata.for_file(shared, target))
                  for target in targets)
    report = ExportReport(opened.path, out, trained_steps, output, shared, files, tuple(notes))
    try:
        write_atomic(out / _metadata.FILENAME, report.to_json())
    except OSError as error:
        if is_disk_full(error):
            raise _no_space(out, _metadata.FILENAME, len(report.to_json())) from error
        raise
    return report


def _no_space(folder: Path, name: str, needed: int) -> DiskFullError:
    free = shutil.disk_usage(folder).free if folder.exists() else 0
    return DiskFullError(f"The disk holding {str(folder)!r} is full: writing {name} needs about "
                       f"{_mb(needed)} and {_mb(free)} is free. Free some space or choose "
                       f"another folder with --out; the files written before it are complete.")


def _mb(count: int) -> str:
    return f"{count / 1e6:.1f} MB"


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _prepare(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as error:
        raise ExportError(f"Cannot write to the output folder {str(out)!r}: "
                          f"{error.strerror or error}. Choose another one with --out.") from error


class _Exporter:
    """Writes, checks and times the files of one export, sharing the traced functions."""

    def __init__(self, generator, config, output: str, calibration: dict[str, np.ndarray],
                 repeats: int, threads: int | None, progress: bool,
                 runtime_dir: Path | None = None) -> None:
        self.generator, self.config, self.output = generator, config, output
        self.calibration, self.repeats, self.threads = calibration, repeats, threads
        self.progress, self.runtime_dir = progress, runtime_dir
        self._servings: dict[int | None, Serving] = {}
        self._checks: dict[int | None, tuple[dict, np.ndarray]] = {}

    def export(self, target: Target, metadata: dict) -> ExportedFile:
        spec = target.format
        row = dict(format=spec.name, precision=target.precision.label,
                   path=target.path, batch=target.batch_label, runtime=spec.runtime,
                   requirement=_check.requirement(target, self.output))
        start = time.perf_counter()
        try:
            self._write(target, metadata)
        except DiskFullError:
            raise  # the next files would not fit either
        except ExportError as error:
            return self._done(ExportedFile(**row, status="error", message=str(error)))
        seconds = time.perf_counter() - start
        size_mb = spec.bytes_written(target.path) / 1e6
        row["sha256"] = file_sha256(target.path) if target.path.is_file() else None
        if spec.bundled is not None:
            row["bundled"] = spec.bundled(target.path)
        batch, expected = self._check_batch(target.batch)
        try:
            run = spec.runner(target.path, self.threads)
            parity = _check.Parity.measure(_check.run_all(run, batch, target.batch), expected)
            b1 = _check.latency_ms(run, batch, 1, target.batch, self.repeats)
            b64 = _check.latency_ms(run, batch, _check.LATENCY_BATCH, target.batch,
                                    self.repeats)
            metadata_read = spec.read_metadata(target.path)
        except Exception as error:  # a file its runtime cannot run is a failed export
            return self._done(ExportedFile(
                **row, status="failed", size_mb=size_mb, seconds=seconds,
                message=f"{spec.runtime} could not run the file: "
                        f"{type(error).__name__}: {error}"))
        problem = _check.shortfall(target, self.output, parity)
        if metadata_read != metadata:
            problem = "its embedded metadata does not read back as written"
        return self._done(ExportedFile(
            **row, status="failed" if problem else "ok", size_mb=size_mb, seconds=seconds,
            max_diff=parity.max_diff, psnr_db=parity.psnr_db, latency_b1_ms=b1,
            latency_b64_ms=b64, images_per_s=_check.LATENCY_BATCH / b64 * 1e3,
            note=_check.latency_note(target.batch), message=problem or ""))

    def _write(self, target: Target, metadata: dict) -> None:
        """Have the format write into a temporary sibling, then rename it to its name.

        A write that fails, or a full disk, leaves no file under the final name that could pass
        for a complete one; a file of an earlier export there stays until the new one is done.
        """
        final = target.path
        partial = final.with_name(f".{final.name}.partial")
        _remove(partial)
        serving = self._serving(target.batch)
        job = ExportJob(serving.function, partial, metadata, target.precision, target.batch,
                        target.opset, serving.layer_names,
                        self._calibration_batches(target.batch),
                        self.runtime_dir if target.format.takes_runtime_dir else None)
        try:
            target.format.write(job)
            if not partial.exists():
                raise ExportError(f"Format {target.format.name!r} wrote nothing at the path "
                                  f"it was given ({partial}).")
            _remove(final)
            os.replace(partial, final)
        except Exception as error:
            _remove(partial)
            if is_disk_full(error):
                raise _no_space(final.parent, final.name, self._estimated_bytes(target)) \
                    from error
            if isinstance(error, ExportError):
                raise
            raise ExportError(f"Format {target.format.name!r} could not write {final}: "
                              f"{type(error).__name__}: {error}") from error

    def _estimated_bytes(self, target: Target) -> int:
        # The weights dominate every format: 4 bytes each in float32, fewer when quantized.
        per_weight = {"fp16": 2, "dynamic": 1, "int8": 1}.get(target.precision.quantize, 4)
        return self.generator.count_params() * per_weight

    def _done(self, row: ExportedFile) -> ExportedFile:
        if self.progress:
            if row.status == "error":
                print(f"{row.format} {row.precision}: error: {row.message}", flush=True)
            else:
                print(f"{row.format} {row.precision}: wrote {row.path} ({row.size_mb:.2f} MB) "
                      f"in {row.seconds:.1f} s", flush=True)
        return row

    def _serving(self, batch: int | None) -> Serving:
        from ganzoo.exporting._serving import serving

        if batch not in self._servings:
            self._servings[batch] = serving(self.generator, self.config.latent_dim,
                                            bool(self.config.num_classes), batch, self.output)
        return self._servings[batch]

    def _check_batch(self, batch: int | None) -> tuple[dict[str, np.ndarray], np.ndarray]:
        if batch not in self._checks:
            inputs = _check.inputs(_check.check_count(batch), self.config.latent_dim,
                                   self.config.num_classes, _check.CHECK_SEED)
            self._checks[batch] = (inputs, _check.reference(self.generator, inputs, self.output))
        return self._checks[batch]

    def _calibration_batches(self, batch: int | None):
        """int8 calibration data in batches the file's signature accepts, inputs in order."""
        size = batch or 1
        count = size * math.ceil(CALIBRATION_IMAGES / size)
        values = [np.resize(v, (count, *v.shape[1:])) for v in self.calibration.values()]

        def batches():
            for start in range(0, count, size):
                yield [v[start:start + size] for v in values]

        return batches


def check_format(spec, generator, num_classes: int, out: Path,
                 quantize: Sequence[str] | None = None, output: str = "float32",
                 repeats: int = 1,
                 runtime_dir: str | os.PathLike | None = None) -> list[ExportedFile]:
    """Write `generator` in `spec`'s precisions (all, or `quantize`) at its default batch and
    opset into `out`, and check each file exactly as `export` does: parity with the format's
    own tolerance, its runtime, its metadata read back; `runtime_dir` as `export` takes it.
    For ``ganzoo.testing``."""
    from types import SimpleNamespace

    latent_dim = int(generator.inputs[0].shape[-1])
    image_shape = tuple(int(n) for n in generator.outputs[0].shape[1:])
    config = SimpleNamespace(arch="contract-check", data="random", data_fingerprint="",
                             ema_decay=0.0, latent_dim=latent_dim, num_classes=num_classes,
                             class_names=[str(c) for c in range(num_classes)],
                             image_shape=image_shape)
    targets = plan(out, spec.name, list(quantize or spec.quantizations), output=output,
                   table={spec.name: spec}, runtime_dir=runtime_dir)
    calibration = _check.inputs(CALIBRATION_IMAGES, latent_dim, num_classes,
                                _check.CALIBRATION_SEED)
    shared = _metadata.describe(config, 0, output, averaged=False)
    out.mkdir(parents=True, exist_ok=True)
    exporter = _Exporter(generator, config, output, calibration, repeats, None, False,
                         Path(runtime_dir) if runtime_dir is not None else None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExportWarning)
        return [exporter.export(t, _metadata.for_file(shared, t)) for t in targets]
