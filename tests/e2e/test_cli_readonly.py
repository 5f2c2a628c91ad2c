"""Commands that only read never migrate: on a database behind the code they say so (exit
2) and leave it as it was; `migrate --check` and `--sql` change nothing either. Listings
and `status` print one JSON document with `--json`, without secrets. Both databases."""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from impasto.kit.db import Database
from impasto.kit.db.migrate import current_revision, downgrade, head_revision
from impasto.models import Account, RequestRecord
from tests.e2e.test_cli import impasto

READ_ONLY = [
    ("keys", "list"),
    ("apps", "list"),
    ("workers", "token", "list"),
]


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("IMPASTO_")}
    return {
        **clean,
        "IMPASTO_DATA_DIR": str(tmp_path / "data"),
        "IMPASTO_DATABASE_URL": database_url,
        "IMPASTO_BOOTSTRAP_OWNER": "ops",
        "IMPASTO_LOG_FORMAT": "json",
        "IMPASTO_EMBEDDERS": "hash",
    }


def revision_of(database_url: str) -> str | None:
    database = Database(database_url, pool_size=1)
    try:
        return current_revision(database)
    finally:
        database.dispose()


def test_reading_commands_leave_a_database_behind_as_it_is(
    env: dict[str, str], database_url: str
) -> None:
    head = head_revision()
    database = Database(database_url, pool_size=1)
    downgrade(database, "0006")
    database.dispose()

    for command in READ_ONLY:
        result = impasto(*command, env=env)
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        assert (
            f"the database is at revision 0006, this impasto needs {head}: "
            "run `impasto migrate`" in result.stderr
        )
        assert revision_of(database_url) == "0006"

    checked = impasto("migrate", "--check", env=env)
    assert checked.returncode == 1, checked.stderr
    assert "database: 0006" in checked.stdout
    assert f"impasto:  {head}" in checked.stdout

    status = impasto("status", "--json", env=env)
    assert status.returncode == 0, status.stderr
    report = json.loads(status.stdout)
    assert report["database"]["state"] == "behind"
    assert report["database"]["revision"] == "0006"
    assert report["queues"] is None

    sql = impasto("migrate", "--sql", env=env)
    assert sql.returncode == 0, sql.stderr
    assert "ALTER TABLE run_requests" in sql.stdout
    assert f"version_num='{head}'" in sql.stdout
    assert "CREATE TABLE accounts" not in sql.stdout  # the pending steps only
    assert revision_of(database_url) == "0006"

    assert impasto("migrate", env=env).returncode == 0
    assert impasto("migrate", "--check", env=env).returncode == 0
    assert impasto("keys", "list", env=env).returncode == 0


def test_a_missing_sqlite_database_is_not_created_by_a_listing(tmp_path: Path) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("IMPASTO_")}
    env = {**clean, "IMPASTO_DATA_DIR": str(tmp_path / "data")}
    result = impasto("keys", "list", env=env)
    assert result.returncode == 2
    assert "revision none (never migrated)" in result.stderr
    assert impasto("migrate", "--check", env=env).returncode == 1
    # From scratch, SQLite's table rebuilds (0006) need the live tables: refused, said why.
    sql = impasto("migrate", "--sql", env=env)
    assert sql.returncode == 2
    assert "--sql cannot write these steps" in sql.stderr
    assert not (tmp_path / "data" / "impasto.db").exists()


def test_listings_print_json_without_secrets(env: dict[str, str]) -> None:
    created = impasto("keys", "create", "--owner", "acme", env=env)
    assert created.returncode == 0, created.stderr
    key_id, secret = created.stdout.strip().splitlines()[-1].split(":")
    worker = impasto("workers", "token", "create", "--app", "acme/sketch", env=env)
    assert worker.returncode == 0, worker.stderr
    worker_id, worker_secret = worker.stdout.strip().splitlines()[-1].split(":")

    keys = impasto("keys", "list", "--json", env=env)
    assert keys.returncode == 0, keys.stderr
    listed = json.loads(keys.stdout)["keys"]
    assert {"key_id": key_id, "owner": "acme", "scope": "API"}.items() <= listed[0].items()
    tokens = impasto("workers", "token", "list", "--json", env=env)
    assert tokens.returncode == 0, tokens.stderr
    [token] = json.loads(tokens.stdout)["worker_keys"]
    assert token["key_id"] == worker_id
    assert token["apps"] == ["acme/sketch"]
    apps = impasto("apps", "list", "--json", env=env)
    assert apps.returncode == 0, apps.stderr
    assert json.loads(apps.stdout) == {"apps": []}
    for output in (keys.stdout, tokens.stdout):
        assert secret not in output
        assert worker_secret not in output
        assert "sha256" not in output


def test_status_shows_queues_workers_embedders_and_disk(
    env: dict[str, str], database_url: str
) -> None:
    now = datetime.now(UTC)
    database = Database(database_url, pool_size=1)
    with database.session(write=True) as session:
        session.add(Account(name="acme", created_at=now))
        session.flush()
        for status, lease_owner in [
            ("IN_QUEUE", None),
            ("IN_QUEUE", None),
            ("IN_PROGRESS", "0190-key/gpu-box-1"),
            ("COMPLETED", None),
        ]:
            session.add(
                RequestRecord(
                    request_id=str(uuid.uuid4()),
                    owner="acme",
                    endpoint_id="acme/sketch",
                    app_id="acme/sketch",
                    path="/",
                    mode="queue",
                    status=status,
                    base_url="http://test",
                    max_attempts=3,
                    lease_owner=lease_owner,
                    lease_expires_at=now + timedelta(minutes=1) if lease_owner else None,
                    created_at=now,
                )
            )
    database.dispose()

    result = impasto("status", "--json", env=env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["database"]["state"] == "current"
    assert "@" not in report["database"]["url"] or "***" in report["database"]["url"]
    assert report["queues"] == [{"app_id": "acme/sketch", "IN_QUEUE": 2, "IN_PROGRESS": 1}]
    [worker] = report["workers"]
    assert worker["worker_id"] == "gpu-box-1"
    assert worker["remote"] is True
    assert worker["in_progress"] == 1
    assert report["embedders"] == [
        {"name": "hash", "space": "hash@1", "available": True, "reason": None}
    ]
    assert report["data_dir"]["free_bytes"] > 0

    table = impasto("status", env=env)
    assert table.returncode == 0, table.stderr
    assert "acme/sketch" in table.stdout
    assert "gpu-box-1" in table.stdout
    assert "(current)" in table.stdout
