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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pluggy

from ganzoo.errors import PluginError, UnsupportedImageShapeError
from ganzoo.hookspecs import PROJECT

if TYPE_CHECKING:
    import keras
    import tensorflow as tf

__all__ = [
    "ArchitectureSpec",
    "ArrayData",
    "CommandSpec",
    "ExportFormatSpec",
    "DatasetSpec",
    "Defaults",
    "LossSpec",
    "Paper",
    "hookimpl",
    "upsampling_plan",
]

hookimpl = pluggy.HookimplMarker(PROJECT)

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
        outputs = [(None, 1), (None, num_classes)] if self.auxiliary_classifier else [(None, 1)]
        self._check_model(model, "discriminator", 2 if self.discriminator_takes_label else 1,
                          outputs)
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
                     outputs: list[tuple]) -> None:
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
        if received != outputs:
            raise PluginError(
                f"Architecture {self.name!r}: the {role} must have {len(outputs)} output(s) of "
                f"shape {', '.join(map(str, outputs))}. Received: "
                f"{', '.join(map(str, received))}.")


@dataclass(frozen=True)
class LossSpec:
    """An adversarial loss: two pure functions of logits returning one value per example.

    `discriminator_loss(real_logits, fake_logits)` and `generator_loss(fake_logits)` take
    ``[batch, 1]`` logits and return ``[batch]`` losses; the trainer averages them over the global
    batch. A positive `gradient_penalty_weight` adds Gulrajani et al.'s penalty to the
    discriminator loss.
    """

    name: str
    summary: str
    discriminator_loss: Callable[[tf.Tensor, tf.Tensor], tf.Tensor]
    generator_loss: Callable[[tf.Tensor], tf.Tensor]
    gradient_penalty_weight: float = 0.0
    paper: Paper | None = None


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
class ExportFormatSpec:
    """An export format provided by a plugin, written in float32.

    `write(function, path, metadata)` writes the file at `path` from `function`, a
    `tf.function` with the input signature ``z`` (and ``label``) returning ``{"image": ...}``;
    `metadata` is the dictionary every ganzoo file carries and must read back unchanged.
    `runner(path)` returns a callable from ``{"z": ..., "label": ...}`` numpy inputs to the numpy
    image batch; `read_metadata(path)` returns the embedded metadata (or None). ganzoo checks
    the file against the Keras generator and times it like a built-in format. `fixed_batch`
    is the batch size the file must have when the user leaves it open (None: any batch).
    """

    name: str
    suffix: str
    runtime: str
    write: Callable[[object, Path, dict], None]
    runner: Callable[[Path], Callable[[dict], np.ndarray]]
    read_metadata: Callable[[Path], dict | None]
    summary: str = ""
    fixed_batch: int | None = None


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
