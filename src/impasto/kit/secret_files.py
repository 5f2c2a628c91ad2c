"""Secrets the server makes once and keeps in its data directory (signing keys).

The first start writes the file; every later start, and every other process sharing the
directory, reads the same bytes. The file is written aside (``mkstemp``: mode 0600) and
hard-linked into place, so no process ever reads half a secret, and when two processes
start at once the first link wins and both go on with its bytes.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def read_or_create(path: Path, make: Callable[[], bytes]) -> bytes:
    """The bytes in ``path``; when there is no such file, it is created with ``make()``."""
    if not path.exists():
        _create(path, make())
    return path.read_bytes()


def _create(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        with contextlib.suppress(FileExistsError):  # another process got there first
            os.link(temp, path)
    finally:
        os.unlink(temp)
