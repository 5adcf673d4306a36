"""The training loop shared by every architecture: set-up, a short loop, and callbacks.

`train` resolves the run's configuration and opens its data once (`ganzoo.training.setup`),
sets up a `TrainingSession` (networks, optimizers, weight average, checkpoint, input stream),
and runs `_loop`, which only trains steps and calls the callbacks. Everything a run writes
(logs, TensorBoard, sample grids, checkpoints, evaluation, ``generator.keras``) and the
progress bar are callbacks from the ``ganzoo_callbacks`` hook (`ganzoo.training.callbacks`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ganzoo.errors import GanzooError, TrainingDivergedError
from ganzoo.plugin import Callback
from ganzoo.runs import CONFIG, Run, write_atomic


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
          seed: int | None = None, out: str | os.PathLike = "runs",
          resume: str | os.PathLike | None = None, sample_every: int | None = None,
          checkpoint_every: int | None = None, log_every: int | None = None,
          strict: bool | None = None, deterministic: bool | None = None,
          progress: bool = True, registry=None, strategy=None, eval_every: int | None = None,
          eval_features="auto", precision: str | None = None,
          xla: bool | None = None, ema_decay: float | None = None,
          augment: str | None = None, callbacks: Sequence[Callback] = (),
          background: str | None = None, fit: str | None = None,
          unconditional: bool = False) -> TrainResult:
    """Train a registered architecture, or continue a run, and return where it was written.

    Args:
        arch: architecture name (``ganzoo list`` shows them); not needed with `resume`. None:
            the recommended one for `data` (`ganzoo.training.recommend`), with its
            augmentation, image size and precision unless those are given, said in one printed
            line.
        data: a dataset name (default ``digits``, which ships with ganzoo), a folder of images
            (one subfolder per class) or an ``.npz`` file with ``x`` (and ``y``). With no
            `arch`, a folder of two or more class subfolders trains the class-conditional
            ``cfastgan``.
        unconditional: with no `arch`, train a class folder's pictures without their labels
            (the unconditional recommendation).
        steps: total generator updates; with `resume`, a new total to train up to.
        batch_size, image_size, channels, loss, latent_dim: override the architecture's defaults.
            A folder is trained at 64 px, where the architecture builds that, whether `arch`
            is named or not; the line printed says which size, augmentation and precision.
        seed: (default 0) seeds weights, data order and latents; with `deterministic`, the same seed on a
            CPU gives the same weights, interrupted and resumed or not.
        out: folder in which the run directory is created.
        resume: a run directory to continue from its last checkpoint. Settings fixed for a
            run (`ganzoo.runs.FIXED`) may be given only with their recorded values; the others
            (steps, intervals, precision, XLA, strategy, eval_every) take the new value.
        sample_every, checkpoint_every, log_every: intervals in steps.
        callbacks: `ganzoo.plugin.Callback` objects to run beside the installed plugins'
            (``ganzoo_callbacks``) for this call only.
        strict: fail on the first unreadable image instead of skipping it.
        background, fit: how a folder's images are read (`ganzoo.data.load_data`): transparent
            pixels composited onto ``"white"`` (default), ``"black"`` or ``"#rrggbb"``;
            non-square images made square by ``"crop"`` (default), ``"pad"`` or
            ``"stretch"``. Fixed for a run.
        progress: show a progress bar and print the run directory.
        registry: plugins to use (default: the installed ones).
        strategy: ``"default"`` (one device), ``"mirrored"`` (every local GPU),
            ``"multi-worker"`` (the machines in ``TF_CONFIG``; only the chief writes the run
            directory), or a `tf.distribute.Strategy`. `batch_size` is the global batch.
        precision: ``"float32"``, ``"mixed_bfloat16"``, ``"mixed_float16"`` (Keras
            mixed-precision policy; float16 gets dynamic loss scaling; logits, losses and the
            generator's output stay float32) or ``"auto"`` (what this machine computes fastest;
            the run records the one chosen). Default: the recommendation for the data
            (`ganzoo.training.recommend`): ``"auto"`` for pictures over 32 px, ``"float32"``
            for digits-sized data.
        xla: compile the training step with XLA.
        augment: a discriminator augmentation for small data sets, ``"diffaugment"``,
            ``"diffaugment-no-cutout"`` or ``"ada"`` (``ganzoo list`` shows the installed
            ones), or ``"none"``. Default: the recommendation for the architecture and data:
            over 32 px ``"diffaugment-no-cutout"`` for fastgan and ``"diffaugment"`` for the
            others, ``"none"`` for digits-sized data. Fixed for a run.
        ema_decay: decay of the moving average of the generator's weights that samples,
            evaluation and export use (default: the architecture's, 0.999 for most; 0 uses the
            trained weights as they are).
            Fixed for a run: it cannot change when resuming.
        eval_every: every this many steps (and at the last), measure FID, KID, precision and
            recall (`ganzoo.evaluate`'s defaults) into ``metrics.jsonl`` and TensorBoard, and
            keep the checkpoint with the lowest FID in ``checkpoints/best/`` (``best.json``
            says which).
        eval_features: the feature network of `eval_every`: ``"auto"`` (the shipped network
            for a folder of pictures, else ``"domain"``), ``"shipped"``, ``"domain"`` or a
            `ganzoo.metrics.FeatureNetwork`.

    Returns:
        A `TrainResult`; ``result.path`` is the run directory.

    Example:
        >>> result = ganzoo.train("dcgan", steps=3000)
        >>> result.path
        PosixPath('runs/dcgan-20261121-101500')
    """
    from ganzoo.data.folder import check_background, check_fit
    from ganzoo.registry import default_registry
    from ganzoo.training import runtime, setup
    from ganzoo.training.average import check_decay
    from ganzoo.training.recommend import folder_image_size, is_folder, recommend

    choice, arch_named = None, arch is not None
    if resume is None and arch is None:
        # No architecture named: the measured recommendation for this data (issue #13); its
        # augmentation and precision are every new run's defaults (setup.new_run).
        choice = recommend(data, image_size, unconditional=unconditional)
        arch, image_size = choice.arch, image_size or choice.image_size
    requested = dict(
        arch=arch, data=data, steps=steps, batch_size=batch_size, image_size=image_size,
        channels=channels, loss=loss, latent_dim=latent_dim, seed=seed,
        sample_every=sample_every, checkpoint_every=checkpoint_every, log_every=log_every,
        strict=strict, deterministic=deterministic, eval_every=eval_every,
        precision=precision and runtime.check_precision(precision), xla=xla,
        strategy=strategy if strategy is None else runtime.strategy_name(strategy),
        ema_decay=ema_decay if ema_decay is None else check_decay(ema_decay), augment=augment,
        background=background if background is None else check_background(background),
        fit=fit if fit is None else check_fit(fit))
    setup.check_values(requested)
    # A multi-worker strategy must exist before any other TensorFlow work in the process.
    recorded = Run.open(resume).config.strategy if resume is not None else None
    distribution = runtime.make_strategy(strategy if strategy is not None else recorded)
    chief = runtime.is_chief(distribution)
    registry = registry or default_registry()
    if unconditional and (resume is not None or registry.architecture(arch).is_conditional):
        what = ("a resumed run" if resume is not None
                else f"the conditional architecture {arch!r}")
        raise GanzooError(f"--unconditional (unconditional=True) chooses the unconditional "
                          f"recommendation for a class folder; it cannot apply to {what}. "
                          f"Leave it out, or name an unconditional --arch.")
    if resume is None and arch_named and is_folder(data):
        # A folder with an architecture named gets a folder's defaults too, not the digits
        # sizes the architecture declares: 64 px where it builds them, and the augmentation
        # and precision measured for it there.
        spec = registry.architecture(arch)
        choice = recommend(data, image_size or folder_image_size(spec), arch)
        requested["image_size"] = choice.image_size
    if choice is not None:
        choice = choice.within(registry)
        if progress:  # the line names the flags this run really trains with
            print(dataclasses.replace(choice, augment=augment or choice.augment,
                                      precision=precision or choice.precision
                                      ).describe(arch_named), flush=True)
    # One writer per run (issue 12): the chief holds the run's lock for the whole session, and
    # writes nothing to the run before it has it.
    held = contextlib.ExitStack()
    try:
        if resume is not None:
            resolved = setup.resumed_run(resume, requested, registry)
            if chief:
                held.enter_context(resolved.run.lock())
                setup.save_changed_config(resolved.run)
        else:
            resolved = setup.new_run(registry.architecture(arch), registry, requested, choice)
            if chief:
                resolved.run = setup.create_run_directory(Path(out), resolved.config)
                held.enter_context(resolved.run.lock())
                held.callback(_remove_unless_checkpointed, resolved.run)
        run = resolved.run
        if not chief:
            # Other workers run the same loop (saving takes every worker) into a scratch copy.
            run = _scratch_copy(run or Run(Path(out), resolved.config), resolved.run)
            held.callback(shutil.rmtree, run.path, ignore_errors=True)
        config = run.config
        if progress and chief:
            verb = "Resuming" if resume is not None else "Training"
            print(f"{verb} {config.arch} on {config.data} in {run.path}", flush=True)
        from ganzoo.training.session import TrainingSession

        with run.disk_guard():
            session = TrainingSession(run, registry.architecture(config.arch),
                                      registry.loss(config.loss), resolved.dataset,
                                      distribution, registry, progress and chief, eval_features)
            session.callbacks = _callbacks(session, registry, callbacks)
            result = _loop(session)
        return result if chief else dataclasses.replace(result, chief=False)
    finally:
        held.close()


def _remove_unless_checkpointed(run: Run) -> None:
    """A new run that ends before its first checkpoint (a plugin that fails its first step,
    say) is removed, so that it never looks like a real run (issue 12)."""
    if not any(run.checkpoint_dir.glob("*.index")):
        shutil.rmtree(run.path, ignore_errors=True)


def _callbacks(session, registry, extra: Sequence[Callback]) -> list[Callback]:
    """The installed plugins' callbacks for this session, in their order, then `extra`."""
    provided = registry.callbacks()
    if "checkpoints" not in provided:
        # A run without checkpoints cannot be sampled, resumed or exported (and a new run that
        # ends without one is removed): refuse rather than train for nothing.
        raise GanzooError("Training needs the 'checkpoints' callback of ganzoo's built-in "
                          "plugin 'callbacks', which is not loaded; do not disable it "
                          "(GANZOO_DISABLE_PLUGINS), or register ganzoo.training.callbacks in "
                          "a registry made by hand (ganzoo.testing.registry_with does).")
    specs = sorted((item.spec for item in provided.values()), key=lambda spec: spec.order)
    created = [spec.create(session) for spec in specs]
    return [callback for callback in created if callback is not None] + list(extra)


def _loop(session) -> TrainResult:
    """Train `session` up to its run's `steps`, calling every callback at each event."""
    config, callbacks = session.config, session.callbacks
    stop = _StopRequest(session)
    started = time.perf_counter()
    error: BaseException | None = None
    for callback in callbacks:
        callback.on_train_begin(session)
    try:
        with stop.on_signals():
            while session.step < config.steps and not session.stop_requested:
                for callback in callbacks:
                    callback.on_step_begin(session, session.step + 1)
                d_loss, g_loss = (float(value) for value in session.train_step())
                if not (math.isfinite(d_loss) and math.isfinite(g_loss)):
                    raise TrainingDivergedError(_diverged(session, d_loss, g_loss))
                session.step += 1
                logs = {"d_loss": d_loss, "g_loss": g_loss}
                for callback in callbacks:
                    callback.on_step_end(session, session.step, logs)
    except BaseException as exception:
        error = exception
        raise
    finally:
        end = {"step": session.step, "interrupted": session.stop_requested, "error": error}
        for callback in callbacks:
            callback.on_train_end(session, end)
    seconds = time.perf_counter() - started
    rate = (session.step - session.start_step) * session.images_per_step / max(seconds, 1e-9)
    return TrainResult(session.run, session.start_step, session.step,
                       session.step < config.steps, seconds, rate)


def _diverged(session, d_loss: float, g_loss: float) -> str:
    latest = session.latest_checkpoint
    kept = (f"The last good checkpoint ({Path(latest).name}) is intact."
            if latest else "No checkpoint had been written yet.")
    return (f"Training diverged at step {session.step + 1}: d_loss={d_loss}, g_loss={g_loss}. "
            f"{kept} Try a lower learning rate, another --loss, or another --seed.")


def _scratch_copy(run: Run, resumed: Run | None) -> Run:
    """A temporary run directory for a non-chief worker, with the run's checkpoints if any."""
    scratch = Path(tempfile.mkdtemp(prefix="ganzoo-worker-"))
    if resumed is not None and resumed.checkpoint_dir.is_dir():
        shutil.copytree(resumed.checkpoint_dir, scratch / "checkpoints")
    copy = Run(scratch, run.config)
    copy.samples_dir.mkdir()
    write_atomic(scratch / CONFIG, run.config.to_json())
    return copy


class _StopRequest:
    """Turns the first Ctrl-C (or SIGTERM) into `session.request_stop()`: the loop stops after
    the current step, the callbacks save a checkpoint and the call returns normally; a second
    Ctrl-C stops at once."""

    def __init__(self, session) -> None:
        self.session = session

    @contextmanager
    def on_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

        def request(signum, frame):
            self.session.request_stop()
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
