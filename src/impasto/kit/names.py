"""Owner (account) names: the first segment of every endpoint id, e.g. ``acme``.

fal's clients read ids whose first segment is a namespace (``workflows/acme/x``) as
``namespace/owner/app`` (§1.3), so a namespace is never an owner's name.
"""

from __future__ import annotations

import re

OWNER_NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
_OWNER_NAME = re.compile(OWNER_NAME_PATTERN)
APP_NAMESPACES = ("workflows", "comfy")


def validate_owner_name(name: str) -> str:
    """Return ``name`` if it is a valid owner name, else raise ``ValueError``."""
    if not _OWNER_NAME.fullmatch(name):
        raise ValueError(
            f"invalid owner name {name!r}: use 1-63 lowercase letters, digits, '-' or '_', "
            "starting with a letter or digit"
        )
    if name in APP_NAMESPACES:
        raise ValueError(f"invalid owner name {name!r}: it is reserved for fal's namespaces")
    return name


def split_namespace(endpoint_id: str) -> tuple[str | None, list[str]]:
    """``workflows/acme/x/...`` -> ("workflows", ["acme", "x", ...]); no namespace -> None."""
    parts = [part for part in endpoint_id.split("/") if part]
    if parts and parts[0] in APP_NAMESPACES:
        return parts[0], parts[1:]
    return None, parts
