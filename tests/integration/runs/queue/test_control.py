"""Cancel, priorities, start deadlines, retries and the queue-length cap (§2.6, §2.7)."""

from __future__ import annotations

from impasto.container import Container
from impasto.models import RequestRecord
from tests.integration.runs.conftest import Caller, Gate

DEBUG = "impasto/debug"
SERIAL = "acme/serial"


def _record(container: Container, request_id: str) -> RequestRecord:
    with container.database.session(write=False) as session:
        record = session.get(RequestRecord, request_id)
        assert record is not None
        session.expunge(record)
        return record


def test_cancel_in_queue_never_runs(acme: Caller, gate: Gate, container: Container) -> None:
    holder = acme.queued(SERIAL, gate.input)
    acme.wait_for(holder, "IN_PROGRESS")
    waiting = acme.queued(SERIAL, gate.input)
    response = acme.cancel(waiting)
    assert response.status_code == 202
    assert response.json() == {"status": "CANCELLATION_REQUESTED"}
    status = acme.status(waiting)
    assert status["status"] == "COMPLETED"
    assert status["error_type"] == "client_cancelled"
    gate.open()
    assert acme.result(holder).json() == {"served": 1}
    result = acme.get(waiting["response_url"])
    assert result.status_code == 499
    assert result.json()["error_type"] == "client_cancelled"
    assert result.headers["x-fal-error-type"] == "client_cancelled"
    assert _record(container, waiting["request_id"]).attempts == 0
    # The next request is the runner's second: the cancelled one never reached it.
    assert acme.result(acme.queued(SERIAL, gate.input)).json() == {"served": 2}


def test_cancel_in_progress_interrupts_the_runner(acme: Caller) -> None:
    submitted = acme.queued(DEBUG, {"sleep": 600})
    assert acme.wait_for(submitted, "IN_PROGRESS")["status"] == "IN_PROGRESS"
    response = acme.cancel(submitted)
    assert response.status_code == 202
    assert response.json() == {"status": "CANCELLATION_REQUESTED"}
    status = acme.wait_for(submitted, "COMPLETED")
    assert status["error_type"] == "client_cancelled"
    result = acme.get(submitted["response_url"])
    assert result.status_code == 499
    assert result.json()["detail"]


def test_cancel_after_completion_is_already_completed(acme: Caller) -> None:
    submitted = acme.queued(DEBUG, {})
    assert acme.result(submitted).status_code == 200
    response = acme.cancel(submitted)
    assert response.status_code == 400
    assert response.json() == {"status": "ALREADY_COMPLETED"}
    assert acme.get(submitted["response_url"]).status_code == 200


def test_low_priority_waits_behind_normal(acme: Caller, gate: Gate) -> None:
    holder = acme.queued(SERIAL, gate.input)
    acme.wait_for(holder, "IN_PROGRESS")
    low = acme.queued(SERIAL, gate.input, headers={"X-Fal-Queue-Priority": "low"})
    normal = acme.queued(SERIAL, gate.input, headers={"X-Fal-Queue-Priority": "normal"})
    assert low["queue_position"] == 0
    assert normal["queue_position"] == 0  # submitted later, but ahead of the low one
    assert acme.status(low)["queue_position"] == 1
    gate.open()
    assert acme.result(holder).json() == {"served": 1}
    assert acme.result(normal).json() == {"served": 2}
    assert acme.result(low).json() == {"served": 3}


def test_a_request_that_cannot_start_in_time_fails_504(acme: Caller, gate: Gate) -> None:
    holder = acme.queued(SERIAL, gate.input)
    acme.wait_for(holder, "IN_PROGRESS")
    late = acme.queued(SERIAL, gate.input, headers={"X-Fal-Request-Timeout": "0.5"})
    status = acme.wait_for(late, "COMPLETED")
    assert status["error_type"] == "request_timeout"
    result = acme.get(late["response_url"])
    assert result.status_code == 504
    assert result.headers["x-fal-request-timeout-type"] == "user"
    gate.open()
    assert acme.result(holder).json() == {"served": 1}


