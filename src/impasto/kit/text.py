"""Text that is safe to store: no control characters, no lone surrogates.

PostgreSQL cannot store U+0000, and a lone surrogate cannot be encoded to UTF-8 at all;
either would otherwise reach the driver (or a runner) and fail as a server error.
"""

from __future__ import annotations

import re
from typing import Any

_UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")

Location = tuple[str | int, ...]


def is_storable(value: str) -> bool:
    return _UNSTORABLE.search(value) is None


def escaped(value: str | int) -> str | int:
    """``value`` fit for an error message: lone surrogates written as ``\\udXXX`` escapes."""
    if isinstance(value, int):
        return value
    return value.encode("utf-8", "backslashreplace").decode("utf-8")


def lone_surrogate_at(value: Any) -> Location | None:
    """Where in a decoded JSON value the first string (key or value) with a lone surrogate
    sits, or ``None``. JSON may spell one (``"\\ud800"``); nothing can encode it."""
    stack: list[tuple[Location, Any]] = [((), value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return where
        elif isinstance(item, dict):
            for key, inner in item.items():
                if _SURROGATE.search(key):
                    return (*where, key)
                stack.append(((*where, key), inner))
        elif isinstance(item, list):
            stack.extend(((*where, index), inner) for index, inner in enumerate(item))
    return None
