"""``ganzoo export``: write SavedModel, TFLite and ONNX files of a run's generator, proven."""

from __future__ import annotations

import argparse
import sys
import warnings

from ganzoo.cli._types import positive_int
from ganzoo.export._formats import FLOAT_TOLERANCE, FORMATS, OUTPUTS, QUANTIZATIONS
from ganzoo.plugin import CommandSpec


def add_arguments(parser: argparse.ArgumentParser) -> None:
    fixed = ", ".join(f"{f.fixed_batch} for {f.name}" for f in FORMATS.values() if f.fixed_batch)
    opsets = {f.name: f for f in FORMATS.values() if f.opsets is not None}
    parser.add_argument("run", metavar="RUN", help="run directory printed by 'ganzoo train'")
    parser.add_argument("--format", default="all", metavar="F[,F...]",
                        help=f"{', '.join(FORMATS)} or all (default: all)")
    parser.add_argument("--quantize", default="none", metavar="Q[,Q...]",
                        help=f"{', '.join(QUANTIZATIONS)} (default: none); each is written for "
                             f"every format that takes it")
    parser.add_argument("--opset", type=positive_int, help="; ".join(
        f"{f.name} opset, {f.opsets.start} to {f.opsets.stop - 1} (default: {f.default_opset})"
        for f in opsets.values()))
    parser.add_argument("--batch", default="dynamic", metavar="N|dynamic",
                        help=f"batch size of the files (default: dynamic; a fixed {fixed})")
    parser.add_argument("--output", default="float32", metavar="|".join(OUTPUTS),
                        help="float32 images in [-1, 1], or uint8 pixels (default: float32)")
    parser.add_argument("--out", metavar="DIR", help="folder to write to (default: RUN/export)")
    parser.add_argument("--step", type=positive_int, help="checkpoint step (default: latest)")
    parser.add_argument("--repeats", type=positive_int, default=20,
                        help="timed repetitions per latency (default: 20)")
    parser.add_argument("--threads", type=positive_int,
                        help="CPU threads per runtime (default: one per core)")


def _formats_table() -> str:
    lines = ["formats:"]
    for f in FORMATS.values():
        files = ", ".join(f.filename(p) for p in f.precisions)
        lines.append(f"  {f.name:<11}{f.summary}; runs in {f.runtime}")
        lines.append(f"  {'':<11}{files}")
    lines.append("precisions (--quantize), each with the check its files must pass:")
    for p in {p.quantize: p for f in FORMATS.values() for p in f.precisions}.values():
        check = (f"PSNR >= {p.psnr_floor:g} dB" if p.psnr_floor is not None
                 else f"max diff <= {FLOAT_TOLERANCE:g}")
        lines.append(f"  {p.quantize:<11}{p.summary} ({check})")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from ganzoo.export import ExportWarning, export

    with warnings.catch_warnings():
        warnings.simplefilter("always", ExportWarning)
        warnings.showwarning = _print_warning
        report = export(args.run, formats=args.format, quantize=args.quantize, batch=args.batch,
                        opset=args.opset, output=args.output, out=args.out, step=args.step,
                        repeats=args.repeats, threads=args.threads)
    print()
    print(report.table())
    print(f"\nReport: {report.out / 'ganzoo.json'}")
    if not report.ok:
        names = ", ".join(f"{f.format} {f.precision}" for f in report.failures)
        print(f"ganzoo export: {len(report.failures)} of {len(report.files)} files failed: "
              f"{names}", file=sys.stderr)
        return 1
    return 0


def _print_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"ganzoo export: warning: {message}", file=sys.stderr, flush=True)


COMMAND = CommandSpec(
    "export", "export a trained generator to SavedModel, TFLite and ONNX", add_arguments, run,
    description="Export a run's generator, check every file against the Keras generator, time "
                "it in its own runtime and print a table. Exits with status 1 if a file fails "
                "its check.",
    epilog=_formats_table())
