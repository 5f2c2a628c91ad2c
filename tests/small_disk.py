"""A real, small filesystem for disk-full tests: a tmpfs mounted for one test.

Mounting needs root (or a user namespace that allows it), which many containers and CI
runners have; elsewhere the tests that need a real full disk skip with the reason, and
the injected variants (a free-space function, a failing store) still run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def small_disk(path: Path, size: int) -> Iterator[Path]:
    """A tmpfs of ``size`` bytes at ``path`` while the block runs."""
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root and mount(8)")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        # Lazy: a file still open (a server just killed, a pool) must not leave it mounted.
        subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)
