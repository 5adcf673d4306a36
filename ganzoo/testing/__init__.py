"""A test kit for plugin authors: prove an architecture keeps ganzoo's contract in one call.

    from ganzoo.testing import check_architecture, check_dataset

    def test_my_gan_keeps_the_contract():
        check_architecture("my-gan")

    def test_my_data_keeps_the_contract():
        check_dataset("my-data")

`check_architecture` builds both networks for every shape the architecture supports, checks
what they return, trains a few steps on tiny random data through the real trainer, saves and
reloads the generator, and (when the exporter is installed) exports it to every format and
compares the files with the Keras model. `check_dataset` loads a data set twice and checks its
arrays, labels, class names and determinism, then batches it through the shared pipeline. Both
raise `ContractError` at the first broken promise, with a message that says what to fix.

`check_export_format("my-format")` does the same for an export format: it writes a tiny
generator (unconditional and conditional) in every precision the format takes, runs each file in
the format's runtime, checks it against the Keras generator with the format's own tolerance and
reads its metadata back.

`check_loss` does the same for an adversarial loss: shapes, finite gradients, the direction
each loss pushes the logits, and optionally its values against a NumPy formula.

`registry_with(plugin, ...)` makes a registry without entry-point autoloading, so a test can
define a throwaway plugin inline.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

from ganzoo.errors import GanzooError
from ganzoo.plugin import (ArchitectureSpec, ArrayData, AugmentationSpec, DatasetSpec,
                           LossContext, LossSpec, discriminator_outputs, hookimpl)
from ganzoo.registry import Registry, default_registry

__all__ = ["ArchitectureReport", "ContractError", "DatasetReport", "LossReport",
           "architectures_to_check", "augmentations_to_check", "check_architecture",
           "check_augmentation", "check_dataset", "check_export_format", "check_loss",
           "datasets_to_check", "export_formats_to_check", "losses_to_check", "registry_with"]


class ContractError(AssertionError):
    """An architecture or a loss broke a promise of the plugin contract."""


@dataclasses.dataclass(frozen=True)
class ArchitectureReport:
    """What `check_architecture` verified."""

    name: str
    shapes: tuple[tuple[int, int, int], ...]
    trained_steps: int
    exported_formats: tuple[str, ...]


def registry_with(*plugins: object, builtins: bool = False) -> Registry:
    """A registry that loads no entry points: ganzoo's losses, datasets, commands, training
    callbacks, augmentations and export formats, plus `plugins`.

    With `builtins`, the built-in architectures are registered too. A plugin may be a module,
    an object with `@hookimpl` methods, or an `ArchitectureSpec` or `DatasetSpec` (wrapped into
    a plugin named ``inline-NAME``).
    """
    from ganzoo import __version__, augmentations, cli, losses
    from ganzoo.data import builtin as datasets
    from ganzoo.exporting.formats import builtin_modules as builtin_export_formats
    from ganzoo.training import callbacks

    registry = Registry(autoload=False)
    registry.register(losses, "losses", "ganzoo", __version__)
    registry.register(datasets, "datasets", "ganzoo", __version__)
    registry.register(cli, "commands", "ganzoo", __version__)
    registry.register(callbacks, "callbacks", "ganzoo", __version__)
    registry.register(augmentations, "augmentations", "ganzoo", __version__)
    for module in builtin_export_formats():
        registry.register(module, module.__name__.rsplit(".", 1)[1], "ganzoo", __version__)
    if builtins:
        from ganzoo.architectures import acgan, cgan, dcgan, fastgan, lsgan, mlp_gan, sngan

        for module in (mlp_gan, dcgan, cgan, sngan, lsgan, acgan, fastgan):
            registry.register(module, module.__name__.rsplit(".", 1)[1].replace("_", "-"),
                              "ganzoo", __version__)
    for plugin in plugins:
        if isinstance(plugin, ArchitectureSpec):
            registry.register(_SpecPlugin(plugin), f"inline-{plugin.name}")
        elif isinstance(plugin, DatasetSpec):
            registry.register(_DatasetPlugin(plugin), f"inline-{plugin.name}")
        else:
            registry.register(plugin)
    return registry


class _SpecPlugin:
    def __init__(self, spec: ArchitectureSpec) -> None:
        self.spec = spec

    @hookimpl
    def ganzoo_architectures(self) -> list[ArchitectureSpec]:
        return [self.spec]


class _DatasetPlugin:
    def __init__(self, spec: DatasetSpec) -> None:
        self.spec = spec

    @hookimpl
    def ganzoo_datasets(self) -> list[DatasetSpec]:
        return [self.spec]


def check_architecture(architecture: str | ArchitectureSpec, *,
                       registry: Registry | None = None,
                       shapes: Sequence[tuple[int, int, int]] | None = None,
                       steps: int = 2, export: bool = True,
                       workdir: str | Path | None = None) -> ArchitectureReport:
    """Check that an architecture keeps the plugin contract; raise `ContractError` if not.

    Args:
        architecture: a registered name, or an `ArchitectureSpec` not registered anywhere.
        registry: where to find the name (default: the installed plugins).
        shapes: the image shapes to build (default: every size and channel count declared).
        steps: training steps to run through the real trainer.
        export: also export to every format and compare with the Keras model.
        workdir: where to write the tiny run (default: a temporary folder).
    """
    if isinstance(architecture, ArchitectureSpec):
        spec = architecture
        registry = registry_with(spec)
    else:
        registry = registry or default_registry()
        spec = _fail_on_error(lambda: registry.architecture(architecture), architecture,
                              "is not registered")
    shapes = tuple(tuple(s) for s in shapes) if shapes else tuple(
        (size, size, channels) for size in spec.image_sizes for channels in spec.channels)
    if not shapes:
        raise ContractError(f"{spec.name}: declares no image sizes or channels; set "
                            f"ArchitectureSpec.image_sizes and .channels.")
    for shape in shapes:
        _check_networks(spec, shape)
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(workdir) if workdir else Path(scratch)
        run = _check_training(spec, registry, shapes[0], steps, root)
        _check_reload(spec, run, registry)
        formats = _check_export(spec, run, registry) if export else ()
    return ArchitectureReport(spec.name, shapes, steps, formats)


def _fail_on_error(action, name: str, what: str):
    try:
        return action()
    except GanzooError as error:
        raise ContractError(f"{name}: {what}: {error}") from error


def _check_networks(spec: ArchitectureSpec, shape: tuple[int, int, int]) -> None:
    import tensorflow as tf

    classes = 10 if spec.is_conditional else 0
    generator = _fail_on_error(lambda: spec.generator(shape, classes, 8), spec.name,
                               f"the generator for {shape} breaks the contract")
    discriminator = _fail_on_error(lambda: spec.discriminator(shape, classes), spec.name,
                                   f"the discriminator for {shape} breaks the contract")
    z = tf.random.stateless_normal([4, 8], seed=[0, 1])
    labels = tf.range(4, dtype=tf.int32) % max(classes, 1)
    images = generator([z, labels] if spec.is_conditional else z, training=False)
    if images.dtype != tf.float32:
        raise ContractError(f"{spec.name}: the generator for {shape} returns {images.dtype.name}; "
                            f"it must return float32 (give its last layer dtype='float32').")
    values = images.numpy()
    if not np.all(np.isfinite(values)) or values.min() < -1 or values.max() > 1:
        raise ContractError(f"{spec.name}: the generator for {shape} returns values in "
                            f"[{values.min():.3g}, {values.max():.3g}]; images must lie in "
                            f"[-1, 1]. End it with ganzoo.blocks.to_image (tanh).")
    scores = discriminator([images, labels] if spec.discriminator_takes_label else images,
                           training=False)
    logits = discriminator_outputs(scores, spec.second_head)[0]
    if not np.all(np.isfinite(np.asarray(logits))):
        raise ContractError(f"{spec.name}: the discriminator for {shape} returns non-finite "
                            f"logits for generated images.")


def _check_training(spec: ArchitectureSpec, registry: Registry, shape, steps: int, root: Path):
    import ganzoo

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(16, *shape), dtype=np.uint8)
    data = root / "random.npz"
    np.savez(data, x=images, y=np.arange(16) % 10)
    result = _fail_on_error(
        lambda: ganzoo.train(spec.name, data=str(data), steps=steps, batch_size=4,
                             image_size=shape[0], channels=shape[2], out=root / "runs",
                             checkpoint_every=1, progress=False, registry=registry,
                             # the contract itself, the same on every machine: not the
                             # data-dependent defaults (bfloat16 where the CPU has it)
                             augment="none", precision="float32"),
        spec.name, f"training on random {shape} images failed")
    run = result.run
    first, last = (run.load_generator(step, registry=registry) for step in (1, steps))
    if all(np.array_equal(a.numpy(), b.numpy()) for a, b in zip(first.weights, last.weights)):
        raise ContractError(f"{spec.name}: {steps} training steps left the generator's weights "
                            f"unchanged; check that its layers are trainable and that the "
                            f"discriminator's output depends on its input.")
    return run


def _check_reload(spec: ArchitectureSpec, run, registry: Registry) -> None:
    import ganzoo
    from ganzoo.sampling import latents

    try:
        reloaded = ganzoo.load_generator(run.generator_path)
    except Exception as error:
        raise ContractError(
            f"{spec.name}: the saved generator does not reload in Keras safe mode "
            f"({type(error).__name__}: {error}). Custom layers must be registered with "
            f"@keras.saving.register_keras_serializable and implement get_config.") from error
    original = run.load_generator(registry=registry)
    z = latents(3, run.config.latent_dim, seed=0)
    inputs = [z, np.arange(3, dtype=np.int32)] if run.config.num_classes else z
    difference = float(np.max(np.abs(np.asarray(reloaded(inputs, training=False))
                                     - np.asarray(original(inputs, training=False)))))
    if difference > 1e-5:
        raise ContractError(f"{spec.name}: the reloaded generator differs from the trained one "
                            f"by {difference:.3g}; some state is not saved by get_config / "
                            f"the layer's weights.")


def _check_export(spec: ArchitectureSpec, run, registry: Registry) -> tuple[str, ...]:
    try:
        from ganzoo.exporting import export
    except ImportError:
        return ()
    report = _fail_on_error(lambda: export(run.path, registry=registry, repeats=1,
                                           progress=False),
                            spec.name, "export failed")
    if report.failures:
        raise ContractError(f"{spec.name}: exported files disagree with the Keras generator or "
                            f"failed to convert: " + "; ".join(
                                f"{row.format} {row.precision}: {row.message}"
                                for row in report.failures))
    return tuple(sorted({row.format for row in report.files}))


def architectures_to_check(registry: Registry | None = None) -> Iterable[str]:
    """Every registered architecture name, for parametrizing a suite over the registry."""
    return sorted((registry or default_registry()).architectures())


# Export formats ----------------------------------------------------------------------------

def check_export_format(name: str, *, registry: Registry | None = None,
                        quantize: Sequence[str] | None = None,
                        workdir: str | Path | None = None,
                        runtime_dir: str | Path | None = None) -> list:
    """Check that an export format keeps the plugin contract; raise `ContractError` if not.

    Writes a tiny generator, unconditional and conditional, in every precision the format takes
    (or those in `quantize`), runs each file in the format's runtime, compares its images with
    the Keras generator's against the precision's own requirement (max diff 1e-4, or its PSNR
    floor) and reads the embedded metadata back.

    Args:
        name: a registered export format.
        registry: where to find it (default: the installed plugins).
        quantize: the ``--quantize`` values to check (default: every one it takes).
        workdir: where to write the files (default: a temporary folder).
        runtime_dir: ``--runtime-dir``, for formats that bundle a runtime.

    Returns:
        The checked files, one `ganzoo.exporting.ExportedFile` each.
    """
    from ganzoo.exporting._export import check_format

    registry = registry or default_registry()
    provided = _fail_on_error(lambda: registry.export_formats(), name, "cannot be listed")
    if name not in provided:
        raise ContractError(f"{name}: is not a registered export format. Registered: "
                            f"{', '.join(sorted(provided)) or 'none'}.")
    spec = provided[name].spec
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(workdir) if workdir else Path(scratch)
        for classes in (0, 3):
            out = root / f"{name}-{'conditional' if classes else 'unconditional'}"
            rows += check_format(spec, _tiny_generator(classes), classes, out, quantize,
                                 runtime_dir=runtime_dir)
    broken = [row for row in rows if not row.ok]
    if broken:
        raise ContractError(f"{name}: " + "; ".join(
            f"{row.precision} file ({Path(row.path).parent.name}) {row.status}: {row.message}"
            for row in broken))
    return rows


def _tiny_generator(num_classes: int, latent_dim: int = 8):
    """A generator small enough to convert in a second: z (and a label) to 8x8x1 in [-1, 1]."""
    import keras

    keras.utils.set_random_seed(0)
    z = keras.Input((latent_dim,), name="z")
    x = keras.layers.Dense(4 * 4 * 4)(z)
    inputs = [z]
    if num_classes:
        label = keras.Input((), dtype="int32", name="label")
        x = keras.layers.Add()([x, keras.layers.Embedding(num_classes, 4 * 4 * 4)(label)])
        inputs.append(label)
    x = keras.layers.Reshape((4, 4, 4))(keras.layers.ReLU()(x))
    x = keras.layers.Conv2DTranspose(1, 4, strides=2, padding="same")(x)
    image = keras.layers.Activation("tanh", dtype="float32", name="image")(x)
    return keras.Model(inputs if num_classes else z, image, name="tiny_export_check")


def export_formats_to_check(registry: Registry | None = None) -> Iterable[str]:
    """Every registered export format name, for parametrizing a suite over the registry."""
    return sorted((registry or default_registry()).export_formats())


@dataclasses.dataclass(frozen=True)
class LossReport:
    """What `check_loss` verified, and the mean losses at all-zero logits."""

    name: str
    batch_size: int
    discriminator_at_zero: float
    generator_at_zero: float


# A NumPy formula of a loss: (real_logits [batch], fake_logits [batch]) -> (d [batch], g [batch]).
LossFormula = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]

_CONFIDENT = 2.0  # logits the discriminator is sure of, right or wrong
_EXTREME = 100.0


def check_loss(loss: str | LossSpec, *, registry: Registry | None = None, batch_size: int = 8,
               reference: LossFormula | None = None) -> LossReport:
    """Check that an adversarial loss keeps the plugin contract; raise `ContractError` if not.

    Both losses are called inside `tf.function`, as the trainer calls them, with and without
    labels, and must:

    - return one value per example (``[batch]``);
    - have finite gradients with respect to both logits, for ordinary and extreme (+-100) logits;
    - push the logits the right way: where the discriminator is wrong (real logits -2, fake
      +2) its loss falls as the real logits rise and rises with the fake ones; where it is right
      (real +2, fake -2) the generator's loss falls as the fake logits rise. A loss with its
      signs, or real and fake, swapped fails here;
    - give the same values for the same batch twice (pure functions);
    - with `reference`, equal that NumPy formula at random and at all-zero logits.

    Args:
        loss: a registered name, or a `LossSpec` not registered anywhere.
        registry: where to find the name (default: the installed plugins).
        batch_size: examples per test batch.
        reference: ``formula(real, fake) -> (discriminator, generator)`` per example, in NumPy.
    """
    import tensorflow as tf

    if isinstance(loss, LossSpec):
        spec = loss
    else:
        registry = registry or default_registry()
        spec = _fail_on_error(lambda: registry.loss(loss), loss, "is not registered")
    rng = np.random.default_rng(0)
    ordinary = [rng.normal(0, 3, (batch_size, 1)).astype(np.float32) for _ in range(2)]
    labels = tf.range(batch_size, dtype=tf.int32) % 10
    both = _fail_on_error(lambda: _LossProbe(spec), spec.name, "cannot be traced")
    for label in (None, labels):
        for real, fake in (ordinary, _constant(batch_size, _EXTREME, -_EXTREME),
                           _constant(batch_size, -_EXTREME, _EXTREME)):
            values, gradients = both(real, fake, label)
            _check_gradients_are_finite(spec.name, gradients, float(real[0, 0]))
        first, _ = both(*ordinary, label)
        again, _ = both(*ordinary, label)
        for role, a, b in zip(("discriminator", "generator"), first, again):
            if not np.array_equal(a, b):
                raise ContractError(f"{spec.name}: {role}_loss gives different values for the "
                                    f"same batch; losses must be pure functions of the context "
                                    f"(no randomness or state).")
        _check_direction(spec.name, both, batch_size, label)
    zero = np.zeros((batch_size, 1), np.float32)
    at_zero, _ = both(zero, zero, None)
    if reference is not None:
        for real, fake in (ordinary, (zero, zero)):
            values, _ = both(real, fake, None)
            expected = reference(real[:, 0], fake[:, 0])
            for role, got, want in zip(("discriminator", "generator"), values, expected):
                if not np.allclose(got, want, rtol=1e-5, atol=1e-5):
                    raise ContractError(
                        f"{spec.name}: {role}_loss differs from the reference formula by up to "
                        f"{float(np.max(np.abs(got - want))):.3g} at real logits "
                        f"{[round(float(x), 3) for x in real[:3, 0]]}...")
    return LossReport(spec.name, batch_size, float(np.mean(at_zero[0])),
                      float(np.mean(at_zero[1])))


def losses_to_check(registry: Registry | None = None) -> Iterable[str]:
    """Every registered loss name, for parametrizing a suite over the registry."""
    return sorted((registry or default_registry()).losses())


class _LossProbe:
    """Both losses of a spec and their gradients w.r.t. the logits, traced like the trainer's."""

    def __init__(self, spec: LossSpec) -> None:
        import tensorflow as tf

        self.spec = spec
        self._traced = tf.function(self._evaluate)

    def __call__(self, real, fake, labels):
        try:
            values, gradients = self._traced(real, fake, labels)
        except GanzooError as error:
            raise ContractError(f"{self.spec.name}: {error}") from error
        return ([np.asarray(v) for v in values],
                [[None if g is None else np.asarray(g) for g in pair] for pair in gradients])

    def _evaluate(self, real, fake, labels):
        import tensorflow as tf

        values, gradients = [], []
        for role in ("discriminator", "generator"):
            with tf.GradientTape() as tape:
                tape.watch([real, fake])
                per_example = self.spec.per_example(role, LossContext(real, fake, labels))
                total = tf.reduce_sum(per_example)
            values.append(per_example)
            gradients.append(tape.gradient(total, [real, fake]))
        return values, gradients


