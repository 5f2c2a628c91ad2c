"""A server whose requests the test completes itself: submitted over HTTP with a key, then
claimed and finished through the lease service (the worker's side) with a result the test
chooses, on a frozen clock. Each finish writes the request's ledger event, as in serving."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update

from impasto.app import create_app
from impasto.container import Container, build_container
from impasto.kit.clock import FrozenClock
from impasto.models import CatalogEntry, KeyScope
from impasto.runs.queue.completion import Result
from impasto.runs.queue.leases import LeaseService
from tests.conftest import SettingsFactory, auth, make_key

DEBUG = "impasto/debug"
STREAM = "impasto/debug/stream"
WORKER = "test-worker"


@dataclass
class Server:
    client: TestClient
    container: Container
    clock: FrozenClock

    def key(self, owner: str, scope: KeyScope = KeyScope.ADMIN) -> dict[str, str]:
        return auth(make_key(self.container, owner, scope))

    def price(self, endpoint_id: str, unit: str | None, unit_price: float | None) -> None:
        with self.container.database.session(write=True) as session:
            session.execute(
                update(CatalogEntry)
                .where(CatalogEntry.endpoint_id == endpoint_id)
                .values(price_unit=unit, price_unit_price=unit_price, price_currency="USD")
            )

    def run(
        self,
        headers: dict[str, str],
        endpoint: str = DEBUG,
        *,
        status: int = 200,
        body: Any = None,
        result_headers: dict[str, str] | None = None,
        wait: float = 0.0,
        took: float = 0.0,
        inference_time: float | None = None,
        logs: list[tuple[str, str]] | None = None,
    ) -> str:
        """Submit, wait ``wait`` seconds in the queue, run for ``took`` (writing ``logs``,
        (level, message) pairs, as it starts), finish."""
        submitted = self.client.post(f"/queue/{endpoint}", json={}, headers=headers)
        assert submitted.status_code == 200, submitted.text
        request_id: str = submitted.json()["request_id"]
        self.clock.advance(wait)
        app_id = "/".join(endpoint.split("/")[:2])
        with self.container.database.session(write=True) as session:
            [claim] = LeaseService(session, self.container.runs).claim(WORKER, app_id, 1)
        if logs:
            self.log(claim.request_id, claim.attempt, logs)
        self.clock.advance(took)
        error_type = None if status < 400 else ("runner_server_error" if status >= 500 else None)
        result = Result(
            status_code=status,
            body=body if body is not None else {"ok": True},
            error=None if status < 400 else "failed",
            error_type=error_type,
            headers=result_headers,
            inference_time=inference_time,
        )
        with self.container.database.session(write=True) as session:
            assert LeaseService(session, self.container.runs).finish(
                WORKER, claim.request_id, claim.attempt, result
            )
        return request_id

    def log(self, request_id: str, attempt: int, lines: list[tuple[str, str]]) -> None:
        """Log lines of a running request, as the worker reports them."""
        events = [
            ("log", {"message": message, "level": level, "source": "USER",
                     "timestamp": self.clock.now().isoformat(), "labels": {}})
            for level, message in lines
        ]  # fmt: skip
        with self.container.database.session(write=True) as session:
            assert LeaseService(session, self.container.runs).report(
                WORKER, request_id, attempt, events
            )


@contextmanager
def serving(make_settings: SettingsFactory, **overrides: Any) -> Iterator[Server]:
    settings = make_settings(builtin_apps=True, embedded_worker=False, **overrides)
    clock = FrozenClock()
    container = build_container(settings, clock=clock)
    try:
        with TestClient(create_app(settings, container)) as client:
            yield Server(client=client, container=container, clock=clock)
    finally:
        container.close()
