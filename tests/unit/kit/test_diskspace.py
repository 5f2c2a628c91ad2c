"""Free space above the reserve, and every shape in which a full disk is reported."""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

import psycopg.errors
import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import IntegrityError, OperationalError

from impasto.kit.diskspace import (
    DiskSpace,
    describe,
    existing_ancestor,
    free_bytes,
    is_disk_full,
    startup_problem,
)


def _sqlite_full_error() -> sqlite3.OperationalError:
    """The error SQLite itself raises when its file may not grow (SQLITE_FULL)."""
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE t (v BLOB)")
    pages = connection.execute("PRAGMA page_count").fetchone()[0]
    connection.execute(f"PRAGMA max_page_count = {pages}")
    try:
        connection.execute("INSERT INTO t VALUES (zeroblob(100000))")
    except sqlite3.OperationalError as exc:
        return exc
    finally:
        connection.close()
    raise AssertionError("SQLite grew past max_page_count")


def _sqlalchemy_full_error() -> OperationalError:
    engine = create_engine("sqlite://")

    @event.listens_for(engine, "connect")
    def _cap(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        dbapi_connection.execute("PRAGMA max_page_count = 2")

    with engine.connect() as connection:
        connection.execute(text("CREATE TABLE t (v BLOB)"))
        with pytest.raises(OperationalError) as caught:
            connection.execute(text("INSERT INTO t VALUES (zeroblob(100000))"))
    engine.dispose()
    return caught.value


def test_full_disk_in_each_shape_is_recognised() -> None:
    postgres_full = psycopg.errors.DiskFull(
        'could not extend file "base/16384/2619": No space left on device'
    )
    wrapped_postgres = OperationalError("INSERT ...", {}, postgres_full)
    sqlite_full = _sqlite_full_error()
    assert "database or disk is full" in str(sqlite_full)
    full = [
        OSError(errno.ENOSPC, "No space left on device"),
        OSError(errno.EDQUOT, "Disk quota exceeded"),
        sqlite_full,
        sqlite3.OperationalError("database or disk is full"),  # no result code attached
        _sqlalchemy_full_error(),
        postgres_full,
        wrapped_postgres,
        ExceptionGroup("task group", [ValueError("other"), OSError(errno.ENOSPC, "full")]),
    ]
    assert [is_disk_full(exc) for exc in full] == [True] * len(full)

    chained = RuntimeError("spooling failed")
    chained.__cause__ = OSError(errno.ENOSPC, "No space left on device")
    assert is_disk_full(chained)


def test_other_failures_are_not_a_full_disk() -> None:
    unique = psycopg.errors.UniqueViolation("duplicate key")
    others = [
        OSError(errno.EACCES, "Permission denied"),
        FileNotFoundError(errno.ENOENT, "No such file"),
        sqlite3.OperationalError("database is locked"),
        psycopg.errors.QueryCanceled("canceling statement due to statement timeout"),
        IntegrityError("INSERT ...", {}, unique),
        RuntimeError("kaboom"),
        ExceptionGroup("task group", [ValueError("a"), KeyError("b")]),
    ]
    assert [is_disk_full(exc) for exc in others] == [False] * len(others)


def test_room_is_the_free_space_above_the_reserve(tmp_path: Path) -> None:
    asked: list[Path] = []

    def free(path: Path) -> int:
        asked.append(path)
        return 5_000

    assert DiskSpace(tmp_path, reserve=1_000, free=free).room() == 4_000
    assert DiskSpace(tmp_path, reserve=9_000, free=free).room() == -4_000
    assert asked == [tmp_path, tmp_path]


def test_free_bytes_reads_the_nearest_existing_folder(tmp_path: Path) -> None:
    missing = tmp_path / "objects" / "not" / "yet"
    assert existing_ancestor(missing) == tmp_path
    assert free_bytes(missing) == free_bytes(tmp_path) > 0


def test_startup_problem_names_the_disk_and_the_reserve(tmp_path: Path) -> None:
    assert startup_problem(tmp_path, 1 << 30, free=lambda _: 2 << 30) is None
    assert startup_problem(tmp_path, 0, free=lambda _: 0) is None
    problem = startup_problem(tmp_path, 1 << 30, free=lambda _: 3 << 19)
    assert problem == (
        f"the disk holding {tmp_path} has 1.5 MiB free, less than the 1.0 GiB reserve "
        "(IMPASTO_MIN_FREE_DISK_BYTES); free some space first"
    )


def test_describe_is_one_line() -> None:
    written = OSError(errno.ENOSPC, "No space left on device", "/data/signing.key")
    assert describe(written) == (
        "out of disk space writing /data/signing.key (No space left on device)"
    )
    assert describe(_sqlalchemy_full_error()) == "out of disk space (the database could not grow)"
    unnamed = OSError(errno.ENOSPC, "No space left on device")
    postgres = psycopg.errors.DiskFull("could not extend file")
    assert describe(postgres) == "out of disk space (the database could not grow)"
    assert describe(unnamed) == "out of disk space (No space left on device)"
