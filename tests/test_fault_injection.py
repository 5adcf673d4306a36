"""Fault injection over the whole pipeline (issue 12): every artefact a run writes is truncated,
bit-flipped or deleted, and every command that reads it must end without a traceback: exit 0
(with at most one-line warnings) or exit 2 with one line. Files the command did not need to
change survive it.

One tiny run is trained (and exported) once for the module; each case damages a copy.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import ganzoo
from _faults import DAMAGES, Result, assert_no_crash, command, copy_run, digests, environment
from ganzoo.runs import Run

pytestmark = pytest.mark.slow  # 57 processes, each importing TensorFlow: ~20 min on 2 cores

STEPS = 4

# Artefact -> (its path in the run, the commands that read it).
ARTEFACTS = {
    "config": ("config.json", ("sample", "eval", "export", "resume")),
    "checkpoint-index": (f"checkpoints/ckpt-{STEPS}.index", ("sample", "eval", "export",
                                                             "resume")),
    "checkpoint-data": (f"checkpoints/ckpt-{STEPS}.data-00000-of-00001",
                        ("sample", "eval", "export", "resume")),
    "checkpoint-state": ("checkpoints/checkpoint", ("sample", "resume")),
    "newest-sample": (f"samples/step-{STEPS:07d}.png", ("resume",)),
    "metrics": ("metrics.jsonl", ("resume",)),
    "generator-keras": ("generator.keras", ("resume",)),
    "export-onnx": ("export/generator.onnx", ("edge",)),
    "export-tflite": ("export/generator.tflite", ("edge",)),
}

def cases():
    for artefact, (_, readers) in ARTEFACTS.items():
        for damage in DAMAGES:
            for reader in readers:
                yield pytest.param(artefact, damage, reader, id=f"{damage}-{artefact}-{reader}")


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    run = ganzoo.train("dcgan", steps=STEPS, checkpoint_every=1, batch_size=8, progress=False,
                       out=tmp_path_factory.mktemp("runs")).path
    ganzoo.export(run, formats="onnx,tflite", repeats=1, progress=False)
    return run


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict[str, str]:
    # eval's feature network is trained once into a cache shared by the module's cases.
    return environment(GANZOO_CACHE=str(tmp_path_factory.mktemp("cache")))


def read(reader: str, run: Path, artefact: Path, scratch: Path, env) -> Result:
    argv = {
        "sample": ["sample", run, "--n", "4", "--out", scratch / "grid.png"],
        "eval": ["eval", run, "--n", "64"],
        "export": ["export", run, "--format", "onnx", "--repeats", "1", "--out",
                   scratch / "export"],
        "resume": ["train", "--resume", run, "--steps", str(STEPS + 1), "--quiet"],
    }
    if reader == "edge":
        return command("ganzoo-edge", artefact, "--n", "4", "--out", scratch / "edge.png",
                       env=env)
    return command("ganzoo", *argv[reader], env=env)


@pytest.mark.parametrize("artefact, damage, reader", cases())
def test_no_damage_makes_a_command_crash(pristine, env, tmp_path, artefact, damage, reader):
    run = copy_run(pristine, tmp_path)
    path = run / ARTEFACTS[artefact][0]
    DAMAGES[damage](path)
    before = digests(run)
    result = read(reader, run, path, tmp_path, env)

    assert_no_crash(result)
    lines = result.lines()
    if result.code == 0:  # (eval also reports its progress on stderr)
        warned = [line for line in lines if "warning" in line.lower()]
        assert all(line.startswith("ganzoo") for line in warned), result.err
    else:
        assert result.code == 2 and len(lines) == 1 and ": error: " in lines[0], result.err
    if reader != "resume":
        assert digests(run) == before  # readers never write into the run
    elif result.code == 0:
        Run.open(run).load_generator()
    else:
        assert digests(run) == before  # a refused resume changes nothing