def _constant(batch_size: int, real: float, fake: float) -> list[np.ndarray]:
    return [np.full((batch_size, 1), value, np.float32) for value in (real, fake)]


def _check_gradients_are_finite(name: str, gradients, real_logit: float) -> None:
    for role, pair in zip(("discriminator", "generator"), gradients):
        for side, gradient in zip(("real", "fake"), pair):
            if gradient is not None and not np.all(np.isfinite(gradient)):
                raise ContractError(
                    f"{name}: the gradient of {role}_loss with respect to the {side} logits is "
                    f"not finite (real logits near {real_logit:g}); use stable forms such as "
                    f"softplus(-x) for -log(sigmoid(x)).")


def _check_direction(name: str, both: _LossProbe, batch_size: int, labels) -> None:
    # The sum of a gradient's elements is the change when every logit of that side rises.
    _, wrong = both(*_constant(batch_size, -_CONFIDENT, _CONFIDENT), labels)
    _, right = both(*_constant(batch_size, _CONFIDENT, -_CONFIDENT), labels)
    slopes = [
        ("discriminator", "real", wrong[0][0], -1,
         "real logits -2, fake +2", "fall as the real logits rise"),
        ("discriminator", "fake", wrong[0][1], +1,
         "real logits -2, fake +2", "rise with the fake logits"),
        ("generator", "fake", right[1][1], -1,
         "real logits +2, fake -2", "fall as the fake logits rise"),
    ]
    for role, side, gradient, sign, where, should in slopes:
        slope = 0.0 if gradient is None else float(np.sum(gradient))
        if not slope * sign > 0:
            raise ContractError(
                f"{name}: at {where}, {role}_loss must {should} (logits mean 'real'). "
                f"Received: a slope of {slope:.3g} with respect to the {side} logits.")


