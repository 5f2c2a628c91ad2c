"""`impasto deploy` from a folder no server or worker can import from: the code travels
as a revision, its requirements are installed by the worker (from a local wheel), a
redeploy is seen by the next call, and other owners are refused."""

from __future__ import annotations

import base64
import hashlib
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.processes import TIMEOUT, Process, Processes, admin_key, headers, running

APP = """
from pydantic import BaseModel

from impasto.sdk import App, endpoint


class Greeting(BaseModel):
    name: str


class Greeted(BaseModel):
    text: str


class Greeter(App, name="greeter"):
    requirements = ["greetlib==1.0"]

    def setup(self) -> None:
        import greetlib  # installed by the worker from the app's requirements

        self.word = greetlib.WORD

    @endpoint("/")
    def greet(self, body: Greeting) -> Greeted:
        return Greeted(text=f"{GREETING} {self.word} {body.name}")


GREETING = "hello"
"""


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    with running(tmp_path) as started:
        yield started


@pytest.fixture
def wheels(tmp_path: Path) -> Path:
    folder = tmp_path / "wheels"
    folder.mkdir()
    build_wheel(folder, "greetlib", "1.0", "WORD = 'from-greetlib'\n")
    return folder


@pytest.fixture
def app_file(tmp_path: Path) -> Path:
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    path = folder / "greeter.py"
    path.write_text(APP)
    return path


def build_wheel(folder: Path, name: str, version: str, source: str) -> Path:
    """A minimal pure-Python wheel, so the worker installs without reaching an index."""
    dist = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": source,
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
    }
    record = [
        f"{path},sha256={_digest(text.encode())},{len(text.encode())}"
        for path, text in files.items()
    ]
    files[f"{dist}/RECORD"] = "\n".join([*record, f"{dist}/RECORD,,"]) + "\n"
    path = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as wheel:
        for name_in_wheel, text in files.items():
            wheel.writestr(name_in_wheel, text)
    return path


def _digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def deploy(processes: Processes, server: Process, key: str, *args: str) -> Any:
    return subprocess.run(
        [sys.executable, "-m", "impasto", "deploy", *args, "--url", server.url, "--key", key],
        capture_output=True,
        text=True,
        env=processes.env,
        timeout=TIMEOUT,
        check=False,
    )


def call(server: Process, key: str, name: str) -> httpx.Response:
    return httpx.post(
        f"{server.url}/run/admin/greeter",
        json={"name": name},
        headers=headers(key),
        timeout=TIMEOUT,
    )


def wait_for_text(server: Process, key: str, expected: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    text = None
    while time.monotonic() < deadline:
        answer = call(server, key, "ann")
        assert answer.status_code == 200, answer.text
        text = answer.json()["text"]
        if text == expected:
            return
        time.sleep(0.3)
    pytest.fail(f"still {text!r}, not {expected!r}")


def app_events(server: Process, key: str) -> list[str]:
    answer = httpx.get(
        f"{server.url}/v1/serverless/apps/admin/greeter/events",
        headers=headers(key),
        timeout=TIMEOUT,
    )
    assert answer.status_code == 200, answer.text
    return [event["category"] for event in answer.json()["events"]]


def test_deploy_call_redeploy_and_isolation(
    processes: Processes, wheels: Path, app_file: Path
) -> None:
    server = processes.serve(IMPASTO_APP_FIND_LINKS=str(wheels), IMPASTO_APP_NO_INDEX="true")
    key = admin_key(server)

    deployed = deploy(processes, server, key, str(app_file))
    assert deployed.returncode == 0, deployed.stderr
    assert "Deployed admin/greeter revision" in deployed.stdout

    answer = call(server, key, "ann")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"text": "hello from-greetlib ann"}

    # The embedded worker reports its runners: the app's events show the start.
    deadline = time.monotonic() + TIMEOUT
    while "runner_started" not in (events := app_events(server, key)):
        assert time.monotonic() < deadline, events
        time.sleep(0.5)

    app_file.write_text(APP.replace('GREETING = "hello"', 'GREETING = "welcome"'))
    redeployed = deploy(processes, server, key, f"{app_file}::Greeter", "--json")
    assert redeployed.returncode == 0, redeployed.stderr
    wait_for_text(server, key, "welcome from-greetlib ann")

    detail = httpx.get(f"{server.url}/v1/apps/admin/greeter", headers=headers(key), timeout=TIMEOUT)
    assert detail.status_code == 200, detail.text
    revisions = detail.json()["revisions"]
    assert len(revisions) == 2
    assert detail.json()["revision_id"] == revisions[0]["revision_id"]
    assert revisions[0]["requirements"] == ["greetlib==1.0"]
    # The old revision's runner was retired by the redeploy.
    deadline = time.monotonic() + TIMEOUT
    while "runner_draining" not in (events := app_events(server, key)):
        assert time.monotonic() < deadline, events
        time.sleep(0.5)

    # Private by default: another owner can neither call it nor see it.
    other = processes.owner_key("bob")
    assert call(server, other, "eve").status_code in (403, 404)
    seen = httpx.get(f"{server.url}/v1/apps/admin/greeter", headers=headers(other), timeout=TIMEOUT)
    assert seen.status_code == 404
    listed = httpx.get(f"{server.url}/v1/apps", headers=headers(other), timeout=TIMEOUT)
    assert listed.json() == {"apps": []}
    # An API key (not ADMIN) may not deploy.
    refused = deploy(processes, server, other, str(app_file), "--name", "mine")
    assert refused.returncode == 1
    assert "403" in refused.stderr
    # fal's --auth public shares it with every key.
    shared = deploy(processes, server, key, str(app_file), "--auth", "public")
    assert shared.returncode == 0, shared.stderr
    assert call(server, other, "eve").json() == {"text": "welcome from-greetlib eve"}


