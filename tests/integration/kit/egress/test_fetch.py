"""Fetching URLs on a user's behalf, against a real HTTP server on 127.0.0.1.

The server is on loopback, so the positive tests allow 127.0.0.1/32 explicitly; by
default the same URLs are refused. Names are resolved by an injected table.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from impasto.kit.clock import Clock, FrozenClock
from impasto.kit.egress.addresses import AddressPolicy, IPAddress, Resolver, StaticResolver
from impasto.kit.egress.errors import FetchFailed, FetchRefused
from impasto.kit.egress.fetch import FetchLimits, UrlFetcher
from impasto.kit.errors import PayloadTooLarge

pytestmark = pytest.mark.anyio
RELEASE = threading.Event()  # lets a stalled handler finish when the server stops


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass

    def _send(self, status: int, body: bytes = b"", **headers: str) -> None:
        self.send_response(status)
        for name, value in {"Content-Length": str(len(body)), **headers}.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: PLR0912 (one branch per route)
        path = self.path
        if path == "/hello":
            self._send(
                200,
                b"hello world",
                Content_Type="text/plain",
                Content_Disposition='attachment; filename="greeting.txt"',
            )
        elif path.startswith("/files/"):
            self._send(200, b"named by path", Content_Type="image/png")
        elif path == "/echo-host":
            self._send(200, self.headers["Host"].encode())
        elif path == "/redirect":
            self._send(302, Location="/hello")
        elif path == "/redirect-chain/0":
            self._send(301, Location="/hello")
        elif path.startswith("/redirect-chain/"):
            self._send(307, Location=f"/redirect-chain/{int(path.rsplit('/', 1)[1]) - 1}")
        elif path == "/loop":
            self._send(302, Location="/loop")
        elif path.startswith("/redirect-to?"):
            self._send(302, Location=path.split("?", 1)[1])
        elif path == "/big":
            self._send(200, b"x" * 2048)
        elif path == "/big-chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for _ in range(4):
                self.wfile.write(b"200\r\n" + b"y" * 512 + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        elif path == "/truncated":
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            self.wfile.write(b"only ten b")
            self.close_connection = True
        elif path == "/stall":
            RELEASE.wait(10)
            self._send(200, b"late")
        else:
            self._send(404, b"no such thing")


@pytest.fixture(scope="module")
def origin() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    RELEASE.set()
    server.shutdown()
    server.server_close()


LIMITS = FetchLimits(max_bytes=1024, data_uri_max_bytes=64, connect_timeout=2, read_timeout=0.5)
NAMES = {
    "media.example": ["127.0.0.1"],
    "internal.example": ["10.0.0.7"],
    "mixed.example": ["127.0.0.1", "192.168.1.1"],
}


def allowing_loopback(
    *, resolver: Resolver | None = None, clock: Clock | None = None
) -> UrlFetcher:
    return UrlFetcher(
        LIMITS,
        clock=clock or FrozenClock(),
        policy=AddressPolicy(["127.0.0.1/32"]),
        resolver=resolver or StaticResolver(NAMES),
    )


async def fetch(fetcher: UrlFetcher, url: str) -> tuple[bytes, str | None, str | None]:
    async with fetcher.open(url) as body:
        data = b"".join([chunk async for chunk in body.aiter_bytes()])
        return data, body.content_type, body.file_name


async def test_allowed_fetch_streams_the_body_with_its_metadata(origin: str) -> None:
    async with allowing_loopback().open(f"http://{origin}/hello") as body:
        assert body.content_type == "text/plain"
        assert body.content_length == 11
        assert body.file_name == "greeting.txt"
        assert b"".join([chunk async for chunk in body.aiter_bytes()]) == b"hello world"


async def test_file_name_falls_back_to_the_path(origin: str) -> None:
    data, content_type, name = await fetch(allowing_loopback(), f"http://{origin}/files/a%20b.png")
    assert (data, content_type, name) == (b"named by path", "image/png", "a b.png")


async def test_names_resolve_once_and_keep_their_host_header(origin: str) -> None:
    port = origin.rsplit(":", 1)[1]
    data, _, _ = await fetch(allowing_loopback(), f"http://media.example:{port}/echo-host")
    assert data == f"media.example:{port}".encode()


async def test_dns_rebinding_cannot_swap_the_vetted_address(origin: str) -> None:
    class Rebinding:
        calls = 0

        async def resolve(self, host: str, port: int) -> list[IPAddress]:
            self.calls += 1
            answer = "127.0.0.1" if self.calls == 1 else "10.0.0.1"
            return await StaticResolver({host: [answer]}).resolve(host, port)

    resolver = Rebinding()
    fetcher = allowing_loopback(resolver=resolver)
    port = origin.rsplit(":", 1)[1]
    data, _, _ = await fetch(fetcher, f"http://rebind.example:{port}/hello")
    assert data == b"hello world"
    assert resolver.calls == 1


async def test_redirects_are_followed(origin: str) -> None:
    assert (await fetch(allowing_loopback(), f"http://{origin}/redirect"))[0] == b"hello world"
    chain = await fetch(allowing_loopback(), f"http://{origin}/redirect-chain/4")
    assert chain[0] == b"hello world"


@pytest.mark.parametrize("path", ["/loop", "/redirect-chain/6", "/truncated", "/stall", "/missing"])
async def test_remote_failures_are_clear_4xx(origin: str, path: str) -> None:
    with pytest.raises(FetchFailed) as caught:
        await fetch(allowing_loopback(), f"http://{origin}{path}")
    assert caught.value.status_code == 400


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("http://internal.example/secret", "private address 10.0.0.7"),
        ("http://127.0.0.2/", "loopback address 127.0.0.2"),
        ("http://[::1]/", "loopback address ::1"),
        ("http://169.254.169.254/latest/meta-data/", "link-local address 169.254.169.254"),
        ("file:///etc/passwd", "not file:"),
        ("gopher://127.0.0.1/", "not gopher:"),
    ],
)
async def test_redirects_to_forbidden_places_are_refused(
    origin: str, target: str, message: str
) -> None:
    with pytest.raises(FetchRefused, match=message):
        await fetch(allowing_loopback(), f"http://{origin}/redirect-to?{target}")


@pytest.mark.parametrize("path", ["/big", "/big-chunked"])
async def test_bodies_over_the_cap_answer_413(origin: str, path: str) -> None:
    with pytest.raises(PayloadTooLarge) as caught:
        await fetch(allowing_loopback(), f"http://{origin}{path}")
    assert caught.value.status_code == 413


async def test_the_overall_deadline_stops_slow_bodies(origin: str) -> None:
    clock = FrozenClock()

    class Ticking(FrozenClock):
        def monotonic(self) -> float:
            clock.advance(400)  # every look at the clock costs 400 s
            return clock.monotonic()

    with pytest.raises(FetchFailed, match="took too long"):
        await fetch(allowing_loopback(clock=Ticking()), f"http://{origin}/big-chunked")


@pytest.mark.parametrize(
    "url",
    [
        "http://{origin}/hello",
        "http://localhost:{port}/hello",
        "http://[::ffff:127.0.0.1]:{port}/hello",
        "http://media.example:{port}/hello",
        "http://mixed.example:{port}/hello",
        "http://0.0.0.0:{port}/hello",
    ],
)
async def test_loopback_is_refused_by_default(origin: str, url: str) -> None:
    port = origin.rsplit(":", 1)[1]
    table = {**NAMES, "localhost": ["127.0.0.1", "::1"]}
    fetcher = UrlFetcher(LIMITS, clock=FrozenClock(), resolver=StaticResolver(table))
    with pytest.raises(FetchRefused, match="resolves to a"):
        await fetch(fetcher, url.format(origin=origin, port=port))


@pytest.mark.parametrize("host", ["localhost", "127.1", "2130706433", "0x7f000001"])
async def test_the_system_resolver_refuses_names_of_loopback(origin: str, host: str) -> None:
    port = origin.rsplit(":", 1)[1]
    fetcher = UrlFetcher(LIMITS, clock=FrozenClock())
    with pytest.raises(FetchRefused, match="loopback"):
        await fetch(fetcher, f"http://{host}:{port}/hello")


async def test_unknown_names_fail_cleanly() -> None:
    with pytest.raises(FetchFailed, match="Cannot resolve host"):
        await fetch(allowing_loopback(), "http://nowhere.example/")


async def test_data_uris_do_not_touch_the_network() -> None:
    data, content_type, name = await fetch(allowing_loopback(), "data:image/png;base64,aGk=")
    assert (data, content_type, name) == (b"hi", "image/png", None)


@pytest.fixture(scope="module")
def tls_origin() -> Iterator[tuple[int, ssl.SSLContext]]:
    """An https server on 127.0.0.1 whose certificate names only media.example."""
    import trustme

    authority = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("media.example").configure_cert(server_context)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.socket = server_context.wrap_socket(server.socket, server_side=True)
    server.handle_error = lambda request, address: None  # type: ignore[method-assign]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    client_context = ssl.create_default_context()
    authority.configure_trust(client_context)
    yield server.server_address[1], client_context
    server.shutdown()
    server.server_close()


async def test_https_verifies_the_name_while_connecting_to_the_vetted_address(
    tls_origin: tuple[int, ssl.SSLContext],
) -> None:
    port, context = tls_origin
    fetcher = UrlFetcher(
        LIMITS,
        clock=FrozenClock(),
        policy=AddressPolicy(["127.0.0.1/32"]),
        resolver=StaticResolver(NAMES),
        ssl_context=context,
    )
    data, _, _ = await fetch(fetcher, f"https://media.example:{port}/echo-host")
    assert data == f"media.example:{port}".encode()
    # The same server by address: its certificate does not name 127.0.0.1.
    with pytest.raises(FetchFailed, match="failed"):
        await fetch(fetcher, f"https://127.0.0.1:{port}/hello")
