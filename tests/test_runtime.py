"""Precision, XLA and tf.distribute: faster ways to train the same model."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

import ganzoo
from ganzoo.errors import UnknownNameError
from ganzoo.runs import Run
from ganzoo.training import runtime

TINY = dict(data="digits", batch_size=8, progress=False, seed=3)


def generator_weights(run: Run) -> list[np.ndarray]:
    return [v.numpy() for v in run.load_generator().weights]


def test_a_mixed_precision_policy_computes_in_16_bits_but_keeps_float32_outputs(registry):
    spec = registry.architecture("dcgan")
    with runtime.dtype_policy("mixed_bfloat16"):
        generator = spec.generator((28, 28, 1), 0, 16)
        discriminator = spec.discriminator((28, 28, 1), 0)
    assert keras.config.dtype_policy().name == "float32"
    convolutions = [l for l in generator.layers if isinstance(l, keras.layers.Conv2DTranspose)]
    assert convolutions[0].compute_dtype == "bfloat16"
    assert all(w.dtype == "float32" for w in generator.weights)
    assert generator.outputs[0].dtype == "float32" and discriminator.outputs[0].dtype == "float32"


@pytest.mark.parametrize("precision", ["mixed_bfloat16", "mixed_float16"])
def test_mixed_precision_trains_and_its_checkpoint_resumes_and_restores_in_float32(
        precision, tmp_path):
    result = ganzoo.train("dcgan", steps=2, precision=precision, log_every=1, out=tmp_path,
                          **TINY)
    records = [json.loads(line) for line in result.run.metrics_path.read_text().splitlines()]
    assert all(np.isfinite(r["d_loss"]) and np.isfinite(r["g_loss"]) for r in records)
    assert result.run.config.precision == precision
    resumed = ganzoo.train(resume=result.path, steps=3, progress=False)
    assert (resumed.start_step, resumed.step) == (2, 3)
    images = ganzoo.sample(result.path, n=4)  # a float32 generator restored from the checkpoint
    assert images.dtype == np.uint8 and images.std() > 0


def test_xla_compiled_training_matches_the_same_run_without_it(tmp_path):
    plain = ganzoo.train("dcgan", steps=2, out=tmp_path / "plain", **TINY).run
    compiled = ganzoo.train("dcgan", steps=2, xla=True, out=tmp_path / "xla", **TINY).run
    assert compiled.config.xla is True
    for a, b in zip(generator_weights(plain), generator_weights(compiled)):
        np.testing.assert_allclose(a, b, atol=1e-4)


def test_resume_may_change_how_a_run_computes_but_not_what_it_trains(tmp_path):
    run = ganzoo.train("dcgan", steps=1, out=tmp_path, **TINY).run
    ganzoo.train(resume=run.path, steps=2, precision="mixed_bfloat16", progress=False)
    assert Run.open(run.path).config.precision == "mixed_bfloat16"


@pytest.mark.parametrize("option, value", [("precision", "float8"), ("strategy", "tpu-pod")])
def test_an_unknown_precision_or_strategy_lists_the_choices(option, value, tmp_path):
    with pytest.raises(UnknownNameError, match=f"Unknown {option} '{value}'"):
        ganzoo.train("dcgan", steps=1, out=tmp_path, **{option: value}, **TINY)


def test_multi_worker_without_tf_config_says_how_to_set_it(monkeypatch, tmp_path):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(ganzoo.GanzooError, match="TF_CONFIG"):
        ganzoo.train("dcgan", steps=1, strategy="multi-worker", out=tmp_path, **TINY)


MIRRORED = textwrap.dedent("""
    import json, sys
    import numpy as np, tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import ganzoo
    settings = dict(steps=3, batch_size=8, log_every=1, progress=False, seed=3)
    runs = [ganzoo.train(sys.argv[1], out=sys.argv[2] + "/" + strategy, strategy=strategy,
                         **settings).run for strategy in ("default", "mirrored")]
    losses = [[(r["d_loss"], r["g_loss"]) for r in map(json.loads,
               run.metrics_path.read_text().splitlines())] for run in runs]
    weights = [[v.numpy().tolist() for v in run.load_generator().weights] for run in runs]
    print(json.dumps({"losses": losses, "weights": weights,
                      "replicas": tf.distribute.MirroredStrategy().num_replicas_in_sync}))
""")


@pytest.mark.slow
@pytest.mark.parametrize("arch", ["dcgan", "cgan"])
def test_mirrored_over_two_devices_trains_like_one_device_with_the_same_global_batch(arch,
                                                                                     tmp_path):
    done = subprocess.run([sys.executable, "-c", MIRRORED, arch, str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["replicas"] == 2
    one, two = result["losses"]
    np.testing.assert_allclose(one, two, rtol=1e-4)
    for a, b in zip(*result["weights"]):
        np.testing.assert_allclose(np.array(a), np.array(b), atol=1e-5)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_two_workers_on_localhost_leave_one_run_directory_that_matches_one_device(tmp_path):
    cluster = {"worker": [f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"]}
    command = [sys.executable, "-m", "ganzoo", "train", "--arch", "dcgan", "--steps", "3",
               "--batch-size", "8", "--seed", "3", "--strategy", "multi-worker",
               "--out", str(tmp_path / "runs"), "--quiet"]
    workers = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env={**os.environ, "TF_CONFIG": json.dumps(
                                    {"cluster": cluster, "task": {"type": "worker",
                                                                  "index": index}})})
               for index in (0, 1)]
    outputs = [worker.communicate(timeout=300) for worker in workers]
    assert [w.returncode for w in workers] == [0, 0], [err[-2000:] for _, err in outputs]
    runs = list((tmp_path / "runs").iterdir())
    assert len(runs) == 1 and outputs[0][0].strip().splitlines()[-1] == str(runs[0])
    assert "the chief worker wrote the run directory" in outputs[1][0]
    distributed = Run.open(runs[0])
    assert distributed.checkpoint_steps() == [3]
    assert distributed.config.strategy == "multi-worker"
    alone = ganzoo.train("dcgan", steps=3, out=tmp_path / "alone", **TINY).run
    for a, b in zip(generator_weights(alone), generator_weights(distributed)):
        np.testing.assert_allclose(a, b, atol=1e-5)


@pytest.mark.parametrize("gpus, flags, chosen", [
    ([(9, 0)], set(), "mixed_bfloat16"), ([(8, 0), (7, 5)], set(), "mixed_float16"),
    ([(6, 1)], {"avx512_bf16"}, "float32"), ([], {"avx512f", "avx512_bf16"}, "mixed_bfloat16"),
    ([], {"amx_bf16"}, "mixed_bfloat16"), ([], {"avx2", "fma"}, "float32")],
    ids=["ampere", "mixed-gpus", "old-gpu", "avx512-bf16", "amx", "plain-cpu"])
def test_auto_precision_picks_what_the_hardware_computes_natively(monkeypatch, gpus, flags,
                                                                  chosen):
    from ganzoo.training import runtime

    monkeypatch.setattr(runtime, "_gpu_compute_capabilities", lambda: gpus)
    monkeypatch.setattr(runtime, "_cpu_flags", lambda: flags)
    assert runtime.check_precision("auto") == chosen


def test_a_run_records_the_precision_auto_chose(monkeypatch, tmp_path):
    from ganzoo.training import runtime

    monkeypatch.setattr(runtime, "_cpu_flags", lambda: set())
    run = ganzoo.train("mlp-gan", steps=1, out=tmp_path, precision="auto", **TINY).run
    assert run.config.precision == "float32"
