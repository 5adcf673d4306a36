"""Fault injection over the whole pipeline (issue 12): every artefact a run writes is truncated,
bit-flipped or deleted, and every command that reads it must end without a traceback: exit 0
(with at most one-line warnings) or exit 2 with one line. Files the command did not need to
change survive it.

One tiny run is trained (and exported) once for the module; each case damages a copy. The
``ganzoo`` commands run in this process through the entry point ``python -m ganzoo`` calls
(`_faults.in_process`), which spares each case a TensorFlow import of its own; one damage per
command also runs in a new process, as a user runs it, for the real entry point's exit status
and stderr. ``ganzoo-edge`` always runs in a new process: it imports no TensorFlow, and its
runtimes read the damaged models in native code, where a crash would end the test session.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import ganzoo
from _faults import (DAMAGES, Result, assert_no_crash, command, copy_run, digests, environment,
                     in_process, user_environment)
from ganzoo.runs import LOCK, Run

# 2.5 min on 2 cores, 9 with a process per case (measured under nice beside a benchmark);
# 35 s of it trains eval's feature network, once, into the module's cache.
pytestmark = pytest.mark.slow

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

COMMANDS = ("sample", "eval", "export", "resume")  # ganzoo's; "edge" is ganzoo-edge's
# Each of COMMANDS also meets this damage in a new process: it reads a checkpoint in native code.
IN_A_NEW_PROCESS = ("flipped", "checkpoint-index")


def cases(*commands: str):
    for artefact, (_, readers) in ARTEFACTS.items():
        for damage in DAMAGES:
            for reader in readers:
                if reader in commands:
                    yield pytest.param(artefact, damage, reader,
                                       id=f"{damage}-{artefact}-{reader}")


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    run = ganzoo.train("dcgan", steps=STEPS, checkpoint_every=1, batch_size=8, progress=False,
                       out=tmp_path_factory.mktemp("runs")).path
    ganzoo.export(run, formats="onnx,tflite", repeats=1, progress=False)
    return run


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> str:
    # eval's feature network is trained once into a cache shared by the module's cases.
    return str(tmp_path_factory.mktemp("cache"))


def damaged_copy(pristine: Path, into: Path, artefact: str, damage: str) -> Path:
    run = copy_run(pristine, into)
    DAMAGES[damage](run / ARTEFACTS[artefact][0])
    return run


def arguments(reader: str, run: Path, scratch: Path) -> list:
    return {
        "sample": ["sample", run, "--n", "4", "--out", scratch / "grid.png"],
        "eval": ["eval", run, "--n", "64"],
        "export": ["export", run, "--format", "onnx", "--repeats", "1", "--out",
                   scratch / "export"],
        "resume": ["train", "--resume", run, "--steps", str(STEPS + 1), "--quiet"],
    }[reader]


def assert_survived(result: Result, reader: str, run: Path, before: dict[str, str]) -> None:
    assert_no_crash(result)
    lines = result.lines()
    if result.code == 0:  # (eval also reports its progress on stderr)
        warned = [line for line in lines if "warning" in line.lower()]
        assert all(line.startswith("ganzoo") for line in warned), result.err
    else:
        assert result.code == 2 and len(lines) == 1 and ": error: " in lines[0], result.err
    if reader != "resume":
        assert digests(run) == before  # readers never write into the run
        return
    if result.code == 0:
        Run.open(run).load_generator()
    else:
        assert digests(run) == before  # a refused resume changes nothing
    if (run / LOCK).exists():  # training took the run: it let go of it
        with Run.open(run).lock():
            pass


@pytest.mark.parametrize("artefact, damage, reader", cases(*COMMANDS))
def test_no_damage_makes_a_command_crash(pristine, cache, tmp_path, monkeypatch, capfd,
                                         artefact, damage, reader):
    run = damaged_copy(pristine, tmp_path, artefact, damage)
    before = digests(run)
    user_environment(monkeypatch, GANZOO_CACHE=cache)
    monkeypatch.chdir(tmp_path)
    result = in_process(capfd, *arguments(reader, run, tmp_path))
    assert_survived(result, reader, run, before)


@pytest.mark.parametrize("reader", COMMANDS)
def test_no_damage_makes_a_command_crash_in_a_new_process(pristine, cache, tmp_path, reader):
    damage, artefact = IN_A_NEW_PROCESS
    run = damaged_copy(pristine, tmp_path, artefact, damage)
    before = digests(run)
    result = command("ganzoo", *arguments(reader, run, tmp_path),
                     env=environment(GANZOO_CACHE=cache))
    assert_survived(result, reader, run, before)


@pytest.mark.parametrize("artefact, damage, reader", cases("edge"))
def test_no_damaged_export_makes_ganzoo_edge_crash(pristine, tmp_path, artefact, damage,
                                                   reader):
    run = damaged_copy(pristine, tmp_path, artefact, damage)
    before = digests(run)
    result = command("ganzoo-edge", run / ARTEFACTS[artefact][0], "--n", "4", "--out",
                     tmp_path / "edge.png", env=environment())
    assert_survived(result, reader, run, before)
