"""The one loop the server's background work runs in: rounds, failures, wake-ups, backoff
and cancellation, driven by an injected pause (no clock is read, nothing sleeps)."""

from __future__ import annotations

import asyncio

import pytest
import structlog
from structlog.testing import capture_logs

from impasto.kit.background import Round, every, periodic

pytestmark = pytest.mark.anyio
LOG = structlog.stdlib.get_logger("test")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Script:
    """Rounds that do what a list says, and a pause that records each wait."""

    def __init__(self, *outcomes: Round | Exception | None) -> None:
        self.outcomes = list(outcomes)
        self.rounds = 0
        self.waits: list[tuple[float, bool]] = []  # (seconds, whether a wake-up was passed)
        self.done = asyncio.Event()

    async def work(self) -> Round | None:
        self.rounds += 1
        if not self.outcomes:
            self.done.set()
            await asyncio.Event().wait()  # parked here until cancelled
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    async def pause(self, seconds: float, wakeup: asyncio.Event | None) -> None:
        self.waits.append((seconds, wakeup is not None))


async def run(script: Script, **options: object) -> None:
    options = {"interval": 5.0, "log": LOG, "failure": "round_failed", **options}
    await periodic(script.work, sleep=script.pause, **options)  # type: ignore[arg-type]


async def test_rounds_run_then_wait_the_interval() -> None:
    script = Script(None, Round.IDLE, Round.DONE)
    await run(script)
    assert script.rounds == 3
    assert script.waits == [(5.0, False), (5.0, False)]


async def test_a_busy_round_starts_the_next_at_once() -> None:
    script = Script(Round.BUSY, Round.BUSY, Round.IDLE, Round.DONE)
    await run(script)
    assert script.waits == [(5.0, False)]


async def test_a_failed_round_is_logged_and_the_loop_goes_on() -> None:
    script = Script(RuntimeError("boom"), Round.DONE)
    with capture_logs() as logs:
        await run(script)
    assert script.rounds == 2
    assert script.waits == [(5.0, False)]
    assert [(log["event"], log["log_level"]) for log in logs] == [("round_failed", "error")]
    assert logs[0]["exc_info"] is True


async def test_failures_in_a_row_back_off_up_to_a_limit_and_success_resets() -> None:
    boom = RuntimeError("boom")
    script = Script(boom, boom, boom, boom, None, boom, Round.DONE)
    with capture_logs():
        await run(script, interval=1.0, max_backoff=6.0)
    assert [seconds for seconds, _ in script.waits] == [2.0, 4.0, 6.0, 6.0, 1.0, 2.0]


async def test_wait_first_waits_before_the_first_round() -> None:
    script = Script(Round.DONE)
    await run(script, wait_first=True)
    assert script.waits == [(5.0, False)]


async def test_the_wakeup_is_cleared_before_each_round_and_passed_to_the_pause() -> None:
    wakeup = asyncio.Event()
    seen: list[bool] = []

    async def work() -> Round:
        seen.append(wakeup.is_set())
        wakeup.set()  # new work arrives during the round
        return Round.DONE if len(seen) == 2 else Round.IDLE

    waits: list[bool] = []

    async def pause(seconds: float, event: asyncio.Event | None) -> None:
        waits.append(event is wakeup and event.is_set())

    wakeup.set()  # a wake-up from before the loop started
    await periodic(work, interval=5.0, log=LOG, failure="f", wakeup=wakeup, sleep=pause)
    assert seen == [False, False]  # set before the loop or during a round: cleared first
    assert waits == [True]  # the pause sees the wake-up set during the round


async def test_cancelling_stops_the_loop_mid_round() -> None:
    script = Script(None)
    task = asyncio.create_task(run(script))
    await script.done.wait()  # the second round is under way
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert script.rounds == 2


async def test_every_runs_in_the_block_and_stops_with_it() -> None:
    started = asyncio.Event()
    cancelled = asyncio.Event()

    async def work() -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    async with every(5.0, work, name="test-loop", log=LOG, failure="f"):
        await started.wait()
        assert not cancelled.is_set()
    assert cancelled.is_set()


async def test_every_with_interval_0_runs_nothing() -> None:
    rounds = 0

    async def work() -> None:
        nonlocal rounds
        rounds += 1

    async with every(0, work, name="off", log=LOG, failure="f"):
        await asyncio.sleep(0)
    assert rounds == 0
