"""The public API for plugin authors: the hook marker and the specs a plugin returns.

A plugin imports only this module (and Keras/TensorFlow). A minimal architecture plugin::

    from ganzoo.plugin import ArchitectureSpec, Paper, hookimpl

    @hookimpl
    def ganzoo_architectures():
        return [ArchitectureSpec(name="tiny", summary="...", paper=Paper(...),
                                 build_generator=..., build_discriminator=...)]

and is announced in its ``pyproject.toml`` under ``[project.entry-points.ganzoo]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pluggy

from ganzoo.errors import PluginError, UnsupportedImageShapeError
from ganzoo.hookspecs import PROJECT

if TYPE_CHECKING:  # a plugin's specs are made, and listed, without importing these
    import keras
    import numpy as np
    import tensorflow as tf

__all__ = [
    "CONTRACT_VERSION",
    "ArchitectureSpec",
    "ArrayData",
    "Augmentation",
    "AugmentationSpec",
    "Callback",
    "CallbackSpec",
    "CommandSpec",
    "ExportFormatSpec",
    "ExportJob",
    "ExportPrecision",
    "FLOAT32",
    "DatasetSpec",
    "Defaults",
    "LossContext",
    "LossSpec",
    "Paper",
    "Transition",
    "hookimpl",
    "upsampling_plan",
]

hookimpl = pluggy.HookimplMarker(PROJECT)

# The version of the contract itself (the hooks in ganzoo.hookspecs; the specs and helpers here,
# in ganzoo.blocks and the test kit), apart from ganzoo's: the major number changes when a plugin
# written for the previous contract can break (2.0: losses take a LossContext), the minor when
# something is only added (2.1: export formats may stay out of "all" and take a runtime
# folder; 2.2: an architecture's conditioning transition). A plugin may require one with a
# module attribute, ``requires_contract = ">=2.0,<3"``, which the registry checks
# (docs/plugins.md, "Contract versions and deprecations"). 1.0 was ganzoo 0.1's contract.
CONTRACT_VERSION = "2.2"

ImageShape = tuple[int, int, int]


@dataclass(frozen=True)
class Paper:
    """The publication an architecture or loss implements."""

    title: str
    url: str

    def __str__(self) -> str:
        return f"{self.title} ({self.url})"


@dataclass(frozen=True)
class Defaults:
    """Hyperparameters a run uses unless the user overrides them.

    `discriminator_steps` discriminator updates precede each generator update (5 for WGAN-GP).
    `steps` counts generator updates and is chosen so a default run on the bundled digits takes
    minutes on a laptop CPU. `ema_decay` is the decay of the generator weight average that
    samples and exports use (0 for none; see docs/training.md, "Weight averaging").
    """

    latent_dim: int = 100
    batch_size: int = 64
    loss: str = "nonsaturating"
    generator_lr: float = 2e-4
    discriminator_lr: float = 2e-4
    beta_1: float = 0.5
    beta_2: float = 0.999
    discriminator_steps: int = 1
    steps: int = 2000
    image_size: int = 28
    ema_decay: float = 0.999

    def replace(self, **changes: object) -> Defaults:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class Transition:
    """Conditioning that fades in: training starts unconditional and becomes conditional.

    Shahbazi, Danelljan, Paudel & Van Gool, "Collapse by Conditioning: Training
    Class-conditional GANs with Limited Data", ICLR 2022 (https://arxiv.org/abs/2201.06578;
    official code https://github.com/mshahbazi72/transitional-cGAN). The strength rises
    linearly from 0 at step `start` to 1 at step `end` (steps are generator updates). The
    discriminator returns two logits, unconditional and conditional, and both networks' losses
    are the loss of the first plus strength times the loss of the second; the generator's class
    input passes through a `ganzoo.layers.ConditioningStrength` layer, which the trainer sets to
    the strength before every step.
    """

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start <= self.end:
            raise ValueError(f"Transition needs 0 <= start <= end. Received: start="
                             f"{self.start}, end={self.end}.")

    def strength(self, step):
        """The strength after `step` generator updates (a number or an integer tensor)."""
        import tensorflow as tf

        span = float(max(self.end - self.start, 1))
        return tf.clip_by_value((tf.cast(step, tf.float32) - self.start) / span, 0.0, 1.0)


@dataclass(frozen=True)
class ArchitectureSpec:
    """A GAN architecture: how to build its two networks and how to train it by default.

    `build_generator(image_shape, num_classes, latent_dim)` returns a Keras model mapping
    ``z`` (float32 ``[batch, latent_dim]``), plus ``label`` (int32 ``[batch]``) when
    `conditional`, to images (float32 NHWC in [-1, 1]).
    `build_discriminator(image_shape, num_classes)` returns a Keras model mapping images (plus
    ``label`` when conditional) to logits of shape ``[batch, 1]``.
    `num_classes` is 0 for an unconditional architecture.

    With `auxiliary_classifier` (AC-GAN, Odena et al. 2017) the architecture is conditional, but
    its discriminator sees only the image and returns two outputs, the real/fake logit
    ``[batch, 1]`` and class logits ``[batch, num_classes]``; the trainer then adds the
    classification cross-entropy to both networks' losses.

    With a `transition` (`Transition`; conditional architectures) the discriminator returns two
    logits ``[batch, 1]``, unconditional then conditional, and the trainer fades the second in.

    With `self_supervised_loss` the discriminator returns further outputs after those (any
    shapes, batch first), and learns from them on real images: the trainer adds
    ``self_supervised_loss(real_images, extra_outputs)``, one value per example, to the
    discriminator's loss (FastGAN's decoders that reconstruct real images from the
    discriminator's features; Liu et al. 2021). The real images are those the discriminator
    saw, augmented when the run augments.
    """

    name: str
    summary: str
    paper: Paper
    build_generator: Callable[[ImageShape, int, int], keras.Model]
    build_discriminator: Callable[[ImageShape, int], keras.Model]
    conditional: bool = False
    auxiliary_classifier: bool = False
    defaults: Defaults = field(default_factory=Defaults)
    image_sizes: tuple[int, ...] = (28, 32, 64)
    channels: tuple[int, ...] = (1, 3)
    self_supervised_loss: Callable[[tf.Tensor, list[tf.Tensor]], tf.Tensor] | None = None
    transition: Transition | None = None

    def __post_init__(self) -> None:
        if self.transition is not None and not self.discriminator_takes_label:
            raise PluginError(f"Architecture {self.name!r}: a transition needs a conditional "
                              f"architecture whose discriminator takes the label (conditional="
                              f"True, no auxiliary_classifier).")

    def check_image_shape(self, image_shape: ImageShape) -> None:
        """Raise `UnsupportedImageShapeError` unless this architecture supports the shape."""
        height, width, channels = image_shape
        if height != width or height not in self.image_sizes or channels not in self.channels:
            sizes = ", ".join(f"{s}x{s}" for s in self.image_sizes)
            chans = " or ".join(str(c) for c in self.channels)
            raise UnsupportedImageShapeError(
                f"Architecture {self.name!r} supports square images of {sizes} with {chans} "
                f"channel(s). Received: image_shape={tuple(image_shape)}. "
                f"Choose one of those sizes with --image-size."
            )

    def generator(self, image_shape: ImageShape, num_classes: int, latent_dim: int) -> keras.Model:
        """Build the generator after checking the shape, then check what the plugin built."""
        self.check_image_shape(image_shape)
        self._check_classes(num_classes)
        model = self.build_generator(tuple(image_shape), num_classes, latent_dim)
        self._check_model(model, "generator", 2 if self.is_conditional else 1,
                          [(None, *image_shape)])
        return model

    def discriminator(self, image_shape: ImageShape, num_classes: int) -> keras.Model:
        """Build the discriminator after checking the shape, then check what the plugin built."""
        self.check_image_shape(image_shape)
        self._check_classes(num_classes)
        model = self.build_discriminator(tuple(image_shape), num_classes)
        outputs = ([(None, 1), (None, num_classes)] if self.auxiliary_classifier else
                   [(None, 1), (None, 1)] if self.transition is not None else [(None, 1)])
        self._check_model(model, "discriminator", 2 if self.discriminator_takes_label else 1,
                          outputs, extra_outputs=self.self_supervised_loss is not None)
        return model

    def check_reloadable(self, generator: keras.Model, registry: object = None) -> None:
        """Raise `PluginError` naming this architecture, its plugin (looked up in `registry`)
        and the layer at fault if `generator` cannot be saved and reloaded in Keras safe mode;
        the trainer calls it before the first step."""
        from ganzoo._reload import check_generator_reloads

        check_generator_reloads(generator, self, registry)

    @property
    def is_conditional(self) -> bool:
        """Whether the generator takes a label (true for auxiliary-classifier GANs too)."""
        return self.conditional or self.auxiliary_classifier

    @property
    def second_head(self) -> bool:
        """Whether the discriminator returns a second output after its logit: class logits
        (an auxiliary classifier) or the conditional logit of a transition."""
        return self.auxiliary_classifier or self.transition is not None

    @property
    def discriminator_takes_label(self) -> bool:
        return self.conditional and not self.auxiliary_classifier

    def _check_classes(self, num_classes: int) -> None:
        if self.is_conditional and num_classes < 2:
            raise UnsupportedImageShapeError(
                f"Architecture {self.name!r} is conditional and needs labelled data with at "
                f"least 2 classes. Received: num_classes={num_classes}. Use labelled data "
                f"(a folder with one subfolder per class, or an .npz with 'y')."
            )

    def _check_model(self, model: object, role: str, inputs: int,
                     outputs: list[tuple], extra_outputs: bool = False) -> None:
        import keras

        if not isinstance(model, keras.Model):
            raise PluginError(
                f"Architecture {self.name!r}: build_{role} must return a keras.Model. "
                f"Received: {type(model).__name__}.")
        if len(model.inputs) != inputs:
            raise PluginError(
                f"Architecture {self.name!r}: the {role} must take {inputs} input(s) "
                f"({'a tensor and an integer label' if inputs == 2 else 'one tensor'}). "
                f"Received a model with {len(model.inputs)} input(s).")
        received = [tuple(output.shape) for output in model.outputs]
        if extra_outputs:
            if len(received) <= len(outputs) or received[:len(outputs)] != outputs:
                raise PluginError(
                    f"Architecture {self.name!r}: with a self_supervised_loss the {role} must "
                    f"return {', '.join(map(str, outputs))}, then at least one output for that "
                    f"loss. Received: {', '.join(map(str, received))}.")
            return
        if received != outputs:
            raise PluginError(
                f"Architecture {self.name!r}: the {role} must have {len(outputs)} output(s) of "
                f"shape {', '.join(map(str, outputs))}. Received: "
                f"{', '.join(map(str, received))}.")


def discriminator_outputs(outputs, second_head: bool | None = None, *,
                          auxiliary_classifier: bool | None = None) -> tuple:
    """Split what a discriminator returned, in the order `ArchitectureSpec` lays down, into the
    real/fake logits, the second head (`ArchitectureSpec.second_head`: an auxiliary
    classifier's class logits or a transition's conditional logits; None without one) and the
    extra outputs for a self-supervised loss (a list, empty without one). The trainer, the
    sampler's realness score and the plugin test kit all read the outputs through this.
    `auxiliary_classifier=` is the keyword's name before contract 2.2, deprecated."""
    if auxiliary_classifier is not None:
        import warnings

        warnings.warn("discriminator_outputs(auxiliary_classifier=...) is deprecated since plugin "
                      "contract 2.2; pass second_head=spec.second_head.", DeprecationWarning,
                      stacklevel=2)
        second_head = auxiliary_classifier
    if not isinstance(outputs, (list, tuple)):
        return outputs, None, []
    if second_head:
        return outputs[0], outputs[1], list(outputs[2:])
    return outputs[0], None, list(outputs[1:])


