"""Every `ganzoo` and `ganzoo-edge` command the user pages show is one the command line accepts:
a renamed flag or a dropped choice fails here, not in a reader's terminal. A console block's
command is parsed whole; a command quoted in prose is often a fragment (`ganzoo sample
--seed S`), so there only its subcommand and flags are checked. Nothing is run (running them is
what the pages' recorded outputs come from)."""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
PROGRAMS = ("ganzoo", "ganzoo-edge")


def _command_words(line: str) -> list[str] | None:
    """The words of `line` from the program name on, or None if it runs no ganzoo program.
    Shell prompts, `time`, environment assignments, comments, pipes and the pages' optional
    `[...]` brackets are left out."""
    line = line.strip().removeprefix("$ ")
    try:
        words = shlex.split(line.replace("[", "").replace("]", ""), comments=True)
    except ValueError:  # an unbalanced quote: not a command line
        return None
    while words and (words[0] == "time" or re.fullmatch(r"[A-Z_]+=.*", words[0])):
        words = words[1:]
    for stop in ("|", "&&", ";", ">"):
        if stop in words:
            words = words[:words.index(stop)]
    if len(words) > 1 and words[1].endswith(":"):  # a quoted message: `ganzoo export: error: ...`
        return None
    return words if words and words[0] in PROGRAMS else None


def documented_commands() -> list[tuple[str, list[str], bool]]:
    """(where, words, whole) of each command in a console block (`$ ` lines, with `\\`
    continuations; whole) and in each inline code span that starts with a program name."""
    found = []
    for page in PAGES:
        text = page.read_text()
        for block in re.findall(r"```(?:console|bash|sh)\n(.*?)```", text, re.DOTALL):
            for command in re.findall(r"^\$ (.*?)(?<!\\)$", block.replace("\\\n", " "),
                                      re.MULTILINE):
                words = _command_words(command)
                if words:
                    found.append((f"{page.name}: {command.strip()}", words, True))
        prose = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
        for span in re.findall(r"`([^`\n]+)`", prose):
            if "..." in span or not span.startswith(PROGRAMS):
                continue
            words = _command_words(span)
            if words and len(words) > 1:  # a bare program name is prose, not a command
                found.append((f"{page.name}: {span}", words, False))
    return found


COMMANDS = documented_commands()


def _parser(program: str):
    from ganzoo.cli import build_parser
    from ganzoo_edge.cli import build_parser as build_edge_parser

    return build_parser() if program == "ganzoo" else build_edge_parser()


def _flags(words: list[str]) -> set[str] | None:
    """The flags the program (and subcommand) of `words` accepts, from its own --help; None
    if it has no such subcommand."""
    help_words = [*words[1:2], "--help"] if words[0] == "ganzoo" else ["--help"]
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        try:
            _parser(words[0]).parse_args(help_words)
        except SystemExit as stop:
            if stop.code != 0:
                return None
    return set(re.findall(r"--[\w-]+", out.getvalue()))


def test_the_pages_show_commands_of_every_subcommand():
    # The extraction itself could silently find nothing; the pages use every built-in command.
    from ganzoo.cli import BUILT_IN_COMMANDS

    used = {words[1] for _, words, whole in COMMANDS if whole and words[0] == "ganzoo"}
    listed = {"listing": "list"}
    assert {listed.get(name, name) for name in BUILT_IN_COMMANDS} <= used
    assert any(words[0] == "ganzoo-edge" for _, words, whole in COMMANDS if whole)


@pytest.mark.parametrize("where, words, whole", COMMANDS,
                         ids=[where.split(" #")[0] for where, _, _ in COMMANDS])
def test_every_command_on_the_user_pages_is_accepted(where, words, whole, capsys):
    if whole:
        try:
            _parser(words[0]).parse_args(words[1:])
        except SystemExit as stop:  # --help and --version exit 0; a refusal exits 2
            assert stop.code == 0, f"{where}: {capsys.readouterr().err.strip()}"
        return
    if words[0] == "ganzoo" and words[1].isupper():  # a placeholder: `ganzoo NAME --help`
        return
    flags = _flags(words)
    assert flags is not None, f"{where}: no such command"
    unknown = {w.split("=")[0] for w in words if w.startswith("--")} - flags
    assert not unknown, f"{where}: no such flag {sorted(unknown)}"
