"""The API reference in docs/api/ is generated from the docstrings and never goes stale: the test
rebuilds it as ``python docs/build_api.py`` does and compares the bytes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
API = ROOT / "docs" / "api"
REBUILD = "python docs/build_api.py"


def files(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def test_the_committed_api_reference_is_what_the_docstrings_build(tmp_path):
    # A subprocess, as a user runs it: the build puts lazily exported names into the modules.
    done = subprocess.run([sys.executable, str(ROOT / "docs" / "build_api.py"),
                           "--out", str(tmp_path / "api")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    built, committed = files(tmp_path / "api"), files(API)
    stale = sorted(name for name in built.keys() | committed.keys()
                   if built.get(name) != committed.get(name))
    assert not stale, (f"docs/api/ is stale, these files differ from what the docstrings "
                       f"build: {', '.join(stale)}. Run `{REBUILD}` and commit docs/api/.")


def test_the_api_reference_documents_every_exported_name():
    import ganzoo
    import ganzoo.metrics
    import ganzoo.plugin
    import ganzoo.testing
    import ganzoo_edge

    for module in (ganzoo, ganzoo.metrics, ganzoo.plugin, ganzoo.testing, ganzoo_edge):
        page = (API / f"{module.__name__.replace('.', '/')}.html").read_text()
        missing = [name for name in module.__all__ if f'id="{name}"' not in page]
        assert not missing, f"{module.__name__}: {missing} not in docs/api/; run `{REBUILD}`."


def test_the_api_reference_stays_small():
    size = sum(len(content) for content in files(API).values())
    assert size < 1_000_000, f"docs/api/ is {size / 1e6:.1f} MB; it is committed, keep it small."
