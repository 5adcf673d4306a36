"""SavedModel: a ``serving_default`` signature, the metadata as an asset and a function."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from ganzoo.export import _metadata
from ganzoo.export._errors import ExportError
from ganzoo.export._formats import Target
from ganzoo.export._serving import Serving


def write(serving: Serving, target: Target, metadata: dict[str, Any], calibration=None) -> None:
    import tensorflow as tf

    text = _metadata.dumps(metadata)
    module = serving.trackable()
    module.serve = serving.function
    module.metadata = tf.function(lambda: tf.constant(text), input_signature=[])
    with tempfile.TemporaryDirectory() as scratch:
        asset = Path(scratch) / _metadata.FILENAME
        asset.write_text(text, encoding="utf-8")
        module.metadata_file = tf.saved_model.Asset(str(asset))
        partial = target.path.with_name(f".{target.path.name}.tmp")
        shutil.rmtree(partial, ignore_errors=True)
        try:
            tf.saved_model.save(module, str(partial),
                                signatures={"serving_default": serving.concrete})
        except Exception as error:  # whatever a layer's tracking or serialization raises
            shutil.rmtree(partial, ignore_errors=True)
            raise ExportError(f"Format 'savedmodel' could not save the generator: "
                              f"{type(error).__name__}: {error}") from error
    # A folder cannot be replaced atomically; a crash between these two lines leaves no model
    # rather than half of one.
    shutil.rmtree(target.path, ignore_errors=True)
    partial.rename(target.path)


def runner(path: Path, threads: int | None = None):
    """Call the ``serving_default`` signature with numpy inputs; return the image as numpy."""
    import tensorflow as tf

    signature = tf.saved_model.load(str(path)).signatures["serving_default"]

    def run(inputs: dict[str, np.ndarray]) -> np.ndarray:
        return signature(**{k: tf.constant(v) for k, v in inputs.items()})["image"].numpy()

    return run


def read_metadata(path: Path) -> dict[str, Any] | None:
    asset = Path(path) / "assets" / _metadata.FILENAME
    return json.loads(asset.read_text(encoding="utf-8")) if asset.is_file() else None


def size(path: Path) -> int:
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())
