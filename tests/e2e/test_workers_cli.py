"""`impasto workers token create/list/revoke` in subprocesses, on both databases: worker
keys are the operator's, bound to the apps named, and never made by `impasto keys`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from impasto.cli.common import process_cursors
from impasto.keys.service import KeyService
from impasto.kit.clock import SystemClock
from impasto.kit.db import Database
from impasto.kit.errors import Unauthenticated
from impasto.kit.ids import UUIDv7Generator
from impasto.models import KeyScope
from tests.e2e.test_cli import impasto


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("IMPASTO_")}
    return {
        **clean,
        "IMPASTO_DATA_DIR": str(tmp_path / "data"),
        "IMPASTO_DATABASE_URL": database_url,
        "IMPASTO_BOOTSTRAP_OWNER": "ops",
        "IMPASTO_LOG_FORMAT": "json",
    }


def check(database_url: str, credential: str) -> tuple[str, KeyScope, frozenset[str] | None]:
    """Who the credential is, as the server would authenticate it."""
    database = Database(database_url, pool_size=1)
    try:
        with database.session(write=False) as session:
            service = KeyService(session, SystemClock(), UUIDv7Generator())
            principal = service.authenticate(credential)
    finally:
        database.dispose()
    return principal.owner, principal.scope, principal.apps


def tenant_key(database_url: str) -> str:
    database = Database(database_url, pool_size=1)
    try:
        with database.session(write=True) as session:
            key, _ = KeyService(session, SystemClock(), UUIDv7Generator()).create(
                owner="acme", scope=KeyScope.ADMIN, alias="tenant", created_by="tests"
            )
            return key.key_id
    finally:
        database.dispose()


def test_worker_tokens_are_created_listed_and_revoked(
    env: dict[str, str], database_url: str
) -> None:
    created = impasto(
        "workers", "token", "create", "--app", "acme/upscale", "--app", "impasto/debug",
        "--alias", "gpu box 1", env=env,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    credential = created.stdout.strip().splitlines()[-1]
    key_id, secret = credential.split(":")
    assert check(database_url, credential) == (
        "ops",
        KeyScope.WORKER,
        frozenset({"acme/upscale", "impasto/debug"}),
    )
    every = impasto("workers", "token", "create", env=env)
    assert every.returncode == 0, every.stderr
    assert check(database_url, every.stdout.strip().splitlines()[-1])[2] is None
    tenant_id = tenant_key(database_url)

    listed = impasto("workers", "token", "list", env=env)
    assert listed.returncode == 0, listed.stderr
    [line] = [line for line in listed.stdout.splitlines() if line.startswith(key_id)]
    assert "acme/upscale,impasto/debug" in line
    assert "gpu box 1" in line
    assert secret not in listed.stdout
    assert tenant_id not in listed.stdout  # worker keys only

    refused = impasto("workers", "token", "revoke", tenant_id, env=env)
    assert refused.returncode != 0
    assert "no active worker key" in refused.stderr
    assert impasto("workers", "token", "revoke", key_id, env=env).returncode == 0
    with pytest.raises(Unauthenticated):
        check(database_url, credential)


def test_worker_keys_come_from_their_own_command_only(
    env: dict[str, str], database_url: str
) -> None:
    refused = impasto("keys", "create", "--owner", "ops", "--scope", "WORKER", env=env)
    assert refused.returncode == 2
    assert "impasto workers token create" in refused.stderr
    bad = impasto("workers", "token", "create", "--app", "impasto/debug", "--app", "a/b/c", env=env)
    assert bad.returncode == 2
    assert "invalid app name 'b/c'" in bad.stderr
    database = Database(database_url, pool_size=1)
    try:
        with database.session(write=False) as session:
            service = KeyService(session, SystemClock(), UUIDv7Generator())
            page = service.list(
                owner=None, scope=None, limit=10, cursor=None, cursors=process_cursors()
            )
            assert page.keys == []
    finally:
        database.dispose()
