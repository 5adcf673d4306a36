"""What a user sees when a run directory is damaged, shared, or on a full disk, and a quiet
command line (issue 12). Commands run through the real entry point: in this process
(`_faults.in_process`) where only their message and exit status are checked, in their own
process where the process is the point (a lock held by another one, a killed holder, native
output, a crash)."""

from __future__ import annotations

import functools
import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import ganzoo
import tensorflow as tf
from _faults import (assert_no_crash, assert_one_line_error, command, copy_run, digests,
                     environment, flip, ganzoo as run_ganzoo, in_process, truncate,
                     user_environment)
from ganzoo.runs import AVERAGE, Run, step_of

STEPS = 4  # checkpoints at every step; three kept: 2, 3, 4


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    return ganzoo.train("dcgan", steps=STEPS, checkpoint_every=1, batch_size=8, progress=False,
                        out=tmp_path_factory.mktemp("runs")).path


@pytest.fixture
def run(pristine, tmp_path) -> Path:
    return copy_run(pristine, tmp_path)


@pytest.fixture
def ganzoo_cli(monkeypatch, tmp_path, capfd):
    """``ganzoo ARGV`` as a user runs it, through the same entry point, in this process."""
    user_environment(monkeypatch)
    monkeypatch.chdir(tmp_path)
    return functools.partial(in_process, capfd)


def newest_files(run: Path, suffix: str) -> Path:
    return Run.open(run).checkpoint_dir / f"ckpt-{STEPS}{suffix}"


DATA, INDEX = ".data-00000-of-00001", ".index"


def test_checkpoint_names_and_steps_are_one_fact(run):
    opened = Run.open(run)
    assert [step_of(opened.checkpoint_name(s)) for s in (1, 250)] == [1, 250]
    assert opened.checkpoint_path(3) == opened.checkpoint_name(3)
    assert Path(opened.checkpoint_name(3) + INDEX).is_file()
    with pytest.raises(ValueError, match="ckpt-STEP"):
        step_of("runs/x/checkpoints/model-3")
    assert AVERAGE == "generator_average"


@pytest.mark.parametrize("damage", [
    (truncate, DATA), (flip, DATA), (flip, INDEX),
], ids=["truncated-data", "bit-flipped-data", "bit-flipped-index"])
def test_sample_passes_over_a_damaged_newest_checkpoint_with_a_one_line_warning(run, tmp_path,
                                                                                 ganzoo_cli,
                                                                                 damage):
    spoil, suffix = damage
    spoil(newest_files(run, suffix))
    before = digests(run)
    result = ganzoo_cli("sample", run, "--n", "4", "--out", tmp_path / "grid.png")
    assert_no_crash(result)
    assert result.code == 0
    [warning] = result.lines()
    assert warning.startswith("ganzoo sample: warning: Checkpoint")
    assert f"ckpt-{STEPS}'" in warning and f"ckpt-{STEPS - 1} (step {STEPS - 1})" in warning
    assert digests(run) == before
    # The grid is the one drawn from the newest intact checkpoint.
    ganzoo.sample(run, n=4, step=STEPS - 1, out=tmp_path / "expected.png")
    assert (tmp_path / "grid.png").read_bytes() == (tmp_path / "expected.png").read_bytes()


def test_export_uses_the_newest_intact_checkpoint_when_the_latest_is_truncated(run, ganzoo_cli):
    truncate(newest_files(run, DATA))
    before = digests(run)
    result = ganzoo_cli("export", run, "--format", "onnx", "--repeats", "1")
    assert_no_crash(result)
    assert result.code == 0, result.err
    assert f"ckpt-{STEPS}' is damaged" in result.err
    report = json.loads((run / "export" / "ganzoo.json").read_text())
    assert report["step"] == STEPS - 1
    assert {k: v for k, v in digests(run).items() if not k.startswith("export/")} == before


def test_without_an_intact_checkpoint_every_command_fails_in_one_line_and_changes_nothing(
        run, tmp_path, ganzoo_cli):
    for step in Run.open(run).checkpoint_steps():
        truncate(Path(Run.open(run).checkpoint_name(step) + DATA))
    before = digests(run)
    for argv in (["sample", run, "--out", tmp_path / "grid.png"],
                 ["export", run, "--format", "onnx"],
                 ["train", "--resume", run, "--quiet"]):
        assert_one_line_error(ganzoo_cli(*argv), "has no intact checkpoint", "ckpt-2")
        assert digests(run) == before
    assert not (run / "export").exists() and not (tmp_path / "grid.png").exists()


