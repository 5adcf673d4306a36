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
    RUN/.lock              locked (flock; msvcrt on Windows) by the one process training the run
    RUN/checkpoints/damaged/  checkpoint files a resume found damaged, kept for inspection
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import socket
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganzoo import _oslock
from ganzoo.errors import DiskFullError, GanzooError, RunError, RunLockedError, is_disk_full

if TYPE_CHECKING:
    import keras

    from ganzoo.registry import Registry

CONFIG = "config.json"
BEST = "best.json"
LOCK = ".lock"
# A checkpoint of step N is the files CHECKPOINT_PREFIX-N.index and CHECKPOINT_PREFIX-N.data-*
# (tf.train.CheckpointManager's `checkpoint_name`).
CHECKPOINT_PREFIX = "ckpt"
# The checkpoint key of the moving average of the generator's weights (runs with ema_decay).
AVERAGE = "generator_average"
DAMAGED = "damaged"


def step_of(checkpoint_path: str | os.PathLike) -> int:
    """The step of a checkpoint path prefix (``.../ckpt-1200`` -> 1200)."""
    prefix, _, number = Path(checkpoint_path).name.rpartition("-")
    if prefix != CHECKPOINT_PREFIX or not number.isdigit():
        raise ValueError(f"Not a ganzoo checkpoint path ({CHECKPOINT_PREFIX}-STEP). Received: "
                         f"{str(checkpoint_path)!r}.")
    return int(number)


class DamagedFileWarning(UserWarning):
    """A file of a run is truncated or corrupt; ganzoo goes on without it."""


class DamagedCheckpointWarning(DamagedFileWarning):
    """A checkpoint's files are truncated, corrupt or missing; an older one is used instead."""


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
    # The discriminator augmentation (``--augment``), "none" for none.
    augment: str = _setting(FIXED, "none")
    # Decay of the generator weight average kept beside the trained weights; 0 (and runs made
    # before ganzoo kept one) means none.
    ema_decay: float = _setting(FIXED, 0.0)
    plugin: dict[str, Any] = _setting(RECORDED, factory=dict)
    ganzoo_version: str = _setting(RECORDED, "")
    # sha256 of the training images and labels as loaded; "" for runs made before it existed.
    data_fingerprint: str = _setting(RECORDED, "")
    # Every plugin the run used, by kind ("architecture", "loss", "dataset", "augmentation"):
    # entry point, distribution and version (`Registry.provenance`). `plugin` above is the
    # architecture's alone, kept for the ganzoo versions and runs that predate this field.
    plugins: dict[str, dict[str, Any]] = _setting(RECORDED, factory=dict)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return (self.image_size, self.image_size, self.channels)

    def label_index(self, label: int | str) -> int:
        """The class index `label` names (a class name or an index); `GanzooError` if the run
        is unconditional or has no such class."""
        from ganzoo_edge import label_index

        if not self.num_classes:
            raise GanzooError(f"label applies to conditional runs; {self.arch!r} takes none. "
                              f"Received: label={label!r}.")
        try:
            return label_index(label, self.class_names, self.num_classes)
        except ValueError as error:
            raise GanzooError(str(error)) from None

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


# The RunConfig field that names the item each kind of plugin provided to a run.
_PLUGIN_FIELDS = {"architecture": "arch", "loss": "loss", "dataset": "data",
                  "augmentation": "augment"}


class PluginVersionWarning(UserWarning):
    """A run was trained with another version (or distribution) of a plugin than the one
    installed now."""


