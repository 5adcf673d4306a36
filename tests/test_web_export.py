"""``ganzoo export --format web`` and ``ganzoo serve``: a page that draws in a real browser what
ganzoo-edge draws, with a runtime that is fetched once, checked, and never fetched by the page.

Nothing here touches the network. The onnxruntime-web tarball comes from the file named by
``GANZOO_TEST_ORT_TARBALL`` (CI: ``npm pack onnxruntime-web@VERSION``), served by a local HTTP
server standing in for the npm registry; Chromium is Debian's. Without them the tests skip,
except where ``GANZOO_REQUIRE_BROWSER=1`` (CI) makes a skip a failure.
"""

from __future__ import annotations

import base64
import http.server
import io
import json
import os
import shutil
import tarfile
import threading
import urllib.request
from pathlib import Path

import numpy as np
import pytest

import ganzoo
import ganzoo_edge
from ganzoo.exporting import ExportError
from ganzoo.exporting.formats import web

from _browser import Browser, find_chromium
from conftest import need_browser_kit as need

TARBALL = os.environ.get("GANZOO_TEST_ORT_TARBALL")


class Registry:
    """A local stand-in for registry.npmjs.org serving one tarball, counting requests."""

    def __init__(self, body: bytes) -> None:
        self.body, self.hits = body, 0
        registry = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                registry.hits += 1
                if self.path != web.tarball_url().split(registry.url, 1)[-1]:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(registry.body)))
                self.end_headers()
                self.wfile.write(registry.body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def real_tarball() -> bytes:
    need(bool(TARBALL) and Path(TARBALL).is_file(),
         "GANZOO_TEST_ORT_TARBALL names no onnxruntime-web tarball (npm pack "
         f"onnxruntime-web@{web.RUNTIME_VERSION})")
    return Path(TARBALL).read_bytes()


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """dcgan and cgan runs exported as web folders, the runtime fetched from a local registry
    into a fresh cache."""
    body = real_tarball()
    out = tmp_path_factory.mktemp("web")
    registry = Registry(body)
    saved = (web.REGISTRY, os.environ.get("GANZOO_CACHE"))
    web.REGISTRY, os.environ["GANZOO_CACHE"] = registry.url, str(out / "cache")
    try:
        folders = {}
        for arch in ("dcgan", "cgan"):
            run = ganzoo.train(arch, data="digits", steps=2, batch_size=8, out=out,
                               progress=False).run
            report = ganzoo.export(run.path, formats="web,onnx", repeats=1, progress=False)
            assert report.ok, report.table()
            folders[arch] = {"run": run, "web": report.file("web").path,
                             "onnx": report.file("onnx").path, "report": report}
        folders["hits"] = registry.hits
        yield folders
    finally:
        web.REGISTRY = saved[0]
        if saved[1] is None:
            os.environ.pop("GANZOO_CACHE", None)
        else:
            os.environ["GANZOO_CACHE"] = saved[1]
        registry.close()


def test_the_web_folder_holds_the_page_the_model_and_the_pinned_runtime(exported):
    import onnx

    folder = exported["cgan"]["web"]
    for name in ("index.html", "page.js", "latents.js", "model.json", "generator.onnx",
                 "ort/NOTICE", *(f"ort/{n}" for n in web.RUNTIME_FILES)):
        assert (folder / name).is_file(), name
    metadata = json.loads((folder / "model.json").read_text())
    assert metadata["num_classes"] == 10 and metadata["format"] == "web"
    assert metadata["runtime"] == {"package": "onnxruntime-web", "version": web.RUNTIME_VERSION,
                                   "integrity": web.RUNTIME_INTEGRITY,
                                   "files": web.RUNTIME_FILES}
    assert (folder / "latents.js").read_bytes() == (
        Path(ganzoo_edge.__file__).parent / "latents.js").read_bytes()
    model = onnx.load(str(folder / "generator.onnx"))
    modes = {a.s for n in model.graph.node for a in n.attribute if a.name == "auto_pad"}
    assert not modes & {b"SAME_UPPER", b"SAME_LOWER"}
    # The export's own check ran the folder's model against Keras.
    row = exported["cgan"]["report"].file("web")
    assert row.status == "ok" and row.max_diff <= 1e-4
    # The report (ganzoo.json) records the runtime it bundled, as model.json does.
    report = json.loads((folder.parent / "ganzoo.json").read_text())
    recorded = next(f for f in report["files"] if f["format"] == "web")["bundled"]
    assert recorded == metadata["runtime"]


def test_the_runtime_is_fetched_once_and_served_from_the_cache_after(exported):
    assert exported["hits"] == 1  # two exports, one download


def test_all_formats_leave_the_web_page_out_unless_named():
    from ganzoo.exporting._formats import plan

    assert "web" not in {t.format.name for t in plan(Path("out"))}
    assert [t.format.name for t in plan(Path("out"), formats="web")] == ["web"]
    with pytest.raises(ExportError, match="--runtime-dir applies only to web"):
        plan(Path("out"), formats="onnx", runtime_dir="dist")


def test_a_tarball_that_fails_npms_integrity_is_refused_and_nothing_is_kept(tmp_path,
                                                                            monkeypatch):
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        for name in web.RUNTIME_FILES:
            info = tarfile.TarInfo(f"package/dist/{name}")
            info.size = 4
            tar.addfile(info, io.BytesIO(b"fake"))
    registry = Registry(archive.getvalue())
    monkeypatch.setattr(web, "REGISTRY", registry.url)
    try:
        with pytest.raises(ExportError, match="does not match npm's integrity hash"):
            web.fetch_runtime(tmp_path / "cache")
    finally:
        registry.close()
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").iterdir())


def test_an_unreachable_registry_names_the_runtime_dir_way_out(tmp_path, monkeypatch):
    monkeypatch.setattr(web, "REGISTRY", "http://127.0.0.1:9")  # discard port: refused
    with pytest.raises(ExportError, match="pass --runtime-dir node_modules/onnxruntime-web/dist"):
        web.fetch_runtime(tmp_path / "cache")


def test_runtime_dir_files_are_checked_against_the_pinned_version(tmp_path, web_runtime_dir):
    dist = tmp_path / "dist"
    shutil.copytree(web_runtime_dir, dist)
    assert set(web._runtime_files(dist)) == set(web.RUNTIME_FILES)
    (dist / "ort.webgpu.min.mjs").write_text("// another version")
    with pytest.raises(ExportError, match=r"ort.webgpu.min.mjs is not the file of "
                                          r"onnxruntime-web@1\.31\.1"):
        web._runtime_files(dist)
    with pytest.raises(ExportError, match="is not a folder"):
        web._runtime_files(tmp_path / "nowhere")


def test_explicit_pads_compute_what_same_padding_computes(tmp_path):
    import onnx
    import onnxruntime
    from onnx import TensorProto, helper

    weights = np.random.default_rng(0).normal(size=(2, 3, 3, 3)).astype(np.float32)
    for mode in ("SAME_UPPER", "SAME_LOWER"):
        graph = helper.make_graph(
            [helper.make_node("Conv", ["x", "w"], ["y"], auto_pad=mode, strides=[2, 2])],
            "conv", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
            [onnx.numpy_helper.from_array(weights, "w")])
        path = tmp_path / f"{mode}.onnx"
        onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]),
                  str(path))
        x = np.random.default_rng(1).normal(size=(1, 3, 8, 8)).astype(np.float32)

        def run():
            return onnxruntime.InferenceSession(str(path)).run(None, {"x": x})[0]

        before = run()
        assert web.explicit_pads(path) == 1
        np.testing.assert_allclose(run(), before, atol=1e-6)
        assert not [a for a in onnx.load(str(path)).graph.node[0].attribute
                    if a.name == "auto_pad"]


