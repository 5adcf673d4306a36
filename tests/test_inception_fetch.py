"""InceptionV3's ImageNet weights are fetched on first use into Keras' cache, and a failed fetch
is one clear line (issue #13 §4).

Nothing here touches the network: `INCEPTION_URL` points at a local HTTP server in a thread, or
at a port where nothing listens, and the Keras cache is a temporary KERAS_HOME.
"""

from __future__ import annotations

import hashlib
import http.server
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from ganzoo.metrics import FeatureNetworkError, _features, inception_network
from ganzoo.metrics._features import INCEPTION_NOTOP, _inception_weights_path, inception_weights_dir


class WeightsServer:
    """Serves `files` (name -> bytes) over HTTP on 127.0.0.1 and counts the requests.

    A file whose announced size is larger than its bytes (`announce`) is cut off mid-way, as
    a dropped connection would leave it.
    """

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.announce: dict[str, int] = {}
        self.hits = 0
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.hits += 1
                body = server.files.get(self.path.rsplit("/", 1)[-1])
                if body is None:
                    self.send_error(404, "File not found")
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(server.announce.get(
                    self.path.rsplit("/", 1)[-1], len(body))))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/inception_v3/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def keras_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty Keras cache with downloads allowed (conftest sets GANZOO_OFFLINE=1)."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.delenv("GANZOO_OFFLINE", raising=False)
    return tmp_path / "keras"


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[WeightsServer]:
    served = WeightsServer()
    monkeypatch.setattr(_features, "INCEPTION_URL", served.url)
    yield served
    served.close()


@pytest.fixture
def dead_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A URL on a local port that is bound but not listening, so connections are refused."""
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{bound.getsockname()[1]}/inception_v3/"
        monkeypatch.setattr(_features, "INCEPTION_URL", url)
        yield url


def serve(server: WeightsServer, monkeypatch: pytest.MonkeyPatch, body: bytes) -> None:
    """Serve `body` as the feature-only weights, with its own hash as the expected one."""
    server.files[INCEPTION_NOTOP] = body
    monkeypatch.setattr(_features, "INCEPTION_NOTOP_HASH", hashlib.md5(body).hexdigest())


def assert_one_line_naming_the_file_and_folder(error: FeatureNetworkError, url: str) -> None:
    message = str(error)
    assert "\n" not in message
    assert url + INCEPTION_NOTOP in message and f"{inception_weights_dir()}/" in message
    assert "--inception-weights FILE" in message and "--features domain" in message


def test_missing_weights_are_downloaded_into_the_keras_cache_once(keras_home, server,
                                                                   monkeypatch, capsys):
    body = b"InceptionV3 weights, as far as this test knows"
    serve(server, monkeypatch, body)

    first = _inception_weights_path(None)
    again = _inception_weights_path(None)

    assert first == again == keras_home / "models" / INCEPTION_NOTOP
    assert first.read_bytes() == body
    assert server.hits == 1
    assert sorted(path.name for path in first.parent.iterdir()) == [INCEPTION_NOTOP]
    assert "Downloading InceptionV3's ImageNet weights" in capsys.readouterr().err


@pytest.mark.parametrize("cached", ["notop", "top"])
def test_cached_weights_are_not_downloaded(keras_home, server, monkeypatch, cached):
    name = INCEPTION_NOTOP if cached == "notop" else _features.INCEPTION_TOP
    (keras_home / "models").mkdir(parents=True)
    (keras_home / "models" / name).write_bytes(b"cached")
    serve(server, monkeypatch, b"served")

    assert _inception_weights_path(None) == keras_home / "models" / name
    assert server.hits == 0


def test_a_downloaded_file_gives_a_working_feature_network(keras_home, server, monkeypatch,
                                                           tmp_path):
    import keras
    import tensorflow as tf

    from ganzoo.metrics._features import _inception_preprocess

    source = keras.applications.InceptionV3(include_top=False, weights=None, pooling="avg")
    # Keras' published file is legacy HDF5, which Keras 3 writes only as a whole model.
    saved = tmp_path / "served.h5"
    source.save(saved)
    serve(server, monkeypatch, saved.read_bytes())

    network = inception_network()
    images = np.random.default_rng(0).integers(0, 256, (2, 20, 20, 3), dtype=np.uint8)
    embedding = network.embed(images)

    assert network.name == "inception-v3-notop" and server.hits == 1
    assert network.fingerprint == hashlib.sha256(saved.read_bytes()).hexdigest()
    expected = source(_inception_preprocess(tf.constant(images, tf.float32)), training=False)
    assert embedding.features.shape == (2, 2048) and embedding.probabilities is None
    np.testing.assert_allclose(embedding.features, np.asarray(expected), rtol=1e-4, atol=1e-5)


def nothing_served(server: WeightsServer, monkeypatch: pytest.MonkeyPatch) -> None:
    pass


def a_file_with_another_hash(server: WeightsServer, monkeypatch: pytest.MonkeyPatch) -> None:
    serve(server, monkeypatch, b"not the file Keras published")
    monkeypatch.setattr(_features, "INCEPTION_NOTOP_HASH", "0" * 32)


def a_file_cut_off(server: WeightsServer, monkeypatch: pytest.MonkeyPatch) -> None:
    serve(server, monkeypatch, b"the first part of the file")
    server.announce[INCEPTION_NOTOP] = 1000


@pytest.mark.parametrize("arrange, reason", [
    (nothing_served, "HTTP 404"),
    (a_file_with_another_hash, "MD5 hash is not 00000000"),
    (a_file_cut_off, "retrieval incomplete"),
], ids=["not-found", "hash-mismatch", "cut-off"])
def test_a_failed_download_is_one_line_and_leaves_no_file(keras_home, server, monkeypatch,
                                                          arrange, reason):
    arrange(server, monkeypatch)

    with pytest.raises(FeatureNetworkError, match=reason) as error:
        inception_network()

    assert_one_line_naming_the_file_and_folder(error.value, server.url)
    assert server.hits == 1
    assert list((keras_home / "models").iterdir()) == []


def test_no_server_listening_is_one_line_and_leaves_no_file(keras_home, dead_url):
    with pytest.raises(FeatureNetworkError, match="refused") as error:
        inception_network()

    assert_one_line_naming_the_file_and_folder(error.value, dead_url)
    assert list((keras_home / "models").iterdir()) == []


def test_ganzoo_offline_refuses_to_download(keras_home, server, monkeypatch):
    serve(server, monkeypatch, b"served")
    monkeypatch.setenv("GANZOO_OFFLINE", "1")

    with pytest.raises(FeatureNetworkError, match="GANZOO_OFFLINE=1") as error:
        inception_network()

    assert_one_line_naming_the_file_and_folder(error.value, server.url)
    assert server.hits == 0
