"""Helpers shared by the hardening and fault-injection tests: run the real commands in a
subprocess, damage files, and fingerprint a run's files to prove intact ones survive."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

# Python's, TensorFlow's and absl's ways of reporting a crash rather than a user error.
CRASH_MARKERS = ("Traceback (most recent call last)", "Fatal Python error", "Check failed")


@dataclass
class Result:
    code: int
    out: str
    err: str

    def lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("TF_CPP_MIN_LOG_LEVEL", "GANZOO_VERBOSE")}
    env.update(GANZOO_OFFLINE="1", **extra)
    return env


def command(program: str, *argv: str | os.PathLike, env: dict[str, str] | None = None,
            timeout: float = 600) -> Result:
    """Run ``ganzoo ARGV`` (or ``ganzoo-edge``) as a user would: a new process, its own stderr."""
    module = {"ganzoo": "ganzoo", "ganzoo-edge": "ganzoo_edge"}[program]
    done = subprocess.run([sys.executable, "-m", module, *map(str, argv)], capture_output=True,
                          text=True, env=env or environment(), timeout=timeout)
    return Result(done.returncode, done.stdout, done.stderr)


def ganzoo(*argv: str | os.PathLike, **options) -> Result:
    return command("ganzoo", *argv, **options)


def assert_no_crash(result: Result) -> None:
    for marker in CRASH_MARKERS:
        assert marker not in result.err, result.err


def assert_one_line_error(result: Result, *expected: str) -> None:
    assert_no_crash(result)
    assert result.code == 2, result.err
    [line] = result.lines()
    assert "error:" in line
    for text in expected:
        assert text in line, line


def copy_run(run: Path, into: Path) -> Path:
    copy = into / run.name
    shutil.copytree(run, copy, ignore=shutil.ignore_patterns(".lock"))
    return copy


def digests(folder: Path) -> dict[str, str]:
    """sha256 of every file under `folder`, by relative path; the run's lock file, which any
    training creates to take the lock, is not part of the run."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != ".lock"}


def truncate(path: Path) -> None:
    with open(path, "r+b") as handle:
        handle.truncate(path.stat().st_size // 2)


def flip(path: Path) -> None:
    """Flip one bit in the middle of the file, as a failing disk or a bad copy would."""
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x10
    path.write_bytes(bytes(data))


def delete(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink()


DAMAGES = {"truncated": truncate, "flipped": flip, "deleted": delete}
