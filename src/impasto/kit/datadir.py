"""The data directory: created, and kept, readable by its owner only."""

from __future__ import annotations

import os
from pathlib import Path


def prepare_data_dir(path: Path) -> Path:
    path = path.expanduser().absolute()
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.stat().st_uid == os.getuid():
        path.chmod(0o700)
    return path
