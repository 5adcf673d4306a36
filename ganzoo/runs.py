"""Run directories: the configuration, checkpoints and outputs of one training run.

Layout::

    RUN/config.json        everything needed to rebuild the run (RunConfig)
    RUN/checkpoints/       tf.train checkpoints: models, optimizers, step, RNG state
    RUN/samples/           step-NNNNNN.png grids from one fixed latent batch
    RUN/metrics.jsonl      one JSON object per logging interval
    RUN/tensorboard/       the same scalars for TensorBoard
    RUN/generator.keras    the final generator (load with Keras safe mode)
    RUN/training.gif       the sample grids as an animation
    RUN/checkpoints/best/  with ``--eval-every``: the checkpoint with the lowest FID so far
    RUN/best.json          its step, FID and feature network
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganzoo.errors import RunError

if TYPE_CHECKING:
    import keras

    from ganzoo.registry import Registry

CONFIG = "config.json"
BEST = "best.json"


FIXED = "fixed"
"""A setting that shapes what a run learns: a resume that gives another value is refused."""
MAY_CHANGE = "may change"
"""A setting of how or how long a run computes: a resume may give a new value, which
``config.json`` then records as the latest used."""
RECORDED = "recorded"
"""Written by ganzoo (from the data, the architecture or the plugins), never given by the user."""


def _setting(resume: str, default: Any = dataclasses.MISSING, *, factory: Any = None):
    if factory is not None:
        return field(default_factory=factory, metadata={"resume": resume})
    return field(default=default, metadata={"resume": resume})


@dataclass
class RunConfig:
    """Everything a run was trained with; written once, read by resume, sample and export.

    Each field says what a resume may do with it (`resume_policy`): `FIXED`, `MAY_CHANGE` or
    `RECORDED`. docs/training.md's resume table is tested against it.
    """

    arch: str = _setting(FIXED)
    data: str = _setting(FIXED)
    image_size: int = _setting(FIXED)
    channels: int = _setting(FIXED)
    num_classes: int = _setting(RECORDED)
    latent_dim: int = _setting(FIXED)
    batch_size: int = _setting(FIXED)
    loss: str = _setting(FIXED)
    generator_lr: float = _setting(RECORDED)
    discriminator_lr: float = _setting(RECORDED)
    beta_1: float = _setting(RECORDED)
    beta_2: float = _setting(RECORDED)
    discriminator_steps: int = _setting(RECORDED)
    steps: int = _setting(MAY_CHANGE)
    seed: int = _setting(FIXED)
    sample_every: int = _setting(MAY_CHANGE)
    checkpoint_every: int = _setting(MAY_CHANGE)
    log_every: int = _setting(MAY_CHANGE)
    class_names: list[str] = _setting(RECORDED, factory=list)
    strict: bool = _setting(FIXED, False)
    # How a folder's images are read (ganzoo.data.folder). New runs record "white" and "crop";
    # these defaults are how runs made before the options existed read their folders (alpha
    # dropped, stretched), so that such a run resumes on the data it was trained on.
    background: str = _setting(FIXED, "none")
    fit: str = _setting(FIXED, "stretch")
    deterministic: bool = _setting(FIXED, True)
    # How the run computes (ganzoo.training.runtime) and how often it is measured.
    precision: str = _setting(MAY_CHANGE, "float32")
    xla: bool = _setting(MAY_CHANGE, False)
    strategy: str = _setting(MAY_CHANGE, "default")
    eval_every: int | None = _setting(MAY_CHANGE, None)
    # Decay of the generator weight average kept beside the trained weights; 0 (and runs made
    # before ganzoo kept one) means none.
    ema_decay: float = _setting(FIXED, 0.0)
    plugin: dict[str, Any] = _setting(RECORDED, factory=dict)
    ganzoo_version: str = _setting(RECORDED, "")
    # sha256 of the training images and labels as loaded; "" for runs made before it existed.
    data_fingerprint: str = _setting(RECORDED, "")

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return (self.image_size, self.image_size, self.channels)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> RunConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})


def resume_policy(name: str) -> str:
    """What a resume may do with the `RunConfig` field `name`: `FIXED`, `MAY_CHANGE` or
    `RECORDED`."""
    return next(f.metadata["resume"] for f in dataclasses.fields(RunConfig) if f.name == name)


def resume_policies() -> dict[str, str]:
    """`resume_policy` of every `RunConfig` field, in field order."""
    return {f.name: f.metadata["resume"] for f in dataclasses.fields(RunConfig)}


def write_atomic(path: Path, text: str) -> None:
    """Write a text file so that a crash leaves either the old or the new content, never half."""
    temporary = path.with_name(f".{path.name}.tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


class Run:
    """An existing run directory."""

    def __init__(self, path: Path, config: RunConfig) -> None:
        self.path = Path(path)
        self.config = config

    @classmethod
    def open(cls, path: str | os.PathLike) -> Run:
        path = Path(path)
        if not path.is_dir():
            raise RunError(f"Run directory {str(path)!r} does not exist. Give the directory that "
                           f"'ganzoo train' printed.")
        config_path = path / CONFIG
        if not config_path.is_file():
            raise RunError(f"{str(path)!r} is not a ganzoo run: it has no {CONFIG}. Give the "
                           f"directory that 'ganzoo train' printed.")
        try:
            config = RunConfig.from_dict(json.loads(config_path.read_text(encoding="utf-8")))
        except (json.JSONDecodeError, TypeError) as error:
            raise RunError(f"{str(config_path)!r} is not a valid run configuration: {error}.") \
                from error
        return cls(path, config)

    @property
    def checkpoint_dir(self) -> Path:
        return self.path / "checkpoints"

    @property
    def samples_dir(self) -> Path:
        return self.path / "samples"

    @property
    def metrics_path(self) -> Path:
        return self.path / "metrics.jsonl"

    @property
    def generator_path(self) -> Path:
        return self.path / "generator.keras"

    @property
    def animation_path(self) -> Path:
        return self.path / "training.gif"

    @property
    def best_checkpoint_dir(self) -> Path:
        return self.checkpoint_dir / "best"

    @property
    def best_path(self) -> Path:
        return self.path / BEST

    def best(self) -> dict[str, Any] | None:
        """What `best.json` says about the best checkpoint (step, fid, features), if any."""
        try:
            return json.loads(self.best_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return None

    def best_step(self) -> int:
        """Step of the checkpoint kept as the best by FID (``--eval-every``)."""
        return int(self._best_checkpoint().rsplit("-", 1)[1])

    def _best_checkpoint(self) -> str:
        import tensorflow as tf

        latest = tf.train.latest_checkpoint(str(self.best_checkpoint_dir))
        if latest is None:
            raise RunError(f"Run {str(self.path)!r} has no best checkpoint: it keeps one only "
                           f"when trained with --eval-every N (resume it with 'ganzoo train "
                           f"--resume {self.path} --eval-every N' to start keeping one).")
        return latest

    def checkpoint_steps(self) -> list[int]:
        """Steps of the checkpoints the checkpoint index lists, oldest first."""
        import tensorflow as tf

        state = tf.train.get_checkpoint_state(str(self.checkpoint_dir))
        if state is None:
            return []
        return [int(p.rsplit("-", 1)[1]) for p in state.all_model_checkpoint_paths]

    def checkpoint_path(self, step: int | str | None = None) -> str:
        """The checkpoint at `step`: None for the latest, ``"best"`` for the best by FID."""
        import tensorflow as tf

        if step == "best":
            return self._best_checkpoint()
        if step is None:
            latest = tf.train.latest_checkpoint(str(self.checkpoint_dir))
            if latest is None:
                raise RunError(f"Run {str(self.path)!r} has no checkpoint yet; train it first "
                               f"(or resume it with 'ganzoo train --resume {self.path}').")
            return latest
        steps = self.checkpoint_steps()
        if step not in steps:
            raise RunError(f"Run {str(self.path)!r} has no checkpoint at step {step}. "
                           f"Available steps: {', '.join(map(str, steps)) or 'none'}.")
        return str(self.checkpoint_dir / f"ckpt-{step}")

    def architecture(self, registry: Registry | None = None):
        """The run's architecture spec, with an install hint when its plugin is missing."""
        from ganzoo.errors import UnknownNameError
        from ganzoo.registry import default_registry

        registry = registry or default_registry()
        try:
            return registry.architecture(self.config.arch)
        except UnknownNameError as error:
            distribution = self.config.plugin.get("distribution")
            hint = (f" This run was trained with the plugin distribution {distribution!r} "
                    f"{self.config.plugin.get('version', '')}; install it with "
                    f"'pip install {distribution}'.") if distribution else ""
            raise RunError(f"{error}{hint}") from error

    def build_generator(self, registry: Registry | None = None) -> keras.Model:
        config = self.config
        return self.architecture(registry).generator(config.image_shape, config.num_classes,
                                                     config.latent_dim)

    def load_generator(self, step: int | str | None = None, registry: Registry | None = None,
                       *, averaged: bool = True) -> keras.Model:
        """Rebuild the generator and restore its weights from a checkpoint (latest by default,
        ``"best"`` for the best by FID).

        A run trained with ``ema_decay`` keeps a moving average of the generator's weights
        beside the trained ones; that average is what samples and exports use, and what this
        returns unless `averaged` is False.
        """
        import tensorflow as tf

        path = self.checkpoint_path(step)
        generator = self.build_generator(registry)
        name = "generator_average" if averaged and self.config.ema_decay else "generator"
        try:
            tf.train.Checkpoint(**{name: generator}).restore(path) \
                .assert_existing_objects_matched().expect_partial()
        except AssertionError as error:
            raise RunError(f"Checkpoint {path!r} of run {str(self.path)!r} has no weights for "
                           f"the {name.replace('_', ' ')} that {CONFIG} describes; was it "
                           f"written by another run?") from error
        return generator
