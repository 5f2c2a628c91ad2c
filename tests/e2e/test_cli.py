"""The real `impasto` command in subprocesses: serve, keys and migrate on a data directory."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2
import pytest

TIMEOUT = 30.0
LISTENING = re.compile(r"Impasto is listening on (http://\S+)")


@dataclass
class Server:
    process: subprocess.Popen[str]
    url: str
    stdout: list[str]
    log_path: Path

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> int:
        self.process.send_signal(sig)
        return self.process.wait(timeout=TIMEOUT)

    @property
    def stderr(self) -> list[str]:
        return self.log_path.read_text().splitlines()


StartServer = Callable[..., "Server"]


def impasto(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "impasto", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=TIMEOUT,
        check=False,
    )


def get(url: str, credential: str | None = None) -> tuple[int, dict[str, object]]:
    headers = {"Authorization": f"Key {credential}"} if credential else {}
    response = httpx2.get(url, headers=headers, timeout=TIMEOUT)
    return response.status_code, response.json()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("IMPASTO_")}
    return {**clean, "IMPASTO_DATA_DIR": str(tmp_path / "data"), "IMPASTO_LOG_FORMAT": "json"}


@pytest.fixture
def start(env: dict[str, str], tmp_path: Path) -> Iterator[StartServer]:
    servers: list[Server] = []

    def _start(extra_env: dict[str, str] | None = None) -> Server:
        log_path = tmp_path / f"serve-{len(servers)}.log"
        with log_path.open("w") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "impasto", "serve", "--port", "0"],
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                env={**env, **(extra_env or {})},
            )
        lines: queue.Queue[str | None] = queue.Queue()

        def pump() -> None:
            assert process.stdout is not None
            for line in process.stdout:
                lines.put(line.rstrip("\n"))
            lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
        seen: list[str] = []
        while True:
            line = lines.get(timeout=TIMEOUT)
            if line is None:
                process.wait(timeout=TIMEOUT)
                pytest.fail(f"serve exited before listening: {seen} {log_path.read_text()}")
            seen.append(line)
            match = LISTENING.search(line)
            if match:
                server = Server(process, match.group(1), seen, log_path)
                servers.append(server)
                return server

    yield _start
    for server in servers:
        if server.process.poll() is None:
            server.process.kill()
        server.process.wait(timeout=TIMEOUT)
        if server.process.stdout:
            server.process.stdout.close()


def bootstrap_credential(server: Server) -> str:
    [index] = [i for i, line in enumerate(server.stdout) if "first ADMIN key" in line]
    return server.stdout[index + 1].strip()


def test_first_start_serves_and_prints_one_admin_key(
    start: StartServer, env: dict[str, str]
) -> None:
    server = start()
    credential = bootstrap_credential(server)
    data_dir = Path(env["IMPASTO_DATA_DIR"])
    assert data_dir.stat().st_mode & 0o777 == 0o700
    assert (data_dir / "impasto.db").stat().st_mode & 0o777 == 0o600

    assert get(f"{server.url}/health")[0] == 200
    status, document = get(f"{server.url}/v1/openapi.json")
    assert status == 200
    assert str(document["openapi"]).startswith("3.1.")
    assert get(f"{server.url}/v1/keys", credential)[0] == 200
    key_id, secret = credential.split(":")
    assert get(f"{server.url}/v1/keys", f"{key_id}:{'0' * len(secret)}")[0] == 401

    # A second server on the same data directory refuses to start.
    second = impasto("serve", "--port", "0", env=env)
    assert second.returncode != 0
    assert str(data_dir) in second.stderr

    assert server.stop() == 0
    assert any("shutdown_complete" in line for line in server.stderr)
    assert all(secret not in line for line in server.stderr)  # never in the logs

    # A restart keeps the key and prints no new one; SIGINT stops it cleanly too.
    again = start()
    assert not any("ADMIN key" in line for line in again.stdout)
    assert get(f"{again.url}/v1/keys", credential)[0] == 200
    assert again.stop(signal.SIGINT) == 0


def test_keys_commands_work_without_and_beside_a_server(
    start: StartServer, env: dict[str, str]
) -> None:
    created = impasto("keys", "create", "--owner", "acme", "--scope", "ADMIN", env=env)
    assert created.returncode == 0, created.stderr
    credential = created.stdout.strip().splitlines()[-1]
    key_id, secret = credential.split(":")

    server = start()
    assert not any("ADMIN key" in line for line in server.stdout)  # a key already exists
    assert get(f"{server.url}/v1/keys", credential)[0] == 200

    listed = impasto("keys", "list", env=env)
    assert listed.returncode == 0
    assert key_id in listed.stdout
    assert secret not in listed.stdout

    assert impasto("keys", "revoke", key_id, env=env).returncode == 0
    assert get(f"{server.url}/v1/keys", credential)[0] == 401
    assert impasto("keys", "revoke", key_id, env=env).returncode != 0

    bad = impasto("keys", "create", "--owner", "Bad Name", env=env)
    assert bad.returncode != 0
    assert "invalid owner name" in bad.stderr


def test_migrate_is_repeatable(env: dict[str, str]) -> None:
    for _ in range(2):
        result = impasto("migrate", env=env)
        assert result.returncode == 0, result.stderr
        assert "revision" in result.stdout


def test_invalid_settings_exit_with_a_clear_message(env: dict[str, str]) -> None:
    result = impasto("serve", env={**env, "IMPASTO_PORT": "99999"})
    assert result.returncode == 2
    assert "port" in result.stderr


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_serve_on_postgresql(start: StartServer, database_url: str) -> None:
    server = start({"IMPASTO_DATABASE_URL": database_url})
    status, health = get(f"{server.url}/health")
    assert (status, health["database"]) == (200, "postgresql")
    assert get(f"{server.url}/v1/keys", bootstrap_credential(server))[0] == 200
    assert server.stop() == 0


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_right_after_listening_stops_cleanly(
    start: StartServer, sig: signal.Signals
) -> None:
    """The handlers are in place before the address is printed: no kill, no lost signal."""
    assert start().stop(sig) == 0
