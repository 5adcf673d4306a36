"""ganzoo's own training callbacks, a built-in plugin of the ``ganzoo_callbacks`` hook.

Everything a run writes besides its weights' updates happens here, one callback per concern:
loss means every ``log_every`` steps, ``metrics.jsonl``, TensorBoard, sample grids and the GIF,
checkpoints, evaluation with the best checkpoint, training-health warnings, the final
``generator.keras`` and the progress bar. They reach the trainer the way a plugin's callbacks
do (registered under ``[project.entry-points.ganzoo]``), so a plugin adds its own beside them.
"""

from __future__ import annotations

import json
import math
import os
import time
import warnings

from ganzoo.plugin import Callback, CallbackSpec, hookimpl
from ganzoo.runs import write_atomic

__all__ = ["AugmentationLog", "Checkpoints", "Evaluation", "GeneratorFile", "Health", "LossLog", "MetricsFile",
           "ProgressBar", "SampleGrids", "TensorBoard"]


def _due(step: int, every: int | None, session) -> bool:
    return bool(every) and (step % every == 0 or step == session.config.steps)


class LossLog(Callback):
    """Every ``log_every`` steps (and at the last), logs the interval's mean losses and the
    training speed in real images per second (time in `session.paused()` excluded)."""

    def on_train_begin(self, session) -> None:
        self.session_start = time.perf_counter()
        self._restart(session, self.session_start)

    def _restart(self, session, now: float) -> None:
        self.start, self.paused, self.steps, self.d_sum, self.g_sum = (
            now, session.paused_seconds, 0, 0.0, 0.0)

    def on_step_end(self, session, step: int, logs: dict) -> None:
        self.steps += 1
        self.d_sum += logs["d_loss"]
        self.g_sum += logs["g_loss"]
        if not _due(step, session.config.log_every, session):
            return
        now = time.perf_counter()
        seconds = now - self.start - (session.paused_seconds - self.paused)
        rate = self.steps * session.images_per_step / max(seconds, 1e-9)
        session.log({"step": step, "d_loss": round(self.d_sum / self.steps, 6),
                     "g_loss": round(self.g_sum / self.steps, 6),
                     "images_per_second": round(rate, 1),
                     "seconds": round(now - self.session_start, 2)})
        self._restart(session, now)


class MetricsFile(Callback):
    """Appends every log record to ``metrics.jsonl``, after dropping lines past the step the
    session starts from (a resumed run rewrites what its lost steps had logged)."""

    def on_train_begin(self, session) -> None:
        self.path = session.run.metrics_path
        _truncate_metrics(self.path, session.start_step)

    def on_log(self, session, step: int, record: dict) -> None:
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")


def _truncate_metrics(path, step: int) -> None:
    """Keep the lines up to `step`; drop later ones and a line cut short by a kill."""
    if not path.exists():
        return
    kept = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            if json.loads(line)["step"] <= step:
                kept.append(line)
        except (json.JSONDecodeError, KeyError, TypeError):
            continue
    write_atomic(path, "".join(line + "\n" for line in kept))


class TensorBoard(Callback):
    """The log records as TensorBoard scalars in ``RUN/tensorboard``."""

    _TAGS = {"d_loss": "loss/discriminator", "g_loss": "loss/generator"}
    _NOT_SCALARS = ("step", "seconds")

    def on_train_begin(self, session) -> None:
        import tensorflow as tf

        self.writer = tf.summary.create_file_writer(str(session.run.path / "tensorboard"))

    def on_log(self, session, step: int, record: dict) -> None:
        import tensorflow as tf

        with self.writer.as_default(step=step):
            for key, value in record.items():
                number = isinstance(value, (int, float)) and not isinstance(value, bool)
                if number and key not in self._NOT_SCALARS:
                    tf.summary.scalar(self._TAGS.get(key, key), value)
            for name, value in record.get("eval", {}).items():
                if name != "samples" and value is not None:
                    tf.summary.scalar(f"eval/{name}", value)

    def on_train_end(self, session, logs: dict) -> None:
        if hasattr(self, "writer"):
            self.writer.flush()


