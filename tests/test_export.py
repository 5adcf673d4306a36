"""Export: every architecture to every format, each file proven against the Keras generator."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import types
from pathlib import Path

import keras
import numpy as np
import onnx
import onnxruntime
import pytest
import tensorflow as tf
from ai_edge_litert.interpreter import Interpreter

import ganzoo
from ganzoo.cli import main
from ganzoo.errors import RunError, UnknownNameError
from ganzoo.exporting import FORMATS, ExportError, ExportWarning, export
from ganzoo.exporting import _metadata
from ganzoo.exporting._errors import offending_layers
from ganzoo.exporting._formats import formats_table, plan
from ganzoo.exporting.formats import builtin_modules
from ganzoo.images import to_uint8
from ganzoo.plugin import ArchitectureSpec, Paper, hookimpl
from ganzoo.registry import Registry, reset_default_registry
from ganzoo.sampling import grid_labels, latents
from ganzoo.testing import check_export_format, export_formats_to_check, registry_with

DOCS = Path(__file__).resolve().parent.parent / "docs" / "export.md"
TINY = dict(data="digits", steps=2, batch_size=8, progress=False)
FAST = dict(repeats=1, progress=False)
METADATA_FIELDS = {"architecture", "latent_dim", "num_classes", "class_names", "image_shape",
                   "output_range", "output_dtype", "quantization", "ganzoo_version",
                   "training_step", "exported_at"}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A run per architecture, trained for two steps on first use."""
    runs = {}

    def get(architecture: str):
        if architecture not in runs:
            out = tmp_path_factory.mktemp(f"runs-{architecture}")
            runs[architecture] = ganzoo.train(architecture, out=out, **TINY).run
        return runs[architecture]

    return get


@pytest.fixture(scope="module")
def exports(trained):
    """The default export (three formats, float32) of each architecture, made on first use."""
    reports = {}

    def get(architecture: str):
        if architecture not in reports:
            reports[architecture] = export(trained(architecture).path, **FAST)
        return reports[architecture]

    return get


@pytest.fixture
def report(exports, architecture):
    return exports(architecture)


def check_batch(config, count: int = 4) -> dict[str, np.ndarray]:
    batch = {"z": latents(count, config.latent_dim, 7)}
    if config.num_classes:
        batch["label"] = grid_labels(count, config.num_classes)
    return batch


def keras_images(run, batch) -> np.ndarray:
    inputs = [batch["z"], batch["label"]] if "label" in batch else batch["z"]
    return run.load_generator()(inputs, training=False).numpy()


# Every architecture, every format ------------------------------------------------------------

def test_every_architecture_exports_to_every_format_within_1e_4(report):
    assert report.ok, report.table()
    assert {f.format for f in report.files} == {n for n, f in FORMATS.items() if f.in_all}
    for row in report.files:
        assert row.path.exists() and row.size_mb > 0
        assert row.precision == "float32" and row.max_diff <= 1e-4, row
        assert row.latency_b1_ms > 0 and row.latency_b64_ms > 0 and row.images_per_s > 0


def test_every_format_runs_with_inputs_z_and_label_and_output_image(report, trained,
                                                                    architecture):
    run = trained(architecture)
    batch = check_batch(run.config, count=1)
    expected = keras_images(run, batch)

    session = onnxruntime.InferenceSession(str(report.file("onnx").path))
    assert [i.name for i in session.get_inputs()] == list(batch)
    assert [o.name for o in session.get_outputs()] == ["image"]
    assert session.get_inputs()[0].shape == ["batch", run.config.latent_dim]
    assert session.get_outputs()[0].shape == ["batch", *run.config.image_shape]
    np.testing.assert_allclose(session.run(["image"], batch)[0], expected, atol=1e-4)

    interpreter = Interpreter(model_path=str(report.file("tflite").path))
    assert interpreter.get_signature_list() == {
        "serving_default": {"inputs": sorted(batch), "outputs": ["image"]}}
    assert [d["name"] for d in interpreter.get_input_details()] == list(batch)
    assert [d["name"] for d in interpreter.get_output_details()] == ["image"]
    tflite = interpreter.get_signature_runner("serving_default")(**batch)["image"]
    np.testing.assert_allclose(tflite, expected, atol=1e-4)

    signature = tf.saved_model.load(str(report.file("savedmodel").path)) \
        .signatures["serving_default"]
    assert set(signature.structured_input_signature[1]) == set(batch)
    outputs = signature(**{k: tf.constant(v) for k, v in batch.items()})
    assert list(outputs) == ["image"]
    np.testing.assert_allclose(outputs["image"].numpy(), expected, atol=1e-4)


