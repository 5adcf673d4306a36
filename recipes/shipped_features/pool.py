"""The training pool of ganzoo's shipped feature network: licence-clean colour pictures.

ganzoo scores a user's folder (FID, KID, precision, recall) in the space of a small feature
network that it ships. The benchmarks measure that network on three emoji domains of different
art style (benchmarks/_domains.py: OpenMoji, Twemoji, Fluent Emoji) and on reserved sets (Noto
emoji, KDE's Oxygen icons), so it must never be trained on any of them: `FORBIDDEN` names
them, and `refuse_forbidden` raises before such a source is fetched or drawn.

The pool is `SOURCES`: icon and emoji sets from npm (@iconify-json, SVG), the Tango icons
(Debian package, SVG) and photographs bundled with scikit-image, cut into crops at four scales
for natural textures. Each becomes `OUT/SOURCE/NAME.png`, 64x64 RGB on white, and
`OUT/manifest.json` records per source its package and exact version, its licence, the
attribution, the pictures drawn and those skipped.

The licence rule: the trained weights ship under Apache-2.0, so a source is used only if its
licence, read from the source's own metadata when the pool is built (an @iconify-json
``info.json``, the Debian ``copyright`` file, each scikit-image picture's docstring), is public
domain, CC0, CC BY (any version; not -SA, -NC or -ND), MIT, ISC or Apache-2.0, and is the
licence pinned in `SOURCES`. Any other source is skipped with a printed line.

    python recipes/shipped_features/pool.py --list
    python recipes/shipped_features/pool.py --out ~/pool [--cache DIR] [--size 64]

Needs npm, apt-get and dpkg (Debian or Ubuntu, for Tango), and ``pip install cairosvg
scikit-image==0.26.0``. 12,090 pictures in 45 s on one core of a 2-core machine, plus the
downloads (about 10 MB). Folders are resumable: a finished source has a ``.complete`` marker
and is not redrawn; the same pinned sources give the same files.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

if str(Path(__file__).resolve().parents[2] / "benchmarks") not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import _iconify  # noqa: E402  (benchmarks/_iconify.py, shared with the benchmark domains)

SIZE = 64
# Apart from the benchmark domains' cache (benchmarks/_domains.py), so no forbidden package
# ever lies among the pool's sources.
CACHE = _iconify.CACHE / "pool-sources"
ALLOWED = ("public-domain", "CC0-1.0", "MIT", "ISC", "Apache-2.0")  # and CC-BY-<version>
FORBIDDEN = {
    "noto": "Google's Noto emoji are a reserved set",
    "oxygen": "KDE's Oxygen icons are a reserved set",
    "openmoji": "OpenMoji is a benchmark domain",
    "twemoji": "Twemoji is a benchmark domain",
    # Wider than the domain (fluent-emoji*, fluentui*): Microsoft's Fluent icon sets share its
    # designers and shading, so none of them enters the pool.
    "fluent": "Microsoft Fluent Emoji is a benchmark domain",
    "emojione-v1": "Emoji One 1 is CC BY-SA 4.0",
}


@dataclass(frozen=True)
class Source:
    name: str
    kind: str  # "iconify", "debian" or "photos": the function in BUILDERS that draws it
    package: str
    version: str
    licence: str  # as the package's metadata stated it when the version was pinned
    what: str


def _iconify_source(name: str, version: str, licence: str, what: str) -> Source:
    return Source(name, "iconify", f"@iconify-json/{name}", version, licence, what)


SOURCES = (
    _iconify_source("emojione", "1.2.3", "CC-BY-4.0", "Emoji One 2 colour emoji"),
    _iconify_source("fxemoji", "1.2.2", "Apache-2.0", "Firefox OS emoji"),
    _iconify_source("streamline-emojis", "1.2.4", "CC-BY-4.0", "Streamline colour emoji"),
    _iconify_source("flat-color-icons", "1.2.3", "MIT", "Icons8 flat colour icons"),
    _iconify_source("logos", "1.2.20", "CC0-1.0", "brand and software logos"),
    _iconify_source("vscode-icons", "1.2.99", "MIT", "file-type icons"),
    _iconify_source("circle-flags", "1.2.11", "MIT", "round flags"),
    _iconify_source("flagpack", "1.2.8", "MIT", "rectangular flags"),
    _iconify_source("cryptocurrency-color", "1.2.4", "CC0-1.0", "coin logos"),
    _iconify_source("devicon", "1.2.68", "MIT", "programming tool logos"),
    _iconify_source("skill-icons", "1.2.4", "MIT", "tool logos on rounded tiles"),
    _iconify_source("catppuccin", "1.2.17", "MIT", "pastel file-type icons"),
    Source("tango", "debian", "tango-icon-theme", "0.8.90-11", "public-domain",
           "Tango desktop icons, shaded (SVG)"),
    Source("scikit-image", "photos", "scikit-image", "0.26.0", "per picture",
           "photographs, 64x64 crops at 4 scales"),
)
# scikit-image's bundled photographs; those whose docstring states no allowed licence
# (coins, immunohistochemistry: "no known copyright restrictions"; moon: nothing) are skipped.
PHOTOS = ("astronaut", "brick", "camera", "cell", "chelsea", "clock", "coffee", "coins", "grass",
          "gravel", "hubble_deep_field", "immunohistochemistry", "microaneurysms", "moon",
          "retina", "rocket")
TILES = (1, 2, 4, 8)  # crops per short side of a photograph; crops under SIZE are not upscaled


class ForbiddenSourceError(Exception):
    """A source the feature network must never see (a benchmark domain or a reserved set)."""


class Refused(Exception):
    """A source left out of the pool; the message says why."""


def refuse_forbidden(*names: str) -> None:
    """Raise `ForbiddenSourceError` if any of `names` (a source, package or icon-set prefix)
    contains a `FORBIDDEN` pattern."""
    for name in names:
        for pattern, why in FORBIDDEN.items():
            if pattern in name.lower():
                raise ForbiddenSourceError(
                    f"Source {name!r} is forbidden in the feature pool ({why}; pattern "
                    f"{pattern!r}). Forbidden patterns: {', '.join(FORBIDDEN)}.")


for _source in SOURCES:
    refuse_forbidden(_source.name, _source.package)


def allowed(licence: str) -> bool:
    """True for a licence (SPDX id, or ``public-domain``) that allows Apache-2.0 weights."""
    return licence in ALLOWED or re.fullmatch(r"CC-BY-\d\.\d", licence) is not None


def _check(source: Source, licence: str) -> None:
    if not allowed(licence):
        raise Refused(f"licence {licence} is not one of {', '.join(ALLOWED)}, CC-BY-*")
    if source.licence != licence:
        raise Refused(f"its metadata says {licence}, SOURCES pins {source.licence}: "
                      f"check the licence before changing the table")


def _icon_set(source: Source, folder: Path, cache: Path, size: int) -> dict:
    icon_set = _iconify.load(_iconify.fetch(source.package, source.version, cache))
    refuse_forbidden(icon_set.prefix)
    _check(source, icon_set.licence)
    rendered, skipped = _iconify.render(icon_set, folder, size)
    return {"licence": icon_set.licence, "licence_url": icon_set.info["license"].get("url"),
            "attribution": icon_set.attribution(), "rendered": rendered, "skipped": skipped,
            "hidden_left_out": icon_set.hidden}


def _debian_fetch(package: str, version: str, cache: Path) -> Path:
    target = cache / f"{package}-{version}"
    if (target / "usr").exists():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as scratch:
        try:
            subprocess.run(["apt-get", "download", f"{package}={version}"], cwd=scratch,
                           check=True, capture_output=True, text=True)
            (deb,) = Path(scratch).glob("*.deb")
            subprocess.run(["dpkg", "-x", str(deb), str(Path(scratch) / "unpacked")],
                           check=True, capture_output=True, text=True)
        except FileNotFoundError as error:
            raise Refused(f"needs apt-get and dpkg (Debian or Ubuntu): {error.filename} "
                          f"is missing") from None
        except subprocess.CalledProcessError as error:
            raise Refused(f"{' '.join(error.cmd)} failed: {error.stderr.strip()}") from None
        os.replace(Path(scratch) / "unpacked", target)
    return target


def _debian_licence(copyright_file: Path) -> str:
    """The ``License`` of the ``Files: *`` paragraph of a machine-readable Debian copyright."""
    for paragraph in copyright_file.read_text().split("\n\n"):
        fields = dict(re.findall(r"^(Files|License): *(\S*)", paragraph, re.MULTILINE))
        if fields.get("Files") == "*":
            return fields.get("License", "unknown")
    return "unknown"


def _tango(source: Source, folder: Path, cache: Path, size: int) -> dict:
    root = _debian_fetch(source.package, source.version, cache)
    licence = _debian_licence(root / "usr/share/doc" / source.package / "copyright")
    _check(source, licence)
    # Symbolic links are the same drawing under an older name: only the files themselves.
    svgs = sorted(path for path in (root / "usr/share/icons/Tango/scalable").glob("*/*.svg")
                  if not path.is_symlink())
    rendered, skipped = _iconify.rasterise(
        ((f"{svg.parent.name}-{svg.stem}", svg) for svg in svgs), folder, size)
    return {"licence": licence, "licence_url": None, "rendered": rendered, "skipped": skipped,
            "attribution": f"Tango Desktop Project icons (http://tango.freedesktop.org), "
                           f"{licence}; Debian package {source.package} {source.version}"}


def _docstring_licence(doc: str) -> tuple[str, str] | None:
    """(licence, the sentence stating it) from a scikit-image data docstring, or None."""
    kept = (line for line in doc.splitlines() if not re.fullmatch(r"\s*(Notes|-+)\s*", line))
    for sentence in re.split(r"(?<=\.)\s+", " ".join(" ".join(kept).split())):
        if re.search(r"\bCC0\b", sentence):
            return "CC0-1.0", sentence
        if re.search(r"public domain", sentence, re.IGNORECASE):
            return "public-domain", sentence
    return None


def _crops(picture, size: int):
    """(name, crop) for a grid of square crops TILES[i] per short side, resized to `size`."""
    from PIL import Image

    width, height = picture.size
    for tiles in TILES:
        side = min(width, height) // tiles
        if side < size:
            continue
        rows, columns = height // side, width // side
        top, left = (height - rows * side) // 2, (width - columns * side) // 2
        for row in range(rows):
            for column in range(columns):
                box = (left + column * side, top + row * side,
                       left + (column + 1) * side, top + (row + 1) * side)
                crop = picture.crop(box).resize((size, size), Image.Resampling.LANCZOS)
                yield f"{tiles}-{row}-{column}", crop


def _photos(source: Source, folder: Path, cache: Path, size: int) -> dict:
    from PIL import Image

    try:
        import skimage
        import skimage.data
    except ImportError:
        raise Refused(f"needs scikit-image: pip install scikit-image=={source.version}") from None
    if skimage.__version__ != source.version:
        raise Refused(f"needs scikit-image=={source.version}, the pinned version (its "
                      f"pictures and docstrings were checked). Received: {skimage.__version__}")
    folder.mkdir(parents=True, exist_ok=True)
    pictures, refused, rendered = [], [], 0
    for photo in PHOTOS:
        load = getattr(skimage.data, photo)
        stated = _docstring_licence(inspect.getdoc(load))
        if stated is None or not allowed(stated[0]):
            refused.append(photo)
            print(f"  skip scikit-image {photo}: its docstring states no licence that "
                  f"allows Apache-2.0 weights", flush=True)
            continue
        image = _iconify.on_white(Image.fromarray(load()))
        crops = 0
        for name, crop in _crops(image, size):
            target = folder / f"{photo}-{name}.png"
            if not target.exists():
                _iconify.save(crop, target)
            crops += 1
        rendered += crops
        pictures.append({"name": photo, "licence": stated[0], "crops": crops,
                         "attribution": f"{inspect.getdoc(load).splitlines()[0]} {stated[1]}"})
    return {"licence": ", ".join(sorted({p["licence"] for p in pictures})), "licence_url": None,
            "attribution": f"scikit-image {source.version} sample data (skimage.data), "
                           "licence per picture", "rendered": rendered, "skipped": 0,
            "pictures": pictures, "refused_pictures": refused}


BUILDERS = {"iconify": _icon_set, "debian": _tango, "photos": _photos}


def build(source: Source, out: Path, cache: Path, size: int = SIZE) -> dict:
    """Draw `source` into `out`/name and return its manifest entry; a folder with a
    ``.complete`` marker is not drawn again. Raises `Refused` for a source left out."""
    refuse_forbidden(source.name, source.package)
    folder = out / source.name
    marker = folder / ".complete"
    if marker.exists():
        return json.loads(marker.read_text())
    entry = {"name": source.name, "package": source.package, "version": source.version,
             **BUILDERS[source.kind](source, folder, cache, size)}
    marker.write_text(json.dumps(entry, indent=1) + "\n")
    return entry


def build_pool(out: Path, cache: Path = CACHE, size: int = SIZE) -> dict:
    """Every source of `SOURCES` into `out`, one line printed per source; writes and returns
    the manifest."""
    out.mkdir(parents=True, exist_ok=True)
    manifest = {"size": size, "sources": [], "refused": []}
    for source in SOURCES:
        start = time.perf_counter()
        try:
            entry = build(source, out, cache, size)
        except Refused as why:
            print(f"skip {source.name}: {why}", flush=True)
            manifest["refused"].append({"name": source.name, "package": source.package,
                                        "version": source.version, "reason": str(why)})
            continue
        manifest["sources"].append(entry)
        print(f"{source.name:<21} {entry['licence']:<24} {entry['rendered']:>6} pictures "
              f"{entry['skipped']:>3} skipped {time.perf_counter() - start:6.1f} s", flush=True)
    manifest["total"] = sum(entry["rendered"] for entry in manifest["sources"])
    partial = out / "manifest.json.part"
    partial.write_text(json.dumps(manifest, indent=1) + "\n")
    os.replace(partial, out / "manifest.json")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="the pool folder")
    parser.add_argument("--cache", type=Path, default=CACHE,
                        help=f"downloaded packages (default {CACHE})")
    parser.add_argument("--size", type=int, default=SIZE, help="picture side in pixels")
    parser.add_argument("--list", action="store_true", help="print the sources; fetch nothing")
    args = parser.parse_args(argv)
    if args.list:
        for source in SOURCES:
            print(f"{source.name:<21} {source.package + '@' + source.version:<48} "
                  f"{source.licence:<13} {source.what}")
        return 0
    if args.out is None:
        parser.error("--out is required (or --list)")
    start = time.perf_counter()
    manifest = build_pool(args.out, args.cache, args.size)
    print(f"{'total':<21} {len(manifest['sources'])} sources, {manifest['total']} pictures, "
          f"{len(manifest['refused'])} refused, {time.perf_counter() - start:.0f} s; "
          f"{args.out / 'manifest.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
