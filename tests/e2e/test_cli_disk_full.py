"""`impasto serve` on a full disk: one line saying so, a non-zero exit, no traceback.

The data directory is a real tmpfs a few hundred KiB large (skipped where mounting is
impossible): too small for the default free-space reserve, and, with the reserve off,
too small for the database's migrations.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_cli import impasto
from tests.small_disk import small_disk


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    with small_disk(tmp_path / "disk", 256 << 10) as mounted:
        yield mounted


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("IMPASTO_")}
    return {**clean, "IMPASTO_DATA_DIR": str(data_dir), "IMPASTO_LOG_FORMAT": "json", **extra}


def test_serve_refuses_to_start_below_the_reserve(disk: Path) -> None:
    data_dir = disk / "data"
    result = impasto("serve", "--port", "0", env=_env(data_dir))
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert re.fullmatch(
        rf"error: the disk holding {re.escape(str(data_dir))} has 2\d\d\.\d KiB free, less "
        r"than the 1\.0 GiB reserve \(IMPASTO_MIN_FREE_DISK_BYTES\); free some space first",
        line,
    ), line
    assert "Impasto is listening" not in result.stdout
    assert not (data_dir / "impasto.db").exists()


def test_a_start_that_fills_the_disk_is_one_line(disk: Path) -> None:
    # Without the reserve the start goes ahead, and SQLite runs out of room migrating.
    env = _env(disk / "data", IMPASTO_MIN_FREE_DISK_BYTES="0")
    result = impasto("serve", "--port", "0", env=env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if not line.startswith("{")]
    assert errors == [
        "error: out of disk space (the database could not grow); free some space and try again"
    ]
    assert "Impasto is listening" not in result.stdout
