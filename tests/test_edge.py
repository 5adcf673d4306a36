"""The edge runner (``ganzoo-edge/``, distribution ganzoo-edge): exported files without
TensorFlow."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

from pathlib import Path

import numpy as np
import onnx
import pytest
from PIL import Image

import ganzoo
import ganzoo_edge
from ganzoo_edge.cli import main

TINY = dict(data="digits", steps=2, batch_size=8, progress=False)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """dcgan and cgan runs with their ONNX and TFLite files (and a uint8 cgan TFLite file)."""
    out = tmp_path_factory.mktemp("edge")
    files = {}
    for arch in ("dcgan", "cgan"):
        run = ganzoo.train(arch, out=out, **TINY).run
        report = ganzoo.export(run.path, formats="onnx,tflite", repeats=1, progress=False)
        files[arch] = {"run": run, "onnx": report.file("onnx").path,
                       "tflite": report.file("tflite").path}
    cgan = files["cgan"]["run"]
    report = ganzoo.export(cgan.path, formats="tflite", output="uint8", batch=4,
                           out=out / "uint8", repeats=1, progress=False)
    files["cgan"]["tflite-uint8-batch4"] = report.file("tflite").path
    return files


def keras_pixels(run, z, labels=None) -> np.ndarray:
    inputs = [z, labels] if labels is not None else z
    return ganzoo.images.to_uint8(run.load_generator()(inputs, training=False).numpy())


@pytest.mark.parametrize("kind", ["onnx", "tflite"])
def test_the_runner_writes_a_grid_without_importing_tensorflow(exported, tmp_path, kind):
    grid = tmp_path / "grid.png"
    code = ("import sys, ganzoo_edge.cli as cli\n"
            f"code = cli.main([{str(exported['cgan'][kind])!r}, '--n', '12', '--seed', '3', "
            f"'--out', {str(grid)!r}])\n"
            "loaded = sorted(m for m in sys.modules if m.split('.')[0] in "
            "('tensorflow', 'keras', 'tf2onnx', 'ganzoo'))\n"
            "print(code, loaded)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "0 []"
    assert "Wrote 12 images from cgan (step 2" in result.stdout
    picture = Image.open(grid)
    assert picture.format == "PNG" and picture.width >= 256


@pytest.mark.parametrize("arch, kind", [("dcgan", "onnx"), ("dcgan", "tflite"),
                                        ("cgan", "onnx"), ("cgan", "tflite"),
                                        ("cgan", "tflite-uint8-batch4")])
def test_the_runner_draws_what_the_keras_generator_draws(exported, arch, kind):
    generator = ganzoo_edge.load(exported[arch][kind])
    run = exported[arch]["run"]
    z = generator.latents(6, seed=5)
    labels = generator.labels(6, label=3 if arch == "cgan" else None)
    pixels = ganzoo_edge.to_uint8(generator(z, labels))
    assert pixels.shape == (6, *run.config.image_shape) and pixels.dtype == np.uint8
    assert np.abs(pixels.astype(int) - keras_pixels(run, z, labels).astype(int)).max() <= 1


def test_the_runner_reads_the_metadata(exported):
    generator = ganzoo_edge.load(exported["cgan"]["tflite-uint8-batch4"])
    assert generator.latent_dim == 100 and generator.num_classes == 10
    assert generator.batch == 4
    assert generator.metadata["architecture"] == "cgan"
    assert generator.metadata["output_dtype"] == "uint8"
    assert ganzoo_edge.load(exported["dcgan"]["onnx"]).batch is None


def test_the_same_seed_draws_the_same_images(exported):
    generator = ganzoo_edge.load(exported["dcgan"]["onnx"])
    first, again = generator.generate(5, seed=9), generator.generate(5, seed=9)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, generator.generate(5, seed=10))


def test_a_seed_draws_the_same_pictures_as_ganzoo_sample(exported):
    run = exported["dcgan"]["run"]
    drawn = ganzoo_edge.load(exported["dcgan"]["onnx"]).generate(6, seed=12)
    sampled = ganzoo.sample(run.path, n=6, seed=12)
    # The same latents through the ONNX file and through Keras: equal up to the export's
    # tolerance (float32 ONNX files differ from Keras by at most a level here).
    assert np.abs(drawn.astype(int) - sampled.astype(int)).max() <= 1


def test_latents_from_a_file_draw_what_those_latents_draw(exported, tmp_path):
    generator = ganzoo_edge.load(exported["cgan"]["onnx"])
    z = generator.latents(3, seed=4)
    np.save(tmp_path / "z.npy", z.astype(np.float64))  # any float dtype; drawn as float32
    assert main([str(exported["cgan"]["onnx"]), "--latents", str(tmp_path / "z.npy"),
                 "--label", "2", "--out", str(tmp_path / "grid.png")]) == 0
    expected = ganzoo_edge.grid(ganzoo_edge.to_uint8(generator(z, [2, 2, 2])))
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "grid.png")),
                                  np.asarray(expected))
    np.save(tmp_path / "one.npy", z[0])  # a single latent is a grid of one
    assert main([str(exported["cgan"]["onnx"]), "--latents", str(tmp_path / "one.npy"),
                 "--out", str(tmp_path / "one.png")]) == 0
    one = ganzoo_edge.grid(ganzoo_edge.to_uint8(generator(z[:1], [0])),
                           columns=ganzoo_edge.grid_columns(generator.num_classes))
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "one.png")), np.asarray(one))


@pytest.mark.parametrize("case, message", [
    ("missing", "--latents: no such file"),
    ("not-npy", "is not a .npy array of numbers"),
    ("wrong-width", "must hold numbers of shape [n, 100] or [100] for this generator. "
                    "Received: shape (2, 7)"),
    ("not-finite", "holds values that are not finite"),
    ("with-seed", "--latents draws the latents of its file into a grid (--out): leave out"),
])
def test_bad_latents_are_one_line_and_exit_status_2(exported, tmp_path, capsys, case, message):
    np.save(tmp_path / "narrow.npy", np.zeros((2, 7), np.float32))
    np.save(tmp_path / "nan.npy", np.full((1, 100), np.nan, np.float32))
    np.save(tmp_path / "good.npy", np.zeros((1, 100), np.float32))
    (tmp_path / "text.npy").write_text("0.5, 0.5")
    files = {"missing": "nope.npy", "not-npy": "text.npy", "wrong-width": "narrow.npy",
             "not-finite": "nan.npy", "with-seed": "good.npy"}
    argv = [str(exported["dcgan"]["onnx"]), "--latents", str(tmp_path / files[case]),
            "--out", str(tmp_path / "grid.png")] + (["--seed", "3"] if case == "with-seed" else [])
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "grid.png").exists()


def write_onnx_without_metadata(path):
    from onnx import TensorProto, helper

    graph = helper.make_graph([helper.make_node("Identity", ["z"], ["image"])], "plain",
                              [helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, 2])],
                              [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 2])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8  # what onnxruntime 1.17, the oldest the runner allows, reads
    onnx.save(model, str(path))


@pytest.mark.parametrize("case, message", [
    ("label-too-big", "label must be one of the classes (0, 1, 2, 3, 4, 5, 6, 7, 8, 9), by name"),
    ("label-unconditional", "takes no label"),
    ("missing-file", "does not exist"),
    ("not-a-model", "must be a .onnx or .tflite file"),
    ("no-metadata", "has no ganzoo metadata"),
    ("out-not-png", "--out must be a .png file"),
    ("corrupt-tflite", "LiteRT cannot load"),
    ("changed-after-export", "its SHA-256 differs from the one"),
])
def test_bad_input_is_one_line_and_exit_status_2(exported, tmp_path, capsys, case, message):
    grid = str(tmp_path / "grid.png")
    argv = {
        "label-too-big": [str(exported["cgan"]["onnx"]), "--label", "10", "--out", grid],
        "label-unconditional": [str(exported["dcgan"]["onnx"]), "--label", "1", "--out", grid],
        "missing-file": [str(tmp_path / "nope.onnx"), "--out", grid],
        "not-a-model": [str(exported["dcgan"]["run"].path / "config.json"), "--out", grid],
        "no-metadata": [str(tmp_path / "plain.onnx"), "--out", grid],
        "out-not-png": [str(exported["dcgan"]["onnx"]), "--out", str(tmp_path / "grid.jpg")],
        "corrupt-tflite": [str(tmp_path / "corrupt.tflite"), "--out", grid],
        "changed-after-export": [str(copy_with_report(exported["dcgan"]["tflite"],
                                                      tmp_path / "copy", flip=True)),
                                 "--out", grid],
    }[case]
    write_onnx_without_metadata(tmp_path / "plain.onnx")
    (tmp_path / "corrupt.tflite").write_bytes(b"not a flatbuffer")
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def copy_with_report(source, folder: Path, flip: bool = False) -> Path:
    """Copy an exported file and its export's ganzoo.json into `folder`; with `flip`, flip one
    bit in the middle of the copy (in the weights)."""
    source = Path(source)
    folder.mkdir()
    copy = folder / source.name
    shutil.copyfile(source, copy)
    shutil.copyfile(source.parent / "ganzoo.json", folder / "ganzoo.json")
    if flip:
        data = bytearray(copy.read_bytes())
        data[len(data) // 2] ^= 0x01
        copy.write_bytes(bytes(data))
    return copy


def test_the_export_report_records_the_sha256_of_every_file_it_wrote(exported):
    from ganzoo_edge.runtimes import file_sha256

    for kind in ("onnx", "tflite"):
        path = Path(exported["dcgan"][kind])
        rows = json.loads((path.parent / "ganzoo.json").read_text())["files"]
        assert [row["sha256"] for row in rows if row["path"] == path.name] \
            == [file_sha256(path)]


@pytest.mark.parametrize("kind", ["onnx", "tflite"])
def test_a_file_whose_bytes_differ_from_its_report_is_refused_before_it_runs(exported, tmp_path,
                                                                             kind):
    intact = copy_with_report(exported["dcgan"][kind], tmp_path / "intact")
    assert ganzoo_edge.load(intact).latent_dim == 100
    flipped = copy_with_report(exported["dcgan"][kind], tmp_path / "flipped", flip=True)
    with pytest.raises(ganzoo_edge.EdgeError, match="SHA-256 differs.*export it again"):
        ganzoo_edge.load(flipped)


def test_the_edge_distribution_declares_its_runtime_dependencies():
    from importlib import metadata

    requires = metadata.requires("ganzoo-edge")
    plain = {r.split(">")[0].split("=")[0].strip() for r in requires if "extra" not in r}
    assert plain == {"numpy", "pillow", "onnxruntime"}
    assert any(r.startswith("ai-edge-litert") and 'extra == "litert"' in r for r in requires)
    entry_points = {ep.name: ep.value for ep in metadata.entry_points(group="console_scripts")}
    assert entry_points["ganzoo-edge"] == "ganzoo_edge.cli:main"


# The command refuses bad input in one line, in a real process ------------------------------

def edge_command() -> list[str]:
    script = shutil.which("ganzoo-edge", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "ganzoo_edge"]


def with_metadata(source: Path, path: Path, change) -> Path:
    """A copy of an exported ONNX file whose ganzoo metadata text is `change(text)`."""
    model = onnx.load(str(source))
    entry = next(p for p in model.metadata_props if p.key == "ganzoo")
    entry.value = change(entry.value)
    onnx.save(model, str(path))
    return path


def without(field: str):
    return lambda text: json.dumps({k: v for k, v in json.loads(text).items() if k != field})


@pytest.mark.parametrize("case, message", [
    ("out-unwritable", "Cannot write --out '/proc/grid.png': "),
    ("out-a-folder", "--out is a folder; give the path of a .png file to write."),
    ("model-a-folder", "is a folder; give the .onnx or .tflite file inside it"),
    ("metadata-not-json", "has malformed ganzoo metadata: it is not JSON"),
    ("metadata-field-missing", "has malformed ganzoo metadata: the field 'latent_dim' is missing"),
    ("metadata-wrong-shapes", "latent_dim=7, but the file's input z has the shape ['batch', 100]"),
    ("metadata-wrong-classes", "num_classes=0 means inputs z, but the file's inputs are z, label"),
    ("flag-error", "argument --n: expected a positive integer, received 'x'"),
])
def test_the_command_refuses_bad_input_with_one_line_and_status_2(exported, tmp_path, case,
                                                                   message):
    dcgan, cgan = exported["dcgan"]["onnx"], exported["cgan"]["onnx"]
    grid = str(tmp_path / "grid.png")
    argv = {
        "out-unwritable": [dcgan, "--out", "/proc/grid.png"],
        "out-a-folder": [dcgan, "--out", str(tmp_path)],
        "model-a-folder": [dcgan.parent, "--out", grid],
        "metadata-not-json": [with_metadata(dcgan, tmp_path / "a.onnx", lambda t: t[:-1]),
                              "--out", grid],
        "metadata-field-missing": [with_metadata(dcgan, tmp_path / "b.onnx",
                                                 without("latent_dim")), "--out", grid],
        "metadata-wrong-shapes": [with_metadata(dcgan, tmp_path / "c.onnx", lambda t: json.dumps(
            {**json.loads(t), "latent_dim": 7})), "--out", grid],
        "metadata-wrong-classes": [with_metadata(cgan, tmp_path / "d.onnx", lambda t: json.dumps(
            {**json.loads(t), "num_classes": 0})), "--out", grid],
        "flag-error": [dcgan, "--out", grid, "--n", "x"],
    }[case]
    result = subprocess.run([*edge_command(), *map(str, argv)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("ganzoo-edge: error: ")
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert message in result.stderr
    assert not (tmp_path / "grid.png").exists()
    assert not list(tmp_path.glob(".*.partial"))


@pytest.mark.parametrize("arch, labels, message", [
    ("cgan", [-1, 0], r"from 0 to 9 .*Received: label=-1\."),
    ("cgan", [0, 10], r"Received: label=10\."),
    ("cgan", [3], r"one class index per latent \(2\)"),
    ("cgan", [0.5, 1.0], "must be integer class indices"),
    ("dcgan", [0, 1], "unconditional generator and takes no labels"),
])
def test_the_python_api_checks_labels_like_the_command_line(exported, arch, labels, message):
    generator = ganzoo_edge.load(exported[arch]["onnx"])
    with pytest.raises(ganzoo_edge.EdgeError, match=message):
        generator(generator.latents(2), labels)


def test_the_python_api_checks_the_latents_shape(exported):
    generator = ganzoo_edge.load(exported["dcgan"]["onnx"])
    with pytest.raises(ganzoo_edge.EdgeError, match=r"z must have the shape \[n, 100\]"):
        generator(np.zeros((2, 99), np.float32))


# One grid ------------------------------------------------------------------------------------

@pytest.mark.parametrize("num_classes, label, columns", [
    (10, None, 10), (3, None, 3), (26, None, 10), (10, 4, None), (0, None, None)])
def test_a_grid_of_every_class_has_one_column_per_class_up_to_ten(num_classes, label, columns):
    assert ganzoo_edge.grid_columns(num_classes, label) == columns


def test_ganzoo_draws_its_grids_with_the_edge_runners_code():
    import ganzoo.images

    assert ganzoo.images.grid is ganzoo_edge.grid
    assert ganzoo.images.grid_columns is ganzoo_edge.grid_columns
    assert ganzoo.images.to_uint8 is ganzoo_edge.to_uint8
