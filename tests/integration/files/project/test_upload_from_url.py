"""``file/url/{file}``: downloads through the SSRF-safe fetcher; loopback needs an allow-list."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.integration.files.conftest import Files

BODY = b"remote bytes " * 100


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def origin() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def _from_url(files: Files, path: str, url: str) -> int:
    response = files.client.post(
        f"/v1/serverless/files/file/url/{path}", json={"url": url}, headers=files.key()
    )
    return response.status_code


def test_loopback_is_refused_by_default(files: Files, origin: str) -> None:
    assert _from_url(files, "a.txt", f"{origin}/file.txt") == 400
    assert files.counts()["files"] == 0


def test_allowed_network_is_fetched(make_files: Callable[..., Files], origin: str) -> None:
    files = make_files(fetch_allowed_networks=["127.0.0.0/8"])
    assert _from_url(files, "remote/a.txt", f"{origin}/file.txt") == 200
    got = files.client.get("/v1/serverless/files/file/remote/a.txt", headers=files.key())
    assert got.content == BODY
    assert got.headers["content-type"] == "text/plain"


def test_fetch_over_the_upload_limit_is_413(make_files: Callable[..., Files], origin: str) -> None:
    files = make_files(fetch_allowed_networks=["127.0.0.0/8"], max_upload_bytes=100)
    assert _from_url(files, "big.txt", f"{origin}/file.txt") == 413
    assert files.counts()["files"] == 0
    assert files.blobs_in_store() == 0
