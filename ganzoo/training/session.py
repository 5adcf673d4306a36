"""The state of one training session: networks, optimizers, weight average, checkpoint, data.

`TrainingSession` sets a run up for training (seeds, builds, restores its last checkpoint,
compiles the step, opens the input stream) and is what every callback receives. It holds no
schedule of its own: when to log, sample, save or evaluate is decided by callbacks
(`ganzoo.training.callbacks`), and the loop that drives them is `ganzoo.training.trainer`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from ganzoo.plugin import Callback
from ganzoo.runs import AVERAGE, CHECKPOINT_PREFIX, Run

CHECKPOINTS_KEPT = 3


class TrainingSession:
    """One training session of a run: from its last checkpoint (or scratch) to `config.steps`.

    Attributes:
        run: the `Run` being trained (``run.path``, ``run.config``).
        config: the run's `RunConfig`.
        spec: the architecture's `ArchitectureSpec`.
        dataset: the training data (`ImageDataset`), opened once for the whole session.
        start_step: the step the session started from (0, or the restored checkpoint's).
        step: the last completed step.
        generator, discriminator: the networks being trained.
        sampler: what samples come from: the generator weight average, or `generator` itself
            when the run keeps none.
        augmentation: the discriminator augmentation (`ganzoo.plugin.Augmentation`) or None.
        checkpoint: the `tf.train.Checkpoint` of networks, optimizers, average and step.
        strategy: the `tf.distribute.Strategy` the session trains under.
        registry: the plugins of the session.
        progress: whether this process shows progress (the chief, unless asked not to).
        eval_features: the feature network of ``--eval-every`` (``"auto"``, ``"shipped"``,
            ``"domain"`` or a `FeatureNetwork`).
        status: short texts that callbacks want shown beside the progress bar.
    """

    def __init__(self, run: Run, spec, loss_spec, dataset, strategy, registry,
                 progress: bool, eval_features="auto") -> None:
        import keras
        import tensorflow as tf

        from ganzoo.training import runtime
        from ganzoo.training.average import GeneratorAverage
        from ganzoo.training.step import GanStep, with_noise

        self.run, self.config, self.spec, self.dataset = run, run.config, spec, dataset
        self.registry, self.progress, self.eval_features = registry, progress, eval_features
        self.status: dict[str, str] = {}
        self.callbacks: list[Callback] = []
        self.paused_seconds = 0.0
        self.stop_requested = False
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
            self._step_counter = tf.Variable(0, dtype=tf.int64, trainable=False)
            self.augmentation = (registry.augmentation(config.augment).build()
                                 if config.augment != "none" else None)
        spec.check_reloadable(self.generator, registry)
        average = None
        tracked = {}
        if self.augmentation is not None and self.augmentation.variables:
            tracked["augmentation"] = tf.train.Checkpoint(**self.augmentation.variables)
        if config.ema_decay:
            average = GeneratorAverage(self.generator, self.sampler, config.ema_decay)
            tracked[AVERAGE] = self.sampler
        self.checkpoint = tf.train.Checkpoint(
            generator=self.generator, discriminator=self.discriminator,
            generator_optimizer=g_optimizer, discriminator_optimizer=d_optimizer,
            step=self._step_counter, **tracked)
        # The newest intact checkpoint; damaged newer ones are set aside first (issue 12).
        resume_from = run.resume_checkpoint()
        self._manager = tf.train.CheckpointManager(self.checkpoint, str(run.checkpoint_dir),
                                                   max_to_keep=CHECKPOINTS_KEPT,
                                                   checkpoint_name=CHECKPOINT_PREFIX)
        if resume_from:
            self.checkpoint.restore(resume_from).assert_existing_objects_matched()
        elif average is not None:
            average.reset()
        self.start_step = self.step = int(self._step_counter.numpy())
        self._step = GanStep(self.generator, self.discriminator, g_optimizer, d_optimizer,
                             loss_spec, config.batch_size, spec.is_conditional,
                             self._step_counter, config.discriminator_steps, self.strategy,
                             auxiliary_classifier=spec.auxiliary_classifier,
                             jit_compile=config.xla, average=average,
                             augmentation=self.augmentation,
                             self_supervised_loss=spec.self_supervised_loss,
                             transition=spec.transition)
        first_batch = self.start_step * config.discriminator_steps
        randoms = self.augmentation.randoms_per_image if self.augmentation is not None else 0
        batches = with_noise(dataset.batches(config.batch_size, config.seed, skip=first_batch),
                             config.latent_dim, config.seed, first_batch, randoms)
        self._iterator = iter(self.strategy.experimental_distribute_dataset(batches))

    @property
    def images_per_step(self) -> int:
        """Real images one step reads: one batch per discriminator update."""
        return self.config.batch_size * self.config.discriminator_steps

    def train_step(self):
        """Run one training step on the next batches; returns the (d_loss, g_loss) tensors."""
        return self._step(self._iterator)

    @property
    def latest_checkpoint(self) -> str | None:
        return self._manager.latest_checkpoint

    def save_checkpoint(self) -> str:
        """Write a checkpoint of the current step (the last few are kept) and tell every
        callback; returns its path prefix."""
        path = self._manager.save(checkpoint_number=self.step)
        for callback in self.callbacks:
            callback.on_checkpoint(self, self.step, path)
        return path

    def has_checkpoint_of(self, step: int) -> bool:
        latest = self._manager.latest_checkpoint
        return latest is not None and latest == self.run.checkpoint_name(step)

    def log(self, record: dict) -> None:
        """Hand `record` (which must hold ``step``) to every callback's `on_log`, in order;
        the metrics-file callback writes it to ``metrics.jsonl``."""
        for callback in self.callbacks:
            callback.on_log(self, record["step"], record)

    def request_stop(self) -> None:
        """Stop after the current step, save a checkpoint and end normally (as Ctrl-C does)."""
        self.stop_requested = True

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Time spent inside does not count as training time (images/s): for work such as
        evaluation that is not part of training."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.paused_seconds += time.perf_counter() - started

    def sample(self, count: int, labels=None):
        """`count` uint8 images from `sampler` on the run's fixed latents (seeded by the run)."""
        from ganzoo.sampling import generate

        return generate(self.sampler, count, self.config.latent_dim, self.config.seed, labels)