def test_a_request_that_starts_in_time_is_not_bounded_by_the_header(acme: Caller) -> None:
    # A warm runner, so that the start (a claim) is far inside the deadline even on a
    # loaded machine; the run itself then outlasts the deadline.
    assert acme.result(acme.queued(DEBUG, {})).status_code == 200
    submitted = acme.queued(DEBUG, {"sleep": 4}, headers={"X-Fal-Request-Timeout": "3"})
    assert acme.result(submitted).status_code == 200


def test_no_retry_fails_a_crash_after_one_attempt(acme: Caller, container: Container) -> None:
    submitted = acme.queued(DEBUG, {"crash": 1}, headers={"X-Fal-No-Retry": "1"})
    status = acme.wait_for(submitted, "COMPLETED")
    assert status["error_type"] == "runner_disconnected"
    assert acme.get(submitted["response_url"]).status_code == 503
    assert _record(container, submitted["request_id"]).attempts == 1


def test_a_crash_is_retried_until_an_attempt_answers(acme: Caller, container: Container) -> None:
    submitted = acme.queued(DEBUG, {"crash": 1, "payload": "p"})
    result = acme.result(submitted)
    assert result.status_code == 200
    assert result.json() == {"payload": "p", "attempt": 2}
    record = _record(container, submitted["request_id"])
    assert (record.attempts, record.runner_crashes, record.status) == (2, 1, "COMPLETED")


def test_a_request_that_crashed_its_runner_twice_is_not_tried_again(
    acme: Caller, container: Container
) -> None:
    # Three attempts are allowed (IMPASTO_QUEUE_MAX_ATTEMPTS), but each crash also fails
    # everything else in flight on that runner: two are enough to call the input poison.
    submitted = acme.queued(DEBUG, {"crash": 5})
    status = acme.wait_for(submitted, "COMPLETED")
    assert status["error_type"] == "runner_disconnected"
    assert "crashed twice" in status["error"]
    result = acme.get(submitted["response_url"])
    assert result.status_code == 503
    assert result.headers["x-fal-error-type"] == "runner_disconnected"
    record = _record(container, submitted["request_id"])
    assert (record.attempts, record.runner_crashes) == (2, 2)
    # The next request finds a runner again.
    assert acme.result(acme.queued(DEBUG, {"payload": 1})).json() == {"payload": 1, "attempt": 1}


def test_max_queue_length_answers_429(acme: Caller, bob: Caller, gate: Gate) -> None:
    holder = acme.queued(SERIAL, gate.input)
    acme.wait_for(holder, "IN_PROGRESS")
    acme.queued(SERIAL, gate.input)  # one waiting
    full = bob.submit(SERIAL, gate.input, params={"fal_max_queue_length": "1"})
    assert full.status_code == 429
    assert "fal_max_queue_length" in full.json()["detail"]
    assert bob.submit(SERIAL, gate.input, params={"fal_max_queue_length": "2"}).status_code == 200
    gate.open()


BAD_OPTIONS = [
    ({"X-Fal-Queue-Priority": "urgent"}, {}),
    ({"X-Fal-Request-Timeout": "soon"}, {}),
    ({"X-Fal-Request-Timeout": "0"}, {}),
    ({"X-Fal-Request-Timeout": "-5"}, {}),
    ({"X-Fal-Request-Timeout": "nan"}, {}),
    ({"X-Fal-No-Retry": "perhaps"}, {}),
    ({"X-Fal-Store-IO": "2"}, {}),
    ({}, {"fal_max_queue_length": "many"}),
    ({}, {"fal_max_queue_length": "-1"}),
]


def test_bad_header_and_query_values_answer_400(acme: Caller) -> None:
    for headers, params in BAD_OPTIONS:
        response = acme.submit(DEBUG, {}, headers=headers, params=params)
        assert response.status_code == 400, (headers, params, response.text)
        named = next(iter(headers or params))
        assert named in response.json()["detail"]
        assert response.headers["x-fal-error-type"] == "bad_request"
