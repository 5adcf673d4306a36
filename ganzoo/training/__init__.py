"""The shared trainer: one training step for every architecture, the session it trains, the
short loop around it and the callbacks that do everything else."""

from __future__ import annotations

__all__ = ["Callback", "GanStep", "TrainResult", "TrainingSession", "train"]


def __getattr__(name: str):
    # Importing TensorFlow takes seconds; `ganzoo train --help` reads only ganzoo.training.runtime.
    if name == "GanStep":
        from ganzoo.training.step import GanStep

        return GanStep
    if name in ("TrainResult", "train"):
        from ganzoo.training import trainer

        return getattr(trainer, name)
    if name == "TrainingSession":
        from ganzoo.training.session import TrainingSession

        return TrainingSession
    if name == "Callback":
        from ganzoo.plugin import Callback

        return Callback
    raise AttributeError(f"module 'ganzoo.training' has no attribute {name!r}")
