"""``--format web``: a static folder that draws from the generator in a browser, no server code.

``generator_web/`` holds:

- ``generator.onnx``: the ONNX file of ``--format onnx`` (tf2onnx), with every "SAME" padding
  written out as explicit pads: onnxruntime-web's WebGPU backend computed stride-2 "SAME"
  padding wrongly in earlier releases, and explicit pads mean the same on every backend;
- ``model.json``: the file's metadata (what the page needs: latent size, classes, output);
- ``index.html``, ``page.js`` (ganzoo/exporting/web/) and ``latents.js``, the JavaScript twin of
  `ganzoo_edge.latents`, so ``?seed=S`` draws what ``ganzoo-edge --seed S`` draws;
- ``ort/``: onnxruntime-web `RUNTIME_VERSION` (npm, MIT), the three files its WebGPU build
  needs (it runs WebAssembly too), each checked against its SHA-256 at that version.

The runtime comes from ``--runtime-dir`` (e.g. an ``npm install``ed
``node_modules/onnxruntime-web/dist``), else from the npm registry's tarball, fetched once into
ganzoo's cache and checked against npm's integrity hash (`RUNTIME_INTEGRITY`) before anything is
read from it; tests point `REGISTRY` (``GANZOO_NPM_REGISTRY``) at a local server. Nothing in the
folder reaches the network: open it through ``ganzoo serve DIR``.

Not part of ``--format all``: it is 30 MB of runtime, and its first export fetches it.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import json
import os
import shutil
import sys
import tarfile
import urllib.error
import urllib.request
from importlib import resources
from pathlib import Path
from typing import Any

from ganzoo.exporting._errors import ExportError
from ganzoo.plugin import ExportFormatSpec, ExportJob, hookimpl

RUNTIME_PACKAGE = "onnxruntime-web"
RUNTIME_VERSION = "1.31.1"
# npm's dist.integrity of onnxruntime-web-1.31.1.tgz (`npm view onnxruntime-web@1.31.1
# dist.integrity`), and the SHA-256 of each file the page loads from its dist/ folder.
RUNTIME_INTEGRITY = ("sha512-5GeH+bWQ+HxM10z7erGlsWqryrwMbSvm/1tkIsKTT48g0fI19VXVVC435t4t7VsPdSQeS7"
                     "NmuZPXrQ73k82URw==")
RUNTIME_FILES = {
    "ort.webgpu.min.mjs": "329cd956772397a1aedd668e911195d39afefb182f6fc14aafa4f08ac8d8f379",
    "ort-wasm-simd-threaded.asyncify.mjs":
        "59cf781530e1a16df2a291d78798e3ec1152467edaec402d6f9599d85047c302",
    "ort-wasm-simd-threaded.asyncify.wasm":
        "ca319e9539cd0f1e291cf56074760121eaf39650f5dbf84b6e52c07f4b2944ec",
}
RUNTIME_MIB = 29
REGISTRY = os.environ.get("GANZOO_NPM_REGISTRY", "https://registry.npmjs.org")
PAGE_FILES = ("index.html", "page.js")
MODEL, METADATA = "generator.onnx", "model.json"


def write(job: ExportJob) -> None:
    from ganzoo.exporting.formats import onnx as onnx_format

    folder = Path(job.path)
    folder.mkdir(parents=True)
    onnx_format.write(dataclasses.replace(job, path=folder / MODEL))
    explicit_pads(folder / MODEL)
    runtime = _runtime_files(job.runtime_dir)
    (folder / "ort").mkdir()
    for name, source in runtime.items():
        shutil.copyfile(source, folder / "ort" / name)
    (folder / "ort" / "NOTICE").write_text(
        f"{RUNTIME_PACKAGE} {RUNTIME_VERSION} (https://www.npmjs.com/package/{RUNTIME_PACKAGE}"
        f"), Copyright (c) Microsoft Corporation, MIT License. Files: {', '.join(runtime)}.\n",
        encoding="utf-8")
    page = resources.files("ganzoo.exporting") / "web"
    for name in PAGE_FILES:
        (folder / name).write_bytes((page / name).read_bytes())
    (folder / "latents.js").write_bytes(
        (resources.files("ganzoo_edge") / "latents.js").read_bytes())
    (folder / METADATA).write_text(
        json.dumps({**job.metadata, "runtime": bundled(folder)}, indent=1) + "\n",
        encoding="utf-8")


def bundled(path: Path) -> dict[str, Any]:
    """The runtime the folder bundles, as ``model.json`` and the export report record it."""
    return {"package": RUNTIME_PACKAGE, "version": RUNTIME_VERSION,
            "integrity": RUNTIME_INTEGRITY, "files": dict(RUNTIME_FILES)}


def explicit_pads(path: Path) -> int:
    """Rewrite every Conv with ``auto_pad`` SAME_UPPER or SAME_LOWER in the ONNX file `path`
    to explicit ``pads`` (ONNX's Conv: output = ceil(input / stride); the total padding split
    with the extra pixel at the end for SAME_UPPER, at the start for SAME_LOWER). Returns how
    many nodes changed. The export's parity check runs on the rewritten file."""
    import onnx

    model = onnx.load(str(path))
    inferred = onnx.shape_inference.infer_shapes(model).graph
    shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
              for v in (*inferred.value_info, *model.graph.input)}
    shapes.update({i.name: list(i.dims) for i in model.graph.initializer})
    changed = 0
    for node in model.graph.node:
        attributes = {a.name: a for a in node.attribute}
        mode = attributes.get("auto_pad")
        if mode is None or mode.s not in (b"SAME_UPPER", b"SAME_LOWER"):
            continue
        if node.op_type != "Conv":
            raise ExportError(f"Format 'web' writes explicit pads and has no rule for "
                              f"{node.op_type} with auto_pad {mode.s.decode()} (node "
                              f"{node.name}); export --format onnx instead.")
        spatial = shapes.get(node.input[0], [])[2:]
        kernel = (list(attributes["kernel_shape"].ints) if "kernel_shape" in attributes
                  else shapes.get(node.input[1], [])[2:])
        if not spatial or 0 in spatial or not kernel:
            raise ExportError(f"Format 'web' cannot write explicit pads for {node.name}: its "
                              f"input's size is not known; export --format onnx instead.")
        strides = list(attributes["strides"].ints) if "strides" in attributes else [1] * len(kernel)
        dilations = (list(attributes["dilations"].ints) if "dilations" in attributes
                     else [1] * len(kernel))
        begin, end = [], []
        for size, k, s, d in zip(spatial, kernel, strides, dilations):
            out = -(-size // s)
            total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
            small, large = total // 2, total - total // 2
            begin.append(small if mode.s == b"SAME_UPPER" else large)
            end.append(large if mode.s == b"SAME_UPPER" else small)
        node.attribute.remove(mode)
        node.attribute.append(onnx.helper.make_attribute("pads", begin + end))
        changed += 1
    if changed:
        onnx.save(model, str(path))
    return changed


def _runtime_files(runtime_dir: Path | None) -> dict[str, Path]:
    """The runtime's files, checked: from `runtime_dir`, else from ganzoo's cache (fetched
    there once from the npm registry)."""
    if runtime_dir is not None:
        folder = Path(runtime_dir).expanduser()
        where = f"--runtime-dir {str(folder)!r}"
        if not folder.is_dir():
            raise ExportError(f"{where} is not a folder; give the dist/ folder of "
                              f"{RUNTIME_PACKAGE}@{RUNTIME_VERSION} (npm install "
                              f"{RUNTIME_PACKAGE}@{RUNTIME_VERSION}: "
                              f"node_modules/{RUNTIME_PACKAGE}/dist).")
    else:
        folder = runtime_cache()
        where = f"the cached {RUNTIME_PACKAGE} in {str(folder)!r}"
        if not all(_matches(folder / name, digest) for name, digest in RUNTIME_FILES.items()):
            fetch_runtime(folder)
    for name, digest in RUNTIME_FILES.items():
        if not (folder / name).is_file():
            raise ExportError(f"{where} has no {name}; it must hold the dist/ files of "
                              f"{RUNTIME_PACKAGE}@{RUNTIME_VERSION}.")
        if not _matches(folder / name, digest):
            raise ExportError(f"{where}: {name} is not the file of {RUNTIME_PACKAGE}@"
                              f"{RUNTIME_VERSION} (its SHA-256 differs); install that version "
                              f"or leave out --runtime-dir to fetch it.")
    return {name: folder / name for name in RUNTIME_FILES}


def runtime_cache() -> Path:
    from ganzoo.metrics._features import cache_dir

    return Path(cache_dir()) / f"{RUNTIME_PACKAGE}-{RUNTIME_VERSION}"


def _matches(path: Path, digest: str) -> bool:
    if not path.is_file():
        return False
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest() == digest


def tarball_url() -> str:
    return (f"{REGISTRY.rstrip('/')}/{RUNTIME_PACKAGE}/-/{RUNTIME_PACKAGE}-{RUNTIME_VERSION}"
            f".tgz")


def fetch_runtime(folder: Path) -> None:
    """Download the package's tarball from the registry and `install_runtime` it."""
    url = tarball_url()
    print(f"Downloading {RUNTIME_PACKAGE} {RUNTIME_VERSION} (about {RUNTIME_MIB} MiB of it is "
          f"kept, once) from {url} into {folder}/", file=sys.stderr, flush=True)
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            body = response.read()
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", None) or error
        raise ExportError(f"Cannot fetch {RUNTIME_PACKAGE} {RUNTIME_VERSION} from {url} "
                          f"({reason}); run `npm install {RUNTIME_PACKAGE}@{RUNTIME_VERSION}` "
                          f"where there is a network and pass --runtime-dir "
                          f"node_modules/{RUNTIME_PACKAGE}/dist.") from None
    install_runtime(body, folder, url)


def install_runtime(tarball: bytes, folder: Path, source: str = "the tarball") -> Path:
    """Check the package's `tarball` against `RUNTIME_INTEGRITY` and put its `RUNTIME_FILES`
    into `folder` (each through a temporary name, so no half file is left); returns `folder`,
    ready for ``--runtime-dir``."""
    algorithm, expected = RUNTIME_INTEGRITY.split("-", 1)
    if base64.b64encode(hashlib.new(algorithm, tarball).digest()).decode() != expected:
        raise ExportError(f"The {RUNTIME_PACKAGE} {RUNTIME_VERSION} tarball from {source} does "
                          f"not match npm's integrity hash ({RUNTIME_INTEGRITY[:20]}...): it is "
                          f"corrupt or not the published package; nothing was kept.")
    folder.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        for name in RUNTIME_FILES:
            member = archive.extractfile(f"package/dist/{name}")
            partial = folder / f".{name}.{os.getpid()}.part"
            partial.write_bytes(member.read())
            os.replace(partial, folder / name)
    return folder


def runner(path: Path, threads: int | None = None):
    """The folder's ONNX file in onnxruntime on the CPU: the model the page runs (the page
    itself is tested in a browser, tests/test_web_export.py)."""
    from ganzoo_edge.runtimes import OnnxRuntime

    return OnnxRuntime(Path(path) / MODEL, threads).run


def read_metadata(path: Path) -> dict[str, Any] | None:
    file = Path(path) / METADATA
    if not file.is_file():
        return None
    metadata = json.loads(file.read_text(encoding="utf-8"))
    metadata.pop("runtime", None)
    return metadata


WEB = ExportFormatSpec(
    "web", suffix="_web", runtime="onnxruntime-web", write=write, runner=runner,
    read_metadata=read_metadata, opsets=range(13, 19), default_opset=17, in_all=False,
    takes_runtime_dir=True, bundled=bundled,
    summary=f"a static web page drawing from the ONNX file in the browser "
            f"(onnxruntime-web {RUNTIME_VERSION}; open with 'ganzoo serve DIR')")


@hookimpl
def ganzoo_export_formats() -> list[ExportFormatSpec]:
    return [WEB]
