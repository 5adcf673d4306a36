"""Iconify icon sets (npm ``@iconify-json/*``) as folders of colour pictures.

An @iconify-json package holds ``info.json`` (name, licence {title, spdx, url}, author) and
``icons.json``: the default ``width``/``height`` and ``icons`` {name: {body, width?, height?,
left?, top?, hidden?}}; ``aliases`` only rename or flip an icon, so they are left out, and so
are ``hidden`` icons (kept by Iconify for old names, many repeat a visible one). Each icon
becomes ``<svg viewBox="left top width height">body</svg>``, the box widened to a square
around its centre, rasterised with cairosvg and laid on white as an RGB PNG.

Shared by benchmarks/_domains.py (the benchmark domains) and
recipes/shipped_features/pool.py (the feature network's training pool); the PNG helpers
`on_white` and `save` serve every rasterised source there.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import tarfile
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

EXTRA = "pip install cairosvg  (or: pip install -e '.[bench]'), and npm (Node.js)"
CACHE = Path("~/.cache/ganzoo").expanduser()  # each user of this module has a folder in it
SVG = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
       'width="{size}" height="{size}" viewBox="{left:g} {top:g} {side:g} {side:g}">{body}</svg>')
MASK = re.compile(r"<mask\b[^>]*>")
MASK_GEOMETRY = re.compile(r'\s(?:maskUnits|x|y|height)="[^"]*"')
FILTER_USE = re.compile(r'\sfilter="url\(#[^"]*\)"')


def _cairosvg():
    try:
        import cairosvg
    except ImportError:
        raise SystemExit(f"error: rasterising SVG needs cairosvg: {EXTRA}") from None
    return cairosvg


@dataclass(frozen=True)
class IconSet:
    """One unpacked @iconify-json package: its metadata and its visible icons by name."""

    package: str
    version: str
    prefix: str
    info: dict
    width: float
    height: float
    icons: dict
    hidden: int

    @property
    def licence(self) -> str:
        """The SPDX id of the set's licence, as its own info.json states it."""
        licence = self.info.get("license", {})
        return licence.get("spdx") or licence.get("title", "unknown")

    def attribution(self) -> str:
        author = self.info.get("author", {})
        licence = self.info.get("license", {})
        return (f"{self.info.get('name', self.prefix)} by {author.get('name', 'unknown')} "
                f"({author.get('url', 'no address')}), {licence.get('title', self.licence)} "
                f"({licence.get('url', 'no address')}); npm {self.package}@{self.version}")

    def svg(self, name: str, size: int) -> str:
        """Icon `name` as a standalone SVG document, `size` pixels square, centred."""
        icon = self.icons[name]
        width = icon.get("width", self.width)
        height = icon.get("height", self.height)
        side = max(width, height)
        left = icon.get("left", 0) - (side - width) / 2
        top = icon.get("top", 0) - (side - height) / 2
        region = (f'<mask maskUnits="userSpaceOnUse" x="{left:g}" y="{top:g}" '
                  f'width="{side:g}" height="{side:g}"')
        body = MASK.sub(lambda tag: _with_region(tag.group(0), region), icon["body"])
        # cairosvg applies a filter's feOffset but not its feGaussianBlur, feColorMatrix or
        # feComposite, so a soft highlight or inner shadow became a hard, shifted copy of its
        # shape. Fluent Emoji: 2,932 of 3,120 icons use filters; against librsvg 2.54 at 64
        # px, the mean difference per channel was 5.2/255 with the filters, 1.9 without.
        body = FILTER_USE.sub("", body)
        return SVG.format(size=size, body=body, side=side, left=left, top=top)


def _with_region(tag: str, region: str) -> str:
    """A ``<mask>`` start tag that states no region, given the icon's whole box.

    cairosvg misplaces the default region (the masked shape's box plus 10%) and often draws
    nothing (Kozea/CairoSVG#214; every circle-flags icon came out white). The whole box draws
    the same, as nothing outside it is visible."""
    if re.search(r"\swidth=", tag):
        return tag
    return region + MASK_GEOMETRY.sub("", tag[len("<mask"):])


