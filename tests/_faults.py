"""Helpers shared by the hardening and fault-injection tests: run the real commands (in a new
process, or in this one through the same entry point), damage files, and fingerprint a run's
files to prove intact ones survive."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import traceback
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import keras
import pytest

# Python's, TensorFlow's and absl's ways of reporting a crash rather than a user error.
CRASH_MARKERS = ("Traceback (most recent call last)", "Fatal Python error", "Check failed")

# What a user's shell has: offline, and neither the suite's quiet TensorFlow nor a verbose switch.
_USER_SETS = {"GANZOO_OFFLINE": "1"}
_USER_UNSETS = ("TF_CPP_MIN_LOG_LEVEL", "GANZOO_VERBOSE")

# The interpreter's own filters (https://docs.python.org/3/library/warnings.html
# #default-warning-filter): what a new process starts from, where pytest records every warning.
_PYTHON_DEFAULT_FILTERS = (("default", DeprecationWarning, "__main__"),
                           ("ignore", DeprecationWarning, ""),
                           ("ignore", PendingDeprecationWarning, ""),
                           ("ignore", ImportWarning, ""), ("ignore", ResourceWarning, ""))

# TensorFlow's native ERROR log lines ("E0000 00:00:1796072287.013088 10705 node_def_util.cc:682]
# ..."): a new ganzoo process sets TF_CPP_MIN_LOG_LEVEL=3 before importing TensorFlow, which
# reads it once, so never prints them; this process imported it at the suite's level 2.
_NATIVE_ERROR_LOG = re.compile(r"E\d{4} \d\d:\d\d:\d\d")


@dataclass
class Result:
    code: int
    out: str
    err: str

    def lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _USER_UNSETS}
    env.update(_USER_SETS, **extra)
    return env


def user_environment(monkeypatch: pytest.MonkeyPatch, **extra: str) -> None:
    """`environment` for commands run in this process (`in_process`), undone after the test.

    TF_CPP_MIN_LOG_LEVEL stays: TensorFlow read it once, when the suite imported it."""
    monkeypatch.delenv("GANZOO_VERBOSE", raising=False)
    for name, value in {**_USER_SETS, **extra}.items():
        monkeypatch.setenv(name, value)


def command(program: str, *argv: str | os.PathLike, env: dict[str, str] | None = None,
            timeout: float = 600) -> Result:
    """Run ``ganzoo ARGV`` (or ``ganzoo-edge``) as a user would: a new process, its own stderr."""
    module = {"ganzoo": "ganzoo", "ganzoo-edge": "ganzoo_edge"}[program]
    done = subprocess.run([sys.executable, "-m", module, *map(str, argv)], capture_output=True,
                          text=True, env=env or environment(), timeout=timeout)
    return Result(done.returncode, done.stdout, done.stderr)


def in_process(capfd: pytest.CaptureFixture[str], *argv: str | os.PathLike) -> Result:
    """Run ``ganzoo ARGV`` through `ganzoo.cli.main`, the entry point ``python -m ganzoo``
    calls, in this process (no TensorFlow import per command), and read what a user's terminal
    would show: Python's and the native stderr, warnings and log records printed as a new
    process prints them, less what a new process does not print (the chatter its stderr filter
    drops, TensorFlow's native error log).

    An exception escaping `main` is printed as the interpreter would print it (a crash for
    `assert_no_crash`); the command must leave this process's state as it found it.
    Set the environment first with `user_environment`.
    """
    from ganzoo.cli import _quiet, main

    capfd.readouterr()
    with _as_in_a_new_process(), _unchanged_process_state():
        try:
            code = main([str(arg) for arg in argv])
        except SystemExit as exit_:
            code = _exit_status(exit_.code)
        except Exception:  # a crash, which the caller checks for
            traceback.print_exc()
            code = 1
    captured = capfd.readouterr()
    err = "".join(line for line in captured.err.splitlines(keepends=True)
                  if not (_quiet._CHATTER.match(line) or _NATIVE_ERROR_LOG.match(line)))
    return Result(code, captured.out, err)


def _exit_status(code: object) -> int:
    # As the interpreter turns ``sys.exit(code)`` into the status of the process.
    if code is None or isinstance(code, int):
        return code or 0
    print(code, file=sys.stderr)
    return 1


@contextmanager
def _as_in_a_new_process() -> Iterator[None]:
    """Warnings and log records reach stderr as they would in a new process; pytest records
    warnings and keeps log records in handlers of its own on the root logger."""
    root = logging.getLogger()
    handlers = {logger: logger.handlers[:] for logger in _loggers()}
    with warnings.catch_warnings():
        warnings.resetwarnings()
        for action, category, module in reversed(_PYTHON_DEFAULT_FILTERS):
            warnings.filterwarnings(action, category=category, module=module)
        warnings.showwarning = _print_warning
        root.handlers = []  # as in a new process: records nobody handles go to stderr
        try:
            yield
        finally:
            # A handler made meanwhile would hold this command's stderr, closed once the test
            # ends, and write the next command's records there.
            for logger in _loggers():
                logger.handlers = handlers.get(logger, [])


def _loggers() -> list[logging.Logger]:
    return [logging.getLogger(), *(logger for logger in logging.root.manager.loggerDict.values()
                                   if isinstance(logger, logging.Logger))]


def _print_warning(message, category, filename, lineno, file=None, line=None) -> None:
    # The interpreter's own way, through the warnings.formatwarning of the moment (ganzoo's).
    sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


@contextmanager
def _unchanged_process_state() -> Iterator[None]:
    """Fail if a command leaves behind what would change the next one run in this process."""
    def state() -> dict[str, object]:
        # Less TF_CPP_MIN_LOG_LEVEL, which tf2onnx sets when first imported (by the first
        # export), and TensorFlow, imported long before, does not read again.
        environment = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
        return {"environment": environment, "working directory": os.getcwd(),
                "dtype policy": keras.config.dtype_policy().name,
                "float type": keras.config.floatx(),
                "signal handlers": [signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)],
                "warning format": warnings.formatwarning,
                "streams": (sys.stdin, sys.stdout, sys.stderr)}

    before = state()
    yield
    after = state()
    changed = [name for name in before if before[name] != after[name]]
    assert not changed, f"the command changed this process's {', '.join(changed)}"


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
