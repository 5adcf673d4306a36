"""The shared trainer: every architecture trains, checkpoints, resumes exactly and survives kills."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

import ganzoo
from ganzoo.errors import RunError, TrainingDivergedError, UnknownNameError
from ganzoo.plugin import LossSpec, hookimpl
from ganzoo.registry import Registry
from ganzoo.runs import Run, RunConfig
from ganzoo.sampling import latents

TINY = dict(data="digits", batch_size=8, image_size=28, progress=False)


def tiny_for(architecture: str) -> dict:
    """TINY at the architecture's smallest size (28 for most; fastgan starts at 64)."""
    return {**TINY, "image_size": min(ganzoo.get_architecture(architecture).image_sizes)}


def weights(run: Run, step: int) -> list[np.ndarray]:
    """The trained generator's weights, then those of its moving average."""
    return [v.numpy() for averaged in (False, True)
            for v in run.load_generator(step, averaged=averaged).weights]


def test_every_architecture_trains_with_finite_losses_and_changing_weights(architecture,
                                                                           tmp_path):
    result = ganzoo.train(architecture, steps=3, out=tmp_path, checkpoint_every=1, log_every=1,
                          **tiny_for(architecture))
    assert result.step == 3 and not result.interrupted
    records = [json.loads(line) for line in result.run.metrics_path.read_text().splitlines()]
    assert [r["step"] for r in records] == [1, 2, 3]
    assert all(np.isfinite(r["d_loss"]) and np.isfinite(r["g_loss"]) for r in records)
    assert result.run.checkpoint_steps() == [1, 2, 3]
    changed = [not np.array_equal(a, b)
               for a, b in zip(weights(result.run, 1), weights(result.run, 3))]
    assert any(changed), "training did not change the generator"


def test_the_saved_generator_reloads_in_safe_mode_and_matches_the_checkpoint(architecture,
                                                                             tmp_path):
    run = ganzoo.train(architecture, steps=2, out=tmp_path, **tiny_for(architecture)).run
    from_checkpoint = run.load_generator()
    from_file = ganzoo.load_generator(run.generator_path)
    z = latents(4, run.config.latent_dim, seed=3)
    inputs = [z, np.arange(4, dtype=np.int32)] if run.config.num_classes else z
    np.testing.assert_allclose(from_file(inputs, training=False),
                               from_checkpoint(inputs, training=False), atol=1e-6)


def test_the_saved_generator_of_a_mixed_precision_run_computes_in_float32(tmp_path):
    run = ganzoo.train("dcgan", steps=2, out=tmp_path, precision="mixed_bfloat16", **TINY).run
    from_file = ganzoo.load_generator(run.generator_path)
    z = latents(4, run.config.latent_dim, seed=3)

    assert {layer.dtype_policy.name for layer in from_file.layers} == {"float32"}
    np.testing.assert_allclose(from_file(z, training=False),
                               run.load_generator()(z, training=False), atol=1e-6)


def test_a_run_directory_holds_everything_to_rebuild_and_inspect_the_run(tmp_path):
    run = ganzoo.train("dcgan", steps=4, out=tmp_path, sample_every=2, log_every=2, **TINY).run
    config = json.loads((run.path / "config.json").read_text())
    assert RunConfig.from_dict(config) == run.config
    assert config["arch"] == "dcgan" and config["plugin"]["distribution"] == "ganzoo"
    assert [p.name for p in sorted(run.samples_dir.glob("*.png"))] == [
        "step-0000002.png", "step-0000004.png"]
    assert list((run.path / "tensorboard").glob("events.out.tfevents.*"))
    animation = Image.open(run.animation_path)
    assert animation.format == "GIF" and animation.n_frames == 2
    assert run.generator_path.is_file()


def test_resume_continues_at_the_saved_step_and_matches_an_uninterrupted_run(tmp_path):
    straight = ganzoo.train("dcgan", steps=4, out=tmp_path / "a", seed=5, **TINY).run
    halted = ganzoo.train("dcgan", steps=2, out=tmp_path / "b", seed=5, **TINY).run
    resumed = ganzoo.train(resume=halted.path, steps=4, progress=False)
    assert resumed.start_step == 2
    assert resumed.run.checkpoint_steps()[-1] == 4
    for a, b in zip(weights(straight, 4), weights(resumed.run, 4)):
        np.testing.assert_array_equal(a, b)


