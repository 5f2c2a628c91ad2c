"""`impasto serve` and `impasto worker` as real subprocesses, for the end-to-end tests."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

TIMEOUT = 60.0
LISTENING = re.compile(r"Impasto is listening on (https?://\S+)")
SERVING = re.compile(r"Impasto worker (\S+) is serving")
HERE = Path(__file__).parent


@dataclass
class Process:
    popen: subprocess.Popen[str]
    log_path: Path
    stdout: list[str] = field(default_factory=list)
    url: str = ""

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> int:
        self.popen.send_signal(sig)
        return self.popen.wait(timeout=TIMEOUT)

    def log(self) -> str:
        return self.log_path.read_text()


class Processes:
    """Starts processes and kills whatever is still running at the end of the test."""

    def __init__(self, tmp_path: Path) -> None:
        self._tmp = tmp_path
        self._started: list[Process] = []
        clean = {k: v for k, v in os.environ.items() if not k.startswith("IMPASTO_")}
        self.env = {
            **clean,
            "IMPASTO_DATA_DIR": str(tmp_path / "data"),
            "IMPASTO_LOG_FORMAT": "json",
            "IMPASTO_RATE_LIMIT_PER_SECOND": "0",
            # The deterministic embedder: indexing runs, no model is loaded.
            "IMPASTO_EMBEDDERS": "hash",
            # Test apps (tests/e2e/sample_apps.py) import on the server and the workers.
            "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
        }

    def serve(self, *args: str, **env: str) -> Process:
        process = self._start(["serve", "--port", "0", *args], env, LISTENING)
        process.url = LISTENING.search(process.stdout[-1]).group(1)  # type: ignore[union-attr]
        return process

    def worker(self, api: str, key: str, *args: str) -> Process:
        return self._start(["worker", "--api", api, "--key", key, *args], {}, SERVING)

    def worker_key(self, *apps: str) -> str:
        """A WORKER key made by the operator's CLI on the servers' data directory."""
        bound = [arg for app in apps for arg in ("--app", app)]
        created = subprocess.run(
            [sys.executable, "-m", "impasto", "workers", "token", "create", *bound],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=TIMEOUT,
            check=False,
        )
        assert created.returncode == 0, created.stderr
        return created.stdout.strip().splitlines()[-1]

    def owner_key(self, owner: str) -> str:
        """An API key of ``owner`` made by `impasto keys create` on the servers' data
        directory."""
        created = subprocess.run(
            [sys.executable, "-m", "impasto", "keys", "create", "--owner", owner],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=TIMEOUT,
            check=False,
        )
        assert created.returncode == 0, created.stderr
        return created.stdout.strip().splitlines()[-1]

    def _start(self, args: list[str], env: dict[str, str], ready: re.Pattern[str]) -> Process:
        log_path = self._tmp / f"{args[0]}-{len(self._started)}.log"
        with log_path.open("w") as log:
            popen = subprocess.Popen(
                [sys.executable, "-m", "impasto", *args],
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                env={**self.env, **env},
            )
        process = Process(popen, log_path)
        self._started.append(process)
        lines: queue.Queue[str | None] = queue.Queue()

        def pump() -> None:
            assert popen.stdout is not None
            for line in popen.stdout:
                lines.put(line.rstrip("\n"))
            lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
        while True:
            line = lines.get(timeout=TIMEOUT)
            if line is None:
                popen.wait(timeout=TIMEOUT)
                pytest.fail(f"impasto {args[0]} exited early: {process.stdout} {process.log()}")
            process.stdout.append(line)
            if ready.search(line):
                return process

    def close(self) -> None:
        for process in self._started:
            if process.popen.poll() is None:
                process.popen.kill()
            process.popen.wait(timeout=TIMEOUT)
            if process.popen.stdout:
                process.popen.stdout.close()


@contextmanager
def running(tmp_path: Path) -> Iterator[Processes]:
    started = Processes(tmp_path)
    try:
        yield started
    finally:
        started.close()


def admin_key(server: Process) -> str:
    [index] = [i for i, line in enumerate(server.stdout) if "first ADMIN key" in line]
    return server.stdout[index + 1].strip()


def headers(key: str) -> dict[str, str]:
    return {"Authorization": f"Key {key}"}


def wait_completed(submitted: dict[str, Any], key: str) -> dict[str, Any]:
    """Poll a queued request's status until COMPLETED; returns the final status."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        answer = httpx.get(
            f"{submitted['status_url']}?logs=1", headers=headers(key), timeout=TIMEOUT
        )
        assert answer.status_code in (200, 202), answer.text
        status: dict[str, Any] = answer.json()
        if status["status"] == "COMPLETED":
            return status
        time.sleep(0.2)
    pytest.fail(f"request {submitted['request_id']} did not complete")
