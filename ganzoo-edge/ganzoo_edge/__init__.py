"""Draw images from a ganzoo generator exported to ONNX or TFLite.

Needs only numpy, Pillow and onnxruntime (``.onnx``) or ai-edge-litert (``.tflite``); never
TensorFlow. The metadata that ``ganzoo export`` embeds in each file says what the generator
takes and gives::

    import ganzoo_edge

    generator = ganzoo_edge.load("generator.onnx")
    images = generator.generate(16, seed=0)          # uint8 [16, H, W, C]
    ganzoo_edge.grid(images).save("grid.png")

`ganzoo_edge.runtimes` runs the files and reads their metadata; ganzoo's exporter checks its
files with the same code.
"""

from __future__ import annotations

from ganzoo_edge._errors import EdgeError
from ganzoo_edge._model import Generator, label_index, load
from ganzoo_edge.images import grid, grid_columns, to_uint8

__version__ = "0.2.0"

__all__ = ["EdgeError", "Generator", "__version__", "grid", "grid_columns", "label_index", "load",
           "to_uint8"]
