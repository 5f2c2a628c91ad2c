"""Owner (account) names: the first segment of every endpoint id, e.g. ``acme``."""

from __future__ import annotations

import re

OWNER_NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
_OWNER_NAME = re.compile(OWNER_NAME_PATTERN)


def validate_owner_name(name: str) -> str:
    """Return ``name`` if it is a valid owner name, else raise ``ValueError``."""
    if not _OWNER_NAME.fullmatch(name):
        raise ValueError(
            f"invalid owner name {name!r}: use 1-63 lowercase letters, digits, '-' or '_', "
            "starting with a letter or digit"
        )
    return name
