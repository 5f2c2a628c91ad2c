"""``HttpLink`` against the real worker API (in-process ASGI), on both databases: it tells
a tenant key from a worker key, and reads the owner's private inputs through the API."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from impasto.config import Settings
from impasto.container import Container
from impasto.kit.clock import SystemClock
from impasto.kit.egress.fetch import FetchLimits, UrlFetcher
from impasto.models import KeyScope
from impasto.workers.http_link import HttpLink, WorkerApiError
from tests.conftest import SERVER_DEFAULT, SettingsFactory, auth, make_key, make_worker_key

T = TypeVar("T")
API = "http://testserver"
FORBID = {"X-Fal-Object-Lifecycle": '{"initial_acl": {"default": "forbid"}}'}


@pytest.fixture
def settings(make_settings: SettingsFactory) -> Settings:
    return make_settings(
        rate_limit_per_second=SERVER_DEFAULT,
        rate_limit_burst=SERVER_DEFAULT,
        builtin_apps=True,
        embedded_worker=False,  # the link under test is the worker
        queue_reap_interval_seconds=0,
    )


def with_link(
    client: TestClient, app: FastAPI, key: str, work: Callable[[HttpLink], Awaitable[T]]
) -> T:
    """Run ``work`` on the app's own event loop, with a link that calls the app in-process."""

    async def run() -> T:
        clock = SystemClock()
        link = HttpLink(
            API,
            key,
            "w1",
            fetcher=UrlFetcher(FetchLimits(), clock=clock),
            clock=clock,
            client=httpx.AsyncClient(transport=httpx.ASGITransport(app=app)),
            retry_seconds=0.0,
        )
        try:
            return await work(link)
        finally:
            await link.aclose()

    assert client.portal is not None
    return client.portal.call(run)


def test_a_tenant_key_is_told_to_get_a_worker_key(
    client: TestClient, app: FastAPI, container: Container
) -> None:
    admin = make_key(container, "acme", KeyScope.ADMIN)
    with pytest.raises(WorkerApiError) as refused:
        with_link(client, app, admin, lambda link: link.info())
    assert refused.value.status_code == 403
    assert "not a worker key" in str(refused.value)
    assert "impasto workers token create" in str(refused.value)


def test_inputs_of_this_server_are_read_as_the_requests_owner(
    client: TestClient, app: FastAPI, container: Container
) -> None:
    alice = auth(make_key(container, "alice"))
    bob = auth(make_key(container, "bob"))

    def upload(headers: dict[str, str], data: bytes) -> str:
        answer = client.post("/files/upload", content=data, headers={**headers, **FORBID})
        assert answer.status_code == 200, answer.text
        url: str = answer.json()["access_url"]
        return url

    alice_private, bob_private = upload(alice, b"alice's own"), upload(bob, b"bob's own")
    assert client.get(alice_private).status_code == 403  # no anonymous read would do
    client.post("/queue/impasto/debug", json={"payload": alice_private}, headers=alice)

    async def work(link: HttpLink) -> tuple[bytes, int]:
        [claim] = await link.claim("impasto/debug", 1)
        assert claim.owner == "alice"
        mine = await link.fetch_input(claim, alice_private)
        try:
            await link.fetch_input(claim, bob_private)
        except WorkerApiError as exc:
            return mine, exc.status_code
        return mine, 200

    assert with_link(client, app, make_worker_key(container), work) == (b"alice's own", 404)
