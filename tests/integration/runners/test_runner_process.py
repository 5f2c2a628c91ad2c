"""The runner process contract, with purpose-built apps (``apps.py``)."""

import asyncio
from pathlib import Path

import pytest

from impasto.runners import LogEvent, PartialEvent, RunRequest
from impasto.runners.errors import RunnerStartFailed, RunnerStartTimeout
from tests.integration.runners.conftest import APPS, StartRunner

pytestmark = pytest.mark.anyio


async def test_setup_runs_once_and_multiplexing_is_capped(start_runner: StartRunner) -> None:
    runner = await start_runner(f"{APPS}:Counter")
    assert runner.capacity == 2
    submits = (runner.submit(RunRequest(f"c-{n}", payload={"hold": 0.5})) for n in range(5))
    runs = await asyncio.gather(*submits)  # the last three wait for free slots
    outcomes = [await run.outcome() for run in runs]
    seen = [outcome.body for outcome in outcomes]
    assert {s["pid"] for s in seen} == {runner.pid}
    assert {s["setups"] for s in seen} == {1}
    assert max(s["peak"] for s in seen) == 2
    assert runner.free_slots == 2


async def test_app_output_becomes_request_logs_and_never_corrupts_frames(
    start_runner: StartRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMPASTO_DATABASE_URL", "postgresql://secret@db/impasto")
    marker = tmp_path / "teardown"
    runner = await start_runner(
        f"{APPS}:Chatty", env={"CHATTY_EXTRA": "given", "CHATTY_MARKER": str(marker)}
    )
    run = await runner.submit(RunRequest("chatty-1"))
    events = [event async for event in run.events()]
    logs = [(e.level, e.message) for e in events if isinstance(e, LogEvent)]
    assert logs == [
        ("stdout", "printed line"),
        ("stdout", "partial line"),
        ("warning", "chatty: logged line"),
        ("stderr", "stderr line"),
    ]
    outcome = events[-1]
    assert outcome.body == {"impasto_env": [], "extra_env": "given", "stopped_early": False}
    await runner.stop()
    assert runner.returncode == 0
    assert marker.read_text() == "torn down"
    assert "raw bytes on fd 1" in runner.output_tail


async def test_a_sync_endpoint_sees_the_cancel_flag(start_runner: StartRunner) -> None:
    runner = await start_runner(f"{APPS}:Sync", cancel_grace=30)
    run = await runner.submit(RunRequest("polite-1", path="/polite", payload={"hold": 60}))
    await asyncio.sleep(0.1)
    await runner.cancel("polite-1")
    outcome = await run.outcome()
    assert (outcome.status_code, outcome.runner_failed) == (499, False)
    assert runner.alive


async def test_a_sync_endpoint_that_ignores_cancel_is_killed_after_the_grace(
    start_runner: StartRunner,
) -> None:
    runner = await start_runner(f"{APPS}:Sync", cancel_grace=0.3)
    run = await runner.submit(RunRequest("stubborn-1", path="/stubborn", payload={"hold": 60}))
    await runner.cancel("stubborn-1")
    outcome = await run.outcome()
    assert (outcome.status_code, outcome.error_type) == (499, "client_cancelled")
    await runner.wait_closed()
    assert not runner.alive


async def test_a_failing_setup_is_reported(start_runner: StartRunner) -> None:
    with pytest.raises(RunnerStartFailed, match="weights missing"):
        await start_runner(f"{APPS}:BrokenSetup")
    with pytest.raises(RunnerStartFailed, match="no attribute"):
        await start_runner(f"{APPS}:Missing")


async def test_log_in_setup_is_a_runner_log_line_and_the_runner_serves(
    start_runner: StartRunner,
) -> None:
    runner = await start_runner(f"{APPS}:LogsInSetup")
    assert "loading weights" in runner.output_tail
    outcome = await (await runner.submit(RunRequest("after-setup-log"))).outcome()
    assert outcome.status_code == 200, outcome.body
    assert "answering" not in runner.output_tail  # that one is the request's


async def test_a_slow_setup_hits_the_startup_timeout(start_runner: StartRunner) -> None:
    with pytest.raises(RunnerStartTimeout, match=r"not ready within 0\.5 seconds"):
        await start_runner(f"{APPS}:SlowSetup", startup_timeout=0.5)


async def test_a_runner_whose_loop_is_blocked_is_killed(start_runner: StartRunner) -> None:
    runner = await start_runner(f"{APPS}:Blocking", heartbeat_interval=0.1, heartbeat_timeout=0.5)
    run = await runner.submit(RunRequest("blocked", payload={"hold": 60}))
    outcome = await run.outcome()
    assert (outcome.status_code, outcome.error_type) == (503, "runner_disconnected")
    await runner.wait_closed()
    assert not runner.alive


async def test_a_sync_generator_streams_and_stops_between_items(
    start_runner: StartRunner,
) -> None:
    runner = await start_runner(f"{APPS}:Sync", cancel_grace=30)
    run = await runner.submit(RunRequest("count-1", path="/count", payload={"hold": 0.05}))
    seen: list[int] = []
    async for event in run.events():
        if isinstance(event, PartialEvent):
            seen.append(event.output["n"])
            if len(seen) == 3:
                await runner.cancel("count-1")
    outcome = await run.outcome()
    assert (outcome.status_code, outcome.runner_failed) == (499, False)
    assert seen[:3] == [0, 1, 2]
    assert seen == list(range(len(seen)))
    assert runner.alive


async def test_a_cancel_right_after_submit_still_answers_once(start_runner: StartRunner) -> None:
    runner = await start_runner("impasto.apps.debug:DebugApp")
    run = await runner.submit(RunRequest("quick-cancel", payload={"sleep": 60}))
    await runner.cancel("quick-cancel")
    outcome = await run.outcome()
    assert outcome.status_code == 499
    follow_up = await runner.submit(RunRequest("after", payload={"payload": 1}))
    assert (await follow_up.outcome()).body == {"payload": 1, "attempt": 1}
