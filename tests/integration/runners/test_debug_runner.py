"""``impasto/debug`` in a real runner process, through ``RunnerHandle``."""

import asyncio

import pytest

from impasto.runners import LogEvent, Outcome, PartialEvent, ProgressEvent, RunnerHandle, RunRequest
from impasto.runners.errors import RunnerClosed
from tests.integration.runners.conftest import StartRunner

pytestmark = pytest.mark.anyio
DEBUG = "impasto.apps.debug:DebugApp"


async def test_ready_reports_the_manifest(debug_runner: RunnerHandle) -> None:
    manifest = debug_runner.manifest
    assert manifest is not None
    assert manifest.name == "debug"
    assert manifest.endpoint_ids("impasto") == ["impasto/debug", "impasto/debug/stream"]
    assert manifest.endpoints[0].input_schema["properties"]["crash"]["default"] == 0
    assert debug_runner.capacity == manifest.settings.max_multiplexing == 64


async def test_many_requests_on_one_runner(debug_runner: RunnerHandle) -> None:
    runs = [
        await debug_runner.submit(RunRequest(f"many-{n}", payload={"payload": n, "sleep": 0.01}))
        for n in range(20)
    ]
    outcomes = await asyncio.gather(*(run.outcome() for run in runs))
    assert [o.body for o in outcomes] == [{"payload": n, "attempt": 1} for n in range(20)]
    assert debug_runner.alive
    assert debug_runner.in_flight == 0


async def test_logs_and_progress_arrive_in_order(debug_runner: RunnerHandle) -> None:
    run = await debug_runner.submit(RunRequest("logs-1", payload={"logs": 4, "sleep": 0.04}))
    events = [event async for event in run.events()]
    assert [type(e) for e in events] == [LogEvent, ProgressEvent] * 4 + [Outcome]
    assert [e.message for e in events if isinstance(e, LogEvent)] == [
        f"debug log {n} of 4" for n in range(1, 5)
    ]
    assert [e.fraction for e in events if isinstance(e, ProgressEvent)] == [0.25, 0.5, 0.75, 1.0]
    assert events[-1] == await run.outcome()


async def test_fail_completes_with_an_error(debug_runner: RunnerHandle) -> None:
    outcome = await (
        await debug_runner.submit(RunRequest("fail-1", payload={"fail": True}))
    ).outcome()
    assert (outcome.status_code, outcome.error, outcome.error_type) == (
        500,
        "Internal Server Error",
        "runner_server_error",
    )
    assert not outcome.retryable
    assert debug_runner.alive


async def test_invalid_input_is_a_fal_422(debug_runner: RunnerHandle) -> None:
    run = await debug_runner.submit(RunRequest("bad-1", payload={"sleep": "long", "logs": -1}))
    outcome = await run.outcome()
    assert outcome.status_code == 422
    assert outcome.error_type == "validation_error"
    assert [(d["loc"], d["type"]) for d in outcome.body["detail"]] == [
        (["body", "sleep"], "float_parsing"),
        (["body", "logs"], "greater_than_equal"),
    ]
    assert {"msg", "input"} <= set(outcome.body["detail"][0])


async def test_streaming_yields_partials_then_the_last_as_result(
    debug_runner: RunnerHandle,
) -> None:
    run = await debug_runner.submit(
        RunRequest("stream-1", path="/stream", payload={"chunks": 3, "payload": "p"})
    )
    events = [event async for event in run.events()]
    partials = [e.output for e in events if isinstance(e, PartialEvent)]
    assert [p["index"] for p in partials] == [0, 1, 2]
    assert [p["partial"] for p in partials] == [True, True, False]
    assert isinstance(events[-1], Outcome)
    assert events[-1].body == partials[-1]


async def test_cancel_interrupts_a_running_async_request(debug_runner: RunnerHandle) -> None:
    run = await debug_runner.submit(RunRequest("cancel-1", payload={"sleep": 60, "logs": 2}))
    first = await anext(aiter(run.events()))
    assert isinstance(first, LogEvent)  # it is running
    assert await debug_runner.cancel("cancel-1")
    outcome = await run.outcome()
    assert (outcome.status_code, outcome.error_type) == (499, "client_cancelled")
    assert not outcome.runner_failed
    assert debug_runner.alive
    assert not await debug_runner.cancel("cancel-1")  # no longer in flight


async def test_a_crash_fails_in_flight_requests_and_a_new_runner_serves(
    start_runner: StartRunner,
) -> None:
    runner = await start_runner(DEBUG)
    bystander = await runner.submit(RunRequest("bystander", payload={"sleep": 60}))
    crashing = await runner.submit(RunRequest("crash-1", payload={"crash": 1, "logs": 2}))
    outcome = await crashing.outcome()
    assert (outcome.status_code, outcome.error, outcome.error_type) == (
        503,
        "Runner disconnected",
        "runner_disconnected",
    )
    assert outcome.retryable
    assert outcome.runner_failed
    assert (await bystander.outcome()).error_type == "runner_disconnected"
    await runner.wait_closed()
    assert runner.returncode == 17
    with pytest.raises(RunnerClosed):
        await runner.submit(RunRequest("too-late"))

    replacement = await start_runner(DEBUG)
    retry = await replacement.submit(RunRequest("crash-1", payload={"crash": 1}, attempt=2))
    assert (await retry.outcome()).body == {"payload": None, "attempt": 2}


async def test_a_hung_request_is_killed_at_its_timeout(start_runner: StartRunner) -> None:
    runner = await start_runner(DEBUG, request_timeout=30)
    bystander = await runner.submit(RunRequest("slow", payload={"sleep": 60}))
    hung = await runner.submit(RunRequest("hung", payload={"sleep": 60}, timeout=0.5))
    outcome = await hung.outcome()
    assert (outcome.status_code, outcome.error, outcome.error_type) == (
        504,
        "Request timed out",
        "request_timeout",
    )
    assert not outcome.retryable
    assert (await bystander.outcome()).error_type == "runner_disconnected"
    await runner.wait_closed()
    assert not runner.alive


@pytest.mark.parametrize("request_id", ["..", "", "a/b", "x" * 129, "café"])
async def test_unsafe_request_ids_are_refused(debug_runner: RunnerHandle, request_id: str) -> None:
    with pytest.raises(ValueError, match="request id"):
        await debug_runner.submit(RunRequest(request_id))
    assert debug_runner.in_flight == 0


async def test_a_payload_that_is_not_json_never_takes_a_slot(debug_runner: RunnerHandle) -> None:
    run = await debug_runner.submit(RunRequest("not-json", payload={"payload": object()}))
    outcome = await run.outcome()
    assert (outcome.status_code, outcome.error_type, outcome.retryable) == (
        422,
        "validation_error",
        False,
    )
    assert outcome.body["detail"][0]["loc"] == ["body", "payload"]
    assert debug_runner.in_flight == 0
    assert debug_runner.free_slots == debug_runner.capacity
