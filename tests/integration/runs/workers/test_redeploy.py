"""A redeploy reaches the embedded worker without a restart: the app's runners are
recycled onto the new code, and a request in flight finishes on the old one."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from impasto.container import Container
from impasto.runs.deployments.service import DeploymentService
from impasto.workers.embedded import APPS_REFRESH_SECONDS
from tests.integration.runs.conftest import Caller

MODULE = """
import os
import time
from pathlib import Path

from pydantic import BaseModel

from impasto.sdk import App, endpoint


class Hold(BaseModel):
    gate: str | None = None


class Answer(BaseModel):
    version: str
    pid: int


class Edited(App, name="edited", max_concurrency=2):
    @endpoint("/")
    def run(self, inp: Hold) -> Answer:
        while inp.gate is not None and not Path(inp.gate).exists():
            time.sleep(0.02)
        return Answer(version={version!r}, pid=os.getpid())
"""


def _deploy(container: Container) -> None:
    with container.database.session(write=True) as session:
        registry = DeploymentService(session, container.clock, operator=container.runs.operator)
        registry.add("redeployed_app:Edited", owner="acme")


def test_a_redeploy_recycles_the_runners_onto_the_new_code(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    client: TestClient,
    container: Container,
    acme: Caller,
) -> None:
    folder = tmp_path / "app"
    folder.mkdir()
    source = folder / "redeployed_app.py"
    source.write_text(MODULE.format(version="one"))
    monkeypatch.syspath_prepend(str(folder))  # the server's runners import it from here
    monkeypatch.delitem(sys.modules, "redeployed_app", raising=False)
    _deploy(container)

    first = acme.result(acme.queued("acme/edited", {}))
    assert first.status_code == 200, first.text
    assert first.json()["version"] == "one"
    gate = tmp_path / "gate"
    held = acme.queued("acme/edited", {"gate": str(gate)})
    assert acme.wait_for(held, "IN_PROGRESS")["status"] == "IN_PROGRESS"

    source.write_text(MODULE.format(version="two"))
    _deploy(container)
    time.sleep(APPS_REFRESH_SECONDS + 0.2)  # the worker reads the app list again

    second = acme.result(acme.queued("acme/edited", {}))
    assert second.status_code == 200, second.text
    assert second.json()["version"] == "two"
    assert second.json()["pid"] != first.json()["pid"]
    assert acme.status(held)["status"] == "IN_PROGRESS"  # still on the old runner
    gate.touch()
    old = acme.result(held)
    assert old.status_code == 200, old.text
    assert old.json() == {"version": "one", "pid": first.json()["pid"]}