def test_remote_worker_fetches_the_revision(
    processes: Processes, wheels: Path, app_file: Path, tmp_path: Path
) -> None:
    server = processes.serve(IMPASTO_EMBEDDED_WORKER="false")
    key = admin_key(server)
    assert deploy(processes, server, key, str(app_file)).returncode == 0
    processes.worker(
        server.url,
        processes.worker_key("admin/greeter"),
        "--cache-dir",
        str(tmp_path / "worker-cache"),
        "--find-links",
        str(wheels),
        "--no-index",
    )
    answer = call(server, key, "zed")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"text": "hello from-greetlib zed"}
    assert list((tmp_path / "worker-cache" / "code").iterdir())

    # A worker key bound to another app cannot read this app's code.
    detail = httpx.get(f"{server.url}/v1/apps/admin/greeter", headers=headers(key), timeout=TIMEOUT)
    revision_id = detail.json()["revision_id"]
    bound = processes.worker_key("impasto/debug")
    code = httpx.get(
        f"{server.url}/worker/v1/code",
        params={"worker_id": "w1", "app_id": "admin/greeter", "revision_id": revision_id},
        headers=headers(bound),
        timeout=TIMEOUT,
    )
    assert code.status_code == 403


def test_run_serves_an_app_and_reloads_it_on_save(tmp_path: Path) -> None:
    folder = tmp_path / "dev"
    folder.mkdir()
    source = folder / "echo.py"
    source.write_text(ECHO.replace("VERSION", "one"))
    clean = {k: v for k, v in os.environ.items() if not k.startswith("IMPASTO_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "impasto", "run", str(source), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**clean, "IMPASTO_EMBEDDERS": "hash", "IMPASTO_RATE_LIMIT_PER_SECOND": "0"},
    )
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line.rstrip("\n"))

    pumping = threading.Thread(target=pump, daemon=True)
    pumping.start()
    try:
        url = key = data = ""
        while not url:
            line = lines.get(timeout=TIMEOUT)
            if line.startswith("ADMIN key: "):
                key = line.removeprefix("ADMIN key: ")
            if line.startswith("Data directory: "):
                data = line.removeprefix("Data directory: ").split(" (")[0]
            if "is live" in line:
                url = lines.get(timeout=TIMEOUT).split()[-1]
        assert key
        server = f"{url.rsplit('/', 2)[0]}"

        def version() -> str:
            answer = httpx.post(
                f"{server}/run/admin/echo", json={}, headers=headers(key), timeout=TIMEOUT
            )
            assert answer.status_code == 200, answer.text
            return str(answer.json()["version"])

        assert version() == "one"
        source.write_text(ECHO.replace("VERSION", "two"))
        deadline = time.monotonic() + TIMEOUT
        while version() != "two":
            assert time.monotonic() < deadline, "the edit was never served"
            time.sleep(0.3)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=TIMEOUT)
        pumping.join(timeout=TIMEOUT)
        assert process.stdout is not None
        process.stdout.close()
    assert data
    assert not Path(data).exists()  # a temporary data directory goes with the server


ECHO = """
from pydantic import BaseModel

from impasto.sdk import App, endpoint


class Nothing(BaseModel):
    pass


class Version(BaseModel):
    version: str


class Echo(App, name="echo"):
    @endpoint("/")
    def run(self, body: Nothing) -> Version:
        return Version(version="VERSION")
"""
