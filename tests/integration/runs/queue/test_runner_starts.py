"""Runner starts seen from the queue: a runner killed while it starts costs its waiting
request an attempt, not its answer; an app that cannot start fails at once; the embedded
worker's spool does not outlive it."""

from __future__ import annotations

import base64
import io
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image as PILModule

from impasto.config import Settings
from impasto.container import Container
from impasto.models import RequestRecord
from impasto.runs.deployments.service import DeploymentService
from tests.conftest import auth, make_key
from tests.integration.runs.conftest import WAIT_SECONDS, Caller
from tests.scrape import scrape

APPS = "tests.integration.runs.queue_apps"


@pytest.fixture
def setup_gate(tmp_path: Path) -> Path:
    folder = tmp_path / "setup-gate"
    folder.mkdir()
    return folder


@pytest.fixture
def client(app: FastAPI, container: Container, setup_gate: Path) -> Iterator[TestClient]:
    """The server, with two more apps deployed before its worker starts (it reads the
    deployed apps once at start): one whose setup waits on ``setup_gate``, one whose
    setup fails."""
    with container.database.session(write=True) as session:
        registry = DeploymentService(session, container.clock, operator=container.runs.operator)
        registry.add(f"{APPS}:GatedSetup", owner="acme", env={"SETUP_GATE_DIR": str(setup_gate)})
        registry.add(f"{APPS}:BrokenSetup", owner="acme")
    with TestClient(app) as client:
        yield client


def _record(container: Container, request_id: str) -> RequestRecord:
    with container.database.session(write=False) as session:
        record = session.get(RequestRecord, request_id)
        assert record is not None
        session.expunge(record)
        return record


def _runner_pid(setup_gate: Path) -> int:
    """The pid of the first runner that reached its setup."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not (found := sorted(setup_gate.glob("pid-*"))):
        assert time.monotonic() < deadline, "no runner reached its setup"
        time.sleep(0.02)
    return int(found[0].read_text())


def test_a_runner_killed_while_it_starts_is_retried(
    acme: Caller, client: TestClient, container: Container, setup_gate: Path
) -> None:
    submitted = acme.queued("acme/gated-setup", {})
    pid = _runner_pid(setup_gate)
    os.killpg(pid, signal.SIGKILL)  # as the OOM killer would, while it loads its weights
    (setup_gate / "open").touch()
    result = acme.result(submitted)
    assert result.status_code == 200, result.text
    assert result.json() == {"attempt": 2}
    record = _record(container, submitted["request_id"])
    assert (record.attempts, record.runner_crashes) == (2, 0)
    metrics = scrape(client)
    app = "acme/gated-setup"
    assert metrics.value("impasto_runner_starts_total", app=app, outcome="killed") == 1
    assert metrics.value("impasto_runner_starts_total", app=app, outcome="ok") == 1
    retried = {"app": app, "reason": "runner_scheduling_failure"}
    assert metrics.value("impasto_queue_retries_total", **retried) == 1


def test_an_app_whose_setup_fails_fails_at_once(
    acme: Caller, client: TestClient, container: Container
) -> None:
    submitted = acme.queued("acme/broken-setup", {})
    status = acme.wait_for(submitted, "COMPLETED")
    assert status["error_type"] == "runner_scheduling_failure"
    assert "weights missing" in status["error"]
    assert acme.get(submitted["response_url"]).status_code == 503
    assert _record(container, submitted["request_id"]).attempts == 1
    metrics = scrape(client)
    app = "acme/broken-setup"
    assert metrics.value("impasto_runner_starts_total", app=app, outcome="failed") == 1
    assert metrics.count("impasto_runner_start_seconds_count", app=app) == 0
    failed = {"app": app, "outcome": "runner_scheduling_failure"}
    assert metrics.value("impasto_queue_completed_total", **failed) == 1
    assert metrics.count("impasto_queue_run_seconds_count", **failed) == 1


def _png() -> str:
    buffer = io.BytesIO()
    PILModule.new("RGB", (8, 8), "red").save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def test_the_embedded_worker_leaves_no_spool_behind(
    app: FastAPI, container: Container, settings: Settings
) -> None:
    spools = settings.data_dir / "spool"
    stale = spools / "host-1-0badc0de" / "impasto--image-tools"
    stale.mkdir(parents=True)
    (stale / "left-over.png").write_bytes(b"from a start that never stopped")
    with TestClient(app) as client:
        assert not stale.parent.exists()
        acme = Caller(client, auth(make_key(container, "acme")))
        converted = acme.result(
            acme.queued("impasto/image-tools/convert", {"image": _png(), "format": "png"})
        )
        assert converted.status_code == 200, converted.text
        [own] = spools.iterdir()  # this start's, while it runs
        assert own.is_dir()
    assert list(spools.iterdir()) == []
