"""SavedModel: a ``serving_default`` signature, the metadata as an asset and a function."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganzoo.exporting._errors import ExportError
from ganzoo.plugin import ExportFormatSpec, ExportJob, hookimpl

if TYPE_CHECKING:
    import numpy as np


def write(job: ExportJob) -> None:
    import tensorflow as tf

    from ganzoo.exporting import _metadata

    text = _metadata.dumps(job.metadata)
    module = job.variables_module()
    module.serve = job.function
    module.metadata = tf.function(lambda: tf.constant(text), input_signature=[])
    with tempfile.TemporaryDirectory() as scratch:
        asset = Path(scratch) / _metadata.FILENAME
        asset.write_text(text, encoding="utf-8")
        module.metadata_file = tf.saved_model.Asset(str(asset))
        try:
            tf.saved_model.save(module, str(job.path),
                                signatures={"serving_default": job.concrete})
        except Exception as error:  # whatever a layer's tracking or serialization raises
            raise ExportError(f"Format 'savedmodel' could not save the generator: "
                              f"{type(error).__name__}: {error}") from error


def runner(path: Path, threads: int | None = None):
    """Call the ``serving_default`` signature with numpy inputs; return the image as numpy."""
    import tensorflow as tf

    signature = tf.saved_model.load(str(path)).signatures["serving_default"]

    def run(inputs: dict[str, np.ndarray]) -> np.ndarray:
        return signature(**{k: tf.constant(v) for k, v in inputs.items()})["image"].numpy()

    return run


def read_metadata(path: Path) -> dict[str, Any] | None:
    from ganzoo.exporting import _metadata

    asset = Path(path) / "assets" / _metadata.FILENAME
    return json.loads(asset.read_text(encoding="utf-8")) if asset.is_file() else None


SAVEDMODEL = ExportFormatSpec(
    "savedmodel", suffix="_savedmodel", runtime="TensorFlow", write=write, runner=runner,
    read_metadata=read_metadata,
    summary="TensorFlow SavedModel with a serving_default signature")


@hookimpl
def ganzoo_export_formats() -> list[ExportFormatSpec]:
    return [SAVEDMODEL]