# Datasets --------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class DatasetReport:
    """What `check_dataset` verified."""

    name: str
    count: int
    image_shape: tuple[int, int, int]
    num_classes: int  # 0 for an unlabelled data set


def check_dataset(dataset: str | DatasetSpec, *, registry: Registry | None = None,
                  image_size: int = 16, batch_size: int = 4) -> DatasetReport:
    """Check that a data set keeps the plugin contract; raise `ContractError` if not.

    Loads it twice and checks: `ArrayData` returned; images uint8, NHW or NHWC with 1, 3 or 4
    channels, at least one; pixel values using the 0..255 range (not only 0 and 1, the mark of
    [0, 1] floats cast to uint8); labels, when given, one non-negative integer per image, each
    indexing `class_names` when names are given (and names only with labels, no two alike);
    both loads equal. Then one batch through the shared pipeline at `image_size` must have the
    right shape and lie in [-1, 1].

    Args:
        dataset: a registered name, or a `DatasetSpec` not registered anywhere.
        registry: where to find the name (default: the installed plugins).
        image_size, batch_size: the pipeline batch to check.
    """
    if isinstance(dataset, DatasetSpec):
        spec, registry = dataset, registry_with(dataset)
    else:
        registry = registry or default_registry()
        spec = _fail_on_error(lambda: registry.dataset(dataset), dataset, "is not registered")
    name = spec.name
    first = _fail_on_error(spec.load, name, "load() failed")
    images, labels = _check_arrays(name, first)
    second = _fail_on_error(spec.load, name, "load() failed the second time")
    if not (isinstance(second, ArrayData)
            and np.array_equal(np.asarray(second.images), np.asarray(first.images))
            and _same_labels(second.labels, labels)
            and tuple(second.class_names) == tuple(first.class_names)):
        raise ContractError(f"{name}: two calls of load() return different data; seed any "
                            f"randomness and sort file listings so every run sees the same data.")
    _check_pipeline(name, registry, image_size, batch_size, images.shape[-1])
    num_classes = len(first.class_names) or (int(labels.max()) + 1 if labels is not None else 0)
    return DatasetReport(name, len(images), tuple(images.shape[1:]), num_classes)


