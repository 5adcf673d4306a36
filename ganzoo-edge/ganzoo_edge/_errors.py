"""The one error type of the edge runner."""

from __future__ import annotations


class EdgeError(Exception):
    """A file, option or label the runner cannot use; the command line exits with status 2."""

    exit_code = 2
