"""A headless Chromium driven over the DevTools protocol, with nothing but the standard library.

``--remote-debugging-pipe`` makes Chromium read protocol messages (JSON, each ended by a NUL
byte) from file descriptor 3 and write its answers to 4, so no WebSocket client is needed
(https://chromedevtools.github.io/devtools-protocol/).

    with Browser() as browser:
        page = browser.open("http://127.0.0.1:8000/?seed=3", width=900, height=900)
        page.wait_for_title(lambda title: title == "drawn")
        page.evaluate("document.title")
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "chrome")


def find_chromium() -> str | None:
    return next((path for path in map(shutil.which, CANDIDATES) if path), None)


class Browser:
    """`webgpu`: offer pages WebGPU, which headless Chromium otherwise leaves out; on a machine
    without a GPU it runs on SwiftShader, Chromium's CPU implementation."""

    def __init__(self, executable: str | None = None, webgpu: bool = False) -> None:
        self.executable = executable or find_chromium()
        if self.executable is None:
            raise FileNotFoundError("no Chromium on PATH (apt-get install chromium)")
        self.profile = tempfile.TemporaryDirectory(prefix="ganzoo-chromium-")
        to_browser, self._to_browser = os.pipe()
        self._from_browser, from_browser = os.pipe()

        def descriptors() -> None:
            # In the child, before exec: the pipe ends become fds 3 and 4 (through fresh
            # numbers first, in case either end already is 3 or 4). subprocess closes the fds
            # not in pass_fds after this runs, hence (3, 4) there.
            reading, writing = os.dup(to_browser), os.dup(from_browser)
            os.dup2(reading, 3)
            os.dup2(writing, 4)

        self.process = subprocess.Popen(
            [self.executable, "--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
             *(["--enable-unsafe-webgpu"] if webgpu else ["--disable-gpu"]),
             "--remote-debugging-pipe", f"--user-data-dir={self.profile.name}",
             "--no-first-run", "--no-default-browser-check", "about:blank"],
            pass_fds=(3, 4), preexec_fn=descriptors,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_browser)
        os.close(from_browser)
        self._buffer = b""
        self._next_id = 0

    def send(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = 60) -> dict:
        """Send one command and wait for its answer; events in between are dropped."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            answer = self._read(deadline)
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})

    def _read(self, deadline: float) -> dict:
        import select

        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_browser], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self._from_browser, 1 << 16)
            if not chunk:
                raise ConnectionError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def open(self, url: str, width: int = 900, height: int = 900) -> Page:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target,
                                                      "flatten": True})["sessionId"]
        page = Page(self, session)
        page.send("Emulation.setDeviceMetricsOverride", {"width": width, "height": height,
                                                         "deviceScaleFactor": 1,
                                                         "mobile": False})
        page.send("Runtime.enable")
        page.send("Page.navigate", {"url": url})
        return page

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=10)
        except (OSError, TimeoutError, ConnectionError, RuntimeError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for fd in (self._to_browser, self._from_browser):
            try:
                os.close(fd)
            except OSError:
                pass
        self.profile.cleanup()

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Page:
    def __init__(self, browser: Browser, session: str) -> None:
        self.browser, self.session = browser, session

    def send(self, method: str, params: dict | None = None, timeout: float = 60) -> dict:
        return self.browser.send(method, params, self.session, timeout)

    def evaluate(self, expression: str, timeout: float = 60):
        """The value of a JavaScript expression (awaited if it is a promise)."""
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": True}, timeout)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression[:60]}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for_title(self, done, timeout: float = 120) -> str:
        """Poll document.title until `done(title)`; return it."""
        deadline = time.monotonic() + timeout
        while True:
            title = self.evaluate("document.title")
            if done(title) or time.monotonic() > deadline:
                return title
            time.sleep(0.2)

    def screenshot(self) -> bytes:
        return base64.b64decode(self.send("Page.captureScreenshot", {"format": "png"})["data"])