def test_onnx_and_savedmodel_take_any_batch_and_tflite_a_batch_of_one(report):
    assert report.file("onnx").batch == "dynamic"
    assert report.file("savedmodel").batch == "dynamic"
    interpreter = Interpreter(model_path=str(report.file("tflite").path))
    assert interpreter.get_input_details()[0]["shape"][0] == 1
    assert report.file("tflite").note == "batch 64 = 64 calls of 1"


def test_every_file_carries_the_same_metadata(report, trained, architecture):
    run = trained(architecture)
    onnx_path, tflite_path = report.file("onnx").path, report.file("tflite").path
    session = onnxruntime.InferenceSession(str(onnx_path))
    found = {
        "onnx": json.loads(session.get_modelmeta().custom_metadata_map["ganzoo"]),
        "tflite": _metadata.read_tflite(tflite_path.read_bytes()),
        "savedmodel": json.loads(tf.saved_model.load(str(report.file("savedmodel").path))
                                 .metadata().numpy()),
        "savedmodel asset": json.loads((report.file("savedmodel").path / "assets"
                                        / "ganzoo.json").read_text()),
    }
    for where, metadata in found.items():
        assert METADATA_FIELDS <= set(metadata), where
        assert metadata["architecture"] == architecture
        assert metadata["latent_dim"] == run.config.latent_dim
        assert metadata["num_classes"] == run.config.num_classes
        assert metadata["class_names"] == run.config.class_names
        assert metadata["image_shape"] == list(run.config.image_shape)
        assert metadata["output_range"] == [-1.0, 1.0] and metadata["output_dtype"] == "float32"
        assert metadata["quantization"] == "none"
        assert metadata["training_step"] == 2 == report.step
        assert metadata["ganzoo_version"] == ganzoo.__version__
    assert found["savedmodel"] == found["savedmodel asset"]
    shared = {k: v for k, v in found["onnx"].items()
              if k not in ("format", "batch", "inputs", "output_shape")}
    assert shared == {k: v for k, v in found["tflite"].items() if k in shared}


def test_the_report_is_written_beside_the_files(report):
    written = json.loads((report.out / "ganzoo.json").read_text())
    assert written["metadata"] == report.metadata
    assert [(f["format"], f["precision"], f["status"]) for f in written["files"]] == \
        [(f.format, f.precision, f.status) for f in report.files]
    assert {f["path"] for f in written["files"]} == \
        {"generator_savedmodel", "generator.tflite", "generator.onnx"}


# Options ---------------------------------------------------------------------------------------

def test_quantized_tflite_files_are_named_by_precision_and_reach_their_floors(trained, tmp_path):
    with pytest.warns(ExportWarning, match="1/128"):
        report = export(trained("dcgan").path, formats="tflite",
                        quantize="none,fp16,dynamic,int8", out=tmp_path, **FAST)
    assert report.ok, report.table()
    names = {f.precision: f.path.name for f in report.files}
    assert names == {"float32": "generator.tflite", "fp16": "generator.fp16.tflite",
                     "dynamic": "generator.dynamic.tflite", "int8": "generator.int8.tflite"}
    sizes = {f.precision: f.size_mb for f in report.files}
    assert sizes["int8"] < sizes["fp16"] < sizes["float32"]
    for row in report.files:
        floor = FORMATS["tflite"].precision(row.precision if row.precision != "float32"
                                            else "none").psnr_floor
        assert floor is None or row.psnr_db >= floor
        metadata = _metadata.read_tflite(row.path.read_bytes())
        assert metadata["precision"] == row.precision
    assert any("1/128" in w for w in report.warnings)


