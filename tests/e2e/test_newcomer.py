"""A newcomer's path, end to end, as the README tells it: a copy of the checkout with no
environment, `scripts/serve` (the runtime install from the lock, then the server), the
printed key; fal's Python client (subscribe, stream, upload, realtime, ws_connect) and
the JS client through `proxyUrl`; `impasto deploy` of an app from a folder of its own with
its own requirements, a call, an edit and a redeploy seen by the next call; another owner
refused.

Slow on a cold machine (the install), quick once the uv cache is warm (CI installs the
dev environment first, from the same cache).
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fal_client
import fal_client.client as fc
import httpx
import pytest

from tests.e2e.processes import LISTENING
from tests.e2e.test_deploy import APP, build_wheel
from tests.e2e.test_fal_client_run import _close
from tests.e2e.test_js_client import assert_js_client_passes, node  # noqa: F401  (a fixture)

# fal's clients cache HTTP clients (sockets) they never close.
pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]
ROOT = Path(__file__).resolve().parents[2]
INSTALL_TIMEOUT = 900.0
TIMEOUT = 60.0


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's files as a fresh clone has them: tracked and new, never ignored ones
    (no .venv, no data directory, no caches)."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs the project's git checkout")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    copy = tmp_path_factory.mktemp("newcomer") / "impasto"
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file() and not name.startswith("tests/js/node_modules"):
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    return copy


@pytest.fixture(scope="module")
def served(checkout: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """`scripts/serve` as the README runs it (a free port instead of 8000), with the
    operator's setting that points app requirements at a local wheel folder."""
    wheels = tmp_path_factory.mktemp("wheels")
    build_wheel(wheels, "greetlib", "1.0", "WORD = 'from-greetlib'\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IMPASTO_", "VIRTUAL_ENV"))}
    env.update(IMPASTO_APP_FIND_LINKS=str(wheels), IMPASTO_APP_NO_INDEX="true")
    log = (checkout / "serve.log").open("w")
    process = subprocess.Popen(
        ["scripts/serve", "--port", "0"],
        cwd=checkout,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + INSTALL_TIMEOUT
    url = ""
    for line in process.stdout:
        lines.append(line.rstrip("\n"))
        if found := LISTENING.search(line):
            url = found.group(1)
            break
        assert time.monotonic() < deadline, lines
    assert url, f"scripts/serve did not start: {lines} {(checkout / 'serve.log').read_text()}"
    [index] = [i for i, line in enumerate(lines) if "first ADMIN key" in line]
    try:
        yield {"url": url, "key": lines[index + 1].strip(), "lines": lines, "env": env}
    finally:
        process.terminate()
        process.wait(timeout=TIMEOUT)
        process.stdout.close()
        log.close()


def impasto(checkout: Path, served: dict[str, Any], *args: str) -> subprocess.CompletedProcess[str]:
    """The `impasto` command the install put in the copy's .venv."""
    return subprocess.run(
        [str(checkout / ".venv" / "bin" / "impasto"), *args],
        cwd=checkout,
        capture_output=True,
        text=True,
        env=served["env"],
        timeout=TIMEOUT,
        check=False,
    )


def test_the_install_printed_what_it_did(served: dict[str, Any], checkout: Path) -> None:
    text = "\n".join(served["lines"])
    assert "Installing the serve dependencies from requirements/serve.txt" in text
    # The runtime install only: no test or lint tools in the newcomer's environment.
    site = next((checkout / ".venv" / "lib").glob("python3.*/site-packages"))
    assert (site / "fastapi").is_dir()
    assert not (site / "pytest").exists()
    assert not (site / "mypy").exists()


def test_python_client(served: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    url = served["url"]
    monkeypatch.setenv("FAL_KEY", served["key"])
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    # The configuration the README documents for plain HTTP.
    monkeypatch.setattr(fc, "RUN_URL_FORMAT", f"{url}/run/")
    monkeypatch.setattr(fc, "QUEUE_URL_FORMAT", f"{url}/queue/")
    monkeypatch.setattr(fc, "REALTIME_URL_FORMAT", url.replace("http", "ws") + "/ws/")
    monkeypatch.setattr(fc, "REST_URL", f"{url}/rest")
    monkeypatch.setattr(fc, "CDN_URL", url)
    client = fal_client.SyncClient()

    assert client.subscribe("impasto/debug", {"payload": 1}) == {"payload": 1, "attempt": 1}
    chunks = list(client.stream("impasto/debug", {"chunks": 2}, path="/stream"))
    assert [chunk["index"] for chunk in chunks] == [0, 1]
    uploaded = client.upload(b"newcomer bytes", "text/plain", "hello.txt")
    assert httpx.get(uploaded, timeout=TIMEOUT).content == b"newcomer bytes"

    async def sockets() -> tuple[Any, Any]:
        asynchronous = fal_client.AsyncClient()
        async with asynchronous.realtime("impasto/debug") as connection:
            await connection.send({"payload": "rt"})
            realtime = await connection.recv()
        async with asynchronous.ws_connect("impasto/debug") as ws:
            await ws.send(json.dumps({"payload": "ws"}))
            frames = [json.loads(await ws.recv()) for _ in range(3)]
        await _close(asynchronous)
        return realtime, frames[1]

    realtime, over_ws = asyncio.run(sockets())
    assert realtime == {"payload": "rt", "attempt": 1}
    assert over_ws == {"payload": "ws", "attempt": 1}
    client._client.close()
    gc.collect()  # the clients' other sockets close here, under this module's filters


def test_js_client_through_the_proxy(
    served: dict[str, Any],
    checkout: Path,
    node: str,  # noqa: F811
) -> None:
    created = impasto(checkout, served, "keys", "create", "--owner", "acme")
    assert created.returncode == 0, created.stderr
    assert_js_client_passes(node, served["url"], created.stdout.strip().splitlines()[-1])


def test_deploy_redeploy_and_another_owner(
    served: dict[str, Any], checkout: Path, tmp_path: Path
) -> None:
    url, key = served["url"], served["key"]
    source = tmp_path / "greeter.py"
    source.write_text(APP)
    deployed = impasto(checkout, served, "deploy", str(source), "--url", url, "--key", key)
    assert deployed.returncode == 0, deployed.stderr

    def greet(credential: str) -> httpx.Response:
        return httpx.post(
            f"{url}/run/admin/greeter",
            json={"name": "new"},
            headers={"Authorization": f"Key {credential}"},
            timeout=TIMEOUT,
        )

    assert greet(key).json() == {"text": "hello from-greetlib new"}
    source.write_text(APP.replace('GREETING = "hello"', 'GREETING = "hi"'))
    again = impasto(checkout, served, "deploy", str(source), "--url", url, "--key", key)
    assert again.returncode == 0, again.stderr
    deadline = time.monotonic() + TIMEOUT
    while (text := greet(key).json()["text"]) != "hi from-greetlib new":
        assert time.monotonic() < deadline, text
        time.sleep(0.3)

    other = impasto(checkout, served, "keys", "create", "--owner", "stranger")
    assert other.returncode == 0, other.stderr
    assert greet(other.stdout.strip().splitlines()[-1]).status_code in (403, 404)
