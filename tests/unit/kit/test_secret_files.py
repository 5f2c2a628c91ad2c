"""Secrets made once: mode 0600, and concurrent first writers agree on one value."""

from __future__ import annotations

import stat
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from impasto.kit.secret_files import read_or_create

WAIT_SECONDS = 30.0  # a bound against hangs, never an assertion about speed


def test_created_once_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "secret"
    assert read_or_create(path, lambda: b"first") == b"first"
    assert read_or_create(path, lambda: b"second") == b"first"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["secret"]  # no temporary file left


def test_two_concurrent_first_writers_agree(tmp_path: Path) -> None:
    """Both see no file and make a secret of their own; one link wins, both read it."""
    path = tmp_path / "secret"
    both_making = threading.Barrier(2, timeout=WAIT_SECONDS)

    def make(value: bytes) -> bytes:
        both_making.wait()  # neither has written when the other decides to create
        return value

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(read_or_create, path, lambda: make(b"from-a"))
        second = pool.submit(read_or_create, path, lambda: make(b"from-b"))
        results = {first.result(WAIT_SECONDS), second.result(WAIT_SECONDS)}
    assert len(results) == 1
    assert results <= {b"from-a", b"from-b"}
    assert path.read_bytes() in results
