"""The plugin contract: every hook a ganzoo plugin may implement.

A plugin is any module or object with functions marked ``@ganzoo.plugin.hookimpl`` whose names
match the stubs below. Plugins are found through the ``ganzoo`` entry-point group; the built-in
architectures, losses, datasets and commands are registered exactly that way, in ganzoo's own
``pyproject.toml``. Each hook returns a list, so one plugin can provide several items, and
each hook is called once per plugin so the registry knows who provided what.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from ganzoo.plugin import (ArchitectureSpec, AugmentationSpec, CallbackSpec, CommandSpec,
                               DatasetSpec, ExportFormatSpec, LossSpec)

PROJECT = "ganzoo"
hookspec = pluggy.HookspecMarker(PROJECT)


@hookspec
def ganzoo_architectures() -> list[ArchitectureSpec]:
    """Return the GAN architectures this plugin provides.

    Each `ArchitectureSpec` names the architecture, cites its paper, declares its default
    hyperparameters and the image sizes it supports, and builds a generator (latent vector, plus
    an integer label when conditional, to an NHWC image in [-1, 1]) and a discriminator (image,
    plus label when conditional, to one logit per image).
    """


@hookspec
def ganzoo_losses() -> list[LossSpec]:
    """Return the adversarial losses this plugin provides.

    A `LossSpec` pairs a discriminator loss and a generator loss, both pure functions of a
    `LossContext` (real and fake logits, and the labels) that return one value per example, and
    may ask the trainer for a gradient penalty.
    """


@hookspec
def ganzoo_datasets() -> list[DatasetSpec]:
    """Return the named data sources this plugin provides (``--data NAME``).

    A `DatasetSpec` loads the whole data set as uint8 arrays; the shared pipeline resizes,
    converts channels, scales to [-1, 1], shuffles and batches it.
    """


@hookspec
def ganzoo_cli_commands() -> list[CommandSpec]:
    """Return subcommands for the ``ganzoo`` command line.

    A `CommandSpec` names the subcommand, adds its arguments to an `argparse` parser and runs
    it, returning the exit status. Raise a `ganzoo.errors.GanzooError` for bad input: the
    command line prints it as one line and exits with status 2. ganzoo's own subcommands come
    through this hook too (entry point ``commands``); a plugin command with a built-in's name
    is a conflict, and the built-in is used.
    """


@hookspec
def ganzoo_export_formats() -> list[ExportFormatSpec]:
    """Return the export formats this plugin provides (``ganzoo export --format NAME``).

    An `ExportFormatSpec` names the format, its file suffix and runtime, the precisions it takes
    (each with the check its files must pass), a fixed batch or opsets if it has them, and how
    to write a file from the generator's serving function (an `ExportJob`), run it in its
    runtime and read its metadata back. The built-in savedmodel, tflite and onnx formats arrive
    through this hook too, so every format gets the same option checks, parity check against the
    Keras generator, timing and line in ``ganzoo export --help``.
    """


@hookspec
def ganzoo_callbacks() -> list[CallbackSpec]:
    """Return callbacks to run alongside every training run.

    A `CallbackSpec` names the callback and creates a `ganzoo.plugin.Callback` for each
    training session (or None to skip that session). ganzoo's own logging, TensorBoard, sample
    grids, checkpoints, evaluation, health warnings and progress bar arrive through this hook;
    a plugin adds, say, experiment tracking. See docs/plugins.md.
    """


@hookspec
def ganzoo_augmentations() -> list[AugmentationSpec]:
    """Return discriminator augmentations (``ganzoo train --augment NAME``).

    An `AugmentationSpec` builds a `ganzoo.plugin.Augmentation`: a differentiable transform
    applied to every real and generated image before the discriminator, in both updates, fed
    with uniform random numbers the input pipeline draws per image (exact resume, equal
    replicas). ganzoo's ``diffaugment``, ``diffaugment-no-cutout`` and ``ada`` arrive through
    this hook.
    """
