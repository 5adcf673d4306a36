"""Export a trained generator to SavedModel, LiteRT (TFLite) and ONNX, and prove each file.

``ganzoo.export(run)`` (the function `export`) writes the files, checks each against the Keras
generator, times it in its own runtime and returns an `ExportReport`; the command line form is
``ganzoo export RUN``. `FORMATS` is the one table of what each format is and takes: every
`ExportFormatSpec` registered through the ``ganzoo_export_formats`` hook, the built-in ones
(`ganzoo.exporting.formats`) included.

The package is named ``exporting`` (as ``training`` beside ``ganzoo.train`` and ``sampling``
beside ``ganzoo.sample``) so that ``ganzoo.export`` stays the function.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ganzoo.exporting._errors import ExportError, ExportWarning
from ganzoo.exporting._formats import FORMATS, formats_table
from ganzoo.exporting._report import ExportedFile, ExportReport

if TYPE_CHECKING:
    from ganzoo.exporting._export import export

__all__ = [
    "FORMATS",
    "ExportError",
    "ExportReport",
    "ExportWarning",
    "ExportedFile",
    "export",
    "formats_table",
]


def __getattr__(name: str):
    # The format plugins (ganzoo.exporting.formats) import this package, and `ganzoo list`
    # imports them; the exporter's own imports (numpy, the runtimes) wait until it is used.
    if name == "export":
        from ganzoo.exporting._export import export

        return export
    raise AttributeError(f"module 'ganzoo.exporting' has no attribute {name!r}")
