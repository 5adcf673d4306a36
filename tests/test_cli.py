"""The command line: thin calls into the API, one-line errors with exit status 2."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest

import ganzoo
from ganzoo.cli import main


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exit_:  # argparse exits on bad flags and --version
        code = exit_.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_version(capsys):
    code, out, _ = run_cli(capsys, "--version")
    assert code == 0 and out.strip() == f"ganzoo {ganzoo.__version__}"


# The `ganzoo` script's call, then, as the last line, which of TensorFlow and Keras the process
# imported.
IMPORTS_PROBE = """
import sys
from ganzoo.cli import main
sys.argv[0] = "ganzoo"
try:
    main()
except SystemExit:
    pass
print(sorted({name.split(".")[0] for name in sys.modules} & {"tensorflow", "keras"}))
"""


@pytest.mark.parametrize("argv, shows", [(["--help"], "plugins"), (["list"], "dcgan"),
                                         (["plugins"], "plugin contract")],
                         ids=["help", "list", "plugins"])
def test_help_list_and_plugins_never_import_tensorflow_or_keras(argv, shows):
    # Importing TensorFlow takes seconds; these commands read only plugin specs.
    result = subprocess.run([sys.executable, "-c", IMPORTS_PROBE, *argv], capture_output=True,
                            text=True, timeout=120)

    *output, imported = result.stdout.strip().splitlines()
    assert shows in "\n".join(output), result.stderr
    assert imported == "[]", result.stderr


def test_a_pipe_closed_early_ends_the_command_without_a_traceback():
    # `ganzoo list | head -1`: the reader is gone before the table is written.
    process = subprocess.Popen([sys.executable, "-m", "ganzoo", "list"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()
    stderr = process.communicate(timeout=120)[1].decode()
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr, stderr
    assert process.returncode == 1


def test_list_shows_every_architecture_with_its_paper_and_plugin(capsys):
    code, out, _ = run_cli(capsys, "list")
    assert code == 0
    header, *rows = out.splitlines()
    assert header.split() == ["NAME", "CONDITIONAL", "PAPER", "PLUGIN"]
    names = {row.split()[0]: row for row in rows}
    assert {"cgan", "dcgan", "mlp-gan"} <= set(names)
    assert "arxiv.org/abs/1511.06434" in names["dcgan"]
    assert f"ganzoo {ganzoo.__version__}" in names["dcgan"]
    assert names["cgan"].split()[1] == "yes"


@pytest.mark.parametrize("argv, expected", [
    (["train", "--arch", "dcgna"], "Did you mean 'dcgan'"),
    (["train", "--arch", "dcgan", "--image-size", "48"], "supports square images of 28x28"),
    (["train", "--arch", "dcgan", "--data", "nowhere/images.npz"], "nowhere/images.npz"),
    (["sample", "no-such-run", "--out", "x.png"], "does not exist"),
], ids=["unknown-arch", "unsupported-size", "missing-npz", "missing-run"])
def test_bad_input_is_one_line_and_exit_status_2(capsys, tmp_path, argv, expected):
    code, _, err = run_cli(capsys, *argv, *(["--out", str(tmp_path)] if argv[0] == "train"
                                            else []))
    assert code == 2
    assert expected in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("argv", [
    ["train", "--arch", "dcgan", "--steps", "0"],
    ["train", "--arch", "dcgan", "--batch-size", "many"],
    ["sample", "run", "--out", "x.png", "--n", "-1"],
    ["train", "--arch", "dcgan", "--ema-decay", "1"],
], ids=["zero-steps", "batch-not-a-number", "negative-n", "ema-decay-of-one"])
def test_invalid_flag_values_exit_with_status_2(capsys, argv):
    code, _, err = run_cli(capsys, *argv)
    assert code == 2 and "error:" in err


def test_train_then_sample_from_the_command_line(capsys, tmp_path):
    code, out, err = run_cli(capsys, "train", "--arch", "dcgan", "--steps", "2",
                             "--batch-size", "8", "--out", str(tmp_path), "--quiet")
    assert code == 0, err
    run = Path(out.strip().splitlines()[-1])
    assert run.parent == tmp_path and (run / "config.json").is_file()
    grid = tmp_path / "grid.png"
    code, out, err = run_cli(capsys, "sample", str(run), "--n", "9", "--out", str(grid))
    assert code == 0, err
    assert grid.is_file() and "Wrote 9 images" in out


def test_train_prints_the_next_commands_then_the_run_directory_last(capsys, tmp_path,
                                                                      monkeypatch):
    monkeypatch.chdir(tmp_path)  # the printed sample command writes grid.png here

    code, out, err = run_cli(capsys, "train", "--arch", "dcgan", "--steps", "2",
                             "--batch-size", "8", "--out", "my runs", "--quiet")

    assert code == 0, err
    *lines, last = out.strip().splitlines()
    run = Path(last)
    commands = [shlex.split(line, comments=True) for line in lines
                if line.strip().startswith("ganzoo ")]
    assert [command[1] for command in commands] == ["sample", "eval", "export"]
    assert all(Path(command[2]) == run for command in commands)  # quoted: a space in the path
    assert run_cli(capsys, *commands[0][1:])[0] == 0
    assert (tmp_path / "grid.png").is_file()