def test_uint8_output_is_computed_in_the_graph(trained, tmp_path):
    run = trained("cgan")
    report = export(run.path, formats="onnx,tflite", output="uint8", out=tmp_path, **FAST)
    assert report.ok, report.table()
    batch = check_batch(run.config)
    expected = to_uint8(keras_images(run, batch)).astype(int)
    session = onnxruntime.InferenceSession(str(report.file("onnx").path))
    pixels = session.run(["image"], batch)[0]
    assert pixels.dtype == np.uint8
    assert np.abs(pixels.astype(int) - expected).max() <= 1
    metadata = json.loads(session.get_modelmeta().custom_metadata_map["ganzoo"])
    assert metadata["output_dtype"] == "uint8" and metadata["output_range"] == [0, 255]


def test_a_fixed_batch_applies_to_every_format(trained, tmp_path):
    report = export(trained("mlp-gan").path, formats="onnx,tflite", batch=4, out=tmp_path,
                    **FAST)
    assert report.ok, report.table()
    model = onnx.load(str(report.file("onnx").path))
    assert model.graph.input[0].type.tensor_type.shape.dim[0].dim_value == 4
    assert all(f.batch == "4" for f in report.files)
    assert report.file("onnx").note.startswith("batch 64 = 16 calls of 4")


def test_an_older_onnx_opset_can_be_asked_for(trained, tmp_path):
    report = export(trained("dcgan").path, formats="onnx", opset=13, out=tmp_path, **FAST)
    assert report.ok, report.table()
    opsets = {o.domain: o.version for o in onnx.load(str(report.file("onnx").path)).opset_import}
    assert opsets[""] == 13


# Failures --------------------------------------------------------------------------------------

def test_a_file_that_fails_its_check_exits_1_and_the_others_finish(trained, tmp_path,
                                                                   monkeypatch, capsys):
    from ganzoo_edge.runtimes import OnnxRuntime

    real_run = OnnxRuntime.run
    monkeypatch.setattr(OnnxRuntime, "run", lambda self, inputs: real_run(self, inputs) + 0.01)
    code = main(["export", str(trained("dcgan").path), "--out", str(tmp_path),
                 "--repeats", "1"])
    out, err = capsys.readouterr()
    assert code == 1
    assert re.search(r"onnx float32: failed: max diff 0\.01 exceeds the tolerance 0\.0001 by "
                     r"0\.0099", out)
    assert "1 of 3 files failed: onnx float32" in err
    statuses = {row["format"]: row["status"]
                for row in json.loads((tmp_path / "ganzoo.json").read_text())["files"]}
    assert statuses == {"savedmodel": "ok", "tflite": "ok", "onnx": "failed"}


@keras.saving.register_keras_serializable(package="test_export")  # train refuses unloadable
class Bessel(keras.layers.Layer):
    """A layer built from an op (BesselI0e) that neither TFLite nor ONNX has."""

    def call(self, x):
        return tf.math.bessel_i0e(x)


def bessel_generator(image_shape, num_classes, latent_dim):
    z = keras.Input((latent_dim,), name="z")
    x = keras.layers.Dense(int(np.prod(image_shape)))(z)
    x = keras.layers.Reshape(image_shape)(Bessel(name="bessel")(x))
    return keras.Model(z, keras.layers.Activation("tanh", name="image")(x))


class BesselPlugin:
    @hookimpl
    def ganzoo_architectures(self):
        from ganzoo.architectures import mlp_gan

        return [ArchitectureSpec("bessel-gan", "test", Paper("A paper", "https://arxiv.org"),
                                 bessel_generator, mlp_gan.build_discriminator)]


def test_a_layer_a_format_cannot_express_is_named_with_the_format(tmp_path):
    import ganzoo.data.builtin
    import ganzoo.losses
    import ganzoo.training.callbacks

    registry = Registry(autoload=False)
    for name, plugin in [("losses", ganzoo.losses), ("datasets", ganzoo.data.builtin),
                         ("callbacks", ganzoo.training.callbacks),
                         ("bessel", BesselPlugin()),
                         *[(m.__name__, m) for m in builtin_modules()]]:
        registry.register(plugin, name)
    run = ganzoo.train("bessel-gan", out=tmp_path, registry=registry, **TINY).run
    report = export(run.path, registry=registry, out=tmp_path / "export", **FAST)
    assert report.file("savedmodel").ok
    for name in ("tflite", "onnx"):
        row = report.file(name)
        assert row.status == "error"
        assert f"Format {name!r} cannot express layer 'bessel'" in row.message
        assert "BesselI0e" in row.message
    assert not report.ok


