"""Build the API reference, docs/api/, from the public API's docstrings with pdoc.

    pip install -e ".[docs]"            # pdoc, at the release that wrote docs/api/
    python docs/build_api.py            # rewrites docs/api/ (open docs/api/index.html)
    python docs/build_api.py --out DIR  # writes DIR instead

The public API is what these modules export in ``__all__``: `MODULES`. The output is HTML
without timestamps, source listings or a search index, so the same source gives the same bytes;
tests/test_api_docs.py rebuilds it and fails when the committed docs/api/ differs.
"""

from __future__ import annotations

import argparse
import importlib
import re
import shutil
import sys
import tempfile
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
API = ROOT / "docs" / "api"
TEMPLATES = ROOT / "docs" / "api_template"  # index.html: what each module is for
MODULES = ("ganzoo", "ganzoo.metrics", "ganzoo.plugin", "ganzoo.testing", "ganzoo_edge",
           "ganzoo_edge.latents")


def pinned_pdoc() -> str:
    """The pdoc release of the ``docs`` extra: another release writes other HTML."""
    found = re.search(r'"pdoc==([^"]+)"', (ROOT / "pyproject.toml").read_text())
    if found is None:
        raise SystemExit("error: pyproject.toml pins no pdoc release (\"pdoc==X\" in the docs "
                         "extra)")
    return found.group(1)


def source_version() -> str:
    """ganzoo's version in pyproject.toml: what this source tree documents, whichever release
    happens to be installed (``ganzoo.__version__`` reads the installed metadata)."""
    return re.search(r'(?m)^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text()).group(1)


def prepare_modules() -> None:
    """Import `MODULES`, each with every name of its ``__all__`` in its namespace.

    ganzoo and ganzoo.metrics export some names through a module ``__getattr__`` so that
    importing them stays fast (TensorFlow loads on first use). pdoc reads a module's
    ``__dict__`` and would report those names as unresolved, so they are resolved here, once,
    for the build's own process.
    """
    for name in MODULES:
        module = importlib.import_module(name)
        for exported in module.__all__:
            if exported not in vars(module):
                setattr(module, exported, getattr(module, exported))
    sys.modules["ganzoo"].__version__ = source_version()


class _AsWritten(str):
    """An annotation as the source writes it (``tf.Tensor``), shown without quotes."""

    def __repr__(self) -> str:
        return str(self)


def _as_written(annotation, *_):
    return _AsWritten(annotation) if isinstance(annotation, str) else annotation


def _all_as_written(annotations: dict, *_) -> dict:
    return {name: _as_written(annotation) for name, annotation in annotations.items()}


def build(out: Path) -> list[Path]:
    """Write the reference into `out` (replacing what is there); return the files written."""
    import pdoc
    import pdoc.doc
    import pdoc.render

    if pdoc.__version__ != pinned_pdoc():
        raise SystemExit(f"error: docs/api/ is written with pdoc {pinned_pdoc()} (pip install -e "
                         f"\".[docs]\"), as pinned in pyproject.toml; another release writes "
                         f"other HTML. Received: pdoc {pdoc.__version__}.")
    stray = [path for path in out.rglob("*") if path.is_file() and path.suffix != ".html"]
    if stray:
        raise SystemExit(f"error: {out} holds files pdoc did not write ({stray[0]}); give an "
                         f"empty or new folder, or docs/api/.")
    prepare_modules()
    # pdoc evaluates string annotations and prints the class's home, which for TensorFlow and
    # Keras is an internal module that moves between releases (`tf.Tensor` is printed as
    # tensorflow.python.framework.tensor.Tensor), so the reference would change with the
    # installed TensorFlow. Every annotation is a string here (`from __future__ import
    # annotations`), shown as the source writes it.
    pdoc.doc.safe_eval_type, pdoc.doc.resolve_annotations = _as_written, _all_as_written
    pdoc.render.configure(docformat="google", show_source=False, search=False,
                          template_directory=TEMPLATES)
    with tempfile.TemporaryDirectory() as folder, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pdoc.pdoc(*MODULES, output_directory=Path(folder))
        problems = [str(w.message) for w in caught
                    if w.filename.startswith(str(Path(pdoc.__file__).parent))]
        if problems:
            raise SystemExit("error: pdoc could not document everything:\n  "
                             + "\n  ".join(problems))
        if out.exists():
            shutil.rmtree(out)
        for written in sorted(Path(folder).rglob("*.html")):
            target = out / written.relative_to(folder)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(written.read_bytes())
    return sorted(path for path in out.rglob("*") if path.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=API,
                        help="the folder to write (default: docs/api/)")
    args = parser.parse_args(argv)
    files = build(args.out)
    size = sum(path.stat().st_size for path in files)
    print(f"wrote {len(files)} files ({size / 1e3:.0f} kB) to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
