"""``ganzoo export``: write a run's generator in every registered format, each file proven."""

from __future__ import annotations

import argparse
import sys
import warnings

from ganzoo.cli._types import positive_int
from ganzoo.cli.sample import step_or_best
from ganzoo.plugin import CommandSpec

_FORMATS_HELP = object()  # stands for the format table until the help is shown


class _HelpWithFormats(argparse.RawDescriptionHelpFormatter):
    # Listing the formats loads every plugin (a third-party one may import TensorFlow); only
    # `ganzoo export --help` pays.
    def add_text(self, text):
        super().add_text(_formats_table() if text is _FORMATS_HELP else text)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog, parser.formatter_class = _FORMATS_HELP, _HelpWithFormats
    parser.add_argument("run", metavar="RUN", help="run directory printed by 'ganzoo train'")
    parser.add_argument("--format", default="all", metavar="F[,F...]",
                        help="formats listed below, or all (default: all, which leaves out the "
                             "formats marked so)")
    parser.add_argument("--quantize", default="none", metavar="Q[,Q...]",
                        help="precisions listed below (default: none, float32); each is written "
                             "for every format that takes it")
    parser.add_argument("--opset", type=positive_int,
                        help="opset, for the formats that take one (see below)")
    parser.add_argument("--batch", default="dynamic", metavar="N|dynamic",
                        help="batch size of the files (default: dynamic, which some formats "
                             "fix; see below)")
    parser.add_argument("--output", default="float32", metavar="float32|uint8",
                        help="float32 images in [-1, 1], or uint8 pixels (default: float32)")
    parser.add_argument("--out", metavar="DIR", help="folder to write to (default: RUN/export)")
    parser.add_argument("--step", type=step_or_best, metavar="STEP|best",
                        help="checkpoint step, or 'best' for the lowest FID kept by "
                             "--eval-every (default: latest)")
    parser.add_argument("--trained-weights", action="store_true",
                        help="export the trained generator weights instead of their moving "
                             "average (the default, as 'ganzoo sample' draws); the metadata "
                             "says which")
    parser.add_argument("--repeats", type=positive_int, default=20,
                        help="timed repetitions per latency (default: 20)")
    parser.add_argument("--threads", type=positive_int,
                        help="CPU threads per runtime (default: one per core)")
    parser.add_argument("--runtime-dir", metavar="DIR",
                        help="for formats that bundle a runtime (web): the folder of its files, "
                             "e.g. node_modules/onnxruntime-web/dist (default: fetched once "
                             "from the npm registry into ganzoo's cache)")


def _formats_table() -> str:
    from ganzoo.exporting._formats import FLOAT_TOLERANCE
    from ganzoo.registry import default_registry

    provided = default_registry().export_formats()
    precisions = {p.quantize: p for name in sorted(provided)
                  for p in provided[name].spec.precisions}
    width = max([len(n) for n in [*provided, *precisions]], default=0) + 2
    lines = ["formats (--format), from the installed plugins:"]
    for name in sorted(provided):
        f, plugin = provided[name].spec, provided[name].plugin
        files = ", ".join(f.filename(p) for p in f.precisions)
        details = [f"runs in {f.runtime}"]
        if f.fixed_batch:
            details.append(f"dynamic batch fixed to {f.fixed_batch}")
        if f.opsets is not None:
            details.append(f"--opset {f.opsets.start} to {f.opsets.stop - 1} "
                           f"(default {f.default_opset})")
        if not f.in_all:
            details.append("not in 'all': name it")
        lines.append(f"  {f.name:<{width}}{f.summary}; {'; '.join(details)} "
                     f"[{plugin.origin}]")
        lines.append(f"  {'':<{width}}{files}")
    lines.append("precisions (--quantize), each with the check its files must pass:")
    for p in precisions.values():
        check = (f"PSNR >= {p.psnr_floor:g} dB" if p.psnr_floor is not None
                 else f"max diff <= {FLOAT_TOLERANCE:g}")
        takers = ", ".join(n for n in sorted(provided)
                           if p.quantize in provided[n].spec.quantizations)
        lines.append(f"  {p.quantize:<{width}}{p.summary} ({check}; {takers})")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from ganzoo.exporting import ExportWarning, export

    with warnings.catch_warnings():
        warnings.simplefilter("always", ExportWarning)
        warnings.showwarning = _print_warning
        report = export(args.run, formats=args.format, quantize=args.quantize, batch=args.batch,
                        opset=args.opset, output=args.output, out=args.out, step=args.step,
                        repeats=args.repeats, threads=args.threads,
                        averaged=not args.trained_weights, runtime_dir=args.runtime_dir)
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
    "export", "export a trained generator to SavedModel, TFLite, ONNX, a web page and plugin "
              "formats",
    add_arguments, run,
    description="Export a run's generator, check every file against the Keras generator, time "
                "it in its own runtime and print a table. Exits with status 1 if a file fails "
                "its check.")
