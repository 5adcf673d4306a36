"""Draw images from a ganzoo generator exported to ONNX or TFLite.

Needs only numpy, Pillow and onnxruntime (``.onnx``) or ai-edge-litert (``.tflite``); never
TensorFlow. The metadata that ``ganzoo export`` embeds in each file says what the generator
takes and gives::

    import ganzoo_edge

    generator = ganzoo_edge.load("generator.onnx")
    images = generator.generate(16, seed=0)          # uint8 [16, H, W, C]
    ganzoo_edge.grid(images).save("grid.png")
"""

from __future__ import annotations

from ganzoo_edge._images import grid, to_uint8
from ganzoo_edge._model import EdgeError, Generator, load

__version__ = "0.1.0"

__all__ = ["EdgeError", "Generator", "__version__", "grid", "load", "to_uint8"]
