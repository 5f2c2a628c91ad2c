"""Apps the runner tests start in real runner processes."""

import asyncio
import logging
import os
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

from pydantic import BaseModel

from impasto.sdk import App, AppException, current_request, endpoint, log

SETUPS = 0


class Hold(BaseModel):
    hold: float = 0.0


class Seen(BaseModel):
    pid: int
    setups: int
    peak: int


class Done(BaseModel):
    impasto_env: list[str] = []
    extra_env: str | None = None
    stopped_early: bool = False


class Counter(App, name="counter", max_multiplexing=2):
    """Counts its setups and the most requests it held at once."""

    def setup(self) -> None:
        global SETUPS  # noqa: PLW0603 - one module per runner process
        SETUPS += 1
        self.current = 0
        self.peak = 0

    @endpoint("/")
    async def run(self, inp: Hold) -> Seen:
        self.current += 1
        self.peak = max(self.peak, self.current)
        await asyncio.sleep(inp.hold)
        self.current -= 1
        return Seen(pid=os.getpid(), setups=SETUPS, peak=self.peak)


class Chatty(App, name="chatty"):
    """Writes everywhere an app can write; reports what of the environment it sees."""

    def teardown(self) -> None:
        marker = os.environ.get("CHATTY_MARKER")
        if marker:
            with open(marker, "w") as handle:
                handle.write("torn down")

    @endpoint("/")
    def run(self) -> Done:
        print("printed line")
        print("partial ", end="")
        print("line")
        logging.getLogger("chatty").warning("logged line")
        sys.stderr.write("stderr line\n")
        os.write(1, b"raw bytes on fd 1\n")
        return Done(
            impasto_env=sorted(key for key in os.environ if key.startswith("IMPASTO")),
            extra_env=os.environ.get("CHATTY_EXTRA"),
        )


class Tick(BaseModel):
    n: int


class Sync(App, name="sync", max_multiplexing=2):
    @endpoint("/count")
    def count(self, inp: Hold) -> Iterator[Tick]:
        for n in range(1000):
            yield Tick(n=n)
            if n >= 2:
                time.sleep(inp.hold)  # slow after the first three

    @endpoint("/polite")
    def polite(self, inp: Hold) -> Done:
        ctx = current_request()
        deadline = time.monotonic() + inp.hold
        while time.monotonic() < deadline:
            ctx.raise_if_cancelled()
            time.sleep(0.01)
        return Done()

    @endpoint("/stubborn")
    def stubborn(self, inp: Hold) -> Done:
        time.sleep(inp.hold)
        return Done()


class BrokenSetup(App, name="broken-setup"):
    def setup(self) -> None:
        raise RuntimeError("weights missing")

    @endpoint("/")
    def run(self) -> Done:
        return Done()


class LogsInSetup(App, name="logs-in-setup"):
    """``log()`` with no request around: a runner-level line, not a dead runner."""

    def setup(self) -> None:
        log("loading weights", "warning")

    @endpoint("/")
    def run(self) -> Done:
        log("answering")
        return Done()


class SlowSetup(App, name="slow-setup"):
    def setup(self) -> None:
        time.sleep(60)

    @endpoint("/")
    def run(self) -> Done:
        return Done()


class Blocking(App, name="blocking"):
    """An async endpoint that blocks its event loop: no heartbeats while it runs."""

    @endpoint("/")
    async def run(self, inp: Hold) -> Done:
        time.sleep(inp.hold)  # noqa: ASYNC251 - blocking the loop is the point
        return Done()


class Score(BaseModel):
    value: float


class Unframeable(App, name="unframeable", max_multiplexing=4):
    """Answers JSON cannot carry, each from its own request."""

    @endpoint("/nan")
    async def nan(self, inp: Hold) -> Score:
        await asyncio.sleep(inp.hold)
        return Score(value=float("nan"))

    @endpoint("/surrogate")
    async def surrogate(self) -> Score:
        raise AppException("no such \ud800 thing", 400)

    @endpoint("/partial")
    async def partial(self) -> AsyncIterator[Score]:
        yield Score(value=1.0)
        yield Score(value=float("inf"))

    @endpoint("/fine")
    async def fine(self, inp: Hold) -> Score:
        await asyncio.sleep(inp.hold)
        return Score(value=0.5)


class PidSetup(App, name="pid-setup"):
    """Writes its pid to ``$PID_FILE`` in ``setup()``, then takes a minute to be ready."""

    def setup(self) -> None:
        Path(os.environ["PID_FILE"]).write_text(str(os.getpid()))
        time.sleep(60)

    @endpoint("/")
    def run(self) -> Done:
        return Done()