class SampleGrids(Callback):
    """A grid from the same latents every ``sample_every`` steps (``samples/step-N.png``),
    one at the step a session stops at, and ``training.gif`` of them all at the end."""

    def on_train_begin(self, session) -> None:
        from ganzoo.images import grid_columns
        from ganzoo.sampling import grid_labels

        classes = session.config.num_classes
        self.columns = grid_columns(classes)
        self.count = 64 if not classes else self.columns * 8
        self.labels = grid_labels(self.count, classes) if classes else None
        self.last = None

    def on_step_end(self, session, step: int, logs: dict) -> None:
        if _due(step, session.config.sample_every, session):
            self.save(session, step)

    def save(self, session, step: int) -> None:
        """Write the grid of `step` from the sampler as it is now."""
        from ganzoo.images import grid, save_atomic

        save_atomic(grid(session.sample(self.count, self.labels), columns=self.columns),
                    session.run.samples_dir / f"step-{step:07d}.png")
        self.last = step

    def on_train_end(self, session, logs: dict) -> None:
        from ganzoo.images import animate

        if logs["error"] is not None:
            return
        if self.last != session.step and session.step > session.start_step:
            self.save(session, session.step)
        animate(session.run.sample_frames(), session.run.animation_path)


class Checkpoints(Callback):
    """A checkpoint every ``checkpoint_every`` steps, at the last, and where a stop request
    ends the session; the last few are kept."""

    def on_step_end(self, session, step: int, logs: dict) -> None:
        if _due(step, session.config.checkpoint_every, session):
            session.save_checkpoint()

    def on_train_end(self, session, logs: dict) -> None:
        if logs["error"] is None and not session.has_checkpoint_of(session.step):
            session.save_checkpoint()


class AugmentationLog(Callback):
    """Adds the augmentation's own figures (ADA's p and r_t) to every loss record and shows
    them beside the progress bar."""

    def on_log(self, session, step: int, record: dict) -> None:
        if "d_loss" in record:
            figures = session.augmentation.logs()
            record.update(figures)
            session.status.update({key.removeprefix("augment_"): f"{value:.2f}"
                                   for key, value in figures.items()})


class GeneratorFile(Callback):
    """``generator.keras`` at the end: the generator samples come from, loadable in safe mode."""

    def on_train_end(self, session, logs: dict) -> None:
        if logs["error"] is not None:
            return
        temporary = session.run.path / ".generator.tmp.keras"
        generator = session.sampler
        if session.config.precision != "float32":
            # The file computes in float32, as the checkpoint's generator does
            # (Run.load_generator): a mixed policy saved with its layers would make every
            # machine that loads it compute in 16 bits, fast or not there. Weights are float32
            # under every policy, so they carry over unchanged.
            generator = session.spec.generator(session.config.image_shape,
                                               session.config.num_classes,
                                               session.config.latent_dim)
            generator.set_weights(session.sampler.get_weights())
        generator.save(temporary)
        os.replace(temporary, session.run.generator_path)


class Health(Callback):
    """Watches the logged loss means and evaluations for the classic GAN failures
    (`ganzoo.metrics.HealthMonitor`); adds its warnings to the record and shows them above the
    progress bar."""

    def __init__(self, loss: str) -> None:
        from ganzoo.metrics import HealthMonitor

        self.monitor = HealthMonitor(loss=loss)

    def on_log(self, session, step: int, record: dict) -> None:
        from tqdm.auto import tqdm

        from ganzoo.metrics import TrainingHealthWarning

        if "d_loss" in record:
            found = self.monitor.observe_losses(step, record["d_loss"], record["g_loss"])
        elif record.get("eval", {}).get("recall") is not None:
            found = self.monitor.observe_recall(step, record["eval"]["recall"])
        else:
            return
        if found:
            record["warnings"] = [{"code": w.code, "message": w.message} for w in found]
        for warning in found:
            with tqdm.external_write_mode():
                warnings.warn(warning.message, TrainingHealthWarning, stacklevel=2)
        if self.monitor.status:
            session.status["health"] = self.monitor.status
        else:
            session.status.pop("health", None)


