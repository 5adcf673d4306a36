"""The shared trainer: one training step for every architecture, and the loop around it."""

from ganzoo.training.step import GanStep
from ganzoo.training.trainer import TrainResult, train

__all__ = ["GanStep", "TrainResult", "train"]
