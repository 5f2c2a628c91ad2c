"""``RunRepository.insert``: one Core INSERT of a typed ``NewRequest``, storing the row the
ORM's add and flush would store, JSON null versus SQL NULL included."""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any

import pytest
from sqlalchemy import JSON, Table, Text, cast, select

from impasto.models import RequestRecord
from impasto.runs.queue.repository import IN_QUEUE, RunRepository
from impasto.runs.queue.submission import NewRequest
from tests.integration.runs.queue.conftest import BASE_URL, DEBUG, QueueCore


def _new(queue: QueueCore, request_id: str, payload: Any) -> NewRequest:
    return NewRequest(
        request_id=request_id,
        owner="acme",
        key_id=None,
        endpoint_id=DEBUG,
        app_id=DEBUG,
        path="/",
        mode="queue",
        priority=1,
        input=payload,
        headers={"x-fal-object-lifecycle-preference": '{"expiration_duration_seconds": 60}'},
        store_io=False,
        base_url=BASE_URL,
        runner_hint="hint",
        webhook_url=None,
        start_deadline=queue.clock.now(),
        max_attempts=2,
        created_at=queue.clock.now(),
    )


def _stored(queue: QueueCore, request_id: str) -> dict[str, Any]:
    """The row as the database holds it: JSON columns as their text, so that JSON null
    ('null') and SQL NULL (None) differ."""
    table = RequestRecord.__table__
    assert isinstance(table, Table)
    columns = [
        cast(column, Text).label(column.key) if isinstance(column.type, JSON) else column
        for column in table.columns
        if column.key != "request_id"
    ]
    with queue.database.session(write=False) as session:
        row = session.execute(select(*columns).where(table.c.request_id == request_id)).one()
    return dict(row._mapping)


@pytest.mark.parametrize("payload", [None, {"payload": [1, None]}], ids=["null", "object"])
def test_a_new_request_is_stored_as_the_orm_would_store_it(queue: QueueCore, payload: Any) -> None:
    core, orm = _new(queue, "req-core", payload), _new(queue, "req-orm", payload)

    with queue.database.session(write=True) as session:
        RunRepository(session).insert(core)
        session.add(
            RequestRecord(
                **asdict(orm),
                status=IN_QUEUE,
                attempts=0,
                cancel_requested=False,
                result_headers={},
                payloads_deleted=False,
            )
        )

    stored = _stored(queue, core.request_id)
    assert stored == _stored(queue, orm.request_id)
    assert (stored["status"], stored["attempts"], stored["runner_crashes"]) == (IN_QUEUE, 0, 0)
    assert stored["output"] is None  # never written: SQL NULL
    assert (stored["input"] == "null") is (payload is None)  # written None: JSON null


def test_an_inserted_request_reads_back_in_the_same_transaction(queue: QueueCore) -> None:
    new = replace(_new(queue, "req-same", {"x": 1}), webhook_url="https://example.com/hook")

    with queue.database.session(write=True) as session:
        repo = RunRepository(session)
        repo.insert(new)
        record = repo.get(new.request_id)

        assert record is not None
        assert (record.status, record.input, record.webhook_url) == (
            IN_QUEUE,
            {"x": 1},
            "https://example.com/hook",
        )
        assert repo.queue_position(new.app_id, new.priority, new.request_id) == 0
