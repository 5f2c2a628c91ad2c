"""Kill -9 the server while requests run and wait: after a restart every one completes."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import httpx

from tests.e2e.processes import TIMEOUT, admin_key, headers, running, wait_completed

FAST_REAPING = {"IMPASTO_QUEUE_LEASE_SECONDS": "2", "IMPASTO_QUEUE_REAP_INTERVAL_SECONDS": "0.5"}


def test_every_accepted_request_completes_after_a_server_crash(tmp_path: Path) -> None:
    with running(tmp_path) as started:
        server = started.serve(**FAST_REAPING)
        key = admin_key(server)
        submitted = [
            httpx.post(
                f"{server.url}/queue/impasto/debug",
                json={"payload": n, "sleep": 3 if n < 3 else 0.2},
                headers=headers(key),
                timeout=TIMEOUT,
            ).json()
            for n in range(6)
        ]
        # Wait until the long ones run, so the crash hits requests in progress too.
        deadline = time.monotonic() + TIMEOUT
        while not all(
            httpx.get(s["status_url"], headers=headers(key), timeout=TIMEOUT).json()["status"]
            == "IN_PROGRESS"
            for s in submitted[:3]
        ):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        server.stop(signal.SIGKILL)

        again = started.serve(**FAST_REAPING)
        answers = []
        for item in submitted:
            moved = {
                name: item[name].replace(server.url, again.url)
                for name in ("status_url", "response_url")
            }
            status = wait_completed({**item, **moved}, key)
            assert "error" not in status, status
            result = httpx.get(moved["response_url"], headers=headers(key), timeout=TIMEOUT)
            answers.append(result.json())
        assert [answer["payload"] for answer in answers] == list(range(6))
        # The three that were running when the server died ran again, once.
        assert [answer["attempt"] for answer in answers[:3]] == [2, 2, 2]