class Run:
    """An existing run directory."""

    def __init__(self, path: Path, config: RunConfig) -> None:
        self.path = Path(path)
        self.config = config
        self._damage_cache: dict[tuple, str | None] = {}
        self._warned: set[str] = set()

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
            values = json.loads(config_path.read_text(encoding="utf-8"))
            config = RunConfig.from_dict(values)
            _check_types(config)
        except (ValueError, TypeError, AttributeError) as error:  # ValueError: JSON, UTF-8
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
        return step_of(self._best_checkpoint())

    def _best_checkpoint(self) -> str:
        listed = _checkpoints_in(self.best_checkpoint_dir)
        if not listed:
            raise RunError(f"Run {str(self.path)!r} has no best checkpoint: it keeps one only "
                           f"when trained with --eval-every N (resume it with 'ganzoo train "
                           f"--resume {self.path} --eval-every N' to start keeping one).")
        best = listed[-1]
        damage = self._damage(best)
        if damage:
            raise RunError(f"The best checkpoint {best!r} of run {str(self.path)!r} is damaged "
                           f"({damage}). Use a step instead (ganzoo eval --checkpoint all scores "
                           f"every intact one).")
        return best

    def checkpoint_name(self, step: int) -> str:
        """The path prefix of the checkpoint of `step` (its files add .index and .data-*)."""
        return str(self.checkpoint_dir / f"{CHECKPOINT_PREFIX}-{step}")

    def checkpoint_steps(self) -> list[int]:
        """Steps of the run's intact checkpoints, oldest first; damaged ones are skipped with a
        `DamagedCheckpointWarning`."""
        steps = []
        for path in _checkpoints_in(self.checkpoint_dir):
            damage = self._damage(path)
            if damage:
                self._warn_damaged(path, damage, "it is skipped")
            else:
                steps.append(step_of(path))
        return steps

    def checkpoint_path(self, step: int | str | None = None) -> str:
        """The checkpoint at `step`: None for the newest intact one, ``"best"`` for the best by
        FID.

        Every file of the checkpoint is read and checked (TensorFlow stores a CRC32C of each
        tensor and of each index block) before it is returned, so a truncated or corrupt
        checkpoint is found here rather than half-way through a restore. Without a step, a
        damaged newest checkpoint is passed over for the next older intact one, with a
        `DamagedCheckpointWarning` naming it.
        """
        if step == "best":
            return self._best_checkpoint()
        listed = _checkpoints_in(self.checkpoint_dir)
        if step is None:
            if not listed:
                raise RunError(f"Run {str(self.path)!r} has no checkpoint yet; train it first "
                               f"(or resume it with 'ganzoo train --resume {self.path}').")
            return self._newest_intact(listed, "using")
        by_step = {step_of(path): path for path in listed}
        if step not in by_step:
            raise RunError(f"Run {str(self.path)!r} has no checkpoint at step {step}. "
                           f"Available steps: {', '.join(map(str, by_step)) or 'none'}.")
        damage = self._damage(by_step[step])
        if damage:
            intact = [s for s, path in by_step.items() if not self._damage(path)]
            raise RunError(f"Checkpoint {by_step[step]!r} is damaged ({damage}). Intact steps: "
                           f"{', '.join(map(str, intact)) or 'none'}.")
        return by_step[step]

    def resume_checkpoint(self) -> str | None:
        """The checkpoint a resumed training continues from: the newest intact one, or None
        for a run without checkpoints.

        For the process that holds `lock`: the files of damaged checkpoints newer than it are
        moved to ``checkpoints/damaged/`` (kept for inspection, never read again) and the
        checkpoint index file is rewritten to match, so that the retrained steps replace them.
        """
        listed = _checkpoints_in(self.checkpoint_dir)
        if not listed:
            return None
        chosen = self._newest_intact(listed, "resuming from",
                                     f"its files are moved to {DAMAGED}/")
        damaged = listed[listed.index(chosen) + 1:]
        if damaged or _state_paths(self.checkpoint_dir) != listed:
            quarantine = self.checkpoint_dir / DAMAGED
            quarantine.mkdir(exist_ok=True)
            for path in damaged:
                for file in self.checkpoint_dir.glob(f"{Path(path).name}.*"):
                    os.replace(file, quarantine / file.name)
            # TensorFlow's CheckpointState text format: CheckpointManager reads it to find the
            # latest checkpoint and which older ones to rotate out.
            kept = listed[:listed.index(chosen) + 1]
            lines = [f'model_checkpoint_path: "{Path(chosen).name}"']
            lines += [f'all_model_checkpoint_paths: "{Path(p).name}"' for p in kept]
            lines += [f"all_model_checkpoint_timestamps: {_saved_at(p)}" for p in kept]
            write_atomic(self.checkpoint_dir / "checkpoint", "\n".join(lines) + "\n")
        return chosen

    def _newest_intact(self, listed: list[str], verb: str, also: str = "") -> str:
        damaged = []
        for path in reversed(listed):
            damage = self._damage(path)
            if not damage:
                for bad, why in damaged:
                    self._warn_damaged(bad, why, f"{verb} {Path(path).name} (step "
                                                 f"{step_of(path)}){'; ' + also if also else ''}")
                return path
            damaged.append((path, damage))
        names = "; ".join(f"{Path(path).name}: {why}" for path, why in damaged)
        raise RunError(f"Run {str(self.path)!r} has no intact checkpoint ({names}). Its files "
                       f"are left as they are; train a new run (or restore {self.checkpoint_dir}"
                       f" from a backup).")

    def _damage(self, path: str) -> str | None:
        """Why the checkpoint at `path` cannot be restored, or None if every tensor reads back
        with its checksum."""
        files = sorted(Path(path).parent.glob(f"{Path(path).name}.*"))
        key = (path, tuple((f.name, *_size_and_time(f)) for f in files))
        if key not in self._damage_cache:
            self._damage_cache[key] = _read_back(path, files)
        return self._damage_cache[key]

    def _warn_damaged(self, path: str, damage: str, action: str) -> None:
        if path not in self._warned:
            self._warned.add(path)
            warnings.warn(f"Checkpoint {path!r} is damaged ({damage}); {action}.",
                          DamagedCheckpointWarning, stacklevel=3)

    def sample_frames(self) -> list[Path]:
        """The sample grids (``samples/step-*.png``) in step order, leaving out, with a
        `DamagedFileWarning`, any that cannot be decoded."""
        from PIL import Image

        frames = []
        for path in sorted(self.samples_dir.glob("step-*.png")):
            try:
                with Image.open(path) as picture:
                    picture.verify()  # PNG chunk checksums
                with Image.open(path) as picture:
                    picture.load()  # a cut-off image
            except Exception as error:  # Pillow reports damage as several error types
                warnings.warn(f"Sample grid {str(path)!r} is damaged ({error}); it is left out "
                              f"of {self.animation_path.name}.", DamagedFileWarning,
                              stacklevel=2)
                continue
            frames.append(path)
        return frames

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the run for one writer: a second `lock` of the same run, in any process, raises
        `RunLockedError` naming the holder.

        The lock is the operating system's on ``RUN/.lock`` (``fcntl.flock`` on Linux and
        macOS, ``msvcrt.locking`` on Windows; see `ganzoo._oslock`), so it is released whenever
        the holder's process ends, even by SIGKILL; the file itself only tells the holder's pid.
        """
        handle = open(self.path / LOCK, "a+", encoding="utf-8")
        try:
            release = _oslock.lock(handle)
            if release is None:
                handle.seek(0)
                holder = handle.read().strip() or "unknown"
                raise RunLockedError(
                    f"Run {str(self.path)!r} is being trained by another process (pid {holder}); "
                    f"two trainings would interleave its checkpoints and metrics. Wait for it "
                    f"to finish or stop it, then resume.") from None
            handle.seek(0)
            handle.truncate()
            host = socket.gethostname()
            handle.write(f"{os.getpid()}" + (f" on {host}" if host else "") + "\n")
            handle.flush()
            try:
                yield
            finally:
                release()
        finally:
            handle.close()

    @contextmanager
    def disk_guard(self) -> Iterator[None]:
        """Turn "no space left on device" while writing into the run into a `DiskFullError` that
        names the folder, the space needed and the last complete checkpoint.

        Temporary files of the failed write are removed; complete checkpoints are not touched.
        """
        try:
            yield
        except Exception as error:
            if not is_disk_full(error):
                raise
            for partial in self.checkpoint_dir.glob(f"{CHECKPOINT_PREFIX}-*_temp*"):
                shutil.rmtree(partial, ignore_errors=True)
            for partial in self.path.rglob(".*.tmp*"):
                partial.unlink(missing_ok=True)
            raise DiskFullError(self._disk_full_message()) from error

    def _disk_full_message(self) -> str:
        listed = _checkpoints_in(self.checkpoint_dir)
        intact = next((p for p in reversed(listed) if not self._damage(p)), None)
        needed = sum(f.stat().st_size for f in Path(intact).parent.glob(
            f"{Path(intact).name}.*")) if intact else 0
        free = shutil.disk_usage(self.path).free
        need = (f"a checkpoint needs {_megabytes(needed)} and {_megabytes(free)} is free"
                if needed else f"only {_megabytes(free)} is free")
        kept = (f"The last complete checkpoint, {Path(intact).name}, is intact: free some space "
                f"and continue with 'ganzoo train --resume {self.path}'." if intact else
                "No checkpoint had been written yet: free some space and train again.")
        return f"No space left on the device of {str(self.path)!r} ({need}). {kept}"

    def architecture(self, registry: Registry | None = None):
        """The run's architecture spec, with an install hint when its plugin is missing."""
        return self._provided("architecture", registry).spec

    def recorded_plugin(self, kind: str) -> dict[str, Any] | None:
        """What `config.json` says about the plugin that provided the run's `kind` of item:
        ``{"entry_point", "distribution", "version"}``, or None if nothing was recorded (a
        dataset given as a folder or an .npz file, or a run older than the record)."""
        recorded = self.config.plugins.get(kind)
        if recorded is None and kind == "architecture" and self.config.plugin:
            old = self.config.plugin
            recorded = {"entry_point": old.get("name"), "distribution": old.get("distribution"),
                        "version": old.get("version")}
        return recorded

    def require_plugins(self, *kinds: str, registry: Registry | None = None) -> None:
        """Check that the plugins this run used are installed, for `kinds` (default: every
        kind it records: architecture, loss, dataset, augmentation).

        A missing one is a `RunError` naming the distribution to install; another installed
        version is one `PluginVersionWarning` per plugin. A dataset or augmentation without a
        record (a folder or an .npz file; none) is not a plugin and is not looked up.
        """
        for kind in kinds or tuple(_PLUGIN_FIELDS):
            if kind in ("architecture", "loss") or self.recorded_plugin(kind) is not None:
                self._provided(kind, registry)

    def _name(self, kind: str) -> str:
        return getattr(self.config, _PLUGIN_FIELDS[kind])

    def _provided(self, kind: str, registry: Registry | None):
        from ganzoo.errors import UnknownNameError
        from ganzoo.registry import default_registry

        registry = registry or default_registry()
        recorded = self.recorded_plugin(kind) or {}
        distribution = recorded.get("distribution")
        try:
            provided = registry.lookup(kind, self._name(kind))
        except UnknownNameError as error:
            if not distribution:
                raise
            raise RunError(f"{error} Run {str(self.path)!r} was trained with it from the plugin "
                           f"{recorded.get('entry_point')!r} of {distribution} "
                           f"{recorded.get('version') or ''}; install it with 'pip install "
                           f"{distribution}'.".replace(" ;", ";")) from error
        installed = provided.plugin
        if distribution and kind not in self._warned and (
                (installed.distribution, installed.version)
                != (distribution, recorded.get("version"))):
            self._warned.add(kind)
            import warnings

            warnings.warn(f"Run {str(self.path)!r} was trained with the {kind} "
                          f"{self._name(kind)!r} of {distribution} {recorded.get('version')}; "
                          f"{installed.origin} is installed.", PluginVersionWarning, stacklevel=4)
        return provided

    def _weights_do_not_fit(self, error: Exception, registry: Registry | None) -> RunError | None:
        """The error to raise when the checkpoint does not fit the generator because the
        architecture's plugin changed version since training; None if it did not."""
        recorded = self.recorded_plugin("architecture") or {}
        installed = self._provided("architecture", registry).plugin
        if not recorded.get("distribution") or (installed.distribution, installed.version) == (
                recorded["distribution"], recorded.get("version")):
            return None
        reason = str(error).strip().splitlines()[0] if str(error).strip() else \
            type(error).__name__
        return RunError(
            f"The weights of run {str(self.path)!r} do not fit the generator that the "
            f"architecture {self.config.arch!r} builds now: the run was trained with "
            f"{recorded['distribution']} {recorded.get('version')}, {installed.origin} is "
            f"installed ({reason[:160]}). Install the version it was trained with: "
            f"pip install '{recorded['distribution']}=={recorded.get('version')}'.")

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
        name = AVERAGE if averaged and self.config.ema_decay else "generator"
        failure = None
        with _quiet_tensorflow():
            try:
                tf.train.Checkpoint(**{name: generator}).restore(path) \
                    .assert_existing_objects_matched().expect_partial()
            except (AssertionError, ValueError) as error:
                failure = self._weights_do_not_fit(error, registry)
                if failure is None and not isinstance(error, AssertionError):
                    raise
                failure = failure or RunError(
                    f"Checkpoint {path!r} of run {str(self.path)!r} has no weights for the "
                    f"{name.replace('_', ' ')} that {CONFIG} describes; was it written by "
                    f"another run?")
        # Raised outside the except block: the restore's state dies with the original error
        # while TensorFlow's logger is still quiet.
        if failure is not None:
            raise failure
        return generator


