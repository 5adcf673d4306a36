"""Find plugins through the ``ganzoo`` entry-point group and index what they provide.

Every plugin, built-in or third-party, is an entry point in that group. One that fails to import
is reported with a warning (naming the file and line) and skipped, so a broken install never
takes the others down. Name clashes, for every kind of item: the core's built-in (distribution
``ganzoo``) wins over a third-party plugin of the same name, with one warning naming both; two
third-party plugins that provide the same name make that one name unusable until one is
uninstalled or disabled. A plugin whose ``requires_contract`` excludes this ganzoo's
`CONTRACT_VERSION` is refused the same way as one that fails to import.

Environment:
  ``GANZOO_DISABLE_PLUGINS=a,b``      skip the entry points named ``a`` and ``b``;
  ``GANZOO_DISABLE_PLUGIN_AUTOLOAD=1`` load only the plugins that ship with ganzoo itself;
  ``GANZOO_TRACE_PLUGINS=1``          print every plugin load and hook call to stderr.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import sys
import time
import traceback
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Generic, TypeVar

import pluggy
from packaging.specifiers import InvalidSpecifier, SpecifierSet

import ganzoo
from ganzoo import hookspecs
from ganzoo.errors import DuplicateNameError, PluginError, UnknownNameError, did_you_mean
from ganzoo.plugin import (CONTRACT_VERSION, ArchitectureSpec, AugmentationSpec, CallbackSpec,
                           CommandSpec, DatasetSpec, ExportFormatSpec, LossSpec)

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
    """A plugin could not be loaded, provides nothing, or clashes with another one; everything
    else still works."""


@dataclass(frozen=True)
class PluginInfo:
    """Where a plugin came from, and why it is broken if it is."""

    name: str
    distribution: str | None = None
    version: str | None = None
    error: str | None = None
    requires_contract: str | None = None  # the plugin's own requires_contract, if it has one

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def origin(self) -> str:
        if self.distribution is None:
            return self.name
        return f"{self.distribution} {self.version}" if self.version else self.distribution


@dataclass(frozen=True)
class Conflict:
    """A name that more than one plugin provides for one kind of item.

    `winner` is the core's built-in when one of the providers is (it is used, the others are
    ignored); None when every provider is third-party, which makes the name unusable.
    """

    kind: str
    name: str
    providers: tuple[PluginInfo, ...]
    winner: PluginInfo | None = None

    @property
    def ignored(self) -> tuple[PluginInfo, ...]:
        return tuple(p for p in self.providers if p != self.winner)

    def message(self) -> str:
        """One line: who clashes, which one is used, and how to disable one."""
        if self.winner is not None:
            others = " and ".join(f"plugin {p.name!r} ({p.origin})" for p in self.ignored)
            return (f"{others} {'tries' if len(self.ignored) == 1 else 'try'} to replace the "
                    f"built-in {self.kind} {self.name!r} of {self.winner.origin}; the built-in "
                    f"is used, the plugin's is ignored (disable it with GANZOO_DISABLE_PLUGINS="
                    f"{','.join(p.name for p in self.ignored)}).")
        origins = " and ".join(f"plugin {p.name!r} ({p.origin})" for p in self.providers)
        choices = " or ".join(f"GANZOO_DISABLE_PLUGINS={p.name}" for p in self.providers)
        return (f"the {self.kind} {self.name!r} is provided by more than one plugin: "
                f"{origins}; it cannot be used until one is uninstalled or disabled with "
                f"{choices}.")


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
        self._empty: dict[str, str] = {}  # plugin name -> why it provides nothing
        self._warned: set[str] = set()
        self._index: dict[str, tuple[dict, dict]] | None = None
        if autoload:
            self._load_entry_points()

    def register(self, plugin: object, name: str | None = None, distribution: str | None = None,
                 version: str | None = None) -> PluginInfo:
        """Register a plugin object (a module or any object with hook implementations)."""
        name = name or getattr(plugin, "__name__", None) or type(plugin).__name__
        needed = _check_contract(plugin, name)
        try:
            self._manager.register(plugin, name=name)
        except (ValueError, pluggy.PluginValidationError) as error:
            raise PluginError(f"Plugin {name!r} could not be registered: {error}") from error
        hooks = self._manager.get_hookcallers(plugin) or []
        unknown = [caller.name for caller in hooks if not caller.has_spec()]
        if unknown:
            # pluggy accepts functions marked as hooks that match no hook; a typo would then
            # silently provide nothing.
            self._manager.unregister(name=name)
            raise PluginError(f"Plugin {name!r} implements a hook that does not exist: "
                              f"{', '.join(map(repr, unknown))}.{_did_you_mean(unknown[0])} "
                              f"The hooks are: {', '.join(_hook_names())}.")
        info = PluginInfo(name, distribution, version, requires_contract=needed)
        if not hooks:
            self._empty[name] = _why_empty(plugin)
            self._warn(f"ganzoo plugin {name!r} ({info.origin}) provides nothing: "
                       f"{self._empty[name]}")
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
        """What a plugin provides: ``{"architectures": [...], "losses": [...], ...}``.

        A name in a conflict is listed for every plugin that provides it, used or not.
        """
        self._build_index()
        provided: dict[str, list[str]] = {}
        for hook, (found, conflicts) in self._index.items():
            names = {name for name, item in found.items() if item.plugin == plugin}
            names |= {name for name, conflict in conflicts.items()
                      if plugin in conflict.providers}
            if names:
                provided[hook.removeprefix("ganzoo_")] = sorted(names)
        return provided

    def status(self, plugin: PluginInfo) -> tuple[str, str | None]:
        """``(status, why)``: ``"ok"``, ``"failed to load"``, ``"provides nothing"`` or
        ``"conflict"``, with the one-line reason (None when ok)."""
        if not plugin.ok:
            return "failed to load", plugin.error
        if plugin.name in self._empty:
            return "provides nothing", self._empty[plugin.name]
        clashes = [c.message() for c in self.clashes() if plugin in c.providers]
        if clashes:
            return "conflict", " ".join(clashes)
        return "ok", None

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
        """Names that more than one third-party plugin provides (so none is used), with every
        provider. A name the core provides too is not here: its built-in is used."""
        self._build_index()
        return {name: list(conflict.providers) for name, conflict in self._index[hook][1].items()
                if conflict.winner is None}

    def clashes(self) -> list[Conflict]:
        """Every name more than one plugin provides, of every kind, resolved or not."""
        self._build_index()
        return [conflict for _, conflicts in self._index.values()
                for conflict in conflicts.values()]

    def architecture(self, name: str) -> ArchitectureSpec:
        return self._lookup("ganzoo_architectures", name).spec

    def loss(self, name: str) -> LossSpec:
        return self._lookup("ganzoo_losses", name).spec

    def dataset(self, name: str) -> DatasetSpec:
        return self._lookup("ganzoo_datasets", name).spec

    def provider(self, architecture: str) -> PluginInfo:
        return self._lookup("ganzoo_architectures", architecture).plugin

    def lookup(self, kind: str, name: str) -> Provided:
        """The item `name` of `kind` (``"architecture"``, ``"loss"``, ``"dataset"``, ...) with
        the plugin that provides it; `UnknownNameError` or `DuplicateNameError` if none is
        usable."""
        hooks = {noun: hook for hook, (_, noun) in _KINDS.items()}
        if kind not in hooks:
            raise UnknownNameError("kind of plugin item", kind, hooks)
        return self._lookup(hooks[kind], name)

    def provenance(self, **names: str | None) -> dict[str, dict[str, str | None]]:
        """Where each named item comes from, as a run records it in ``config.json``.

        ``registry.provenance(architecture="dcgan", loss="hinge", dataset="digits")`` returns
        ``{"architecture": {"entry_point": "dcgan", "distribution": "ganzoo", "version":
        "0.1.0"}, ...}``. A name that is None or not registered (a dataset given as a folder or
        an .npz file) is left out.
        """
        recorded = {}
        for kind, name in names.items():
            if name is None:
                continue
            try:
                plugin = self.lookup(kind, name).plugin
            except UnknownNameError:
                continue
            recorded[kind] = {"entry_point": plugin.name, "distribution": plugin.distribution,
                              "version": plugin.version}
        return recorded

    def _items(self, hook: str) -> dict:
        self._build_index()
        return dict(self._index[hook][0])

    def _lookup(self, hook: str, name: str) -> Provided:
        self._build_index()
        found, conflicts = self._index[hook]
        noun = _KINDS[hook][1]
        if name in conflicts and conflicts[name].winner is None:
            providers = conflicts[name].providers
            origins = " and ".join(repr(p.origin) for p in providers)
            raise DuplicateNameError(
                f"The {noun} {name!r} is provided by more than one plugin: {origins}. "
                f"Uninstall one of them, or disable one with GANZOO_DISABLE_PLUGINS="
                f"{' or '.join(p.name for p in providers)}.")
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
                _trace("".join(traceback.format_exception(error)).rstrip())
                self._mark_broken(PluginInfo(entry_point.name, distribution, version),
                                  f"failed to import {entry_point.value!r} at "
                                  f"{_where(error, entry_point.module)}: "
                                  f"{type(error).__name__}: {error}")
                continue
            try:
                self.register(plugin, entry_point.name, distribution, version)
            except PluginError as error:
                needed = getattr(plugin, "requires_contract", None)
                self._mark_broken(PluginInfo(entry_point.name, distribution, version,
                                             requires_contract=needed), str(error))

    def _warn(self, message: str) -> None:
        # Once per registry: the index is rebuilt whenever a plugin is registered.
        if message not in self._warned:
            self._warned.add(message)
            warnings.warn(message, PluginLoadWarning, stacklevel=4)

    def _mark_broken(self, info: PluginInfo, why: str) -> None:
        self._warn(f"ganzoo plugin {info.name!r} ({info.origin}) is skipped: {why}")
        self._broken.append(dataclasses.replace(info, error=why))

    def _build_index(self) -> None:
        if self._index is not None:
            return
        index: dict[str, tuple[dict, dict]] = {hook: ({}, {}) for hook in _KINDS}
        by_name = {info.name: info for info in self._plugins}
        for hook, (spec_type, noun) in _KINDS.items():
            provided: dict[str, list[Provided]] = {}
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
                    provided.setdefault(spec.name, []).append(Provided(spec, info))
            found, conflicts = index[hook]
            for name, items in provided.items():
                if len(items) == 1:
                    found[name] = items[0]
                    continue
                built_in = [i for i in items if i.plugin.distribution == CORE_DISTRIBUTION]
                winner = built_in[0] if len(built_in) == 1 else None
                conflict = Conflict(noun, name, tuple(i.plugin for i in items),
                                    winner.plugin if winner else None)
                conflicts[name] = conflict
                if winner is not None:
                    found[name] = winner
                self._warn(f"ganzoo plugin conflict: {conflict.message()}")
        self._index = index

    def _unregister_broken(self, info: PluginInfo, why: str) -> None:
        self._manager.unregister(name=info.name)
        self._plugins.remove(info)
        self._mark_broken(info, why)


def _trace(message: str) -> None:
    if os.environ.get("GANZOO_TRACE_PLUGINS", "") not in ("", "0"):
        print(f"ganzoo trace: {message}", file=sys.stderr)


def _hook_names() -> list[str]:
    return sorted(name for name in dir(hookspecs) if name.startswith("ganzoo_"))


def _did_you_mean(name: str) -> str:
    close = did_you_mean(name, _hook_names(), n=1)
    return f" {close}" if close else ""


def _why_empty(plugin: object) -> str:
    """Why a registered plugin implements no hook, with the likely fix."""
    hooks = _hook_names()
    unmarked = [name for name in dir(plugin) if callable(getattr(plugin, name, None))
                and difflib.get_close_matches(name, hooks, n=1, cutoff=0.8)]
    what = getattr(plugin, "__name__", None) or type(plugin).__name__
    if unmarked:
        return (f"{what!r} defines {', '.join(map(repr, unmarked))} without @hookimpl "
                f"(from ganzoo.plugin import hookimpl).{_did_you_mean(unmarked[0])}")
    return (f"{what!r} has no @hookimpl function; a plugin implements at least one of: "
            f"{', '.join(hooks)}.")


def _where(error: BaseException, module: str) -> str:
    """``file:line`` where importing `module` failed: the deepest frame in the plugin's own
    package, else the deepest frame outside the import machinery."""
    if isinstance(error, SyntaxError) and error.filename:
        return f"{error.filename}:{error.lineno}"
    frames = [f for f in traceback.extract_tb(error.__traceback__)
              if not f.filename.startswith("<frozen")]
    if not frames:
        return module
    package = module.split(".")[0]
    own = [f for f in frames if package in Path(f.filename).with_suffix("").parts]
    frame = (own or frames)[-1]
    return f"{frame.filename}:{frame.lineno}"


def _check_contract(plugin: object, name: str) -> str | None:
    """The plugin's ``requires_contract`` (None if it has none); `PluginError` if it is not a
    version specifier or excludes `CONTRACT_VERSION`."""
    needed = getattr(plugin, "requires_contract", None)
    if needed is None:
        return None
    try:
        if not isinstance(needed, str):
            raise InvalidSpecifier(needed)
        accepted = SpecifierSet(needed)
    except InvalidSpecifier:
        raise PluginError(f"Plugin {name!r}: requires_contract must be a version specifier such "
                          f"as '>=2.0,<3'. Received: requires_contract={needed!r}.") from None
    if CONTRACT_VERSION not in accepted:
        raise PluginError(f"Plugin {name!r} requires plugin contract {needed}; ganzoo "
                          f"{ganzoo.__version__} has contract {CONTRACT_VERSION}. Install a "
                          f"ganzoo whose contract it accepts, or a release of the plugin made "
                          f"for contract {CONTRACT_VERSION}.")
    return needed


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
