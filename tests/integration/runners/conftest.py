from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from impasto.runners import FileResolver, RunnerHandle, RunnerSpec

StartRunner = Callable[..., Awaitable[RunnerHandle]]
APPS = "tests.integration.runners.apps"


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def start_runner(tmp_path: Path) -> AsyncIterator[StartRunner]:
    """Start runner processes for one test; whatever is left is killed afterwards."""
    handles: list[RunnerHandle] = []

    async def start(
        app: str, *, resolver: FileResolver | None = None, **options: Any
    ) -> RunnerHandle:
        spec = RunnerSpec(app=app, spool_dir=tmp_path / "spool", **options)
        handle = await RunnerHandle.start(spec, resolver=resolver)
        handles.append(handle)
        return handle

    yield start
    for handle in handles:
        handle.kill("test over")
        await handle.wait_closed()


@pytest.fixture(scope="module")
async def debug_runner(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunnerHandle]:
    """One ``impasto/debug`` runner shared by the tests that leave it healthy."""
    spec = RunnerSpec(app="impasto.apps.debug:DebugApp", spool_dir=tmp_path_factory.mktemp("spool"))
    handle = await RunnerHandle.start(spec)
    yield handle
    await handle.stop()
