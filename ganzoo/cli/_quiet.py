"""A quiet command line: TensorFlow's start-up chatter is kept out unless asked for (issue 12).

Importing TensorFlow prints oneDNN and CUDA notices through absl's C++ logging before any log
level is read, and the TFLite converter and interpreter print their own notices, so no
environment variable silences them all. The command's native stderr (file descriptor 2) is
therefore passed through a small filter process that drops those notices and forwards every
other line; a filter *process* rather than a thread, so that whatever a crashing process wrote
last still reaches the terminal. Python's own stderr (ganzoo's messages, the progress bar,
tracebacks) bypasses the filter. Real failures reach ganzoo as Python exceptions, so nothing a
user needs is lost; ``--verbose`` (or ``GANZOO_VERBOSE=1``) shows everything.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

VERBOSE_FLAG = "--verbose"
VERBOSE_VARIABLE = "GANZOO_VERBOSE"

# absl's preamble, INFO and WARNING lines ("I0000 00:00:1796047320.816398 7072 port.cc:153]"),
# the CUDA probes' ERROR lines on a machine without a GPU driver, TFLite's INFO lines ("INFO:
# Created TensorFlow Lite XNNPACK delegate for CPU.") and the TFLite converter's settings.
_CHATTER = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\)"
    r"|[IW]\d{4} \d\d:\d\d:\d\d"
    r"|INFO: |fully_quantize: |Estimated count of arithmetic ops"
    r"|E\d{4} \d\d:\d\d:\d\d.*\b(cuInit|CUDA|cuda|cuDNN|cuFFT|cuBLAS)\b"
    r"|.*(oneDNN custom operations|Could not find cuda drivers|TF-TRT Warning"
    r"|This TensorFlow binary is optimized|rebuild TensorFlow with the appropriate))")

# Python warnings these libraries raise about their own internals, not about the user's run.
_LIBRARIES = r"(tensorflow|keras|tf_keras|tf2onnx|onnx|onnxruntime|absl|google\.protobuf|h5py)"


def verbose(argv: Sequence[str]) -> bool:
    """Whether the user asked for everything: ``--verbose`` anywhere, or GANZOO_VERBOSE=1."""
    return VERBOSE_FLAG in argv or os.environ.get(VERBOSE_VARIABLE, "") not in ("", "0")


def configure(loud: bool) -> None:
    """Set TensorFlow's and absl's log levels; must run before TensorFlow is first imported."""
    if loud:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    for name in ("tensorflow", "absl", "tf2onnx", "h5py"):
        logging.getLogger(name).setLevel(logging.ERROR)
    for category in (DeprecationWarning, PendingDeprecationWarning, FutureWarning, UserWarning):
        warnings.filterwarnings("ignore", category=category, module=_LIBRARIES)


@contextmanager
def native_stderr_filtered(loud: bool) -> Iterator[None]:
    """Filter the chatter out of everything written to file descriptor 2 while inside."""
    if loud:
        yield
        return
    sys.stderr.flush()
    terminal = os.dup(2)
    try:
        child = subprocess.Popen([sys.executable, "-c", _FILTER, _CHATTER.pattern],
                                 stdin=subprocess.PIPE, stdout=terminal)
    except OSError:  # no filter is better than no command
        os.close(terminal)
        yield
        return
    previous = sys.stderr
    os.dup2(child.stdin.fileno(), 2)
    child.stdin.close()
    sys.stderr = open(os.dup(terminal), "w", buffering=1, encoding=previous.encoding,
                      errors="backslashreplace")
    try:
        yield
    finally:
        sys.stderr.flush()
        sys.stderr.close()
        sys.stderr = previous
        os.dup2(terminal, 2)  # closes the filter's input, so it ends once it has forwarded all
        os.close(terminal)
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()


_FILTER = """
import re, sys
chatter = re.compile(sys.argv[1])
for line in sys.stdin.buffer:
    if not chatter.match(line.decode("utf-8", "replace")):
        sys.stdout.buffer.write(line)
        sys.stdout.buffer.flush()
"""
