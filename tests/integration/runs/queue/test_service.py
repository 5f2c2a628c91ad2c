"""``RunService.submit``: a typed new request in, a small ``Submitted`` out, wake-ups after
commit only."""

from __future__ import annotations

from datetime import timedelta

import pytest

from impasto.runs.queue.notifier import WORK_TOPIC, app_topic
from impasto.runs.queue.options import SubmitOptions
from impasto.runs.queue.service import Caller, RequestNotFound, RunService, Submitted
from tests.integration.runs.queue.conftest import BASE_URL, DEBUG, MAX_ATTEMPTS, QueueCore


def test_submit_answers_with_what_its_callers_send_back(queue: QueueCore) -> None:
    submitted = queue.submit(
        payload={"payload": 1},
        priority=1,
        start_timeout=30.0,
        runner_hint="warm",
        store_io=False,
        forwarded={"x-app-fal-upload-policy": "keep"},
    )

    assert submitted == Submitted(
        request_id=submitted.request_id,
        app_id=DEBUG,
        priority=1,
        webhook_url=None,
        status="IN_QUEUE",
    )
    record = queue.record(submitted.request_id)
    assert (record.owner, record.endpoint_id, record.app_id, record.path, record.mode) == (
        "acme",
        DEBUG,
        DEBUG,
        "/",
        "queue",
    )
    assert (record.status, record.priority, record.input) == ("IN_QUEUE", 1, {"payload": 1})
    assert (record.runner_hint, record.store_io, record.base_url) == ("warm", False, BASE_URL)
    assert record.headers == {"x-app-fal-upload-policy": "keep"}
    assert record.created_at == queue.clock.now()
    assert record.start_deadline == queue.clock.now() + timedelta(seconds=30)
    assert (record.attempts, record.max_attempts) == (0, MAX_ATTEMPTS)
    assert queue.submit(no_retry=True) != submitted
    assert queue.record(queue.submit(no_retry=True).request_id).max_attempts == 1


def test_the_queue_position_counts_what_will_be_claimed_first(queue: QueueCore) -> None:
    first, low = queue.submit(), queue.submit(priority=1)
    second = queue.submit()

    with queue.database.session(write=False) as session:
        service = RunService(session, queue.deps)
        positions = [service.queue_position(s) for s in (first, low, second)]

    assert positions == [0, 2, 1]  # normal priority goes before the older low one


class Abandoned(Exception):
    pass


def _submit_then_fail(queue: QueueCore, submitted: list[Submitted]) -> None:
    """A submit in a transaction that fails after it, before the commit."""
    with queue.database.session(write=True) as session:
        service = RunService(session, queue.deps)
        caller = Caller(owner="acme")
        submitted.append(
            service.submit(caller, DEBUG, {}, SubmitOptions(), mode="queue", base_url=BASE_URL)
        )
        raise Abandoned


def test_a_submit_wakes_the_worker_once_it_commits_and_never_if_rolled_back(
    queue: QueueCore,
) -> None:
    submitted = queue.submit()
    assert set(queue.notifier.sent) == {app_topic(submitted.app_id), WORK_TOPIC}

    queue.notifier.sent.clear()
    gone: list[Submitted] = []
    with pytest.raises(Abandoned):
        _submit_then_fail(queue, gone)

    assert queue.notifier.sent == []
    with queue.database.session(write=False) as session, pytest.raises(RequestNotFound):
        RunService(session, queue.deps).get(Caller(owner="acme"), gone[0].request_id)
