"""User-facing errors: each says what was wrong, the value received and what was expected.

The CLI prints a `GanzooError` as one line without a traceback and exits with status 2.
"""

from __future__ import annotations

import difflib
import errno
from collections.abc import Iterable


def did_you_mean(name: str, choices: Iterable[str], n: int = 3) -> str:
    """``"Did you mean 'a' or 'b'?"`` for the choices close to `name`; empty if none is."""
    close = difflib.get_close_matches(name, list(choices), n=n, cutoff=0.6)
    return ("Did you mean " + " or ".join(repr(c) for c in close) + "?") if close else ""


class GanzooError(Exception):
    """Base class of every error caused by the user's input rather than by a bug."""

    exit_code = 2


class UnknownNameError(GanzooError, KeyError):
    """A name (architecture, loss, dataset) that no installed plugin provides."""

    def __init__(self, kind: str, name: str, available: Iterable[str], hint: str = "") -> None:
        self.kind, self.name, self.available = kind, name, sorted(available)
        message = f"Unknown {kind} {name!r}."
        close = did_you_mean(name, self.available)
        if close:
            message += " " + close
        message += " Available: " + (", ".join(self.available) or "none") + "."
        if hint:
            message += " " + hint
        super().__init__(message)

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return self.args[0]


class DuplicateNameError(GanzooError):
    """Two plugins provide the same name, so choosing one would be a guess."""


class PluginError(GanzooError):
    """A plugin broke the contract (wrong return type, failed to load, ...)."""


class UnsupportedImageShapeError(GanzooError):
    """An architecture cannot build models for the requested image shape."""


class DataError(GanzooError):
    """A data source is missing, empty, unreadable or inconsistent with the architecture."""


class RunError(GanzooError):
    """A run directory is missing, incomplete or cannot be continued as asked."""


class TrainingDivergedError(GanzooError):
    """A loss became NaN or infinite; the last good checkpoint is kept."""

    exit_code = 1


class RunLockedError(RunError):
    """Another process is training the run; two writers would interleave its checkpoints."""


class DiskFullError(GanzooError):
    """The disk (or the quota) filled up while ganzoo wrote a run or an export; what was
    complete before (the last checkpoint, the exported files before) stays complete."""


def is_disk_full(error: BaseException | None) -> bool:
    """Whether `error`, or an error it was raised from, says the disk or the quota is full."""
    while error is not None:
        if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        # TensorFlow's file writers report ENOSPC as an OpError carrying only strerror's text.
        if "No space left on device" in str(error) or "Disk quota exceeded" in str(error):
            return True
        error = error.__cause__ or error.__context__
    return False
