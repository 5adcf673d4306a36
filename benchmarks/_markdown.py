"""Writing a benchmark's figures into a Markdown page without touching the rest of it."""

from __future__ import annotations

import os
import re
from pathlib import Path


def replace_section(path: Path, title: str, start: str, end: str, body: str) -> None:
    """Put ``## title``, then `body` between the `start` and `end` markers, into `path` in
    place of that section, or append it; leave the rest of the file. Written through a
    temporary file, so a crash never leaves the page half-written."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"## {re.escape(title)}\s*\n\s*{re.escape(start)}.*?{re.escape(end)}",
                         re.S)
    section = f"## {title}\n\n{start}\n{body}\n{end}"
    if pattern.search(text):
        text = pattern.sub(lambda _: section, text)
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