@contextmanager
def _quiet_tensorflow():
    """Silence TensorFlow's Python logger: a checkpoint that does not fit logs a warning per
    unmatched value (hundreds), and the error raised says it in one line."""
    import gc

    import tensorflow as tf

    logger = tf.get_logger()
    level = logger.level
    logger.setLevel("ERROR")
    try:
        yield
    finally:
        gc.collect()  # the restore's deferred "unresolved object" warnings fire on collection
        logger.setLevel(level)


def _checkpoints_in(folder: Path) -> list[str]:
    """Path prefixes of the checkpoints in `folder`, oldest first: every step that has a file
    on disk or an entry in TensorFlow's index file ``checkpoint``, so a checkpoint whose files
    are partly missing is still seen (and found damaged) rather than silently skipped."""
    paths = set(_state_paths(folder))
    for file in folder.glob(f"{CHECKPOINT_PREFIX}-*"):
        prefix = str(folder / file.name.split(".", 1)[0])
        try:
            step_of(prefix)
        except ValueError:  # e.g. the temporary folder of a save cut short
            continue
        paths.add(prefix)
    return sorted(paths, key=step_of)


def _state_paths(folder: Path) -> list[str]:
    """The checkpoints listed by TensorFlow's index file in `folder` (empty if unreadable)."""
    if not (folder / "checkpoint").is_file():
        return []
    import tensorflow as tf

    try:
        state = tf.train.get_checkpoint_state(str(folder))
    except Exception:  # a damaged index file: the checkpoint files themselves still tell
        return []
    if state is None:
        return []
    paths = []
    for path in state.all_model_checkpoint_paths:
        try:
            step_of(path)
        except ValueError:
            continue
        paths.append(str(folder / Path(path).name))
    return sorted(set(paths), key=step_of)