def _check_arrays(name: str, data: object) -> tuple[np.ndarray, np.ndarray | None]:
    if not isinstance(data, ArrayData):
        raise ContractError(f"{name}: load() must return ganzoo.plugin.ArrayData. Received: "
                            f"{type(data).__name__}.")
    images = np.asarray(data.images)
    if images.ndim == 3:
        images = images[..., np.newaxis]
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] not in (1, 3, 4):
        raise ContractError(f"{name}: images must be uint8 of shape NHW or NHWC with 1, 3 or 4 "
                            f"channels. Received: dtype={images.dtype}, shape={images.shape}.")
    if len(images) == 0 or 0 in images.shape:
        raise ContractError(f"{name}: load() returned no images (shape {images.shape}).")
    if images.max() <= 1:
        raise ContractError(f"{name}: every pixel is 0 or 1; images must use 0..255. Multiply "
                            f"[0, 1] floats by 255 before converting them to uint8.")
    if data.labels is None:
        if data.class_names:
            raise ContractError(f"{name}: class_names are given ({len(data.class_names)}) but "
                                f"no labels; give one label per image, or no names.")
        return images, None
    labels = np.asarray(data.labels)
    if labels.dtype.kind not in "iu" or labels.size != len(images) or labels.ndim not in (1, 2):
        raise ContractError(f"{name}: labels must be {len(images)} integers, one per image. "
                            f"Received: dtype={labels.dtype}, shape={labels.shape}.")
    labels = labels.reshape(-1)
    if labels.min() < 0:
        raise ContractError(f"{name}: labels must be non-negative. Received: {labels.min()}.")
    names = tuple(data.class_names)
    if names and labels.max() >= len(names):
        raise ContractError(f"{name}: label {labels.max()} has no class name; class_names has "
                            f"{len(names)} entries, one per class 0..{len(names) - 1}.")
    if len(set(names)) != len(names):
        raise ContractError(f"{name}: class_names must be distinct. Received: {names}.")
    return images, labels


