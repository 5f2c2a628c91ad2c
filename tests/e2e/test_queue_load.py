"""1,000 concurrent submits against a real server: every request completes, none twice."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from impasto.config import Settings
from impasto.container import Container
from impasto.models import RequestRecord, RunEvent
from tests.conftest import SERVER_DEFAULT, SettingsFactory, auth, make_key
from tests.e2e.test_fal_client_upload import server  # noqa: F401  (a fixture)

SUBMITS = 1000
CLIENTS = 16
WAIT_SECONDS = 600.0  # a bound against hangs, not a speed assertion

pytestmark = pytest.mark.timeout(900)


@pytest.fixture
def settings(make_settings: SettingsFactory) -> Settings:
    return make_settings(
        rate_limit_per_second=0,
        rate_limit_burst=SERVER_DEFAULT,
        builtin_apps=True,
        embedded_worker=True,
    )


def test_a_thousand_concurrent_submits_complete_once_each(
    server: str,  # noqa: F811
    container: Container,
) -> None:
    headers = auth(make_key(container, "acme"))

    def submit(n: int) -> str:
        with httpx.Client(base_url=server, headers=headers, timeout=60) as client:
            response = client.post("/queue/impasto/debug", json={"payload": n, "logs": 1})
            assert response.status_code == 200, response.text
            request_id: str = response.json()["request_id"]
            return request_id

    with ThreadPoolExecutor(CLIENTS) as pool:
        ids = list(pool.map(submit, range(SUBMITS)))
    assert len(set(ids)) == SUBMITS

    deadline = time.monotonic() + WAIT_SECONDS
    while _count(container, RequestRecord.status == "COMPLETED") < SUBMITS:
        assert time.monotonic() < deadline, "requests did not complete"
        time.sleep(0.5)

    with container.database.session(write=False) as session:
        rows = session.execute(
            select(RequestRecord.request_id, RequestRecord.output, RequestRecord.attempts)
        ).all()
        logs = dict(
            session.execute(
                select(RunEvent.request_id, func.count())
                .where(RunEvent.kind == "log")
                .group_by(RunEvent.request_id)
            ).all()
        )
    outputs: dict[str, Any] = {row.request_id: row.output for row in rows}
    assert sorted(outputs) == sorted(ids)
    assert sorted(output["payload"] for output in outputs.values()) == list(range(SUBMITS))
    assert {row.attempts for row in rows} == {1}  # nothing ran twice
    assert set(logs.values()) == {1}  # one log line per request, none repeated


def _count(container: Container, *where: Any) -> int:
    with container.database.session(write=False) as session:
        return int(session.scalar(select(func.count()).select_from(RequestRecord).where(*where)))
