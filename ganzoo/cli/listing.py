"""``ganzoo list``: the installed architectures and the plugins that provide them."""

from __future__ import annotations

import argparse
import warnings

from ganzoo.plugin import CommandSpec


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``ganzoo list`` takes no options."""


def table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip()
                     for row in rows)


def run(args: argparse.Namespace) -> int:
    from ganzoo.registry import default_registry

    with warnings.catch_warnings(record=True):  # broken plugins get their own rows below
        warnings.simplefilter("always")
        registry = default_registry()
        provided = registry.architectures()
        conflicts = registry.conflicts()
        resolved = [c for c in registry.clashes() if c.winner is not None
                    and c.kind == "architecture"]
        plugins = registry.plugins
    rows = [["NAME", "CONDITIONAL", "PAPER", "PLUGIN"]]
    for name in sorted(provided):
        spec, plugin = provided[name].spec, provided[name].plugin
        rows.append([name, "yes" if spec.is_conditional else "no",
                     f"{spec.paper.title} {spec.paper.url}", f"{plugin.name} ({plugin.origin})"])
    for name, providers in sorted(conflicts.items()):
        rows.append([name, "?", "CONFLICT: provided by " +
                     " and ".join(p.origin for p in providers), "unusable"])
    for conflict in resolved:
        rows.append(["-", "-", f"CONFLICT: {conflict.message()}", "ignored: " +
                     ", ".join(f"{p.name} ({p.origin})" for p in conflict.ignored)])
    for plugin in plugins:
        if not plugin.ok:
            rows.append(["-", "-", f"BROKEN: {plugin.error}", f"{plugin.name} ({plugin.origin})"])
    print(table(rows))
    return 0


COMMAND = CommandSpec("list", "list the installed architectures", add_arguments, run,
                      description="List the installed architectures, the paper each "
                                  "implements, and the plugin it comes from.")