def _same_labels(received: object, expected: np.ndarray | None) -> bool:
    if expected is None or received is None:
        return received is None and expected is None
    return np.array_equal(np.asarray(received).reshape(-1), expected)


def _check_pipeline(name: str, registry: Registry, image_size: int, batch_size: int,
                    channels: int) -> None:
    from ganzoo.data import load_data

    data = _fail_on_error(lambda: load_data(name, image_size, registry=registry), name,
                          "the shared pipeline refuses it")
    images, _ = next(iter(data.batches(batch_size, seed=0)))
    values = images.numpy()
    expected = (batch_size, image_size, image_size, 1 if channels == 1 else 3)
    if values.shape != expected or values.min() < -1 or values.max() > 1:
        raise ContractError(f"{name}: a pipeline batch has shape {values.shape} and values in "
                            f"[{values.min():.3g}, {values.max():.3g}]; expected {expected} in "
                            f"[-1, 1].")


def datasets_to_check(registry: Registry | None = None) -> list[str]:
    """Every registered dataset name, for parametrizing a suite over the registry."""
    return sorted((registry or default_registry()).datasets())


# Augmentations ---------------------------------------------------------------------------------

def check_augmentation(augmentation: str | AugmentationSpec, *,
                       registry: Registry | None = None,
                       image_shape: tuple[int, int, int] = (16, 16, 3),
                       batch_size: int = 4) -> str:
    """Check that a discriminator augmentation keeps the plugin contract; raise `ContractError`
    if not.

    Inside `tf.function`, as the trainer calls it, `apply(images, randoms)` must keep the
    batch's shape and float dtype, give finite values, be differentiable with respect to the
    images (a finite, non-zero gradient), and be a pure function of its inputs: the same
    randoms give the same images (the input pipeline's randoms are what make a resumed run
    exact and two devices equal to one). Checked for gray and colour images; returns the name.
    """
    import tensorflow as tf

    if isinstance(augmentation, AugmentationSpec):
        spec = augmentation
    else:
        registry = registry or default_registry()
        spec = _fail_on_error(lambda: registry.augmentation(augmentation), augmentation,
                              "is not registered")
    built = _fail_on_error(spec.build, spec.name, "build() failed")
    count = int(getattr(built, "randoms_per_image", 0))
    for channels in sorted({1, image_shape[2]}):
        shape = (batch_size, *image_shape[:2], channels)
        images = tf.random.stateless_uniform(shape, seed=[0, 1], minval=-1.0, maxval=1.0)
        randoms = tf.random.stateless_uniform([batch_size, count], seed=[0, 2])
        weights = tf.random.stateless_uniform(shape, seed=[0, 3])

        @tf.function
        def probe(x, r):
            with tf.GradientTape() as tape:
                tape.watch(x)
                out = built.apply(x, r)
                total = tf.reduce_sum(tf.cast(out, tf.float32) * weights)
            return out, tape.gradient(total, x)

        try:
            first, gradient = probe(images, randoms)
            again, _ = probe(images, randoms)
        except Exception as error:  # what a plugin raises is the plugin's problem to show
            raise ContractError(f"{spec.name}: apply() failed on images of shape {shape} "
                                f"({type(error).__name__}: {error}).") from error
        if tuple(first.shape) != shape or not first.dtype.is_floating:
            raise ContractError(f"{spec.name}: apply() must return float images of the input's "
                                f"shape {shape}. Received: {first.dtype.name} "
                                f"{tuple(first.shape)}.")
        if not np.all(np.isfinite(first.numpy())):
            raise ContractError(f"{spec.name}: apply() returns non-finite values.")
        if gradient is None or not np.all(np.isfinite(gradient.numpy())) \
                or not np.any(gradient.numpy()):
            raise ContractError(
                f"{spec.name}: apply() must be differentiable with respect to the images (the "
                f"generator learns through it); the gradient is "
                f"{'missing' if gradient is None else 'zero or not finite'}. Use TensorFlow "
                f"ops, not numpy or tf.numpy_function.")
        if not np.array_equal(first.numpy(), again.numpy()):
            raise ContractError(f"{spec.name}: the same randoms give different images; draw "
                                f"all randomness from the `randoms` argument, never from a "
                                f"random op, so resumed runs stay exact.")
    return spec.name


def augmentations_to_check(registry: Registry | None = None) -> list[str]:
    """Every registered augmentation name, for parametrizing a suite over the registry."""
    return sorted((registry or default_registry()).augmentations())