class Evaluation(Callback):
    """Every ``eval_every`` steps (and at the last): FID, KID, precision and recall of the
    sampler, logged, and the checkpoint with the lowest FID kept in ``checkpoints/best``.

    The evaluator is built when the callback is created, before the first step, so its
    one-time costs (training the domain network, embedding the real data) never land inside
    the loop; it uses no global random state, so evaluating leaves training unchanged.
    """

    def __init__(self, session, features="auto") -> None:
        import tensorflow as tf

        from ganzoo.metrics import Evaluator
        from ganzoo.sampling import grid_labels

        config = session.config
        self.evaluator = Evaluator.for_data(
            config.data, config.image_size, config.channels, features=features,
            conditional=bool(config.num_classes), strict=config.strict,
            registry=session.registry, progress=session.progress, dataset=session.dataset)
        self.labels = (grid_labels(self.evaluator.n, config.num_classes)
                       if config.num_classes else None)
        self.best_manager = tf.train.CheckpointManager(
            session.checkpoint, str(session.run.best_checkpoint_dir), max_to_keep=1)
        previous = session.run.best()
        same_space = (previous is not None and self.best_manager.latest_checkpoint is not None
                      and previous.get("fingerprint") == self.evaluator.network.fingerprint)
        self.best_fid = float(previous["fid"]) if same_space else math.inf

    def on_step_end(self, session, step: int, logs: dict) -> None:
        if _due(step, session.config.eval_every, session):
            with session.paused():
                self._evaluate(session, step)

    def _evaluate(self, session, step: int) -> None:
        import dataclasses

        evaluator = self.evaluator
        network = evaluator.network
        metrics = evaluator.score(session.sample(evaluator.n, self.labels), self.labels)
        record = {"step": step, "eval": dataclasses.asdict(metrics),
                  "floor": dataclasses.asdict(evaluator.floor), "features": network.name,
                  "fingerprint": network.fingerprint}
        if metrics.fid < self.best_fid:
            self.best_fid = metrics.fid
            self.best_manager.save(checkpoint_number=step)
            write_atomic(session.run.best_path, json.dumps(
                {"step": step, "fid": metrics.fid, "features": network.name,
                 "fingerprint": network.fingerprint, "samples": metrics.samples}, indent=2))
            record["best"] = True
        session.status["fid"] = f"{metrics.fid:.2f}"
        session.log(record)


class ProgressBar(Callback):
    """A tqdm bar of steps, with the last logged losses, images/s and `session.status`."""

    def on_train_begin(self, session) -> None:
        from tqdm.auto import tqdm

        self.bar = tqdm(total=session.config.steps, initial=session.start_step,
                        disable=not session.progress, unit="step", dynamic_ncols=True,
                        mininterval=0.5)
        self.postfix: dict[str, str] = {}

    def on_step_end(self, session, step: int, logs: dict) -> None:
        self.bar.update(1)

    def on_log(self, session, step: int, record: dict) -> None:
        if "d_loss" in record:
            self.postfix = {"d_loss": f"{record['d_loss']:.3f}",
                            "g_loss": f"{record['g_loss']:.3f}",
                            "img_s": f"{record['images_per_second']:.0f}"}
        self.bar.set_postfix(**self.postfix, **session.status, refresh=False)

    def on_train_end(self, session, logs: dict) -> None:
        if hasattr(self, "bar"):
            self.bar.close()


def _evaluation(session) -> Evaluation | None:
    if not session.config.eval_every:
        return None
    return Evaluation(session, session.eval_features)


BUILT_IN_CALLBACKS = [
    CallbackSpec("loss-log", "loss means and images/s every log_every steps",
                 lambda session: LossLog(), order=10),
    CallbackSpec("sample-grids", "sample grids every sample_every steps, training.gif",
                 lambda session: SampleGrids(), order=20),
    CallbackSpec("checkpoints", "checkpoints every checkpoint_every steps and at the end",
                 lambda session: Checkpoints(), order=30),
    CallbackSpec("evaluation", "FID, KID, precision, recall and the best checkpoint "
                               "(with --eval-every)", _evaluation, order=40),
    CallbackSpec("augmentation-log", "ADA's probability p and r_t in the logs (with --augment)",
                 lambda session: AugmentationLog() if session.augmentation is not None else None,
                 order=45),
    CallbackSpec("health", "warnings when the discriminator wins, modes collapse or losses "
                           "diverge", lambda session: Health(session.config.loss), order=50),
    CallbackSpec("metrics-file", "log records to metrics.jsonl",
                 lambda session: MetricsFile(), order=60),
    CallbackSpec("tensorboard", "log records as TensorBoard scalars",
                 lambda session: TensorBoard(), order=70),
    CallbackSpec("generator-file", "generator.keras at the end",
                 lambda session: GeneratorFile(), order=80),
    CallbackSpec("progress-bar", "the progress bar", lambda session: ProgressBar(), order=90),
]


@hookimpl
def ganzoo_callbacks() -> list[CallbackSpec]:
    return BUILT_IN_CALLBACKS
