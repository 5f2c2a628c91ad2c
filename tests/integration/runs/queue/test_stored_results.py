"""What a worker sends back is stored only if it reads back as JSON.

A worker here is the test itself, talking to ``LeaseService`` as the embedded worker and
the remote-worker API (``/worker/v1``) both do; the embedded worker is off.
"""

from __future__ import annotations

import pytest

from impasto.config import Settings
from impasto.container import Container
from impasto.runs.queue.completion import Result
from impasto.runs.queue.leases import Claim, LeaseService
from tests.integration.runs.conftest import Caller

WORKER = "test-worker"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"embedded_worker": False})


def _claim(container: Container) -> Claim:
    with container.database.session(write=True) as session:
        [claim] = LeaseService(session, container.runs).claim(WORKER, "impasto/debug", 1)
    return claim


def test_a_result_with_nan_becomes_its_requests_500(acme: Caller, container: Container) -> None:
    submitted = acme.queued("impasto/debug", {})
    claim = _claim(container)
    with container.database.session(write=True) as session:
        leases = LeaseService(session, container.runs)
        assert leases.report(
            WORKER,
            claim.request_id,
            claim.attempt,
            [
                ("partial", {"output": {"score": float("nan")}}),
                ("partial", {"output": {"score": 1.5}}),
            ],
        )
        body = {"scores": [1.0, float("inf")]}
        assert leases.finish(WORKER, claim.request_id, claim.attempt, Result(200, body))
    result = acme.get(submitted["response_url"])
    assert result.status_code == 500
    assert result.json() == {"detail": "Internal Server Error"}
    status = acme.status(submitted, logs="1")
    assert status["error_type"] == "runner_server_error"
    assert "not finite" in status["error"]
    assert "scores.1" in status["error"]
    [dropped] = status["logs"]
    assert "partial event was dropped" in dropped["message"]
    assert "score" in dropped["message"]


def test_text_a_column_cannot_hold_is_stored_escaped(acme: Caller, container: Container) -> None:
    submitted = acme.queued("impasto/debug", {})
    claim = _claim(container)
    failed = Result(500, {"detail": "boom"}, error="nul\x00 and \ud800", error_type="x" * 100)
    with container.database.session(write=True) as session:
        LeaseService(session, container.runs).finish(
            WORKER, claim.request_id, claim.attempt, failed
        )
    status = acme.status(submitted)
    assert status["error"] == "nul\\x00 and \\ud800"
    assert status["error_type"] == "x" * 64
