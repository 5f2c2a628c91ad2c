"""Which route answers a fal URL given to the server proxy, and which URLs it refuses."""

from __future__ import annotations

import pytest

from impasto.kit.errors import InvalidRequest
from impasto.platform.proxy.targets import Target, TargetNotAllowed, resolve

OWN = ["http://testserver"]


@pytest.mark.parametrize(
    ("url", "raw_path", "query"),
    [
        ("https://queue.fal.run/impasto/debug", "/queue/impasto/debug", ""),
        (
            "https://queue.fal.run/impasto/debug/requests/r1/status?logs=1",
            "/queue/impasto/debug/requests/r1/status",
            "logs=1",
        ),
        ("https://fal.run/impasto/debug/stream", "/run/impasto/debug/stream", ""),
        (
            "https://rest.fal.ai/storage/upload/initiate?storage_type=fal-cdn-v3",
            "/rest/storage/upload/initiate",
            "storage_type=fal-cdn-v3",
        ),
        ("https://rest.alpha.fal.ai/tokens/", "/rest/tokens/", ""),
        ("https://api.fal.ai/v1/models?limit=2", "/v1/models", "limit=2"),
        ("https://FAL.RUN/impasto/a%20b", "/run/impasto/a%20b", ""),
        # This server's own URLs (status_url...) are answered as they are.
        (
            "http://testserver/queue/impasto/debug/requests/r1",
            "/queue/impasto/debug/requests/r1",
            "",
        ),
    ],
)
def test_fal_urls_map_onto_this_servers_routes(url: str, raw_path: str, query: str) -> None:
    assert resolve(url, OWN) == Target(raw_path, query)


def test_the_decoded_path_is_kept_beside_the_raw_one() -> None:
    assert resolve("https://fal.run/impasto/a%20b", OWN).path == "/run/impasto/a b"


def test_a_base_with_a_path_is_stripped() -> None:
    target = resolve("https://media.example/impasto/run/x/y", ["https://media.example/impasto"])
    assert target == Target("/run/x/y", "")


@pytest.mark.parametrize("url", [None, "", "/queue/impasto/debug", "ftp://fal.run/x"])
def test_a_missing_or_relative_target_is_a_bad_request(url: str | None) -> None:
    with pytest.raises(InvalidRequest):
        resolve(url, OWN)


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/queue/impasto/debug",
        "https://fal.run.example.com/impasto/debug",
        "https://notfal.run/impasto/debug",
        "https://v3.fal.media/files/upload",
        "https://ws.fal.run/impasto/debug",  # fal's, but nothing here answers it over HTTP
        "https://fal.run:8443/impasto/debug",
        "http://testserver:81/queue/impasto/debug",
        "http://testserver/api/fal/proxy",
    ],
)
def test_other_hosts_are_refused_with_412(url: str) -> None:
    with pytest.raises(TargetNotAllowed) as refused:
        resolve(url, OWN)
    assert refused.value.status_code == 412


def test_dot_segments_are_refused() -> None:
    with pytest.raises(InvalidRequest):
        resolve("https://fal.run/impasto/../../v1/keys", OWN)
    with pytest.raises(InvalidRequest):
        resolve("https://fal.run/impasto/%2e%2e/v1/keys", OWN)