def fetch(package: str, version: str, cache: Path) -> Path:
    """Unpack the npm tarball of `package`@`version` under `cache` (once) and return its
    folder. ``npm pack`` checks the tarball against the registry's integrity hash; the hash is
    kept beside it in ``npm-pack.json``."""
    target = cache / f"{package.lstrip('@').replace('/', '+')}-{version}"
    if (target / "package" / "package.json").exists():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as scratch:
        try:
            report = subprocess.run(
                ["npm", "pack", f"{package}@{version}", "--json", "--pack-destination", scratch],
                check=True, capture_output=True, text=True, cwd=scratch).stdout
        except FileNotFoundError:
            raise SystemExit(f"error: fetching {package} needs npm: {EXTRA}") from None
        except subprocess.CalledProcessError as error:
            raise SystemExit(f"error: npm pack {package}@{version} failed: "
                             f"{error.stderr.strip().splitlines()[-1:]}") from None
        (packed,) = json.loads(report)
        unpacked = Path(scratch) / "unpacked"
        with tarfile.open(Path(scratch) / packed["filename"]) as archive:
            archive.extractall(unpacked, filter="data")
        (unpacked / "npm-pack.json").write_text(json.dumps(
            {key: packed[key] for key in ("id", "shasum", "integrity")}, indent=1) + "\n")
        os.replace(unpacked, target)
    return target


def load(folder: Path) -> IconSet:
    """The icon set unpacked in `folder` by `fetch`."""
    package = json.loads((folder / "package" / "package.json").read_text())
    icons = json.loads((folder / "package" / "icons.json").read_text())
    info_file = folder / "package" / "info.json"
    info = json.loads(info_file.read_text()) if info_file.exists() else icons.get("info", {})
    visible = {name: icon for name, icon in sorted(icons["icons"].items())
               if not icon.get("hidden")}
    # Iconify's default box, where a set states none, is 16x16.
    return IconSet(package=package["name"], version=package["version"], prefix=icons["prefix"],
                   info=info, width=icons.get("width", 16), height=icons.get("height", 16),
                   icons=visible, hidden=len(icons["icons"]) - len(visible))


def on_white(image):
    """A PIL image of any mode as RGB, its transparent parts on white."""
    from PIL import Image

    rgba = image.convert("RGBA")
    picture = Image.new("RGB", rgba.size, (255, 255, 255))
    picture.paste(rgba, mask=rgba.getchannel("A"))
    return picture


def save(picture, target: Path) -> None:
    """Write `picture` as PNG through a temporary name, so a stopped run leaves no half file."""
    partial = target.with_suffix(".part")
    picture.save(partial, format="PNG")
    os.replace(partial, target)


def rasterise(svgs: Iterable[tuple[str, str | Path]], folder: Path, size: int) -> tuple[int, int]:
    """Draw each (name, SVG text or file) into `folder`/name.png, `size`x`size` on white.
    Files already there are kept. Returns (pictures in the folder, SVGs cairosvg failed on)."""
    from PIL import Image

    cairosvg = _cairosvg()
    folder.mkdir(parents=True, exist_ok=True)
    rendered = skipped = 0
    for name, svg in svgs:
        target = folder / f"{name}.png"
        if not target.exists():
            source = {"url": str(svg)} if isinstance(svg, Path) else {"bytestring": svg.encode()}
            try:
                png = cairosvg.svg2png(**source, output_width=size, output_height=size)
            except Exception:  # a few icons use SVG that cairosvg cannot draw: skip them
                skipped += 1
                continue
            save(on_white(Image.open(io.BytesIO(png))), target)
        rendered += 1
    return rendered, skipped


def render(icon_set: IconSet, folder: Path, size: int) -> tuple[int, int]:
    """Every visible icon of `icon_set` into `folder` as NAME.png; see `rasterise`."""
    return rasterise(((name, icon_set.svg(name, size)) for name in icon_set.icons), folder, size)