def test_the_layer_of_an_op_is_found_from_its_name_scope():
    layers = ["dense", "conv2d_transpose", "conv2d_transpose_1", "bessel"]
    assert offending_layers(["model_1/conv2d_transpose_1_2/conv_transpose",
                             "model_1/bessel_1/bessel_i0e/BesselI0e",
                             "model_1/conv2d_transpose_3/x"], layers) == \
        ["conv2d_transpose_1", "bessel", "conv2d_transpose"]


@pytest.mark.parametrize("argv, expected", [
    (["--format", "tflte"], "Unknown format 'tflte'. Did you mean 'tflite'?"),
    (["--format", "onnx", "--quantize", "int8"],
     "--quantize int8 is not taken by format 'onnx'. Formats that take it: tflite."),
    (["--format", "onnx,savedmodel", "--quantize", "fp16"], "not taken by the formats"),
    (["--format", "savedmodel,tflite", "--quantize", "int8"],
     "Format 'savedmodel' does not take --quantize int8. It takes: none."),
    (["--quantize", "int4"], "Unknown quantization 'int4'"),
    (["--batch", "0"], "batch must be a positive number of images or 'dynamic'. "
                       "Received: batch='0'."),
    (["--batch", "many"], "Received: batch='many'"),
    (["--format", "tflite", "--opset", "17"], "--opset applies only to onnx"),
    (["--format", "onnx", "--opset", "9"], "takes opsets 13 to 18. Received: opset=9."),
    (["--output", "int8"], "Unknown output type 'int8'. Did you mean 'uint8'?"),
    (["--step", "1"], "has no checkpoint at step 1. Available steps: 2."),
], ids=["unknown-format", "onnx-int8", "no-format-takes-it", "savedmodel-int8",
        "unknown-quantization", "batch-0", "batch-word", "opset-without-onnx", "old-opset",
        "unknown-output", "missing-step"])
def test_bad_options_exit_2_with_one_line_before_any_work(trained, tmp_path, capsys,
                                                                  argv, expected):
    out = tmp_path / "export"
    code = main(["export", str(trained("dcgan").path), "--out", str(out), *argv])
    err = capsys.readouterr().err
    assert code == 2
    assert expected in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_a_run_without_a_checkpoint_exits_2(trained, tmp_path, capsys):
    copy = tmp_path / "run"
    shutil.copytree(trained("dcgan").path, copy,
                    ignore=shutil.ignore_patterns("checkpoints", "export"))
    assert main(["export", str(copy)]) == 2
    assert "has no checkpoint" in capsys.readouterr().err
    assert not (copy / "export").exists()


