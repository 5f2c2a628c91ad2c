"""Opaque cursors: URL-safe base64 of a small JSON object, validated on the way back in."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from impasto.kit.errors import InvalidRequest

MAX_CURSOR_LENGTH = 1024


def encode_cursor(position: dict[str, Any]) -> str:
    raw = json.dumps(position, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, required: frozenset[str]) -> dict[str, Any]:
    """Decode a cursor made by :func:`encode_cursor`; anything else is a 400."""
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise InvalidRequest("cursor is too long")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError) as exc:
        raise InvalidRequest("cursor is not one this server issued") from exc
    if not isinstance(value, dict) or not required <= value.keys():
        raise InvalidRequest("cursor is not one this server issued")
    return value
