from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from impasto.runners.local import LocalRunner
from impasto.sdk import App

Start = Callable[..., Awaitable[LocalRunner]]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def local_runner(tmp_path: Path) -> AsyncIterator[Start]:
    """Start an app in this process; stopped (teardown) after the test."""
    started: list[LocalRunner] = []

    async def start(app: type[App], **kwargs: object) -> LocalRunner:
        runner = LocalRunner(app, tmp_path / "spool", **kwargs)  # type: ignore[arg-type]
        await runner.start()
        started.append(runner)
        return runner

    yield start
    for runner in started:
        await runner.stop()