def test_resume_refuses_to_change_the_architecture(tmp_path):
    run = ganzoo.train("dcgan", steps=1, out=tmp_path, **TINY).run
    with pytest.raises(RunError, match="--arch cannot change when resuming"):
        ganzoo.train("mlp-gan", resume=run.path, progress=False)


def test_resume_of_a_folder_that_is_not_a_run_says_so(tmp_path):
    with pytest.raises(RunError, match="not a ganzoo run"):
        ganzoo.train(resume=tmp_path, progress=False)


def test_an_unknown_architecture_fails_before_any_directory_is_made(tmp_path):
    with pytest.raises(UnknownNameError, match="Did you mean 'dcgan'"):
        ganzoo.train("dcgann", out=tmp_path / "runs", **{k: v for k, v in TINY.items()
                                                          if k != "progress"})
    assert not (tmp_path / "runs").exists()


class LossThatExplodesAtStep3:
    """A loss plugin whose discriminator loss turns NaN on its third call."""

    def __init__(self) -> None:
        self.calls = tf.Variable(0)

    def discriminator_loss(self, context):
        real, fake = context.real_logits, context.fake_logits
        self.calls.assign_add(1)
        poison = tf.where(self.calls >= 3, np.nan, 0.0)
        return tf.nn.softplus(-tf.reshape(real, [-1])) + tf.nn.softplus(tf.reshape(fake, [-1])) \
            + poison

    @hookimpl
    def ganzoo_losses(self):
        return [LossSpec("explodes", "test", self.discriminator_loss,
                         lambda context: tf.nn.softplus(-tf.reshape(context.fake_logits, [-1])))]


def test_a_non_finite_loss_stops_training_and_keeps_the_last_good_checkpoint(tmp_path):
    registry = Registry()
    registry.register(LossThatExplodesAtStep3(), "exploding-loss")
    with pytest.raises(TrainingDivergedError, match="step 3.*ckpt-2.*intact"):
        ganzoo.train("dcgan", steps=10, loss="explodes", checkpoint_every=1, out=tmp_path,
                     registry=registry, **TINY)
    run = Run.open(next(tmp_path.iterdir()))
    assert run.checkpoint_steps() == [1, 2]
    generator = run.load_generator(registry=registry)
    assert all(np.all(np.isfinite(v.numpy())) for v in generator.weights)


def start_training(out: Path, steps: int, checkpoint_every: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "ganzoo", "train", "--arch", "dcgan", "--steps", str(steps),
         "--batch-size", "8", "--checkpoint-every", str(checkpoint_every), "--out", str(out),
         "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(condition, process: subprocess.Popen, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if process.poll() is not None:
            raise AssertionError(f"training ended early: {process.communicate()}")
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError("training made no checkpoint in time")
        time.sleep(0.2)


def only_run(out: Path) -> Run:
    runs = [p for p in out.iterdir() if p.is_dir()] if out.exists() else []
    return Run.open(runs[0]) if len(runs) == 1 else None


@pytest.mark.slow
def test_a_run_killed_at_any_moment_resumes_from_its_last_complete_checkpoint(tmp_path):
    process = start_training(tmp_path, steps=100_000, checkpoint_every=3)
    wait_for(lambda: only_run(tmp_path) is not None and
             len(only_run(tmp_path).checkpoint_steps()) >= 2, process)
    process.send_signal(signal.SIGKILL)
    process.wait()
    run = only_run(tmp_path)
    last = run.checkpoint_steps()[-1]
    result = ganzoo.train(resume=run.path, steps=last + 2, progress=False)
    assert (result.start_step, result.step) == (last, last + 2)
    assert result.run.checkpoint_steps()[-1] == last + 2


@pytest.mark.slow
def test_ctrl_c_saves_a_checkpoint_and_exits_cleanly(tmp_path):
    process = start_training(tmp_path, steps=100_000, checkpoint_every=100_000)
    wait_for(lambda: only_run(tmp_path) is not None and
             only_run(tmp_path).metrics_path.exists(), process)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert "checkpoint saved" in stdout
    run = only_run(tmp_path)
    stopped_at = int(stdout.split("Stopped at step ")[1].split(";")[0])
    assert run.checkpoint_steps()[-1] == stopped_at > 0
    assert os.path.exists(run.generator_path)
