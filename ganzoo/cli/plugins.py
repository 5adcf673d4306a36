"""``ganzoo plugins``: every plugin, where it comes from, what it provides, and whether it loaded."""

from __future__ import annotations

import argparse
import json

import ganzoo
from ganzoo.cli.listing import table
from ganzoo.plugin import CONTRACT_VERSION, CommandSpec


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


# The name README gave this list before `ganzoo.list_plugins` (0.2.0); kept for those who used it.
describe_plugins = ganzoo.list_plugins


def run(args: argparse.Namespace) -> int:
    described = ganzoo.list_plugins()
    if args.json:
        print(json.dumps(described, indent=2))
        return 0
    rows = [["PLUGIN", "DISTRIBUTION", "HOOKS", "PROVIDES", "STATUS"]]
    for plugin in described:
        provides = "; ".join(f"{kind}: {', '.join(names)}"
                             for kind, names in plugin["provides"].items())
        status = plugin["status"] + (f": {plugin['error']}" if plugin["error"] else "")
        rows.append([plugin["name"], f"{plugin['distribution']} {plugin['version']}",
                     ", ".join(plugin["hooks"]) or "-", provides or "-", status])
    print(f"ganzoo {ganzoo.__version__}, plugin contract {CONTRACT_VERSION}")
    print(table(rows))
    return 0


COMMAND = CommandSpec(
    "plugins", "list plugins, their hooks and what they provide", add_arguments, run,
    description="List every plugin found through the 'ganzoo' entry-point group: its "
                "distribution and version, the hooks it implements, what it provides, and its "
                "status (ok, failed to load, provides nothing, or conflict). The first line "
                "names the plugin contract version that plugins may require.")
