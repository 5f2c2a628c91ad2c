"""Per-key rate limits answer 429 with Retry-After, on each surface's format."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from impasto.app import create_app
from impasto.config import Settings
from impasto.container import Container, build_container
from impasto.kit.clock import FrozenClock
from impasto.models import KeyScope
from tests.conftest import auth, make_key


@pytest.fixture
def limited(
    database_url: str, tmp_path: Path
) -> Iterator[tuple[TestClient, Container, FrozenClock]]:
    clock = FrozenClock()
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        rate_limit_per_second=1,
        rate_limit_burst=3,
    )
    container = build_container(settings, clock=clock)
    with TestClient(create_app(settings, container)) as client:
        yield client, container, clock


def test_over_the_limit_is_429_with_retry_after(
    limited: tuple[TestClient, Container, FrozenClock],
) -> None:
    client, container, clock = limited
    key = auth(make_key(container, "acme", KeyScope.ADMIN))
    other = auth(make_key(container, "acme", KeyScope.ADMIN))

    assert [client.get("/v1/keys", headers=key).status_code for _ in range(3)] == [200] * 3
    over = client.get("/v1/keys", headers=key)
    assert over.status_code == 429
    assert over.headers["Retry-After"] == "1"
    assert over.json()["error"]["type"] == "rate_limited"

    # Another key has its own bucket; the limited one recovers as time passes.
    assert client.get("/v1/keys", headers=other).status_code == 200
    clock.advance(1.0)
    assert client.get("/v1/keys", headers=key).status_code == 200


def test_unauthenticated_requests_do_not_spend_a_keys_tokens(
    limited: tuple[TestClient, Container, FrozenClock],
) -> None:
    client, container, _ = limited
    credential = make_key(container, "acme", KeyScope.ADMIN)
    key_id = credential.split(":")[0]
    for _ in range(5):
        assert client.get("/v1/keys", headers=auth(f"{key_id}:{'0' * 64}")).status_code == 401
    assert client.get("/v1/keys", headers=auth(credential)).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/v1/assets", None),
        ("GET", "/v1/models", None),
        ("GET", "/scenario/v1/assets", None),
        ("POST", "/scenario/v1/search/assets", {"query": "cat"}),
        ("GET", "/scenario/v1/models", None),
    ],
)
def test_a_request_spends_one_token(
    limited: tuple[TestClient, Container, FrozenClock],
    method: str,
    path: str,
    body: dict[str, str] | None,
) -> None:
    client, container, _ = limited
    key = auth(make_key(container, "acme", KeyScope.API))
    statuses = [client.request(method, path, headers=key, json=body).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]  # the burst is 3