# The page in Chromium ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser():
    need(find_chromium() is not None, "no Chromium on PATH (apt-get install chromium)")
    with Browser() as opened:
        yield opened


def served(folder: Path):
    from ganzoo.cli.serve import server

    httpd = server(folder, 0)
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}/"


def page_pixels(page) -> np.ndarray:
    encoded = page.evaluate("""(() => {
        let text = ""; const p = window.ganzoo.pixels;
        for (let i = 0; i < p.length; i += 8192) text += String.fromCharCode(...p.subarray(i, i + 8192));
        return JSON.stringify({shape: window.ganzoo.shape, data: btoa(text)});
    })()""")
    value = json.loads(encoded)
    return np.frombuffer(base64.b64decode(value["data"]), np.uint8).reshape(value["shape"])


@pytest.mark.slow
@pytest.mark.parametrize("arch, query, label, truncation", [
    ("dcgan", "seed=3&n=8", None, None),
    ("cgan", "seed=5&n=6&label=7", 7, None),
    ("dcgan", "seed=2&n=4&truncation=0.7", None, 0.7),
])
def test_the_page_draws_in_chromium_what_ganzoo_edge_draws(exported, browser, arch, query,
                                                           label, truncation, tmp_path):
    from ganzoo_edge.latents import latents

    httpd, url = served(exported[arch]["web"])
    try:
        page = browser.open(url + "?" + query)
        title = page.wait_for_title(lambda t: t == "drawn" or t.startswith("error"))
        assert title == "drawn", title
        pixels = page_pixels(page)
        seed, n = (int(part.split("=")[1]) for part in query.split("&")[:2])
        generator = ganzoo_edge.load(exported[arch]["onnx"])
        z = latents(range(n), generator.latent_dim, seed, truncation)
        expected = ganzoo_edge.to_uint8(generator(z, generator.labels(n, label)))
        assert pixels.shape == expected.shape
        # onnxruntime's WebAssembly kernels against its CPU ones: the float32 tolerance of an
        # export (1e-4 on [-1, 1]) is at most one pixel level after rounding.
        assert np.abs(pixels.astype(int) - expected.astype(int)).max() <= 1
        # The whole grid is in view in a 900x900 window, unscrolled.
        bottom, right = page.evaluate(
            "(() => { const r = document.getElementById('grid').getBoundingClientRect(); "
            "return [r.bottom, r.right]; })()")
        assert bottom <= 900 and right <= 900
        (tmp_path / "page.png").write_bytes(page.screenshot())
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.mark.slow
def test_webgpu_draws_what_webassembly_draws_and_is_used_only_once_it_agrees(exported):
    need(find_chromium() is not None, "no Chromium on PATH (apt-get install chromium)")
    httpd, url = served(exported["dcgan"]["web"])
    try:
        with Browser(webgpu=True) as browser:
            page = browser.open(url + "?seed=3&n=8")
            title = page.wait_for_title(lambda t: t == "drawn" or t.startswith("error"))
            assert title == "drawn", title
            check = page.evaluate("window.ganzoo.check")
            assert check["used"], check  # WebGPU agreed with WebAssembly, so it draws now
            assert check["maxDiff"] <= 2
            assert page.evaluate("window.ganzoo.backend") == "webgpu"
            forced = browser.open(url + "?seed=3&n=8&backend=webgpu")
            assert forced.wait_for_title(lambda t: t == "drawn" or t.startswith("error")) == \
                "drawn"
            expected = ganzoo_edge.load(exported["dcgan"]["onnx"]).generate(8, seed=3)
            assert np.abs(page_pixels(forced).astype(int) - expected.astype(int)).max() <= 2
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.mark.slow
def test_a_page_opened_from_a_file_says_to_serve_its_folder(exported, browser):
    page = browser.open((exported["dcgan"]["web"] / "index.html").as_uri())
    title = page.wait_for_title(lambda t: t.startswith("error"), timeout=30)
    assert title.startswith("error: this page was opened from a file") and "ganzoo serve" in title


