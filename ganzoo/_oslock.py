"""The operating system's exclusive lock on an open file, on POSIX and on Windows.

A run is kept to one writer by a lock the operating system holds for the process (`Run.lock`),
so it is released whenever that process ends, even when it is killed, and no stale lock file
is ever left to clean up. POSIX systems (Linux, macOS) have ``fcntl.flock``; Windows has
``msvcrt.locking``, a lock on a byte range.

Not the ``filelock`` package: it truncates the lock file on every attempt, so the process that
is refused would erase the holder's pid that its error message names, and where neither system
lock exists it falls back to a file whose mere existence is the lock, which a killed training
leaves behind.
"""

from __future__ import annotations

import errno
import sys
from collections.abc import Callable
from typing import IO

from ganzoo.errors import RunError

# Windows locks are mandatory: another process cannot read a locked byte. The lock is therefore
# taken on one byte far past the holder's pid line, so the refused process can still read and
# name the holder. Windows allows locking bytes past the end of a file.
WINDOWS_LOCK_BYTE = 1 << 20


def lock(handle: IO) -> Callable[[], None] | None:
    """Take the exclusive lock on the open file `handle` without waiting.

    Returns the function that releases it, or None when another open file (in any process)
    holds it. Closing `handle` also releases it.
    """
    try:
        import fcntl
    except ImportError:
        return _lock_windows(handle)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return None
    return lambda: None  # flock's lock goes with the file: closing the handle releases it


def _lock_windows(handle: IO) -> Callable[[], None] | None:
    try:
        import msvcrt
    except ImportError:
        raise RunError(f"This platform has no file lock ganzoo can use (neither fcntl nor "
                       f"msvcrt) to keep a run to one writer. Received: sys.platform="
                       f"{sys.platform!r}.") from None
    handle.seek(WINDOWS_LOCK_BYTE)
    try:
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
    except OSError as error:
        # LK_NBLCK fails at once with EACCES when another handle holds the byte.
        if error.errno in (errno.EACCES, errno.EDEADLK):
            return None
        raise

    def release() -> None:
        # Windows documents the release of a lock left at close as timing-dependent.
        handle.seek(WINDOWS_LOCK_BYTE)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)

    return release