def test_resume_continues_from_the_newest_intact_checkpoint_and_repeats_the_lost_step(
        run, pristine, ganzoo_cli):
    truncate(newest_files(run, DATA))
    intact = {k: v for k, v in digests(run).items() if k.startswith("checkpoints/ckpt-")
              and not k.startswith(f"checkpoints/ckpt-{STEPS}.")}
    result = ganzoo_cli("train", "--resume", run, "--quiet")
    assert_no_crash(result)
    assert result.code == 0, result.err
    [warning] = result.lines()
    assert "resuming from ckpt-3 (step 3)" in warning and "moved to damaged/" in warning
    assert sorted(p.name for p in (run / "checkpoints" / "damaged").iterdir()) == [
        f"ckpt-{STEPS}{DATA}", f"ckpt-{STEPS}{INDEX}"]
    now = digests(run)
    assert all(now[name] == digest for name, digest in intact.items())
    # Resuming is exact, so the repeated step writes the weights the lost checkpoint held.
    for averaged in (False, True):
        got = Run.open(run).load_generator(STEPS, averaged=averaged).weights
        want = Run.open(pristine).load_generator(STEPS, averaged=averaged).weights
        assert all(np.array_equal(a.numpy(), b.numpy()) for a, b in zip(got, want))


@pytest.mark.slow
def test_a_second_training_of_a_run_is_refused_naming_the_process_that_holds_it(run):
    first = subprocess.Popen([sys.executable, "-m", "ganzoo", "train", "--resume", str(run),
                              "--steps", "100000"], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True, env=environment())
    try:
        assert first.stdout.readline().startswith("Resuming")  # printed once the lock is held
        second = run_ganzoo("train", "--resume", run, "--steps", "6", "--quiet")
        assert_one_line_error(second, "is being trained by another process",
                              f"pid {first.pid}")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    # An operating-system lock: the killed holder left it free.
    with Run.open(run).lock():
        pass


def test_lock_refuses_a_second_holder_until_the_first_lets_go(run):
    from ganzoo.errors import RunLockedError

    opened = Run.open(run)
    with opened.lock():
        with pytest.raises(RunLockedError, match=r"pid \d+"):
            with Run.open(run).lock():
                pass
    with Run.open(run).lock():
        pass


PLUGIN = '''
import sys
import keras
import tensorflow as tf
from ganzoo.architectures import dcgan
from ganzoo.cli import main
from ganzoo.plugin import ArchitectureSpec, LossSpec, hookimpl
from ganzoo.registry import default_registry


def wrong_shape(image_shape, num_classes, latent_dim):
    z = keras.Input((latent_dim,))
    return keras.Model(z, keras.layers.Dense(7)(z))


def raises(context):
    raise ValueError("this loss plugin is broken")


class Broken:
    @hookimpl
    def ganzoo_architectures(self):
        return [ArchitectureSpec("wrong-shape", "test", dcgan.DCGAN.paper, wrong_shape,
                                 dcgan.DCGAN.build_discriminator)]

    @hookimpl
    def ganzoo_losses(self):
        return [LossSpec("raises", "test", raises, lambda context: -context.fake_logits)]


default_registry().register(Broken(), "broken")
sys.exit(main())
'''


@pytest.mark.parametrize("argv", [
    ["--arch", "wrong-shape"], ["--arch", "dcgan", "--loss", "raises"],
], ids=["generator-of-the-wrong-shape", "loss-that-raises"])
def test_a_new_run_that_fails_before_its_first_checkpoint_leaves_no_directory(tmp_path, argv):
    done = subprocess.run([sys.executable, "-c", PLUGIN, "train", *argv, "--steps", "2",
                           "--batch-size", "8", "--out", str(tmp_path / "runs"), "--quiet"],
                          capture_output=True, text=True, env=environment())
    assert done.returncode != 0
    assert (tmp_path / "runs").is_dir() and not list((tmp_path / "runs").iterdir())


