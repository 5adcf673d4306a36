"""Resolve what a training call asks for into a `RunConfig`, with its data opened once.

A new run takes the architecture's defaults for everything the caller leaves out; a resumed run
takes its ``config.json``, where each field's resume policy (`ganzoo.runs.resume_policy`)
decides what a new value does: refused (`FIXED`), recorded and used (`MAY_CHANGE`). The data is
opened here, once, and handed on to the session and the evaluator.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ganzoo.errors import GanzooError, RunError
from ganzoo.runs import CONFIG, FIXED, MAY_CHANGE, Run, RunConfig, resume_policy, write_atomic
from ganzoo.training.recommend import Recommendation, recommend

SAMPLE_FRAMES = 30
"""Sample grids a run writes by default (the frames of ``training.gif``)."""
# Unless the run says otherwise: a checkpoint and a log line every so many steps (docs/training.md
# states both; tests/test_docs_defaults.py holds the page to them).
CHECKPOINT_EVERY, LOG_EVERY = 500, 50


@dataclass
class Resolved:
    """A run ready to train: its directory (None until a new one is created), config and
    data."""

    config: RunConfig
    dataset: Any
    run: Run | None = None


def check_values(requested: dict[str, Any]) -> None:
    """Refuse impossible numbers before any work is done."""
    for name in ("steps", "batch_size", "latent_dim", "sample_every", "checkpoint_every",
                 "log_every", "eval_every"):
        value = requested.get(name)
        if value is not None and value < 1:
            raise GanzooError(f"{name} must be a positive integer. Received: {name}={value}.")
    if requested.get("seed") is not None and requested["seed"] < 0:
        raise GanzooError(f"seed must be zero or positive. Received: seed={requested['seed']}.")


def new_run(spec, registry, requested: dict[str, Any],
            recommendation: Recommendation | None = None) -> Resolved:
    """The config of a new run of `spec`: `requested` values (None: the default) over the
    architecture's defaults, checked, with the data opened and its shape settled.
    `recommendation`: the one already made for this data at this size, if any."""
    import ganzoo
    from ganzoo.data import load_data
    from ganzoo.data.folder import DEFAULT_BACKGROUND, DEFAULT_FIT
    from ganzoo.training.average import check_decay
    from ganzoo.training.runtime import check_precision

    defaults = spec.defaults
    loss = requested["loss"] or defaults.loss
    registry.loss(loss)  # unknown loss names fail before any data is read
    image_size = requested["image_size"] or defaults.image_size
    channels = requested["channels"]
    if image_size not in spec.image_sizes:
        spec.check_image_shape((image_size, image_size, spec.channels[0]))
    if channels is not None and channels not in spec.channels:
        spec.check_image_shape((image_size, image_size, channels))
    data, strict = requested["data"] or "digits", bool(requested["strict"])
    reading = dict(background=requested.get("background") or DEFAULT_BACKGROUND,
                   fit=requested.get("fit") or DEFAULT_FIT)
    dataset = load_data(data, image_size, channels, strict=strict, registry=registry, **reading)
    if dataset.image_shape[2] not in spec.channels:
        # The data's own channels do not suit the architecture: convert to the one it takes.
        dataset = load_data(data, image_size, spec.channels[-1], strict=strict,
                            registry=registry, **reading)
    spec.check_image_shape(dataset.image_shape)
    num_classes = dataset.num_classes if spec.is_conditional else 0
    if spec.is_conditional and num_classes < 2:
        spec.generator(dataset.image_shape, num_classes, 1)  # raises the conditional-data error
    steps = requested["steps"] or defaults.steps
    ema_decay = requested["ema_decay"]
    provider = registry.provider(spec.name)
    config = RunConfig(
        arch=spec.name, data=data, image_size=image_size, channels=dataset.image_shape[2],
        num_classes=num_classes,
        class_names=list(dataset.class_names) if spec.is_conditional else [],
        latent_dim=requested["latent_dim"] or defaults.latent_dim,
        batch_size=requested["batch_size"] or defaults.batch_size, loss=loss,
        generator_lr=defaults.generator_lr, discriminator_lr=defaults.discriminator_lr,
        beta_1=defaults.beta_1, beta_2=defaults.beta_2,
        discriminator_steps=defaults.discriminator_steps, steps=steps, seed=requested["seed"] or 0,
        sample_every=requested["sample_every"] or max(1, steps // SAMPLE_FRAMES),
        checkpoint_every=requested["checkpoint_every"] or min(CHECKPOINT_EVERY, steps),
        log_every=requested["log_every"] or min(LOG_EVERY, steps), strict=strict,
        deterministic=requested["deterministic"] is not False,
        ema_decay=check_decay(defaults.ema_decay if ema_decay is None else ema_decay),
        plugin={"name": provider.name, "distribution": provider.distribution,
                "version": provider.version},
        ganzoo_version=ganzoo.__version__, data_fingerprint=dataset.fingerprint, **reading,
    )
    # What the caller leaves unsaid of augmentation and precision is the measured
    # recommendation for this architecture on this data at this size.
    fallback = (recommendation or recommend(requested["data"], image_size, spec.name)
                ).within(registry)
    augment = requested.get("augment") or fallback.augment
    if augment != "none":
        # An unknown name, or a loss the augmentation cannot read, fails before the run
        # directory exists.
        if registry.augmentation(augment).needs_realness and registry.loss(loss).realness is None:
            raise GanzooError(
                f"--augment {augment} steers itself by how often the discriminator judges real "
                f"images real, and loss {loss!r} does not say where its decision boundary lies "
                f"(LossSpec.realness). Use another --augment (diffaugment), another --loss, or "
                f"give the loss a realness function.")
    config.augment = augment
    config.plugins = registry.provenance(architecture=spec.name, loss=loss, dataset=data,
                                         augmentation=None if augment == "none" else augment)
    config.precision = requested.get("precision") or check_precision(fallback.precision)
    for name in ("xla", "strategy", "eval_every"):
        if requested.get(name) is not None:
            setattr(config, name, requested[name])
    return Resolved(config, dataset)


def resumed_run(path: str | os.PathLike, requested: dict[str, Any], registry) -> Resolved:
    """Reopen a run: refuse a new value for a `FIXED` setting, take new `MAY_CHANGE` ones
    (`save_changed_config` records them, under the run's lock), and open its data as it was
    trained. Writes nothing."""
    import warnings

    from ganzoo.data import load_data

    run = Run.open(path)
    config = run.config
    changes = {}
    for name, value in requested.items():
        if value is None or value == getattr(config, name):
            continue
        if resume_policy(name) == FIXED:
            raise RunError(f"--{name.replace('_', '-')} cannot change when resuming: run "
                           f"{str(run.path)!r} was trained with {name}="
                           f"{getattr(config, name)!r}. Received: {name}={value!r}.")
        if resume_policy(name) == MAY_CHANGE:
            changes[name] = value
    run.require_plugins(registry=registry)
    dataset = load_data(config.data, config.image_size, config.channels, strict=config.strict,
                        background=config.background, fit=config.fit, registry=registry)
    if config.num_classes and dataset.num_classes != config.num_classes:
        raise GanzooError(
            f"The conditional architecture {config.arch!r} was set up for {config.num_classes} "
            f"classes, but {config.data!r} has {dataset.num_classes}. Received: "
            f"num_classes={dataset.num_classes}.")
    if config.data_fingerprint and dataset.fingerprint != config.data_fingerprint:
        warnings.warn(f"The data {config.data!r} changed since run {str(run.path)!r} started "
                      f"(its fingerprint differs); training continues on the data as it is now, "
                      f"so the resumed run will not match an uninterrupted one.", stacklevel=3)
    for name, value in changes.items():
        setattr(config, name, value)
    return Resolved(config, dataset, run)


def save_changed_config(run: Run) -> None:
    """Write the settings a resume changed; only while holding the run's lock."""
    if run.config != Run.open(run.path).config:
        write_atomic(run.path / CONFIG, run.config.to_json())


def create_run_directory(out: Path, config: RunConfig) -> Run:
    """A new, uniquely named run directory holding `config`."""
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
