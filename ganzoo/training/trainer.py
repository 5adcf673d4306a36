"""The training loop shared by every architecture: run directory, checkpoints, samples, logs."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ganzoo.errors import GanzooError, RunError, TrainingDivergedError
from ganzoo.runs import CONFIG, Run, RunConfig, write_atomic

CHECKPOINTS_KEPT = 3
SAMPLE_FRAMES = 30


@dataclass(frozen=True)
class TrainResult:
    """What a call to `train` did."""

    run: Run
    start_step: int
    step: int
    interrupted: bool
    seconds: float
    images_per_second: float
    chief: bool = True  # False on a multi-worker strategy's other workers, which keep no run

    @property
    def path(self) -> Path:
        return self.run.path


def train(arch: str | None = None, data: str | None = None, *, steps: int | None = None,
          batch_size: int | None = None, image_size: int | None = None,
          channels: int | None = None, loss: str | None = None, latent_dim: int | None = None,
          seed: int = 0, out: str | os.PathLike = "runs", resume: str | os.PathLike | None = None,
          sample_every: int | None = None, checkpoint_every: int | None = None,
          log_every: int | None = None, strict: bool = False, deterministic: bool = True,
          progress: bool = True, registry=None, strategy=None, eval_every: int | None = None,
          eval_features="domain", precision: str | None = None,
          xla: bool | None = None, ema_decay: float | None = None) -> TrainResult:
    """Train a registered architecture, or continue a run, and return where it was written.

    Args:
        arch: architecture name (``ganzoo list`` shows them); not needed with `resume`.
        data: a dataset name (default ``digits``, which ships with ganzoo), a folder of images
            (one subfolder per class) or an ``.npz`` file with ``x`` (and ``y``).
        steps: total generator updates; with `resume`, a new total to train up to.
        batch_size, image_size, channels, loss, latent_dim: override the architecture's defaults.
        seed: seeds weights, data order and latents; with `deterministic`, the same seed on a
            CPU gives the same weights, interrupted and resumed or not.
        out: folder in which the run directory is created.
        resume: a run directory to continue from its last checkpoint.
        sample_every, checkpoint_every, log_every: intervals in steps.
        strict: fail on the first unreadable image instead of skipping it.
        progress: show a progress bar and print the run directory.
        registry: plugins to use (default: the installed ones).
        strategy: ``"default"`` (one device), ``"mirrored"`` (every local GPU),
            ``"multi-worker"`` (the machines in ``TF_CONFIG``; only the chief writes the run
            directory), or a `tf.distribute.Strategy`. `batch_size` is the global batch.
        precision: ``"float32"`` (default), ``"mixed_bfloat16"`` or ``"mixed_float16"`` (Keras
            mixed-precision policy; float16 gets dynamic loss scaling; logits, losses and the
            generator's output stay float32).
        xla: compile the training step with XLA.
        ema_decay: decay of the moving average of the generator's weights that samples,
            evaluation and export use (default: the architecture's, 0.999 for most; 0 uses the
            trained weights as they are).
            Fixed for a run: it cannot change when resuming.
        eval_every: every this many steps (and at the last), measure FID, KID, precision and
            recall (`ganzoo.evaluate`'s defaults) into ``metrics.jsonl`` and TensorBoard, and
            keep the checkpoint with the lowest FID in ``checkpoints/best/`` (``best.json``
            says which). Not stored in the run: pass it again when resuming.
        eval_features: the feature network of `eval_every`: ``"domain"`` or a
            `ganzoo.metrics.FeatureNetwork`.

    Returns:
        A `TrainResult`; ``result.path`` is the run directory.

    Example:
        >>> result = ganzoo.train("dcgan", steps=3000)
        >>> result.path
        PosixPath('runs/dcgan-20261121-101500')
    """
    from ganzoo.registry import default_registry
    from ganzoo.training import runtime
    from ganzoo.training.average import check_decay

    overrides = dict(arch=arch, data=data, batch_size=batch_size, image_size=image_size,
                     channels=channels, loss=loss, latent_dim=latent_dim,
                     ema_decay=ema_decay if ema_decay is None else check_decay(ema_decay))
    settings = {name: value for name, value in dict(
        precision=precision and runtime.check_precision(precision), xla=xla,
        strategy=strategy if strategy is None else runtime.strategy_name(strategy),
        eval_every=eval_every).items() if value is not None}
    _positive("eval_every", eval_every)
    reopened = _reopen(resume, overrides, steps, settings) if resume is not None else None
    # A multi-worker strategy must exist before any other TensorFlow work in the process.
    distribution = runtime.make_strategy(
        strategy if strategy is not None else (reopened.config.strategy if reopened else None))
    chief = runtime.is_chief(distribution)
    registry = registry or default_registry()
    # One writer per run (issue 12): the chief holds the run's lock for the whole session.
    session = contextlib.ExitStack()
    run = None
    try:
        if reopened is not None:
            run = reopened
            if chief:
                session.enter_context(run.lock())
                _save_changed_config(run)
            spec = run.architecture(registry)
        else:
            if arch is None:
                raise GanzooError("Name an architecture to train (ganzoo list shows them), or "
                                  "give a run directory to resume.")
            spec = registry.architecture(arch)
            config = _new_config(spec, registry, data or "digits", steps, batch_size, image_size,
                                 channels, loss, latent_dim, seed, sample_every, checkpoint_every,
                                 log_every, strict, deterministic, overrides["ema_decay"])
            for name, value in settings.items():
                setattr(config, name, value)
            if chief:
                run = _create_run_directory(Path(out), config)
                session.enter_context(run.lock())
                session.callback(_remove_unless_checkpointed, run)
        if not chief:
            # Other workers run the same loop (saving takes every worker) into a scratch copy.
            run = _scratch_copy(run if run is not None else Run(Path(out), config), reopened)
            session.callback(shutil.rmtree, run.path, ignore_errors=True)
        config = run.config
        loss_spec = registry.loss(config.loss)
        dataset = _load_matching_data(run.config, registry)
        if progress and chief:
            verb = "Resuming" if resume is not None else "Training"
            print(f"{verb} {config.arch} on {config.data} in {run.path}", flush=True)
        with run.disk_guard():
            result = _Loop(run, spec, loss_spec, dataset, distribution, progress and chief,
                           config.eval_every, eval_features, registry).run()
        return result if chief else dataclasses.replace(result, chief=False)
    finally:
        session.close()


def _remove_unless_checkpointed(run: Run) -> None:
    """A new run that ends before its first checkpoint (a plugin that fails its first step,
    say) is removed, so that it never looks like a real run (issue 12)."""
    if not any(run.checkpoint_dir.glob("*.index")):
        shutil.rmtree(run.path, ignore_errors=True)


def _positive(name: str, value: int | None) -> None:
    if value is not None and value < 1:
        raise GanzooError(f"{name} must be a positive integer. Received: {name}={value}.")


def _new_config(spec, registry, data, steps, batch_size, image_size, channels, loss, latent_dim,
                seed, sample_every, checkpoint_every, log_every, strict,
                deterministic, ema_decay) -> RunConfig:
    import ganzoo
    from ganzoo.training.average import check_decay

    for name, value in [("steps", steps), ("batch_size", batch_size), ("latent_dim", latent_dim),
                        ("sample_every", sample_every), ("checkpoint_every", checkpoint_every),
                        ("log_every", log_every)]:
        _positive(name, value)
    if seed < 0:
        raise GanzooError(f"seed must be zero or positive. Received: seed={seed}.")
    defaults = spec.defaults
    loss = loss or defaults.loss
    registry.loss(loss)  # unknown loss names fail before any data is read
    image_size = image_size or defaults.image_size
    if image_size not in spec.image_sizes:
        spec.check_image_shape((image_size, image_size, spec.channels[0]))
    if channels is not None and channels not in spec.channels:
        spec.check_image_shape((image_size, image_size, channels))
    from ganzoo.data import load_data

    dataset = load_data(data, image_size, channels, strict=strict, registry=registry)
    if dataset.image_shape[2] not in spec.channels:
        dataset = load_data(data, image_size, spec.channels[-1], strict=strict, registry=registry)
    num_classes = dataset.num_classes if spec.is_conditional else 0
    spec.check_image_shape(dataset.image_shape)
    if spec.is_conditional and num_classes < 2:
        spec.generator(dataset.image_shape, num_classes, 1)  # raises the conditional-data error
    steps = steps or defaults.steps
    provider = registry.provider(spec.name)
    return RunConfig(
        arch=spec.name, data=data, image_size=image_size, channels=dataset.image_shape[2],
        num_classes=num_classes,
        class_names=list(dataset.class_names) if spec.is_conditional else [],
        latent_dim=latent_dim or defaults.latent_dim,
        batch_size=batch_size or defaults.batch_size, loss=loss,
        generator_lr=defaults.generator_lr, discriminator_lr=defaults.discriminator_lr,
        beta_1=defaults.beta_1, beta_2=defaults.beta_2,
        discriminator_steps=defaults.discriminator_steps, steps=steps, seed=seed,
        sample_every=sample_every or max(1, steps // SAMPLE_FRAMES),
        checkpoint_every=checkpoint_every or min(500, steps),
        log_every=log_every or min(50, steps), strict=strict, deterministic=deterministic,
        ema_decay=check_decay(defaults.ema_decay if ema_decay is None else ema_decay),
        plugin={"name": provider.name, "distribution": provider.distribution,
                "version": provider.version},
        ganzoo_version=ganzoo.__version__,
    )


def _reopen(resume, overrides: dict, steps: int | None, settings: dict) -> Run:
    run = Run.open(resume)
    for name, value in overrides.items():
        if value is not None and value != getattr(run.config, name):
            raise RunError(f"--{name.replace('_', '-')} cannot change when resuming: run "
                           f"{str(run.path)!r} was trained with {name}="
                           f"{getattr(run.config, name)!r}. Received: {name}={value!r}.")
    if steps is not None:
        _positive("steps", steps)
    changes = {**settings, **({"steps": steps} if steps is not None else {})}
    for name, value in changes.items():
        setattr(run.config, name, value)
    return run


def _save_changed_config(run: Run) -> None:
    """Write the settings a resume changed; only while holding the run's lock."""
    if run.config != Run.open(run.path).config:
        write_atomic(run.path / CONFIG, run.config.to_json())


def _scratch_copy(run: Run, resumed: Run | None) -> Run:
    """A temporary run directory for a non-chief worker, with the run's checkpoints if any."""
    scratch = Path(tempfile.mkdtemp(prefix="ganzoo-worker-"))
    if resumed is not None and resumed.checkpoint_dir.is_dir():
        shutil.copytree(resumed.checkpoint_dir, scratch / "checkpoints")
    copy = Run(scratch, run.config)
    copy.samples_dir.mkdir()
    write_atomic(scratch / CONFIG, run.config.to_json())
    return copy


def _create_run_directory(out: Path, config: RunConfig) -> Run:
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise RunError(f"Cannot create the output folder {str(out)!r}: {error.strerror}.") \
            from error
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    for attempt in range(1000):
        path = out / (f"{config.arch}-{stamp}" + (f"-{attempt}" if attempt else ""))
        try:
            path.mkdir()
            break
        except FileExistsError:
            continue
    run = Run(path, config)
    run.samples_dir.mkdir()
    write_atomic(path / CONFIG, config.to_json())
    return run


def _load_matching_data(config: RunConfig, registry):
    from ganzoo.data import load_data

    dataset = load_data(config.data, config.image_size, config.channels, strict=config.strict,
                        registry=registry)
    if config.num_classes and dataset.num_classes != config.num_classes:
        raise GanzooError(
            f"The conditional architecture {config.arch!r} was set up for {config.num_classes} "
            f"classes, but {config.data!r} has {dataset.num_classes}. Received: "
            f"num_classes={dataset.num_classes}.")
    return dataset


class _Loop:
    """One training session of a run: from its last checkpoint (or scratch) to `config.steps`."""

    def __init__(self, run: Run, spec, loss_spec, dataset, strategy, progress: bool,
                 eval_every: int | None = None, eval_features="domain", registry=None) -> None:
        import keras
        import tensorflow as tf

        from ganzoo.training import runtime
        from ganzoo.training.average import GeneratorAverage
        from ganzoo.training.step import GanStep, with_noise

        self.run_dir, self.config, self.progress = run, run.config, progress
        config = self.config
        keras.utils.set_random_seed(config.seed)
        if config.deterministic:
            tf.config.experimental.enable_op_determinism()
        self.strategy = strategy or tf.distribute.get_strategy()
        with self.strategy.scope():
            with runtime.dtype_policy(config.precision):
                self.generator = spec.generator(config.image_shape, config.num_classes,
                                                config.latent_dim)
                self.discriminator = spec.discriminator(config.image_shape, config.num_classes)
                # Samples, evaluation and generator.keras come from the weight average.
                self.sampler = (spec.generator(config.image_shape, config.num_classes,
                                               config.latent_dim)
                                if config.ema_decay else self.generator)
            if self.strategy.num_replicas_in_sync > 1:
                runtime.synchronize_batch_norm(self.generator, self.discriminator)
            g_optimizer = runtime.optimizer(config.precision, config.generator_lr,
                                            config.beta_1, config.beta_2)
            d_optimizer = runtime.optimizer(config.precision, config.discriminator_lr,
                                            config.beta_1, config.beta_2)
            # Optimizer slots must exist before a restore, or their saved values are dropped.
            g_optimizer.build(self.generator.trainable_variables)
            d_optimizer.build(self.discriminator.trainable_variables)
            self.step_counter = tf.Variable(0, dtype=tf.int64, trainable=False)
        average = None
        tracked = {}
        if config.ema_decay:
            average = GeneratorAverage(self.generator, self.sampler, config.ema_decay)
            tracked["generator_average"] = self.sampler
        self.checkpoint = tf.train.Checkpoint(
            generator=self.generator, discriminator=self.discriminator,
            generator_optimizer=g_optimizer, discriminator_optimizer=d_optimizer,
            step=self.step_counter, **tracked)
        # The newest intact checkpoint; damaged newer ones are moved aside first (issue 12).
        resume_from = run.resume_checkpoint()
        self.manager = tf.train.CheckpointManager(self.checkpoint, str(run.checkpoint_dir),
                                                  max_to_keep=CHECKPOINTS_KEPT)
        if resume_from:
            self.checkpoint.restore(resume_from).assert_existing_objects_matched()
        elif average is not None:
            average.reset()
        self.start = int(self.step_counter.numpy())
        self.train_step = GanStep(self.generator, self.discriminator, g_optimizer, d_optimizer,
                                  loss_spec, config.batch_size, spec.is_conditional,
                                  self.step_counter, config.discriminator_steps, self.strategy,
                                  auxiliary_classifier=spec.auxiliary_classifier,
                                  jit_compile=config.xla, average=average)
        first_batch = self.start * config.discriminator_steps
        batches = with_noise(dataset.batches(config.batch_size, config.seed, skip=first_batch),
                             config.latent_dim, config.seed, first_batch)
        self.iterator = iter(self.strategy.experimental_distribute_dataset(batches))
        self.sample_labels = None
        count = 64
        if config.num_classes:
            from ganzoo.sampling import grid_labels

            columns = min(config.num_classes, 10)
            count = columns * 8
            self.sample_labels = grid_labels(count, config.num_classes)
        self.sample_count = count
        self.writer = tf.summary.create_file_writer(str(run.path / "tensorboard"))
        from ganzoo.metrics import HealthMonitor

        self.health = HealthMonitor(loss=config.loss)
        self.bar_extra: dict[str, str] = {}
        self.eval_every = eval_every
        if eval_every:
            self._set_up_evaluation(eval_features, registry)

    def _set_up_evaluation(self, features, registry) -> None:
        """Build the evaluator before the first step, so its one-time costs (training the
        domain network, embedding the real data) never land inside the loop. It uses no global
        random state: evaluating leaves the training trajectory unchanged."""
        import tensorflow as tf

        from ganzoo.metrics import Evaluator

        config = self.config
        self.evaluator = Evaluator.for_data(
            config.data, config.image_size, config.channels, features=features,
            conditional=bool(config.num_classes), strict=config.strict, registry=registry,
            progress=self.progress)
        self.eval_labels = None
        if config.num_classes:
            from ganzoo.sampling import grid_labels

            self.eval_labels = grid_labels(self.evaluator.n, config.num_classes)
        self.best_manager = tf.train.CheckpointManager(
            self.checkpoint, str(self.run_dir.best_checkpoint_dir), max_to_keep=1)
        previous = self.run_dir.best()
        same_space = (previous is not None and self.best_manager.latest_checkpoint is not None
                      and previous.get("fingerprint") == self.evaluator.network.fingerprint)
        self.best_fid = float(previous["fid"]) if same_space else math.inf

    def run(self) -> TrainResult:
        config, step = self.config, self.start
        _truncate_metrics(self.run_dir.metrics_path, step)
        stop = _StopRequest()
        bar = _progress_bar(config.steps, step, self.progress)
        session_start = time.perf_counter()
        interval_start, interval_steps, d_sum, g_sum = session_start, 0, 0.0, 0.0
        images_per_step = config.batch_size * config.discriminator_steps
        rate = 0.0
        try:
            with stop.on_signals():
                while step < config.steps and not stop.requested:
                    d_loss, g_loss = (float(v) for v in self.train_step(self.iterator))
                    if not (math.isfinite(d_loss) and math.isfinite(g_loss)):
                        raise TrainingDivergedError(self._diverged_message(step + 1, d_loss,
                                                                           g_loss))
                    step += 1
                    interval_steps += 1
                    d_sum += d_loss
                    g_sum += g_loss
                    bar.update(1)
                    last = step == config.steps
                    if step % config.log_every == 0 or last:
                        now = time.perf_counter()
                        rate = interval_steps * images_per_step / max(now - interval_start, 1e-9)
                        d_mean, g_mean = d_sum / interval_steps, g_sum / interval_steps
                        health = self.health.observe_losses(step, d_mean, g_mean)
                        self._log(step, d_mean, g_mean, rate, now - session_start, health)
                        self._warn(health, bar)
                        bar.set_postfix(d_loss=f"{d_mean:.3f}", g_loss=f"{g_mean:.3f}",
                                        img_s=f"{rate:.0f}", **self.bar_extra, refresh=False)
                        interval_start, interval_steps, d_sum, g_sum = now, 0, 0.0, 0.0
                    if step % config.sample_every == 0 or last:
                        self._save_samples(step)
                    if step % config.checkpoint_every == 0 or last:
                        self.manager.save(checkpoint_number=step)
                    if self.eval_every and (step % self.eval_every == 0 or last):
                        # Evaluation time does not count against the images/s of the interval.
                        interval_start += self._evaluate(step, bar)
        finally:
            bar.close()
            self.writer.flush()
        interrupted = step < config.steps
        if interrupted and self.manager.latest_checkpoint != self._checkpoint_name(step):
            self.manager.save(checkpoint_number=step)
            self._save_samples(step)
        self._finish()
        seconds = time.perf_counter() - session_start
        total_rate = (step - self.start) * images_per_step / max(seconds, 1e-9)
        return TrainResult(self.run_dir, self.start, step, interrupted, seconds, total_rate)

    def _checkpoint_name(self, step: int) -> str:
        return str(self.run_dir.checkpoint_dir / f"ckpt-{step}")

    def _diverged_message(self, step: int, d_loss: float, g_loss: float) -> str:
        latest = self.manager.latest_checkpoint
        kept = (f"The last good checkpoint ({Path(latest).name}) is intact."
                if latest else "No checkpoint had been written yet.")
        return (f"Training diverged at step {step}: d_loss={d_loss}, g_loss={g_loss}. {kept} "
                f"Try a lower learning rate, another --loss, or another --seed.")

    def _log(self, step: int, d_loss: float, g_loss: float, rate: float, seconds: float,
             health=()) -> None:
        import tensorflow as tf

        record = {"step": step, "d_loss": round(d_loss, 6), "g_loss": round(g_loss, 6),
                  "images_per_second": round(rate, 1), "seconds": round(seconds, 2)}
        if health:
            record["warnings"] = [{"code": w.code, "message": w.message} for w in health]
        with open(self.run_dir.metrics_path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")
        with self.writer.as_default(step=step):
            tf.summary.scalar("loss/discriminator", d_loss)
            tf.summary.scalar("loss/generator", g_loss)
            tf.summary.scalar("images_per_second", rate)

    def _warn(self, health, bar) -> None:
        """Show training-health warnings above the progress bar (or as Python warnings)."""
        import warnings

        from ganzoo.metrics import TrainingHealthWarning

        for warning in health:
            with bar.external_write_mode():
                warnings.warn(warning.message, TrainingHealthWarning, stacklevel=2)
        if self.health.status:
            self.bar_extra["health"] = self.health.status
        else:
            self.bar_extra.pop("health", None)

    def _evaluate(self, step: int, bar) -> float:
        """Score the generator, log it, keep it as best if its FID is the lowest; return the
        seconds it took."""
        import dataclasses

        import tensorflow as tf

        from ganzoo.sampling import generate

        started = time.perf_counter()
        evaluator, config = self.evaluator, self.config
        images = generate(self.sampler, evaluator.n, config.latent_dim, config.seed,
                          self.eval_labels)
        metrics = evaluator.score(images, self.eval_labels)
        health = self.health.observe_recall(step, metrics.recall)
        record = {"step": step, "eval": dataclasses.asdict(metrics),
                  "floor": dataclasses.asdict(evaluator.floor),
                  "features": evaluator.network.name,
                  "fingerprint": evaluator.network.fingerprint}
        if metrics.fid < self.best_fid:
            self.best_fid = metrics.fid
            self.best_manager.save(checkpoint_number=step)
            write_atomic(self.run_dir.best_path, json.dumps(
                {"step": step, "fid": metrics.fid, "features": evaluator.network.name,
                 "fingerprint": evaluator.network.fingerprint, "samples": metrics.samples},
                indent=2))
            record["best"] = True
        if health:
            record["warnings"] = [{"code": w.code, "message": w.message} for w in health]
        with open(self.run_dir.metrics_path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")
        with self.writer.as_default(step=step):
            for name, value in dataclasses.asdict(metrics).items():
                if name != "samples" and value is not None:
                    tf.summary.scalar(f"eval/{name}", value)
        self.bar_extra["fid"] = f"{metrics.fid:.2f}"
        self._warn(health, bar)
        return time.perf_counter() - started

    def _save_samples(self, step: int) -> None:
        from ganzoo.images import grid, save_atomic
        from ganzoo.sampling import generate

        images = generate(self.sampler, self.sample_count, self.config.latent_dim,
                          self.config.seed, self.sample_labels)
        columns = min(self.config.num_classes, 10) if self.config.num_classes else 8
        save_atomic(grid(images, columns=columns),
                    self.run_dir.samples_dir / f"step-{step:07d}.png")

    def _finish(self) -> None:
        from ganzoo.images import animate

        temporary = self.run_dir.path / ".generator.tmp.keras"
        self.sampler.save(temporary)
        os.replace(temporary, self.run_dir.generator_path)
        animate(self.run_dir.sample_frames(), self.run_dir.animation_path)


def _truncate_metrics(path: Path, step: int) -> None:
    """Drop log lines past the checkpoint a run resumes from (and a line cut by a kill)."""
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


def _progress_bar(total: int, initial: int, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, disable=not enabled, unit="step",
                dynamic_ncols=True, mininterval=0.5)


class _StopRequest:
    """Turns the first Ctrl-C (or SIGTERM) into a request to stop after the current step.

    The loop then saves a checkpoint and returns normally; a second Ctrl-C stops at once.
    """

    def __init__(self) -> None:
        self.requested = False

    @contextmanager
    def on_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

        def request(signum, frame):
            self.requested = True
            signal.signal(signal.SIGINT, signal.default_int_handler)
            print("\nStopping after this step and saving a checkpoint "
                  "(press Ctrl-C again to stop at once)...", flush=True)

        for sig in previous:
            signal.signal(sig, request)
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