def test_a_full_disk_ends_training_with_one_line_and_a_loadable_checkpoint(tmp_path,
                                                                           monkeypatch,
                                                                           ganzoo_cli):
    save = tf.train.CheckpointManager.save
    calls = []

    def full(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 3:  # the message TensorFlow's file writer gives for ENOSPC
            raise tf.errors.ResourceExhaustedError(
                None, None, "ckpt-3_temp/part-00000-of-00001.data-00000-of-00001; "
                "No space left on device")
        return save(self, *args, **kwargs)

    monkeypatch.setattr(tf.train.CheckpointManager, "save", full)
    out = tmp_path / "runs"
    result = ganzoo_cli("train", "--arch", "dcgan", "--steps", "5", "--checkpoint-every", "1",
                        "--batch-size", "8", "--out", out, "--quiet")
    [run] = out.iterdir()
    assert_one_line_error(result, "No space left on the device of", str(run), "ckpt-2, is intact",
                          f"--resume {run}")
    assert re.search(r"a checkpoint needs \d+\.\d MB and \d+\.\d MB is free", result.err)
    assert Run.open(run).checkpoint_steps() == [1, 2]
    Run.open(run).load_generator()


def _mount_tmpfs(folder: Path, megabytes: int) -> bool:
    folder.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs",
                           str(folder)], capture_output=True)
    return done.returncode == 0


def test_a_really_full_disk_names_the_folder_and_keeps_the_last_checkpoint(tmp_path,
                                                                          ganzoo_cli):
    disk = tmp_path / "disk"
    if not _mount_tmpfs(disk, 40):  # a dcgan checkpoint with its weight average: 16 MB
        pytest.skip("mounting a tmpfs needs root (CAP_SYS_ADMIN)")
    try:
        result = ganzoo_cli("train", "--arch", "dcgan", "--steps", "20", "--checkpoint-every",
                            "1", "--batch-size", "8", "--out", disk, "--quiet")
        [run] = disk.iterdir()
        assert_one_line_error(result, "No space left on the device of", str(run),
                              "is intact", "MB is free")
        last = Run.open(run).checkpoint_steps()[-1]
        assert f"ckpt-{last}, is intact" in result.err
        Run.open(run).load_generator()
        assert not list(run.rglob("*_temp*"))
    finally:
        subprocess.run(["umount", str(disk)], check=False)


# What TensorFlow, absl, oneDNN and TFLite print at start-up and export on their own.
CHATTER = re.compile(r"^([IWE]\d{4} |WARNING: All log messages before absl)|oneDNN|cuda|cuInit"
                     r"|XNNPACK|fully_quantize", re.MULTILINE)


@pytest.mark.slow
def test_the_command_line_shows_only_ganzoo_output_unless_verbose(tmp_path):
    result = run_ganzoo("train", "--arch", "dcgan", "--steps", "2", "--batch-size", "8",
                        "--out", tmp_path, "--quiet")
    assert result.code == 0 and not CHATTER.search(result.err), result.err
    assert not result.err.strip()
    run = Path(result.out.strip().splitlines()[-1])
    for argv in (["sample", run, "--n", "4", "--out", tmp_path / "grid.png"],
                 ["export", run, "--format", "tflite,onnx", "--repeats", "1"]):
        result = run_ganzoo(*argv)
        assert result.code == 0 and not CHATTER.search(result.err), result.err
    edge = command("ganzoo-edge", run / "export" / "generator.tflite", "--out",
                   tmp_path / "edge.png")
    assert edge.code == 0 and not edge.err.strip(), edge.err

    loud = run_ganzoo("sample", run, "--n", "4", "--out", tmp_path / "grid.png", "--verbose")
    assert loud.code == 0 and CHATTER.search(loud.err)
    loud = command("ganzoo-edge", run / "export" / "generator.tflite", "--out",
                   tmp_path / "edge.png", env=environment(GANZOO_VERBOSE="1"))
    assert loud.code == 0 and "XNNPACK" in loud.err


def test_a_process_that_crashes_still_shows_what_it_printed_last(tmp_path):
    # The filter must not swallow native output of a dying process (it runs in its own).
    script = ("import os, sys\nfrom ganzoo.cli import _quiet\n"
              "with _quiet.native_stderr_filtered(False):\n"
              "    os.write(2, b'I0000 00:00:1796047320.816398    7072 port.cc:153] chatter\\n')\n"
              "    os.write(2, b'F0000 fatal: something native broke\\n')\n"
              "    os.abort()\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    time.sleep(0.5)
    assert done.returncode != 0
    assert "something native broke" in done.stderr and "chatter" not in done.stderr