def test_an_unwritable_output_folder_exits_2(trained, tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert main(["export", str(trained("dcgan").path), "--out", str(blocker / "export")]) == 2
    assert "Cannot write to the output folder" in capsys.readouterr().err


def test_a_missing_run_is_a_run_error(tmp_path):
    with pytest.raises(RunError, match="does not exist"):
        export(tmp_path / "nope")


def test_the_api_validates_like_the_cli(trained):
    with pytest.raises(UnknownNameError, match="Did you mean 'onnx'"):
        export(trained("dcgan").path, formats=["onx"])
    with pytest.raises(ExportError, match="Received: batch=0"):
        export(trained("dcgan").path, batch=0)


# The public surface ---------------------------------------------------------------------------

def test_ganzoo_export_is_the_documented_function_before_and_after_the_package_loads():
    import importlib
    import inspect

    before = ganzoo.export
    importlib.import_module("ganzoo.exporting")
    assert ganzoo.export is before is export
    assert inspect.isfunction(ganzoo.export)
    assert "formats" in inspect.signature(export).parameters


def test_every_format_takes_float32_and_states_its_quantizations():
    for spec in FORMATS.values():
        assert spec.quantizations[0] == "none" and spec.precisions[0].psnr_floor is None
        assert all(p.psnr_floor is not None for p in spec.precisions[1:])
    onnx_spec = FORMATS["onnx"]
    assert onnx_spec.default_opset in onnx_spec.opsets


def test_the_docs_state_every_format_and_psnr_floor():
    text = DOCS.read_text(encoding="utf-8")
    for spec in FORMATS.values():
        assert f"`{spec.name}`" in text
        for precision in spec.precisions[1:]:
            assert re.search(rf"`{precision.quantize}`.*{precision.psnr_floor:g} dB", text), \
                precision


# Every format through the hook ----------------------------------------------------------------

PLUGIN_GUIDE = DOCS.parent / "plugins.md"


def guide_format_plugin() -> types.ModuleType:
    """The export-format plugin that docs/plugins.md shows, as a module."""
    source = re.search(r"```python\n(\"\"\"plain-savedmodel.*?)```", PLUGIN_GUIDE.read_text(),
                       re.DOTALL).group(1)
    module = types.ModuleType("plain_savedmodel")
    exec(compile(source, "docs/plugins.md", "exec"), module.__dict__)
    return module


@pytest.fixture
def with_guide_format():
    registry = registry_with(guide_format_plugin(), builtins=True)
    reset_default_registry(registry)
    yield registry
    reset_default_registry()


@pytest.mark.parametrize("name", export_formats_to_check())
def test_every_registered_format_keeps_the_export_contract(name, tmp_path, request):
    # A format that bundles a runtime gets it from the test's tarball, never the network.
    runtime = (request.getfixturevalue("web_runtime_dir") if FORMATS[name].takes_runtime_dir
               else None)
    rows = check_export_format(name, workdir=tmp_path, runtime_dir=runtime)
    assert {row.precision for row in rows} == {p.label for p in FORMATS[name].precisions}
    assert all(row.ok for row in rows)


def test_the_built_in_formats_arrive_through_the_export_format_hook():
    provided = Registry().export_formats()
    assert {"savedmodel", "tflite", "onnx"} <= set(provided)
    for name in ("savedmodel", "tflite", "onnx"):
        assert provided[name].plugin.distribution == "ganzoo"
        assert provided[name].plugin.name == name  # its entry point in pyproject.toml
    with pytest.raises(UnknownNameError, match="Unknown format 'onnx'"):
        plan(Path("out"), "onnx", table=formats_table(Registry(autoload=False)))


def test_the_format_plugin_in_the_guide_keeps_the_contract(with_guide_format, tmp_path):
    rows = check_export_format("plain-savedmodel", registry=with_guide_format,
                               workdir=tmp_path)
    assert [row.precision for row in rows] == ["float32", "float32"]
    assert (tmp_path / "plain-savedmodel-conditional" / "generator_plain" / "meta.json").is_file()


def test_a_plugin_format_is_exported_and_checked_like_a_built_in_one(with_guide_format,
                                                                     trained):
    run = trained("dcgan")
    report = export(run.path, formats="plain-savedmodel,onnx", registry=with_guide_format,
                    out=run.path / "plugin-export", **FAST)
    row = report.file("plain-savedmodel")
    assert row.ok and row.max_diff <= 1e-4, row.message
    assert (run.path / "plugin-export" / "generator_plain" / "meta.json").is_file()
    with pytest.raises(UnknownNameError, match="Did you mean 'plain-savedmodel'"):
        export(run.path, formats="plain-savedmodle", registry=with_guide_format, **FAST)


def test_export_help_lists_every_registered_format(with_guide_format, capsys):
    with pytest.raises(SystemExit):
        main(["export", "--help"])
    help_text = capsys.readouterr().out
    for name, spec in formats_table(with_guide_format).items():
        assert re.search(rf"^  {re.escape(name)}\s+{re.escape(spec.summary)}", help_text,
                         re.MULTILINE), name
        for precision in spec.precisions:
            assert spec.filename(precision) in help_text


def test_the_docs_format_table_matches_the_registered_built_in_formats():
    rows = re.findall(r"^\| `([\w-]+)` \| .*? \| .*? \| (`none`.*?) \|", DOCS.read_text(),
                      re.MULTILINE)
    documented = {name: re.findall(r"`(\w+)`", quantizations) for name, quantizations in rows}
    registered = formats_table(registry_with())
    assert documented == {name: list(f.quantizations) for name, f in registered.items()}


# Honest metadata, --step best, a full disk ------------------------------------------------------

def run_command(*argv: str, code: str = "") -> subprocess.CompletedProcess:
    """`ganzoo ARGV` in a fresh interpreter, after running `code` (a fault to inject)."""
    program = f"{code}\nimport sys\nfrom ganzoo.cli import main\nsys.exit(main({list(argv)!r}))"
    return subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                          timeout=300)


