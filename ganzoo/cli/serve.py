"""``ganzoo serve DIR``: serve an exported web page on this machine, as browsers need it served.

A page opened from ``file://`` may not fetch its model, and WebAssembly runs on several threads
only in a cross-origin isolated page: the headers ``Cross-Origin-Opener-Policy: same-origin`` and
``Cross-Origin-Embedder-Policy: require-corp`` say so (https://web.dev/articles/coop-coep).
Python's own `http.server`, bound to 127.0.0.1 only, with those headers and the media types
``.mjs`` and ``.wasm`` need (a browser refuses a module or a streamed WebAssembly file served as
anything else).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import sys
from pathlib import Path

from ganzoo.cli._types import non_negative_int
from ganzoo.errors import GanzooError
from ganzoo.plugin import CommandSpec

HOST = "127.0.0.1"
ISOLATION_HEADERS = {"Cross-Origin-Opener-Policy": "same-origin",
                     "Cross-Origin-Embedder-Policy": "require-corp",
                     "Cross-Origin-Resource-Policy": "same-origin"}
MEDIA_TYPES = {".mjs": "text/javascript", ".js": "text/javascript", ".wasm": "application/wasm",
               ".json": "application/json", ".onnx": "application/octet-stream"}


class PageHandler(http.server.SimpleHTTPRequestHandler):
    """Files of one folder, with the isolation headers, never cached (a re-export shows)."""

    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, **MEDIA_TYPES}

    def end_headers(self) -> None:
        for name, value in ISOLATION_HEADERS.items():
            self.send_header(name, value)
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the base class's name)
        pass  # one line per file is noise; errors still reach the browser's console


def server(folder: str | Path, port: int = 0) -> http.server.ThreadingHTTPServer:
    """A server for `folder` on 127.0.0.1:`port` (0: a free port), not yet serving."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise GanzooError(f"DIR {str(folder)!r} is not a folder; give the folder that "
                          f"'ganzoo export --format web' wrote (RUN/export/generator_web).")
    if not (folder / "index.html").is_file():
        raise GanzooError(f"DIR {str(folder)!r} has no index.html; give the folder that "
                          f"'ganzoo export --format web' wrote (RUN/export/generator_web).")
    handler = functools.partial(PageHandler, directory=str(folder))
    try:
        return http.server.ThreadingHTTPServer((HOST, port), handler)
    except OSError as error:
        raise GanzooError(f"Cannot listen on {HOST}:{port} ({error.strerror or error}); choose "
                          f"another --port.") from error


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", metavar="DIR", help="the folder 'ganzoo export --format web' "
                                                   "wrote (RUN/export/generator_web)")
    parser.add_argument("--port", type=non_negative_int, default=8000,
                        help="port on 127.0.0.1 (default: 8000; 0 picks a free one)")


def run(args: argparse.Namespace) -> int:
    httpd = server(args.dir, args.port)
    print(f"Serving {args.dir} at http://{HOST}:{httpd.server_address[1]}/ (Ctrl-C stops)",
          flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        print(file=sys.stderr)
    finally:
        httpd.server_close()
    return 0


COMMAND = CommandSpec(
    "serve", "serve an exported web page (--format web) on 127.0.0.1", add_arguments, run,
    description="Serve the folder of 'ganzoo export --format web' on 127.0.0.1 with the headers "
                "its page needs (cross-origin isolation, for WebAssembly threads).")
