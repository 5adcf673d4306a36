"""What differs between Linux, macOS and Windows: the run lock and the CPU check behind
``--precision auto``. The suite runs on Linux; the other systems are simulated here by hiding
``fcntl`` and by faking what `platform` and the files report."""

from __future__ import annotations

import errno
import fcntl
import os
import sys
import types

import pytest

import ganzoo
from ganzoo import _oslock
from ganzoo.errors import RunError, RunLockedError
from ganzoo.runs import Run
from ganzoo.training import runtime


class WindowsLocks(types.ModuleType):
    """`msvcrt.locking` as Windows behaves, on Linux: a byte taken with LK_NBLCK by one open file
    is refused to any other (EACCES) until LK_UNLCK. Backed by the real flock, which, like
    Windows, locks per open file even within one process."""

    LK_UNLCK, LK_LOCK, LK_NBLCK = 0, 1, 2

    def __init__(self) -> None:
        super().__init__("msvcrt")
        self.calls: list[tuple[str, int]] = []

    def locking(self, fd: int, mode: int, nbytes: int) -> None:
        where = os.lseek(fd, 0, os.SEEK_CUR)
        assert nbytes == 1
        if mode == self.LK_UNLCK:
            self.calls.append(("unlock", where))
            fcntl.flock(fd, fcntl.LOCK_UN)
            return
        assert mode == self.LK_NBLCK
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.calls.append(("refused", where))
            raise PermissionError(errno.EACCES, "Permission denied") from None
        self.calls.append(("lock", where))


@pytest.fixture
def windows(monkeypatch) -> WindowsLocks:
    """No fcntl to import, as on Windows, and msvcrt in its place."""
    msvcrt = WindowsLocks()
    monkeypatch.setitem(sys.modules, "fcntl", None)  # None makes `import fcntl` fail
    monkeypatch.setitem(sys.modules, "msvcrt", msvcrt)
    return msvcrt


@pytest.fixture
def run_dir(tmp_path) -> Run:
    return Run(tmp_path, config=None)  # the lock uses only the folder


def test_without_fcntl_a_short_training_holds_and_releases_the_windows_lock(windows,
                                                                            tmp_path):
    result = ganzoo.train("mlp-gan", steps=2, data="digits", batch_size=8, progress=False,
                          out=tmp_path)
    assert result.step == 2 and result.run.checkpoint_steps() == [2]
    byte = _oslock.WINDOWS_LOCK_BYTE
    assert windows.calls == [("lock", byte), ("unlock", byte)]


def test_without_fcntl_a_second_writer_is_refused_naming_the_holder_until_it_lets_go(
        windows, run_dir):
    with run_dir.lock():
        # The pid line lies before the locked byte, so the refused process can read it.
        with pytest.raises(RunLockedError, match=rf"another process \(pid {os.getpid()}\b"):
            with Run(run_dir.path, config=None).lock():
                pass
    with Run(run_dir.path, config=None).lock():
        pass
    assert [call for call, _ in windows.calls] == ["lock", "refused", "unlock", "lock", "unlock"]


def test_with_fcntl_the_lock_is_flock_and_msvcrt_is_never_touched(monkeypatch, run_dir):
    untouched = WindowsLocks()
    monkeypatch.setitem(sys.modules, "msvcrt", untouched)
    with run_dir.lock():
        with pytest.raises(RunLockedError, match=rf"pid {os.getpid()}\b"):
            with Run(run_dir.path, config=None).lock():
                pass
    assert untouched.calls == []


def test_with_neither_fcntl_nor_msvcrt_the_lock_is_refused_naming_the_platform(monkeypatch,
                                                                               run_dir):
    monkeypatch.setitem(sys.modules, "fcntl", None)
    monkeypatch.setitem(sys.modules, "msvcrt", None)
    with pytest.raises(RunError, match=rf"neither fcntl nor msvcrt.*sys\.platform="
                                       rf"'{sys.platform}'") as raised:
        with run_dir.lock():
            pass
    assert "\n" not in str(raised.value)


X86_CPUINFO = ("processor\t: 0\nvendor_id\t: GenuineIntel\n"
               "flags\t\t: fpu sse2 avx2 avx512f {extra}\n\nprocessor\t: 1\n")
ARM_CPUINFO = "processor\t: 0\nBogoMIPS\t: 2100.00\nFeatures\t: fp asimd sve {extra}\n"


@pytest.fixture
def cpu_only(monkeypatch):
    monkeypatch.setattr(runtime, "_gpu_compute_capabilities", lambda: [])


@pytest.mark.parametrize("cpuinfo, chosen", [
    (X86_CPUINFO.format(extra="avx512_bf16"), "mixed_bfloat16"),
    (X86_CPUINFO.format(extra="amx_bf16 amx_tile"), "mixed_bfloat16"),
    (X86_CPUINFO.format(extra="avx512_vnni"), "float32"),
    (ARM_CPUINFO.format(extra="bf16 i8mm"), "float32"),
    ("", "float32")],
    ids=["x86-avx512-bf16", "x86-amx", "x86-without-bf16", "arm-bf16-unmeasured", "empty"])
def test_on_linux_auto_precision_reads_proc_cpuinfo(monkeypatch, tmp_path, cpu_only, cpuinfo,
                                                     chosen):
    monkeypatch.setattr(runtime.platform, "system", lambda: "Linux")
    (tmp_path / "cpuinfo").write_text(cpuinfo)
    monkeypatch.setattr(runtime, "_CPUINFO", str(tmp_path / "cpuinfo"))
    assert runtime.check_precision("auto") == chosen


def test_on_linux_without_proc_auto_precision_is_float32(monkeypatch, tmp_path, cpu_only):
    monkeypatch.setattr(runtime.platform, "system", lambda: "Linux")
    monkeypatch.setattr(runtime, "_CPUINFO", str(tmp_path / "missing"))
    assert runtime.check_precision("auto") == "float32"


@pytest.mark.parametrize("system", ["Darwin", "Windows"])
def test_on_macos_and_windows_a_cpu_gets_float32_without_reading_linux_files(
        monkeypatch, tmp_path, cpu_only, system):
    # An AVX512_BF16 cpuinfo where the code must not look: only Linux reads it.
    (tmp_path / "cpuinfo").write_text(X86_CPUINFO.format(extra="avx512_bf16"))
    monkeypatch.setattr(runtime, "_CPUINFO", str(tmp_path / "cpuinfo"))
    monkeypatch.setattr(runtime.platform, "system", lambda: system)
    assert runtime.check_precision("auto") == "float32"


def test_on_any_system_a_gpu_decides_before_the_cpu(monkeypatch):
    monkeypatch.setattr(runtime, "_gpu_compute_capabilities", lambda: [(8, 6)])
    for system in ("Linux", "Darwin", "Windows"):
        monkeypatch.setattr(runtime.platform, "system", lambda: system)
        assert runtime.check_precision("auto") == "mixed_bfloat16"
