"""Find plugins through the ``ganzoo`` entry-point group and index what they provide.

Every plugin, built-in or third-party, is an entry point in that group. One that fails to import
is reported with a warning and skipped, so a broken install never takes the others down; two
plugins that provide the same name make that one name unusable until one is uninstalled.

Environment:
  ``GANZOO_DISABLE_PLUGINS=a,b``      skip the entry points named ``a`` and ``b``;
  ``GANZOO_DISABLE_PLUGIN_AUTOLOAD=1`` load only the plugins that ship with ganzoo itself;
  ``GANZOO_TRACE_PLUGINS=1``          print every plugin load and hook call to stderr.
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata
from typing import Generic, TypeVar

import pluggy

from ganzoo import hookspecs
from ganzoo.errors import DuplicateNameError, PluginError, UnknownNameError
from ganzoo.plugin import (ArchitectureSpec, AugmentationSpec, CallbackSpec, CommandSpec,
                           DatasetSpec, ExportFormatSpec, LossSpec)

ENTRY_POINT_GROUP = "ganzoo"
CORE_DISTRIBUTION = "ganzoo"

T = TypeVar("T", ArchitectureSpec, LossSpec, DatasetSpec, CommandSpec, ExportFormatSpec,
            CallbackSpec, AugmentationSpec)

# hook name -> (spec type, noun used in messages)
_KINDS: dict[str, tuple[type, str]] = {
    "ganzoo_architectures": (ArchitectureSpec, "architecture"),
    "ganzoo_losses": (LossSpec, "loss"),
    "ganzoo_datasets": (DatasetSpec, "dataset"),
    "ganzoo_cli_commands": (CommandSpec, "command"),
    "ganzoo_export_formats": (ExportFormatSpec, "export format"),
    "ganzoo_callbacks": (CallbackSpec, "callback"),
    "ganzoo_augmentations": (AugmentationSpec, "augmentation"),
}


class PluginLoadWarning(UserWarning):
    """A plugin could not be loaded; everything else still works."""


@dataclass(frozen=True)
class PluginInfo:
    """Where a plugin came from, and why it is broken if it is."""

    name: str
    distribution: str | None = None
    version: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def origin(self) -> str:
        if self.distribution is None:
            return self.name
        return f"{self.distribution} {self.version}" if self.version else self.distribution


@dataclass(frozen=True)
class Provided(Generic[T]):
    """A spec together with the plugin that provided it."""

    spec: T
    plugin: PluginInfo


class Registry:
    """The plugins ganzoo knows and the architectures, losses and datasets they provide.

    ``Registry()`` loads every entry point of the ``ganzoo`` group;
    ``Registry(autoload=False)`` starts empty, for tests that `register` plugins inline.
    """

    def __init__(self, autoload: bool = True) -> None:
        self._manager = pluggy.PluginManager(hookspecs.PROJECT)
        self._manager.add_hookspecs(hookspecs)
        self._plugins: list[PluginInfo] = []
        self._broken: list[PluginInfo] = []
        self._index: dict[str, tuple[dict, dict]] | None = None
        if autoload:
            self._load_entry_points()

    def register(self, plugin: object, name: str | None = None, distribution: str | None = None,
                 version: str | None = None) -> PluginInfo:
        """Register a plugin object (a module or any object with hook implementations)."""
        name = name or getattr(plugin, "__name__", None) or type(plugin).__name__
        try:
            self._manager.register(plugin, name=name)
        except (ValueError, pluggy.PluginValidationError) as error:
            raise PluginError(f"Plugin {name!r} could not be registered: {error}") from error
        try:
            # pluggy accepts functions marked as hooks that match no hook; a typo would then
            # silently provide nothing.
            self._manager.check_pending()
        except pluggy.PluginValidationError as error:
            self._manager.unregister(name=name)
            raise PluginError(f"Plugin {name!r} implements a hook that does not exist: {error}. "
                              f"The hooks are: {', '.join(_KINDS)}.") from error
        info = PluginInfo(name, distribution, version)
        self._plugins.append(info)
        self._index = None
        return info

    @property
    def plugins(self) -> list[PluginInfo]:
        """Every plugin seen, the broken ones included (with their error)."""
        self._build_index()
        return [*self._plugins, *self._broken]

    def hooks_of(self, plugin: PluginInfo) -> list[str]:
        """The hooks a registered plugin implements."""
        if not plugin.ok:
            return []
        registered = self._manager.get_plugin(plugin.name)
        return sorted(caller.name for caller in self._manager.get_hookcallers(registered) or [])

    def provided_by(self, plugin: PluginInfo) -> dict[str, list[str]]:
        """What a plugin provides: ``{"architectures": [...], "losses": [...], ...}``."""
        self._build_index()
        provided: dict[str, list[str]] = {}
        for hook, (found, conflicts) in self._index.items():
            names = [name for name, item in found.items() if item.plugin == plugin]
            names += [name for name, providers in conflicts.items() if plugin in providers]
            if names:
                provided[hook.removeprefix("ganzoo_")] = sorted(names)
        return provided

    def architectures(self) -> dict[str, Provided[ArchitectureSpec]]:
        return self._items("ganzoo_architectures")

    def losses(self) -> dict[str, Provided[LossSpec]]:
        return self._items("ganzoo_losses")

    def datasets(self) -> dict[str, Provided[DatasetSpec]]:
        return self._items("ganzoo_datasets")

    def commands(self) -> dict[str, Provided[CommandSpec]]:
        return self._items("ganzoo_cli_commands")

    def export_formats(self) -> dict[str, Provided[ExportFormatSpec]]:
        return self._items("ganzoo_export_formats")

    def callbacks(self) -> dict[str, Provided[CallbackSpec]]:
        return self._items("ganzoo_callbacks")

    def augmentations(self) -> dict[str, Provided[AugmentationSpec]]:
        return self._items("ganzoo_augmentations")

    def augmentation(self, name: str) -> AugmentationSpec:
        return self._lookup("ganzoo_augmentations", name).spec

    def conflicts(self, hook: str = "ganzoo_architectures") -> dict[str, list[PluginInfo]]:
        """Names that more than one plugin provides, with every provider."""
        self._build_index()
        return self._index[hook][1]

    def architecture(self, name: str) -> ArchitectureSpec:
        return self._lookup("ganzoo_architectures", name).spec

    def loss(self, name: str) -> LossSpec:
        return self._lookup("ganzoo_losses", name).spec

    def dataset(self, name: str) -> DatasetSpec:
        return self._lookup("ganzoo_datasets", name).spec

    def provider(self, architecture: str) -> PluginInfo:
        return self._lookup("ganzoo_architectures", architecture).plugin

    def _items(self, hook: str) -> dict:
        self._build_index()
        return dict(self._index[hook][0])

    def _lookup(self, hook: str, name: str) -> Provided:
        self._build_index()
        found, conflicts = self._index[hook]
        noun = _KINDS[hook][1]
        if name in conflicts:
            origins = " and ".join(repr(p.origin) for p in conflicts[name])
            raise DuplicateNameError(
                f"The {noun} {name!r} is provided by more than one plugin: {origins}. "
                f"Uninstall one of them, or disable one with GANZOO_DISABLE_PLUGINS=<entry point>."
            )
        if name not in found:
            raise UnknownNameError(noun, name, found)
        return found[name]

    def _load_entry_points(self) -> None:
        disabled = {n.strip() for n in os.environ.get("GANZOO_DISABLE_PLUGINS", "").split(",")}
        core_only = os.environ.get("GANZOO_DISABLE_PLUGIN_AUTOLOAD", "") not in ("", "0")
        for entry_point in _unique(metadata.entry_points(group=ENTRY_POINT_GROUP)):
            distribution = entry_point.dist.name if entry_point.dist else None
            version = entry_point.dist.version if entry_point.dist else None
            if entry_point.name in disabled or (core_only and distribution != CORE_DISTRIBUTION):
                continue
            try:
                _trace(f"loading entry point {entry_point.name} = {entry_point.value} "
                       f"({distribution} {version})")
                plugin = entry_point.load()
            except Exception as error:  # a broken plugin must not take the others down
                self._mark_broken(PluginInfo(entry_point.name, distribution, version),
                                  f"failed to import {entry_point.value!r}: "
                                  f"{type(error).__name__}: {error}")
                continue
            try:
                self.register(plugin, entry_point.name, distribution, version)
            except PluginError as error:
                self._mark_broken(PluginInfo(entry_point.name, distribution, version), str(error))

    def _mark_broken(self, info: PluginInfo, why: str) -> None:
        warnings.warn(f"ganzoo plugin {info.name!r} ({info.origin}) is skipped: {why}",
                      PluginLoadWarning, stacklevel=3)
        self._broken.append(PluginInfo(info.name, info.distribution, info.version, why))

    def _build_index(self) -> None:
        if self._index is not None:
            return
        index: dict[str, tuple[dict, dict]] = {hook: ({}, {}) for hook in _KINDS}
        by_name = {info.name: info for info in self._plugins}
        for hook, (spec_type, noun) in _KINDS.items():
            found, conflicts = index[hook]
            for impl in getattr(self._manager.hook, hook).get_hookimpls():
                info = by_name[impl.plugin_name]
                try:
                    started = time.perf_counter()
                    specs = _check_specs(impl.function(), spec_type, noun, hook)
                    _trace(f"{impl.plugin_name}.{hook}() -> {[s.name for s in specs]} "
                           f"({(time.perf_counter() - started) * 1000:.1f} ms)")
                except Exception as error:  # same promise as import: one bad plugin is skipped
                    self._unregister_broken(info, f"{hook}() failed: {type(error).__name__}: "
                                                  f"{error}")
                    self._index = None
                    return self._build_index()
                for spec in specs:
                    if spec.name in found or spec.name in conflicts:
                        first = found.pop(spec.name, None)
                        providers = conflicts.setdefault(spec.name, [])
                        if first is not None:
                            providers.append(first.plugin)
                        providers.append(info)
                        warnings.warn(
                            f"The {noun} {spec.name!r} is provided by more than one plugin: "
                            + " and ".join(repr(p.origin) for p in providers)
                            + "; it cannot be used until one is removed.",
                            PluginLoadWarning, stacklevel=4)
                    else:
                        found[spec.name] = Provided(spec, info)
        self._index = index

    def _unregister_broken(self, info: PluginInfo, why: str) -> None:
        self._manager.unregister(name=info.name)
        self._plugins.remove(info)
        self._mark_broken(info, why)


def _trace(message: str) -> None:
    if os.environ.get("GANZOO_TRACE_PLUGINS", "") not in ("", "0"):
        print(f"ganzoo trace: {message}", file=sys.stderr)


def _check_specs(result: object, spec_type: type, noun: str, hook: str) -> list:
    if not isinstance(result, (list, tuple)):
        raise PluginError(f"{hook}() must return a list of {spec_type.__name__}. "
                          f"Received: {type(result).__name__}.")
    for item in result:
        if not isinstance(item, spec_type):
            raise PluginError(f"{hook}() must return {spec_type.__name__} items for each "
                              f"{noun}. Received: {type(item).__name__}.")
    return list(result)


def _unique(entry_points: Iterable[metadata.EntryPoint]) -> list[metadata.EntryPoint]:
    # An editable install next to a regular one can list the same entry point twice.
    seen, unique = set(), []
    for entry_point in entry_points:
        key = (entry_point.name, entry_point.value)
        if key not in seen:
            seen.add(key)
            unique.append(entry_point)
    return unique


_default: Registry | None = None


def default_registry() -> Registry:
    """The process-wide registry of installed plugins, loaded on first use."""
    global _default
    if _default is None:
        _default = Registry()
    return _default


def reset_default_registry(registry: Registry | None = None) -> None:
    """Replace (or forget) the process-wide registry; for tests and long-lived sessions."""
    global _default
    _default = registry
