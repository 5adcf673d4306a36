"""Export a trained generator to SavedModel, LiteRT (TFLite) and ONNX, and prove each file.

`FORMATS` is the one table of what each format is and takes; `export` writes the files, checks
each against the Keras generator, times it in its own runtime and returns an `ExportReport`.
The command line form is ``ganzoo export RUN``.

This package is itself callable: ``ganzoo.export(run)`` is ``ganzoo.export.export(run)``.
"""

from __future__ import annotations

import sys
import types

from ganzoo.export._errors import ExportError, ExportWarning
from ganzoo.export._export import export
from ganzoo.export._formats import FORMATS, Format, Precision
from ganzoo.export._report import ExportedFile, ExportReport

__all__ = [
    "FORMATS",
    "ExportError",
    "ExportReport",
    "ExportWarning",
    "ExportedFile",
    "Format",
    "Precision",
    "export",
]


class _CallablePackage(types.ModuleType):
    # Importing this package makes it the attribute `export` of `ganzoo`, which hides the
    # function `ganzoo.export` that the public API promises; calling the package keeps it.
    # A static method adds no frame, so warnings still point at the caller's line.
    __call__ = staticmethod(export)


sys.modules[__name__].__class__ = _CallablePackage