def _saved_at(checkpoint: str) -> float:
    """When a checkpoint was written, for CheckpointManager's rotation (now if unknown)."""
    times = [f.stat().st_mtime for f in Path(checkpoint).parent.glob(f"{Path(checkpoint).name}.*")]
    return max(times, default=time.time())


def _size_and_time(file: Path) -> tuple[int, int]:
    try:
        stat = file.stat()
    except OSError:
        return (-1, -1)
    return (stat.st_size, stat.st_mtime_ns)


def _read_back(path: str, files: list[Path]) -> str | None:
    names = {f.name for f in files}
    name = Path(path).name
    if f"{name}.index" not in names:
        return "its .index file is missing"
    if not any(n.startswith(f"{name}.data-") for n in names):
        return "its .data file is missing"
    import tensorflow as tf

    try:
        reader = tf.train.load_checkpoint(path)
        for key in reader.get_variable_to_dtype_map():
            reader.get_tensor(key)
    except Exception as error:  # TensorFlow reports damage as several error types
        text = str(error)
        if "Read less bytes" in text:
            return "its .data file is shorter than its .index file says: truncated"
        if "Checksum does not match" in text:
            return "a tensor in its .data file fails its checksum: corrupt"
        if ".index" in text or "sstable" in text or "block checksum" in text:
            return "its .index file cannot be read: corrupt or truncated"
        first = text.strip().splitlines()[0] if text.strip() else type(error).__name__
        return first.replace(path, name)[:160].rstrip(". ")
    return None


def _megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


# What each RunConfig annotation accepts from JSON (a bit flip can leave valid JSON of a wrong
# type, which would otherwise fail deep inside model building).
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "int": (int,), "float": (int, float), "str": (str,), "bool": (bool,),
    "list[str]": (list,), "int | None": (int, type(None)), "dict[str, Any]": (dict,)}


def _check_types(config: RunConfig) -> None:
    for item in dataclasses.fields(config):
        accepted = _JSON_TYPES.get(str(item.type))
        value = getattr(config, item.name)
        if accepted and not isinstance(value, accepted):
            raise TypeError(f"{item.name} should be {item.type}. Received: "
                            f"{item.name}={value!r}")