@dataclass(frozen=True)
class LossContext:
    """What an adversarial loss sees for one batch.

    `real_logits` and `fake_logits` are the discriminator's float32 logits ``[batch, 1]`` for
    the real images and for the generated ones; `labels` are the batch's int32 class labels
    ``[batch]`` (generated images are drawn for the real batch's labels), or None when the run
    is unconditional. Both losses get both logits, so relativistic losses, which compare real
    with fake scores (Jolicoeur-Martineau 2018, https://arxiv.org/abs/1807.00734), can be
    written. Real logits carry no gradient to the generator: they depend only on the
    discriminator.
    """

    real_logits: tf.Tensor
    fake_logits: tf.Tensor
    labels: tf.Tensor | None = None

    @property
    def batch_size(self) -> int | None:
        """The batch size when it is known while tracing, else None."""
        return self.real_logits.shape[0]

    def __repr__(self) -> str:  # shapes, not values: it ends up in error messages
        def described(tensor):
            return None if tensor is None else f"<{tensor.dtype.name} {list(tensor.shape)}>"

        return (f"LossContext(real_logits={described(self.real_logits)}, "
                f"fake_logits={described(self.fake_logits)}, labels={described(self.labels)})")


LossRole = Literal["discriminator", "generator"]


@dataclass(frozen=True)
class LossSpec:
    """An adversarial loss: two pure functions of a `LossContext`, one value per example each.

    `discriminator_loss(context)` and `generator_loss(context)` return float ``[batch]`` losses
    (the trainer averages them over the global batch); see `LossContext` for what they receive.
    A positive `gradient_penalty_weight` adds Gulrajani et al.'s penalty to the discriminator
    loss. `realness(context)` returns float ``[batch]``, positive where the discriminator, by
    this loss's own decision boundary, judges a real image real: ADA's overfitting heuristic
    r_t is the mean of its sign (Karras et al. 2020 take ``sign(D(x))``, the boundary of the
    non-saturating loss; a least-squares boundary lies at 0.5, a Wasserstein critic has none
    but the fakes' scores). A loss without it cannot be trained with an augmentation that
    `needs_realness` (``--augment ada``). Example::

        def hinge_discriminator(context):
            return (tf.nn.relu(1 - context.real_logits[:, 0])
                    + tf.nn.relu(1 + context.fake_logits[:, 0]))

        LossSpec("hinge", "Hinge loss.", hinge_discriminator, lambda c: -c.fake_logits[:, 0])

    ganzoo 0.1 called ``discriminator_loss(real_logits, fake_logits)`` and
    ``generator_loss(fake_logits)``. A function that still requires two arguments is refused
    here with a `PluginError` naming the new signature; every 0.1 plugin has such a
    discriminator loss, so it is skipped at registration (with a warning naming it) instead of
    training the wrong thing. A 0.1 one-argument generator loss beside a migrated
    discriminator loss uses the context as a tensor, which `per_example` names as such.
    """

    name: str
    summary: str
    discriminator_loss: Callable[[LossContext], tf.Tensor]
    generator_loss: Callable[[LossContext], tf.Tensor]
    gradient_penalty_weight: float = 0.0
    paper: Paper | None = None
    realness: Callable[[LossContext], tf.Tensor] | None = None

    def __post_init__(self) -> None:
        for role in ("discriminator", "generator"):
            self._check_signature(role)

    def per_example(self, role: LossRole, context: LossContext) -> tf.Tensor:
        """The `role`'s loss for `context` as float32 ``[batch]``, after checking its shape.

        Raises `PluginError` naming the loss, the module and distribution it comes from, and the
        shape expected and received. Checked while tracing: the static shape must be
        ``[batch]`` (a batch size unknown while tracing matches any length).
        """
        import tensorflow as tf

        function = self._function(role)
        try:
            values = tf.convert_to_tensor(function(context))
        except (TypeError, ValueError) as error:
            # A one-argument loss written for ganzoo 0.1 (generator_loss(fake_logits)) uses
            # the context as a tensor; TensorFlow and Python then name its type.
            if "LossContext" not in str(error):
                raise
            raise self._error(role, f"{role}_loss must take a LossContext and read "
                                    f"context.fake_logits / context.real_logits, not use it as "
                                    f"a tensor (ganzoo 0.1's generator_loss(fake_logits) did). "
                                    f"Received: {type(error).__name__}: "
                                    f"{str(error).splitlines()[0]}") from error
        shape = values.shape
        if shape.rank != 1 or not shape.is_compatible_with([context.batch_size]):
            batch = "batch" if context.batch_size is None else context.batch_size
            received = "unknown" if shape.rank is None else tuple(shape.as_list())
            raise self._error(role, f"{role}_loss must return one value per example, shape "
                                    f"({batch},). Received: shape {received}.")
        return tf.cast(values, tf.float32)

    def _error(self, role: LossRole, message: str) -> PluginError:
        import tensorflow as tf

        # Not a TensorFlow computation: AutoGraph need not (and cannot) convert it.
        origin = tf.autograph.experimental.do_not_convert(_origin)(self._function(role))
        error = PluginError(f"Loss {self.name!r} ({origin}): {message}")
        # Inside tf.function, AutoGraph rewrites an exception into a many-line "in user code"
        # message unless it carries this marker; the error must stay one line.
        error.ag_pass_through = True
        return error

    def _function(self, role: LossRole) -> Callable[[LossContext], tf.Tensor]:
        return self.discriminator_loss if role == "discriminator" else self.generator_loss

    def _check_signature(self, role: LossRole) -> None:
        function = self._function(role)
        try:
            parameters = inspect.signature(function).parameters.values()
        except (TypeError, ValueError):  # builtins without a signature: trust them
            return
        positional = [p for p in parameters
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        required = [p for p in positional if p.default is p.empty]
        accepts_one = bool(positional) or any(p.kind is p.VAR_POSITIONAL for p in parameters)
        if len(required) > 1 or not accepts_one:
            raise PluginError(
                f"Loss {self.name!r} ({_origin(function)}): {role}_loss must take one argument, "
                f"a ganzoo.plugin.LossContext (context.real_logits, context.fake_logits, "
                f"context.labels), and return one value per example; the signatures of "
                f"ganzoo 0.1, discriminator_loss(real_logits, fake_logits) and "
                f"generator_loss(fake_logits), are no longer called. Received: "
                f"{role}_loss{inspect.signature(function)}.")


def _origin(function: Callable) -> str:
    """Where a plugin function comes from: its module, and its distribution when installed."""
    function = getattr(function, "func", function)  # functools.partial
    module = getattr(function, "__module__", None) or type(function).__module__
    distributions = metadata.packages_distributions().get(module.split(".")[0], [])
    if not distributions:
        return f"module {module}"
    name = distributions[0]
    return f"module {module}, distribution {name} {metadata.version(name)}"


@dataclass
class ArrayData:
    """A whole data set in memory: uint8 images NHWC and optional integer labels."""

    images: np.ndarray
    labels: np.ndarray | None = None
    class_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class DatasetSpec:
    """A named data source (``--data NAME``) that loads into memory as `ArrayData`.

    `ships_with_install` is true when `load` never needs the network.
    """

    name: str
    summary: str
    load: Callable[[], ArrayData]
    ships_with_install: bool = False


@dataclass(frozen=True)
class CommandSpec:
    """A ``ganzoo`` subcommand, built-in or from a plugin.

    `add_arguments(parser)` adds its flags to an `argparse.ArgumentParser`;
    `run(args)` does the work and returns the exit status. `help` is its line in
    ``ganzoo --help``; `description` heads ``ganzoo NAME --help`` (default: `help`) and
    `epilog` ends it, printed as written (line breaks kept).
    """

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
    description: str = ""
    epilog: str = ""


@dataclass(frozen=True)
class ExportPrecision:
    """One precision an export format can write (a ``--quantize`` value).

    `quantize` is the ``--quantize`` value, `label` the name used in file names and the report.
    A file passes its check when it differs from the Keras generator by at most 1e-4 (when
    `psnr_floor` is None) or reaches `psnr_floor` dB of PSNR (peak-to-peak 2, images on [-1, 1]).
    """

    quantize: str
    label: str
    psnr_floor: float | None = None
    summary: str = ""

    def infix(self) -> str:
        """What goes between ``generator`` and the format's suffix: ``""`` or ``".int8"``."""
        return "" if self.quantize == "none" else f".{self.label}"


FLOAT32 = ExportPrecision("none", "float32", summary="float32 weights and arithmetic")
"""The precision every format should take; the default of `ExportFormatSpec.precisions`."""


@dataclass(frozen=True)
class ExportJob:
    """One file for an export format to write: what `ExportFormatSpec.write` receives.

    `function` is a `tf.function` with the input signature ``z`` (float32
    ``[batch, latent_dim]``) and, for a conditional generator, ``label`` (int32 ``[batch]``),
    returning ``{"image": ...}``; `batch` is its fixed batch size (None: open).
    `path` is where to write: a temporary sibling of the final name that ganzoo renames once
    `write` returns, so a failed write never leaves a file that looks complete.
    `metadata` is the dictionary the file must carry and `read_metadata` return unchanged.
    `precision` is one of the format's `precisions`; `opset` the opset asked for (formats with
    `opsets`; else None). `calibration()` yields batches of inputs in the signature's order,
    for quantizations that calibrate. `layer_names` are the generator's layers, to name the
    one an unsupported operation comes from. `runtime_dir` is ``--runtime-dir`` for formats
    that bundle a runtime (`ExportFormatSpec.takes_runtime_dir`); else None.
    """

    function: tf.types.experimental.PolymorphicFunction
    path: Path
    metadata: dict[str, Any]
    precision: ExportPrecision
    batch: int | None
    opset: int | None
    layer_names: tuple[str, ...]
    calibration: Callable[[], Iterable[list[np.ndarray]]]
    runtime_dir: Path | None = None

    @property
    def concrete(self) -> tf.types.experimental.ConcreteFunction:
        return self.function.get_concrete_function()

    def variables_module(self) -> tf.Module:
        """A new `tf.Module` that owns the `tf.Variable`s `function` reads.

        Keras 3 variables wrap `tf.Variable`s. The SavedModel writer and the LiteRT converter
        need the wrapped ones tracked directly: given the Keras model instead, the converter
        leaves them as uninitialized resource variables and the .tflite file answers NaN.
        """
        import tensorflow as tf

        module = tf.Module()
        module.generator_variables = list(self.concrete.variables)
        return module


@dataclass(frozen=True)
class ExportFormatSpec:
    """An export format: its files, what it accepts, and how to write, run and read them.

    The built-in formats (savedmodel, tflite, onnx) are specs like any plugin's.

    `write(job)` writes one file (see `ExportJob`). `runner(path, threads)` loads the file in
    its own runtime and returns a callable from numpy inputs ``{"z": ..., "label": ...}`` to the
    numpy image batch (keep what it loads alive in its closure); `threads` None means one per
    core. `read_metadata(path)` returns the embedded metadata (or None). `size(path)` is the
    bytes written (default: the file's size, or the sum over a folder).

    `suffix` ends the file (or folder) name: ``generator{precision infix}{suffix}``.
    `precisions` are the ``--quantize`` values it takes, each with its check.
    `fixed_batch` is the batch a file gets when the user leaves the batch open and the format
    cannot leave it open (None: it can). `opsets` and `default_opset` are for formats that
    take ``--opset``. `in_all` False keeps the format out of ``--format all`` (it must be
    named: the web format, whose first export downloads a runtime). `takes_runtime_dir`: the
    format bundles a runtime and reads ``--runtime-dir`` (`ExportJob.runtime_dir`);
    `bundled(path)` returns what the export report records of that runtime (version, hashes).
    """

    name: str
    suffix: str
    runtime: str
    write: Callable[[ExportJob], None]
    runner: Callable[[Path, int | None], Callable[[dict[str, np.ndarray]], np.ndarray]]
    read_metadata: Callable[[Path], dict | None]
    summary: str = ""
    precisions: tuple[ExportPrecision, ...] = (FLOAT32,)
    fixed_batch: int | None = None
    opsets: range | None = None
    default_opset: int | None = None
    size: Callable[[Path], int] | None = None
    in_all: bool = True
    takes_runtime_dir: bool = False
    bundled: Callable[[Path], dict[str, Any]] | None = None

    def __post_init__(self) -> None:
        if not self.precisions:
            raise PluginError(f"Export format {self.name!r} must take at least one precision. "
                              f"Received: precisions=().")
        if (self.opsets is None) != (self.default_opset is None) or (
                self.opsets is not None and self.default_opset not in self.opsets):
            raise PluginError(f"Export format {self.name!r}: default_opset must be one of "
                              f"opsets. Received: opsets={self.opsets}, "
                              f"default_opset={self.default_opset}.")

    @property
    def quantizations(self) -> tuple[str, ...]:
        return tuple(p.quantize for p in self.precisions)

    def precision(self, quantize: str) -> ExportPrecision:
        return next(p for p in self.precisions if p.quantize == quantize)

    def filename(self, precision: ExportPrecision) -> str:
        return f"generator{precision.infix()}{self.suffix}"

    def bytes_written(self, path: Path) -> int:
        if self.size is not None:
            return self.size(path)
        path = Path(path)
        if path.is_dir():
            return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
        return path.stat().st_size


class Augmentation:
    """What the discriminator sees instead of each image: a differentiable transform of every
    real and every generated image, in the discriminator's and the generator's update alike
    (so the generator learns the clean distribution; Zhao et al. 2020, Karras et al. 2020).

    Randomness arrives as data: the input pipeline draws `randoms_per_image` uniform numbers
    in [0, 1) per image from the run's seed and the batch's index, so a run resumes exactly and
    a batch split across devices is augmented as on one device. An augmentation with state
    (ADA's probability) keeps it in `variables`, which the checkpoint saves.
    """

    randoms_per_image: int = 0

    def apply(self, images, randoms):
        """Augment NHWC float images in [-1, 1]; `randoms` is float32 ``[batch,
        randoms_per_image]``. Must be differentiable with respect to `images`."""
        raise NotImplementedError

    @property
    def variables(self) -> dict:
        """State to checkpoint, by name (tf.Variables created inside the strategy scope)."""
        return {}

    def statistics(self, realness):
        """Per-replica sums this augmentation learns from (a float32 vector), or None.
        `realness`: float32 ``[batch]`` of the step's real images, positive where the
        discriminator judges one real (the loss's `LossSpec.realness`); None when the loss
        declares none."""
        return None

    def update(self, step, statistics, images: int) -> None:
        """After each training step, in cross-replica context: `statistics` summed over
        replicas, `images` real images the step read."""
        # A body besides the docstring: AutoGraph, which converts this method inside the
        # training step, drops docstrings and failed on the empty body with a warning.
        return None

    def logs(self) -> dict[str, float]:
        """Values to log with the losses (metrics.jsonl, TensorBoard, progress bar)."""
        return {}


@dataclass(frozen=True)
class AugmentationSpec:
    """A discriminator augmentation (``--augment NAME``): `build()` returns a fresh
    `Augmentation` for a run (called inside the distribution strategy's scope).
    `needs_realness`: its `Augmentation.statistics` reads the loss's `LossSpec.realness`, so
    a loss that declares none is refused before the run starts."""

    name: str
    summary: str
    build: Callable[[], Augmentation]
    paper: Paper | None = None
    needs_realness: bool = False


class Callback:
    """Something that runs alongside training, called at fixed points of the loop.

    Subclass it and override the methods you need (the Keras callback conventions, with the
    training session in place of the model). Every method gets the `TrainingSession`
    (``ganzoo.training.TrainingSession``): its run directory (``session.run.path``), the
    `RunConfig` (``session.config``), the networks (``session.generator``,
    ``session.discriminator``, ``session.sampler``: the weight average samples come from),
    ``session.step``, ``session.save_checkpoint()``, ``session.log(record)``,
    ``session.request_stop()``, ``session.paused()`` and ``session.status``.

    Events, in the order a session meets them:

    - `on_train_begin`: after the networks, optimizers and data are set up and the last
      checkpoint restored (``session.start_step``), before the first step.
    - `on_step_begin` / `on_step_end`: around each training step; `logs` holds that step's
      ``d_loss`` and ``g_loss`` (floats).
    - `on_log`: a record that goes to ``metrics.jsonl`` (loss means every ``log_every`` steps,
      evaluation results); callbacks see it in turn and may add keys before it is written.
    - `on_checkpoint`: a checkpoint of `step` was written at `path`.
    - `on_train_end`: always, last; `logs` holds ``step``, ``interrupted`` (a stop was asked
      for) and ``error`` (the exception ending the session, or None).
    """

    def on_train_begin(self, session) -> None:
        """The session is set up; no step has run yet."""

    def on_step_begin(self, session, step: int) -> None:
        """Step number `step` (counting from 1 over the whole run) is about to run."""

    def on_step_end(self, session, step: int, logs: dict) -> None:
        """Step `step` ran; `logs` has its ``d_loss`` and ``g_loss``."""

    def on_log(self, session, step: int, record: dict) -> None:
        """`record` (with its ``step``) is on its way to ``metrics.jsonl``."""

    def on_checkpoint(self, session, step: int, path: str) -> None:
        """A checkpoint of `step` was written; `path` is its prefix."""

    def on_train_end(self, session, logs: dict) -> None:
        """The session ends (normally, by a stop request, or by the exception in ``error``)."""


@dataclass(frozen=True)
class CallbackSpec:
    """A callback a plugin adds to every training run (``ganzoo_callbacks``).

    `create(session)` returns a `Callback` for the session about to train, or None to sit
    this run out (ganzoo's evaluation callback does when ``--eval-every`` is not given). It
    runs before the first step, so one-time costs belong there.
    Callbacks meet every event in `order`, lowest first; ganzoo's own use 10 to 90, so a
    plugin's default of 100 sees each log record complete, after the built-ins added to it.
    """

    name: str
    summary: str
    create: Callable[[object], Callback | None]
    order: int = 100


def upsampling_plan(image_size: int, smallest: int = 4) -> tuple[int, int]:
    """Split a side length into a start size and a number of 2x upsamplings.

    Halves `image_size` while the result stays whole and at least `smallest`:
    28 -> (7, 2), 32 -> (4, 3), 64 -> (4, 4). Convolutional generators start from the first
    value and double the side that many times; discriminators halve it back.
    """
    start, doublings = image_size, 0
    while start % 2 == 0 and start // 2 >= smallest:
        start //= 2
        doublings += 1
    return start, doublings
