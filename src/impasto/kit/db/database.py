"""Engines and transactions for SQLite (embedded) and PostgreSQL (scale-out).

Sync SQLAlchemy on purpose: the stdlib sqlite3 driver is several times faster per
transaction than aiosqlite (``reference/performance.md``); request handlers that touch the
database run in the thread pool.

On SQLite a write transaction starts with ``BEGIN IMMEDIATE`` so that it takes the write
lock up front and waits on ``busy_timeout``, instead of failing with SQLITE_BUSY when a
read transaction tries to upgrade. Writers in this process queue on a one-connection pool
rather than spinning on the lock.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

from impasto.kit.extras import require

SQLITE_BUSY_TIMEOUT_MS = 10_000
SQLITE_CACHE_KIB = 64 * 1024
SQLITE_MMAP_BYTES = 256 * 1024 * 1024


class Database:
    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url: URL = _normalise(make_url(url))
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        if self.is_sqlite:
            self._reader = _sqlite_engine(self.url, pool_size=pool_size, immediate=False)
            self._writer = _sqlite_engine(self.url, pool_size=1, immediate=True)
        else:
            self._reader = create_engine(
                self.url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
            )
            self._writer = self._reader
        self._read_sessions = sessionmaker(self._reader, expire_on_commit=False)
        self._write_sessions = sessionmaker(self._writer, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self._writer.dialect.name

    @property
    def write_engine(self) -> Engine:
        return self._writer

    @contextmanager
    def session(self, *, write: bool) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        factory = self._write_sessions if write else self._read_sessions
        with factory() as session, session.begin():
            yield session

    def ping(self) -> None:
        with self._reader.connect() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self._reader.dispose()
        if self._writer is not self._reader:
            self._writer.dispose()


def _normalise(url: URL) -> URL:
    # ``postgresql://`` means psycopg 3 here, not SQLAlchemy's psycopg2 default.
    if url.drivername in {"postgresql", "postgres"}:
        url = url.set(drivername="postgresql+psycopg")
    if url.drivername == "postgresql+psycopg":
        require("psycopg", feature="PostgreSQL", extra="postgres")
    return url


def _sqlite_engine(url: URL, *, pool_size: int, immediate: bool) -> Engine:
    database = url.database
    if database and database != ":memory:":
        create_private_file(Path(database))
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=0 if immediate else pool_size,
        pool_timeout=60,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below, not the driver, open transactions.
        dbapi_conn.isolation_level = None
        for pragma in (
            "journal_mode=WAL",
            "synchronous=NORMAL",
            "foreign_keys=ON",
            f"busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
            # A search reads every candidate row by rowid; the default 2 MiB page cache
            # re-reads them from the OS on each query. 64 MiB per connection (allocated as
            # pages are touched) plus a shared mmap cut a 100k-entry search by ~20%
            # (bench/README.md, Catalog).
            f"cache_size=-{SQLITE_CACHE_KIB}",
            f"mmap_size={SQLITE_MMAP_BYTES}",
        ):
            dbapi_conn.execute(f"PRAGMA {pragma}")

    begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)

    return engine


def create_private_file(path: Path) -> None:
    """Create ``path`` readable by its owner only, if it does not exist yet.

    SQLite gives its -wal and -shm files the database file's mode, so they follow.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    os.close(fd)
