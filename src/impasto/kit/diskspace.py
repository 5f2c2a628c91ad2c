"""Free disk space: the reserve writes must leave, and telling a full disk from other errors.

A full disk surfaces in several shapes: ``OSError`` ENOSPC or EDQUOT from file writes,
SQLite's SQLITE_FULL ("database or disk is full"), PostgreSQL's SQLSTATE 53100
(``disk_full``: "could not extend file ... No space left on device"), each of the database
ones wrapped by SQLAlchemy. ``is_disk_full`` recognises all of them, so the HTTP error
handler, the object store and the CLI can answer alike: 507 or one line, never a traceback.

Free space is read through an injectable ``FreeSpace`` function, so tests can pretend a
disk is nearly full without filling one.
"""

from __future__ import annotations

import errno
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

OUT_OF_SPACE = "The server is out of disk space; try again later"

FreeSpace = Callable[[Path], int]
"""Bytes an unprivileged process may still write on the filesystem holding a path."""

_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
_SQLITE_FULL = 13  # primary result code; extended codes keep it in the low byte
_PG_DISK_FULL = "53100"
_MAX_CHAIN = 8  # wrappers to look through (SQLAlchemy -> driver, ExceptionGroup -> member)


def free_bytes(path: Path) -> int:
    """Free bytes for unprivileged writers (``statvfs`` f_bavail, as ``df`` shows)."""
    return shutil.disk_usage(existing_ancestor(path)).free


def existing_ancestor(path: Path) -> Path:
    """``path`` or its nearest existing parent: stores create their folders lazily."""
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


@dataclass(frozen=True, slots=True)
class DiskSpace:
    """Space on the filesystem holding ``path``, less ``reserve`` bytes kept back.

    The reserve keeps room for what must not fail for lack of space: SQLite's WAL and
    checkpoints, logs, the staging file of an upload in flight.
    """

    path: Path
    reserve: int = 0
    free: FreeSpace = free_bytes

    def room(self) -> int:
        """Bytes that may still be written before the reserve is reached (may be < 0)."""
        return self.free(self.path) - self.reserve


def startup_problem(path: Path, reserve: int, free: FreeSpace = free_bytes) -> str | None:
    """Why a server should not start on ``path``'s filesystem, or None when it may."""
    available = free(path)
    if available >= reserve:
        return None
    return (
        f"the disk holding {path} has {_size(available)} free, less than the "
        f"{_size(reserve)} reserve (IMPASTO_MIN_FREE_DISK_BYTES); free some space first"
    )


def is_disk_full(exc: BaseException) -> bool:
    """True when ``exc`` (or what it wraps) says a disk or database file is full."""
    return _full(exc, _MAX_CHAIN)


def describe(exc: BaseException) -> str:
    """One line about a disk-full failure, for a CLI that must not print a traceback."""
    found = _find_os_error(exc, _MAX_CHAIN)
    if found is None:
        return "out of disk space (the database could not grow)"
    where = f" writing {found.filename}" if found.filename is not None else ""
    return f"out of disk space{where} ({found.strerror or 'No space left on device'})"


def _full(exc: BaseException, depth: int) -> bool:
    if depth <= 0:
        return False
    if isinstance(exc, BaseExceptionGroup):
        return any(_full(member, depth - 1) for member in exc.exceptions)
    if isinstance(exc, (OSError, sqlite3.Error)) or hasattr(exc, "sqlstate"):
        return _says_full(exc)
    inner = _wrapped(exc)
    return inner is not None and _full(inner, depth - 1)


def _says_full(exc: BaseException) -> bool:
    """A driver's or the OS's own error: does it report a full disk?"""
    if isinstance(exc, OSError):
        return exc.errno in _FULL_ERRNOS
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        if code is None:  # raised without a result code: only the message tells
            return "database or disk is full" in str(exc)
        return bool(code & 0xFF == _SQLITE_FULL)
    return getattr(exc, "sqlstate", None) == _PG_DISK_FULL  # psycopg's errors carry it


def _find_os_error(exc: BaseException, depth: int) -> OSError | None:
    if depth <= 0:
        return None
    if isinstance(exc, OSError):
        return exc
    if isinstance(exc, BaseExceptionGroup):
        for member in exc.exceptions:
            if (found := _find_os_error(member, depth - 1)) is not None:
                return found
        return None
    inner = _wrapped(exc)
    return None if inner is None else _find_os_error(inner, depth - 1)


def _wrapped(exc: BaseException) -> BaseException | None:
    # SQLAlchemy's DBAPIError keeps the driver's error in ``orig``; others chain with ``from``.
    orig = getattr(exc, "orig", None)
    return orig if isinstance(orig, BaseException) else exc.__cause__


def _size(value: int) -> str:
    amount, unit = float(max(value, 0)), "bytes"
    for larger in ("KiB", "MiB", "GiB", "TiB"):
        if amount < 1024:
            break
        amount, unit = amount / 1024, larger
    return f"{int(amount)} bytes" if unit == "bytes" else f"{amount:.1f} {unit}"