@pytest.mark.slow
def test_a_label_the_generator_does_not_have_is_an_error_on_the_page(exported, browser):
    httpd, url = served(exported["cgan"]["web"])
    try:
        page = browser.open(url + "?label=cat")
        title = page.wait_for_title(lambda t: t.startswith("error") or t == "drawn")
        assert title.startswith("error: label=cat is not a class of this generator")
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_serve_sends_the_headers_threads_need_and_the_media_types_modules_need(tmp_path):
    (tmp_path / "index.html").write_text("<!doctype html>")
    (tmp_path / "a.mjs").write_text("export {};")
    (tmp_path / "b.wasm").write_bytes(b"\0asm")
    httpd, url = served(tmp_path)
    try:
        with urllib.request.urlopen(url) as response:
            assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
            assert response.headers["Cross-Origin-Embedder-Policy"] == "require-corp"
        with urllib.request.urlopen(url + "a.mjs") as response:
            assert response.headers["Content-Type"].startswith("text/javascript")
        with urllib.request.urlopen(url + "b.wasm") as response:
            assert response.headers["Content-Type"] == "application/wasm"
        assert httpd.server_address[0] == "127.0.0.1"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.mark.parametrize("make, message", [
    (lambda tmp: tmp / "nope", "is not a folder"),
    (lambda tmp: tmp, "has no index.html"),
])
def test_serve_refuses_a_folder_that_is_not_an_exported_page(tmp_path, capsys, make, message):
    from ganzoo.cli import main

    assert main(["serve", str(make(tmp_path))]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
