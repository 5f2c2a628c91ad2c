"""Boolean headers and query parameters: fal's clients spell true and false several ways."""

from __future__ import annotations

from collections.abc import Collection

from impasto.kit.errors import InvalidRequest


def parse_flag(
    value: str | None,
    *,
    default: bool,
    true: Collection[str],
    false: Collection[str],
    error: str,
) -> bool:
    """``value`` (absent: ``default``) read case-insensitively, surrounding blanks ignored,
    against the words a surface accepts; any other word is a 400 saying ``error``."""
    if value is None:
        return default
    word = value.strip().lower()
    if word in true:
        return True
    if word in false:
        return False
    raise InvalidRequest(error)
