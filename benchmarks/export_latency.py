"""Latency of exported generators against calling the Keras model, side by side in one process.

    python benchmarks/export_latency.py RUN [--repeats 50] [--threads N] [--out DIR]

Exports RUN's generator with ``ganzoo.export`` (SavedModel, ONNX, TFLite float32 and int8, and
TFLite float32 with a fixed batch of 64), adds two TFLite files with an open batch size (which
``ganzoo export`` does not write, to show why), and times every one of them and the Keras model
on the same latents: the median of `--repeats` runs for one image and for 64. A TFLite file
with a fixed batch of 1 draws 64 images in 64 calls. Prints a Markdown table; docs/export.md
shows one.
"""

from __future__ import annotations

import argparse
import os
import warnings
import platform
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run", help="run directory printed by 'ganzoo train'")
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--threads", type=int, default=None,
                        help="CPU threads per runtime (default: one per core)")
    parser.add_argument("--out", help="folder for the files (default: a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(args.out or scratch)
        rows = measure(args.run, out, args.repeats, args.threads)
    print(f"CPU: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          f"median of {args.repeats} repeats\n")
    print("| how | runtime | batch of file | batch 1 ms | batch 64 ms | images/s |")
    print("|---|---|---|---:|---:|---:|")
    for how, runtime, batch, b1, b64 in rows:
        print(f"| {how} | {runtime} | {batch} | {b1:.2f} | {b64:.2f} | {64 / b64 * 1e3:.0f} |")


def measure(run_path: str, out: Path, repeats: int, threads: int | None) -> list[tuple]:
    import numpy as np
    import tensorflow as tf

    import ganzoo
    from ganzoo.exporting import FORMATS, ExportWarning, _check, _metadata
    from ganzoo.exporting._formats import Target
    from ganzoo.exporting._serving import serving
    from ganzoo.plugin import ExportJob
    from ganzoo.runs import Run

    if threads:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
    warnings.simplefilter("ignore", ExportWarning)
    report = ganzoo.export(run_path, formats="all", quantize="none,int8", out=out,
                           repeats=1, threads=threads, progress=False)
    batch64 = ganzoo.export(run_path, formats="tflite", batch=64, out=out / "batch64",
                            repeats=1, threads=threads, progress=False)
    run = Run.open(run_path)
    config = run.config
    generator = run.load_generator()
    batch = _check.inputs(64, config.latent_dim, config.num_classes, _check.CHECK_SEED)
    conditional = bool(config.num_classes)

    def keras_call(inputs):
        model_inputs = [inputs["z"], inputs["label"]] if conditional else inputs["z"]
        return generator(model_inputs, training=False).numpy()

    wrapped = tf.function(lambda *inputs: generator(list(inputs) if conditional else inputs[0],
                                                    training=False))

    def function_call(inputs):
        return wrapped(*(tf.constant(v) for v in inputs.values())).numpy()

    def timed(how, runtime, run_one, file_batch):
        b1 = _check.latency_ms(run_one, batch, 1, file_batch, repeats)
        b64 = _check.latency_ms(run_one, batch, 64, file_batch, repeats)
        label = "any" if file_batch is None else str(file_batch)
        return (how, runtime, label, b1, b64)

    rows = [timed("Keras `generator(z, training=False)`", "TensorFlow", keras_call, None),
            timed("Keras in a `tf.function`", "TensorFlow", function_call, None)]
    for row in (*report.files, *batch64.files):
        file_batch = None if row.batch == "dynamic" else int(row.batch)
        name = row.path.relative_to(out)
        rows.append(timed(f"`{name}`", row.runtime, FORMATS[row.format].runner(row.path, threads),
                          file_batch))

    # An open batch size: what `ganzoo export` avoids for TFLite (see FORMATS["tflite"]).
    calibration = _check.inputs(128, config.latent_dim, config.num_classes,
                                _check.CALIBRATION_SEED)
    shared = _metadata.describe(config, report.step, "float32")
    tflite = FORMATS["tflite"]
    open_batch = serving(generator, config.latent_dim, conditional, None, "float32")
    for quantize in ("none", "int8"):
        precision = tflite.precision(quantize)
        path = out / f"generator{precision.infix()}.open-batch.tflite"
        target = Target(tflite, precision, None, path)
        tflite.write(ExportJob(open_batch.function, path, _metadata.for_file(shared, target),
                               precision, None, None, open_batch.layer_names,
                               lambda: ([np.asarray(v[i:i + 1]) for v in calibration.values()]
                                        for i in range(128))))
        rows.append(timed(f"`{path.name}` (open batch)", "LiteRT",
                          tflite.runner(path, threads), None))
    return rows


if __name__ == "__main__":
    main()
