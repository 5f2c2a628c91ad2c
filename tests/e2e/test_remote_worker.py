"""A remote `impasto worker` serving a real `impasto serve` over HTTP, and fault drills:
a worker killed mid-request, a server restarted with work still queued."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.e2e.processes import (
    TIMEOUT,
    Process,
    Processes,
    admin_key,
    headers,
    running,
    wait_completed,
)

REMOTE_ONLY = {
    "IMPASTO_EMBEDDED_WORKER": "false",
    "IMPASTO_APPS": "tester/shout=sample_apps:ShoutApp",
}


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    with running(tmp_path) as started:
        yield started


def post(url: str, key: str, body: Any, **extra: str) -> httpx.Response:
    return httpx.post(url, json=body, headers={**headers(key), **extra}, timeout=TIMEOUT)


def submit(server: Process, key: str, body: Any) -> dict[str, Any]:
    answer = post(f"{server.url}/queue/impasto/debug", key, body)
    assert answer.status_code == 200, answer.text
    submitted: dict[str, Any] = answer.json()
    return submitted


def test_remote_worker_runs_requests_through_run_and_queue(processes: Processes) -> None:
    server = processes.serve(**REMOTE_ONLY)
    key = admin_key(server)
    worker = processes.worker(server.url, processes.worker_key())

    answer = post(f"{server.url}/run/impasto/debug", key, {"payload": {"a": 1}, "logs": 2})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"payload": {"a": 1}, "attempt": 1}

    submitted = submit(server, key, {"payload": "queued", "logs": 2})
    status = wait_completed(submitted, key)
    assert [line["message"] for line in status["logs"]] == ["debug log 1 of 2", "debug log 2 of 2"]
    result = httpx.get(submitted["response_url"], headers=headers(key), timeout=TIMEOUT)
    assert result.json() == {"payload": "queued", "attempt": 1}

    failed = post(f"{server.url}/run/impasto/debug", key, {"fail": True})
    assert failed.status_code == 500
    assert failed.json()["detail"] == "Internal Server Error"

    streamed = post(
        f"{server.url}/run/impasto/debug/stream", key, {"chunks": 3}, accept="text/event-stream"
    )
    chunks = [
        json.loads(line.removeprefix("data: "))
        for line in streamed.text.splitlines()
        if line.startswith("data: ")
    ]
    assert [chunk["index"] for chunk in chunks] == [0, 1, 2]

    # An output file goes up through the worker API; fed back as an input, the worker
    # reads it through the API again.
    first = post(f"{server.url}/run/tester/shout", key, {"text": "hello"})
    assert first.status_code == 200, first.text
    file_url = first.json()["file"]["url"]
    assert file_url.startswith(f"{server.url}/files/b/")
    stored = httpx.get(file_url, headers=headers(key), timeout=TIMEOUT)
    assert stored.content == b"HELLO"
    second = post(f"{server.url}/run/tester/shout", key, {"text": "there", "file": file_url})
    assert second.status_code == 200, second.text
    assert second.json()["text"] == "HELLO THERE"
    # The owner's private file (anonymous reads refused) is an input of their own request.
    private = httpx.post(
        f"{server.url}/files/upload",
        content=b"secret",
        headers={
            **headers(key),
            "Content-Type": "text/plain",
            "X-Fal-Object-Lifecycle": '{"initial_acl": {"default": "forbid"}}',
        },
        timeout=TIMEOUT,
    ).json()["access_url"]
    assert httpx.get(private, timeout=TIMEOUT).status_code == 403
    third = post(f"{server.url}/run/tester/shout", key, {"text": "input", "file": private})
    assert third.status_code == 200, third.text
    assert third.json()["text"] == "SECRET INPUT"

    assert worker.stop(signal.SIGINT) == 0
    assert "worker_stopped" in worker.log()


def test_worker_api_needs_a_worker_key_and_valid_input(processes: Processes) -> None:
    server = processes.serve(**REMOTE_ONLY)
    admin = admin_key(server)
    created = post(f"{server.url}/v1/keys", admin, {"alias": "user"})
    user_key = created.json()["key"]
    key = processes.worker_key()

    claim = {"worker_id": "w-1", "apps": [{"app_id": "impasto/debug", "limit": 1}]}
    assert post(f"{server.url}/worker/v1/claim", user_key, claim).status_code == 403
    assert post(f"{server.url}/worker/v1/claim", admin, claim).status_code == 403
    assert httpx.post(f"{server.url}/worker/v1/claim", json=claim).status_code == 401
    # A worker started with a tenant key stops at once and says what to use instead.
    refused = subprocess.run(
        [sys.executable, "-m", "impasto", "worker", "--api", server.url, "--key", admin],
        capture_output=True,
        text=True,
        env=processes.env,
        timeout=TIMEOUT,
        check=False,
    )
    assert refused.returncode == 1
    assert "impasto workers token create" in refused.stderr
    bad = post(f"{server.url}/worker/v1/claim", key, {**claim, "worker_id": "no spaces"})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "worker_id"]
    result = {"status_code": 200, "body": {}}
    stale = post(
        f"{server.url}/worker/v1/requests/unknown/finish",
        key,
        {"worker_id": "w-1", "attempt": 1, "result": result},
    )
    assert stale.json() == {"accepted": False}
    upload = httpx.put(
        f"{server.url}/worker/v1/requests/unknown/files",
        params={"worker_id": "w-1", "attempt": "1", "file_name": "x.txt"},
        content=b"x",
        headers=headers(key),
        timeout=TIMEOUT,
    )
    assert upload.status_code == 409
    assert "does not hold" in upload.json()["detail"]
    assert "/worker/v1/claim" not in httpx.get(f"{server.url}/v1/openapi.json").text


def test_request_of_a_killed_worker_completes_once_on_another(processes: Processes) -> None:
    server = processes.serve(
        **REMOTE_ONLY,
        # Long enough that the surviving worker's heartbeats keep it on a busy machine.
        IMPASTO_QUEUE_LEASE_SECONDS="5",
        IMPASTO_QUEUE_REAP_INTERVAL_SECONDS="0.5",
    )
    key = admin_key(server)
    worker_key = processes.worker_key("impasto/debug")
    first = processes.worker(server.url, worker_key, "--app", "impasto/debug")
    submitted = submit(server, key, {"sleep": 5, "logs": 5, "payload": "drill"})
    _wait_for_status(submitted, key, "IN_PROGRESS")
    first.stop(signal.SIGKILL)

    processes.worker(server.url, worker_key, "--app", "impasto/debug")
    wait_completed(submitted, key)
    result = httpx.get(submitted["response_url"], headers=headers(key), timeout=TIMEOUT)
    assert result.status_code == 200, result.text
    assert result.json() == {"payload": "drill", "attempt": 2}
    again = httpx.get(submitted["response_url"], headers=headers(key), timeout=TIMEOUT)
    assert again.json() == result.json()


def test_queued_requests_survive_a_server_restart(processes: Processes) -> None:
    server = processes.serve(**REMOTE_ONLY)
    key = admin_key(server)
    submitted = [submit(server, key, {"payload": n}) for n in range(3)]
    assert server.stop() == 0

    restarted = processes.serve(**REMOTE_ONLY)
    processes.worker(restarted.url, processes.worker_key())
    for n, item in enumerate(submitted):
        moved = {
            **item,
            "status_url": restarted.url + urlsplit(item["status_url"]).path,
            "response_url": restarted.url + urlsplit(item["response_url"]).path,
        }
        wait_completed(moved, key)
        result = httpx.get(moved["response_url"], headers=headers(key), timeout=TIMEOUT)
        assert result.json() == {"payload": n, "attempt": 1}


def _wait_for_status(submitted: dict[str, Any], key: str, wanted: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        answer = httpx.get(submitted["status_url"], headers=headers(key), timeout=TIMEOUT)
        if answer.json()["status"] == wanted:
            return
        time.sleep(0.1)
    pytest.fail(f"request never reached {wanted}")
