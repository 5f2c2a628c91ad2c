"""The queue's series on ``/metrics``, moved by requests through the queue, on both
databases.

The server runs on a frozen clock with no worker of its own: the test is the worker (over
``/worker/v1``) and the reaper, and moves the clock, so waits and run times are exact and
the scraped depth is read afresh (its cache lasts ``SCRAPE_TTL_SECONDS`` of that clock).
The last test runs the embedded worker for real: a runner that crashes under a request.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from impasto.app import create_app
from impasto.container import Container, build_container
from impasto.kit.clock import FrozenClock
from impasto.kit.gauges import SCRAPE_TTL_SECONDS
from impasto.models import RequestRecord
from impasto.runs.queue.completion import Result
from impasto.runs.queue.leases import LeaseService
from tests.conftest import SettingsFactory, auth, make_key, make_worker_key
from tests.integration.runs.conftest import Caller
from tests.scrape import scrape

DEBUG = "impasto/debug"
WORKER = "/worker/v1"
LEASE_SECONDS = 30.0
STEP = SCRAPE_TTL_SECONDS + 1  # every move of the clock also outlives the depth's cache
CRASHED = {"status_code": 503, "body": {"detail": "gone"}, "error_type": "runner_disconnected"}


@dataclass
class Server:
    client: TestClient
    container: Container
    clock: FrozenClock
    user: dict[str, str]
    worker: dict[str, str]

    def submit(self, payload: Any = None) -> str:
        answer = self.client.post(f"/queue/{DEBUG}", json=payload or {}, headers=self.user)
        assert answer.status_code == 200, answer.text
        request_id: str = answer.json()["request_id"]
        return request_id

    def claim(self, worker_id: str = "w1") -> dict[str, Any]:
        body = {"worker_id": worker_id, "apps": [{"app_id": DEBUG, "limit": 1}]}
        answer = self.client.post(f"{WORKER}/claim", json=body, headers=self.worker)
        assert answer.status_code == 200, answer.text
        [claim] = answer.json()["claims"]
        assert isinstance(claim, dict)
        return claim

    def answer(self, verb: str, claim: dict[str, Any], result: dict[str, Any]) -> None:
        body = {"worker_id": "w1", "attempt": claim["attempt"], "result": result}
        rid = claim["request_id"]
        answer = self.client.post(f"{WORKER}/requests/{rid}/{verb}", json=body, headers=self.worker)
        assert answer.json() == {"accepted": True}, answer.text

    def depth(self, status: str) -> float | None:
        return scrape(self.client).value("impasto_queue_requests", app=DEBUG, status=status)


@pytest.fixture
def server(make_settings: SettingsFactory) -> Iterator[Server]:
    settings = make_settings(
        builtin_apps=True,
        embedded_worker=False,  # the test is the worker
        queue_reap_interval_seconds=0,  # and the reaper
        queue_lease_seconds=LEASE_SECONDS,
        rate_limit_per_second=10_000,
        rate_limit_burst=10_000,
    )
    clock = FrozenClock()
    container = build_container(settings, clock=clock)
    try:
        with TestClient(create_app(settings, container)) as client:
            user = auth(make_key(container, "acme"))
            worker = auth(make_worker_key(container))
            yield Server(client, container, clock, user, worker)
    finally:
        container.close()


def test_a_request_moves_depth_wait_run_time_and_completions(server: Server) -> None:
    assert server.depth("IN_QUEUE") == 0  # a deployed app reads 0, not nothing
    assert server.depth("IN_PROGRESS") == 0

    server.submit()
    server.clock.advance(STEP)
    assert server.depth("IN_QUEUE") == 1
    before_claim = scrape(server.client)
    assert before_claim.count("impasto_queue_wait_seconds_count", app=DEBUG) == 0

    claim = server.claim()
    server.clock.advance(STEP)
    claimed = scrape(server.client)
    assert claimed.value("impasto_queue_requests", app=DEBUG, status="IN_QUEUE") == 0
    assert claimed.value("impasto_queue_requests", app=DEBUG, status="IN_PROGRESS") == 1
    assert claimed.value("impasto_queue_wait_seconds_count", app=DEBUG) == 1
    assert claimed.value("impasto_queue_wait_seconds_sum", app=DEBUG) == STEP
    assert claimed.value("impasto_queue_wait_seconds_bucket", app=DEBUG, le="5.0") == 1
    assert claimed.value("impasto_queue_wait_seconds_bucket", app=DEBUG, le="2.5") == 0

    server.clock.advance(STEP)
    server.answer("finish", claim, {"status_code": 200, "body": {"ok": True}})
    done = scrape(server.client)
    success = {"app": DEBUG, "outcome": "success"}
    assert done.value("impasto_queue_completed_total", **success) == 1
    assert done.value("impasto_queue_run_seconds_count", **success) == 1
    assert done.value("impasto_queue_run_seconds_sum", **success) == 2 * STEP  # claim -> finish
    assert done.value("impasto_queue_requests", app=DEBUG, status="IN_QUEUE") == 0
    assert done.value("impasto_queue_requests", app=DEBUG, status="IN_PROGRESS") == 0
    assert done.series("impasto_queue_retries_total") == {}


def test_the_depth_is_read_once_per_ttl_whatever_the_scrapes(server: Server) -> None:
    assert server.depth("IN_QUEUE") == 0
    server.submit()
    assert server.depth("IN_QUEUE") == 0  # the last read, within its time to live
    server.clock.advance(STEP)
    assert server.depth("IN_QUEUE") == 1


def test_crashes_count_retries_then_the_crash_rule_gives_up(server: Server) -> None:
    server.submit()
    first = server.claim()
    server.answer("release", first, CRASHED)
    retried = scrape(server.client)
    assert (
        retried.value("impasto_queue_retries_total", app=DEBUG, reason="runner_disconnected") == 1
    )
    assert retried.value("impasto_queue_runner_crashes_total", app=DEBUG) == 1
    assert retried.count("impasto_queue_completed_total", app=DEBUG, outcome="success") == 0

    second = server.claim("w1")
    assert second["attempt"] == 2
    server.clock.advance(STEP)
    server.answer("release", second, CRASHED)
    failed = scrape(server.client)
    assert failed.value("impasto_queue_runner_crashes_total", app=DEBUG) == 2
    assert failed.value("impasto_queue_given_up_total", app=DEBUG, reason="runner_crashes") == 1
    assert failed.value("impasto_queue_retries_total", app=DEBUG, reason="runner_disconnected") == 1
    crashed = {"app": DEBUG, "outcome": "runner_disconnected"}
    assert failed.value("impasto_queue_completed_total", **crashed) == 1
    assert failed.value("impasto_queue_run_seconds_count", **crashed) == 1
    # The wait is the first claim's: the retry's second wait is not a new request waiting.
    assert failed.value("impasto_queue_wait_seconds_count", app=DEBUG) == 1


def test_an_app_error_is_bounded_to_its_status_class(server: Server) -> None:
    server.submit()
    claim = server.claim()
    odd = {"status_code": 418, "body": {"detail": "no"}, "error_type": "teapot_overflow"}
    server.answer("finish", claim, odd)
    metrics = scrape(server.client)
    assert metrics.value("impasto_queue_completed_total", app=DEBUG, outcome="client_error") == 1
    assert "teapot_overflow" not in server.client.get("/metrics").text


def test_the_reaper_counts_lease_expiries_and_their_retries(server: Server) -> None:
    server.submit()
    server.claim()
    server.clock.advance(LEASE_SECONDS + 1)
    with server.container.database.session(write=True) as session:
        assert LeaseService(session, server.container.runs).reap() == 1
    metrics = scrape(server.client)
    assert metrics.value("impasto_queue_lease_expiries_total", app=DEBUG) == 1
    assert metrics.value("impasto_queue_retries_total", app=DEBUG, reason="lease_expired") == 1
    assert metrics.value("impasto_queue_requests", app=DEBUG, status="IN_QUEUE") == 1
    assert metrics.count("impasto_queue_runner_crashes_total", app=DEBUG) == 0


def test_a_completion_that_rolls_back_counts_nothing(server: Server) -> None:
    server.submit()
    claim = server.claim()
    with server.container.database.session(write=False) as session:
        record = session.get(RequestRecord, claim["request_id"])
        assert record is not None
        holder = record.lease_owner  # the worker key's id / the worker's
    assert holder is not None

    def finish_then_fail() -> None:
        with server.container.database.session(write=True) as session:
            leases = LeaseService(session, server.container.runs)
            assert leases.finish(holder, claim["request_id"], claim["attempt"], Result(200, {}))
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError, match="rolled back"):
        finish_then_fail()
    server.clock.advance(STEP)
    metrics = scrape(server.client)
    assert metrics.series("impasto_queue_completed_total") == {}
    assert metrics.series("impasto_queue_run_seconds_count") == {}
    assert metrics.value("impasto_queue_requests", app=DEBUG, status="IN_PROGRESS") == 1
    server.answer("finish", claim, {"status_code": 200, "body": {}})  # still its to finish
    assert (
        scrape(server.client).count("impasto_queue_completed_total", app=DEBUG, outcome="success")
        == 1
    )


def test_a_runner_crash_under_the_embedded_worker(acme: Caller, client: TestClient) -> None:
    """The real worker: the first runner dies mid-request, a second one answers."""
    submitted = acme.queued(DEBUG, {"crash": 1})
    assert acme.result(submitted).status_code == 200
    metrics = scrape(client)
    assert (
        metrics.value("impasto_queue_retries_total", app=DEBUG, reason="runner_disconnected") == 1
    )
    assert metrics.value("impasto_queue_runner_crashes_total", app=DEBUG) == 1
    assert metrics.value("impasto_queue_completed_total", app=DEBUG, outcome="success") == 1
    assert metrics.value("impasto_runner_starts_total", app=DEBUG, outcome="ok") == 2
    assert metrics.value("impasto_runner_start_seconds_count", app=DEBUG) == 2
    assert metrics.value("impasto_runner_exits_total", app=DEBUG, reason="crashed") == 1
