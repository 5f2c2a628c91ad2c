"""``set_billable_units`` in an app reaches the platform as fal's result header."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from impasto.runners import RunRequest
from impasto.runners.handle import RunnerHandle, RunnerSpec

pytestmark = pytest.mark.anyio
APP = "tests.integration.usage.billing_apps:Metered"


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
async def runner(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunnerHandle]:
    spec = RunnerSpec(app=APP, spool_dir=tmp_path_factory.mktemp("spool"))
    handle = await RunnerHandle.start(spec)
    yield handle
    await handle.stop()


async def test_reported_units_become_the_result_header(runner: RunnerHandle) -> None:
    run = await runner.submit(RunRequest("units-1", payload={"units": 2.5}))
    outcome = await run.outcome()
    assert outcome.status_code == 200
    assert outcome.headers == {"x-fal-billable-units": "2.5"}


async def test_no_report_no_header(runner: RunnerHandle) -> None:
    run = await runner.submit(RunRequest("units-2", payload={}))
    outcome = await run.outcome()
    assert (outcome.status_code, outcome.headers) == (200, {})


async def test_a_bad_figure_is_the_apps_error(runner: RunnerHandle) -> None:
    run = await runner.submit(RunRequest("units-3", payload={"units": -1}))
    outcome = await run.outcome()
    assert outcome.status_code == 500
    assert outcome.headers == {}
