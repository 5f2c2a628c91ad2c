import anyio
import pytest

from impasto.apps.debug import DebugApp
from tests.unit.apps.conftest import Start

pytestmark = pytest.mark.anyio


async def test_echoes_the_payload_and_the_attempt(local_runner: Start) -> None:
    runner = await local_runner(DebugApp)
    result = await runner.call("/", {"payload": {"a": [1, "two"]}}, attempt=3)
    assert (result.status, result.body) == (200, {"payload": {"a": [1, "two"]}, "attempt": 3})
    empty = await runner.call("/", {})
    assert empty.body == {"payload": None, "attempt": 1}


async def test_logs_and_progress_arrive_in_order(local_runner: Start) -> None:
    runner = await local_runner(DebugApp)
    result = await runner.call("/", {"logs": 3, "sleep": 0.03})
    logs = [e["message"] for e in result.events if e["type"] == "log"]
    assert logs == ["debug log 1 of 3", "debug log 2 of 3", "debug log 3 of 3"]
    fractions = [e["fraction"] for e in result.events if e["type"] == "progress"]
    assert fractions == sorted(fractions)
    assert fractions[-1] == 1.0


async def test_fail_answers_500_with_the_traceback_in_the_logs(local_runner: Start) -> None:
    runner = await local_runner(DebugApp)
    result = await runner.call("/", {"fail": True})
    assert result.status == 500
    assert result.body == {"detail": "Internal Server Error"}
    assert result.result["error_type"] == "runner_server_error"
    errors = [e["message"] for e in result.events if e["level"] == "error"]
    assert "failure requested by the input" in errors[0]


async def test_crash_spares_attempts_after_the_nth(local_runner: Start) -> None:
    runner = await local_runner(DebugApp)
    result = await runner.call("/", {"crash": 2, "payload": "survived"}, attempt=3)
    assert result.body == {"payload": "survived", "attempt": 3}


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"sleep": -1}, "sleep"), ({"crash": "often"}, "crash"), ({"logs": 10**6}, "logs")],
)
async def test_bad_input_is_a_422(local_runner: Start, payload: object, field: str) -> None:
    runner = await local_runner(DebugApp)
    result = await runner.call("/", payload)
    assert result.status == 422
    assert result.body["detail"][0]["loc"] == ["body", field]


async def test_stream_yields_partial_chunks(local_runner: Start) -> None:
    runner = await local_runner(DebugApp)
    result = await runner.call("/stream", {"chunks": 3, "payload": 7})
    partials = [e["output"] for e in result.events if e["type"] == "partial"]
    assert [p["index"] for p in partials] == [0, 1, 2]
    assert [p["partial"] for p in partials] == [True, True, False]
    assert result.body == partials[-1]


async def test_a_sleeping_request_can_be_cancelled(local_runner: Start) -> None:
    runner = await local_runner(DebugApp)
    async with anyio.create_task_group() as group:
        outcome = {}

        async def call() -> None:
            outcome["result"] = await runner.call("/", {"sleep": 60}, request_id="sleepy")

        group.start_soon(call)
        await anyio.sleep(0.05)
        runner.cancel("sleepy")
    result = outcome["result"]
    assert result.status == 499
    assert result.result["error_type"] == "client_cancelled"


async def test_unknown_path_is_a_404(local_runner: Start) -> None:
    runner = await local_runner(DebugApp)
    result = await runner.call("/nope", {})
    assert (result.status, result.body) == (404, {"detail": "Path /nope not found"})