def ganzoo_lines(stderr: str) -> list[str]:
    # TensorFlow's start-up lines are not ganzoo's (keeping them out is another change).
    return [line for line in stderr.splitlines() if line.startswith("ganzoo")]


def test_exported_files_say_which_weights_they_hold(trained, tmp_path):
    run = trained("dcgan")
    assert run.config.ema_decay > 0
    batch = check_batch(run.config)
    for averaged, weights, decay in ((True, "average", run.config.ema_decay),
                                     (False, "trained", None)):
        report = export(run.path, formats="onnx,tflite", averaged=averaged,
                        out=tmp_path / weights, **FAST)
        assert report.ok, report.table()
        assert report.metadata["weights"] == weights and report.metadata["ema_decay"] == decay
        for row in report.files:
            assert FORMATS[row.format].read_metadata(row.path)["weights"] == weights
        expected = run.load_generator(averaged=averaged)(batch["z"], training=False).numpy()
        session = onnxruntime.InferenceSession(str(report.file("onnx").path))
        np.testing.assert_allclose(session.run(["image"], batch)[0], expected, atol=1e-4)


def test_the_metadata_names_the_data_without_a_path_of_the_training_machine(tmp_path):
    folder = tmp_path / "home" / "alice" / "photos"
    folder.mkdir(parents=True)
    images = np.random.default_rng(0).integers(0, 256, (16, 28, 28), dtype=np.uint8)
    np.savez(folder / "faces.npz", x=images)
    run = ganzoo.train("mlp-gan", data=str(folder / "faces.npz"), steps=1, batch_size=8,
                       out=tmp_path / "runs", progress=False).run
    report = export(run.path, formats="onnx", **FAST)
    metadata = onnxruntime.InferenceSession(str(report.file("onnx").path)) \
        .get_modelmeta().custom_metadata_map["ganzoo"]
    assert json.loads(metadata)["data"] == "faces.npz"
    assert json.loads(metadata)["data_fingerprint"] == (run.config.data_fingerprint or "unknown")
    assert "alice" not in metadata and str(tmp_path) not in metadata


def test_export_takes_step_best_and_trained_weights_like_sample_and_eval(tmp_path):
    run = ganzoo.train("dcgan", steps=2, checkpoint_every=1, out=tmp_path, **{
        k: v for k, v in TINY.items() if k != "steps"}).run
    # The best checkpoint by FID, as --eval-every keeps it, here the one of step 1.
    best = run.best_checkpoint_dir
    best.mkdir()
    for part in run.checkpoint_dir.glob("ckpt-1.*"):
        shutil.copy(part, best)
    (best / "checkpoint").write_text('model_checkpoint_path: "ckpt-1"\n'
                                     'all_model_checkpoint_paths: "ckpt-1"\n')
    out = tmp_path / "export"
    result = run_command("export", str(run.path), "--step", "best", "--trained-weights",
                         "--format", "onnx", "--repeats", "1", "--out", str(out))
    assert result.returncode == 0, result.stderr
    metadata = json.loads((out / "ganzoo.json").read_text())["metadata"]
    assert metadata["training_step"] == 1 and metadata["weights"] == "trained"


def test_a_full_disk_ends_the_export_in_one_line_and_leaves_no_half_written_file(trained,
                                                                                  tmp_path):
    out = tmp_path / "export"
    full_disk = ("import errno, onnx\n"
                 "def save(model, path, *args, **kwargs):\n"
                 "    open(path, 'wb').write(b'the first bytes of a model')\n"
                 "    raise OSError(errno.ENOSPC, 'No space left on device', path)\n"
                 "onnx.save = save\n")
    result = run_command("export", str(trained("dcgan").path), "--format", "savedmodel,onnx",
                         "--repeats", "1", "--out", str(out), code=full_disk)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    [line] = ganzoo_lines(result.stderr)
    assert re.fullmatch(rf"ganzoo export: error: The disk holding '{re.escape(str(out))}' is "
                        rf"full: writing generator\.onnx needs about [\d.]+ MB and [\d.]+ MB is "
                        rf"free\..*", line)
    assert sorted(p.name for p in out.iterdir()) == ["generator_savedmodel"]
