"""`impasto apps add | list | remove` in subprocesses, then the app served for real."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.processes import TIMEOUT, Processes, admin_key, headers, running


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    with running(tmp_path) as started:
        yield started


def apps(processes: Processes, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "impasto", "apps", *args],
        capture_output=True,
        text=True,
        env=processes.env,
        timeout=TIMEOUT,
        check=False,
    )


def test_added_app_is_listed_in_the_catalog_runs_and_can_be_removed(
    processes: Processes,
) -> None:
    added = apps(
        processes, "add", "sample_apps:ShoutApp", "--owner", "acme", "--name", "loud", "--public"
    )
    assert added.returncode == 0, added.stderr
    assert "Deployed acme/loud" in added.stdout
    listed = apps(processes, "list")
    assert ["acme/loud", "sample_apps:ShoutApp", "-", "acme/loud"] in [
        line.split() for line in listed.stdout.splitlines()
    ]

    server = processes.serve()
    key = admin_key(server)
    found = httpx.get(
        f"{server.url}/v1/models",
        params={"endpoint_id": "acme/loud", "expand": "openapi-3.0"},
        headers=headers(key),
        timeout=TIMEOUT,
    )
    assert found.status_code == 200, found.text
    [model] = found.json()["models"]
    assert model["endpoint_id"] == "acme/loud"
    document = json.dumps(model["openapi"])
    assert "ShoutInput" in document
    assert "ShoutOutput" in document

    ran = httpx.post(
        f"{server.url}/run/acme/loud", json={"text": "hey"}, headers=headers(key), timeout=TIMEOUT
    )
    assert ran.status_code == 200, ran.text
    assert ran.json()["text"] == "HEY"
    invalid = httpx.post(
        f"{server.url}/run/acme/loud", json={"text": 5}, headers=headers(key), timeout=TIMEOUT
    )
    assert invalid.status_code == 422
    assert server.stop() == 0

    removed = apps(processes, "remove", "acme/loud")
    assert removed.returncode == 0, removed.stderr
    assert "acme/loud" not in apps(processes, "list").stdout
    again = apps(processes, "remove", "acme/loud")
    assert again.returncode == 1
    assert "not found" in again.stderr


SKETCHY = """
from pydantic import BaseModel

from impasto.sdk import App, endpoint


class Out(BaseModel):
    ok: bool = True


class Sketchy(App, name="sketchy"):
    @endpoint("/")
    def run(self) -> Out:
        return Out()
"""


def test_add_imports_from_the_current_directory_and_a_failure_leaves_nothing(
    processes: Processes, tmp_path: Path
) -> None:
    """As the ``impasto`` script (not ``python -m``, which has the directory on its path),
    from the app's own folder, with the default data directory ``./.impasto``."""
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "sketchy.py").write_text(SKETCHY)
    env = {k: v for k, v in processes.env.items() if k not in ("IMPASTO_DATA_DIR", "PYTHONPATH")}
    script = Path(sys.executable).parent / "impasto"

    def add(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(script), "apps", "add", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=folder,
            timeout=TIMEOUT,
            check=False,
        )

    missing = add("no_such_module:Sketchy")
    assert missing.returncode == 1
    assert "No module named 'no_such_module'" in missing.stderr
    assert "worker" in missing.stderr  # they import it too: it is not shipped to them
    assert not (folder / ".impasto").exists()

    added = add("sketchy:Sketchy", "--owner", "acme", "--public")
    assert added.returncode == 0, added.stderr
    assert "Deployed acme/sketchy" in added.stdout
    assert (folder / ".impasto").is_dir()


def test_add_refuses_what_it_cannot_import(processes: Processes) -> None:
    missing = apps(processes, "add", "no_such_module:App")
    assert missing.returncode == 1
    assert "cannot load app" in missing.stderr
    assert apps(processes, "add", "no-colon").returncode == 2
    bad_name = apps(processes, "add", "sample_apps:ShoutApp", "--name", "Not A Name")
    assert bad_name.returncode == 1
    assert "Traceback" not in bad_name.stderr
