"""The environment a runner process starts with: built from scratch, never inherited.

Only what Python and native libraries need comes from the parent (``PATH``, locale,
``HOME``, temp dir, the import path it was started with); the platform's own settings
and secrets (``IMPASTO_*``, database URLs, cloud keys) stay behind. Operators add what
an app needs through ``RunnerSpec.env``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "SYSTEMROOT")


def import_path() -> list[str]:
    """Folders on this process's ``sys.path`` that a fresh interpreter would not have."""
    prefixes = {Path(p).resolve() for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    extra: list[str] = []
    for entry in sys.path:
        if not entry or not os.path.isdir(entry):
            continue
        path = Path(entry).resolve()
        if any(path.is_relative_to(prefix) for prefix in prefixes):
            continue
        if str(path) not in extra:
            extra.append(str(path))
    return extra


def runner_environment(
    extra: Mapping[str, str] | None = None, *, first: Sequence[Path] = ()
) -> dict[str, str]:
    env = {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}
    env["PYTHONPATH"] = os.pathsep.join([*(str(path) for path in first), *import_path()])
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONIOENCODING"] = "utf-8"
    env.update(extra or {})
    return env
