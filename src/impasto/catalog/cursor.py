"""Cursors bound to their query: a position plus a digest of the normalised parameters.

Reusing a cursor with other filters would silently walk a different result set, so it is a
400; so is a cursor whose position was edited (the checksum covers it). The checksum is not
a secret: it catches mistakes and casual tampering, and a forged position can only name a
place in the caller's own result set.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from impasto.kit.errors import InvalidRequest
from impasto.kit.pagination import decode_cursor, encode_cursor
from impasto.kit.text import is_storable

KeyType = Literal["int", "bool", "str", "datetime"]
_INT_LIMIT = 1 << 62
_NOT_OURS = "cursor is not one this server issued"


def _digest(value: Any) -> str:
    raw = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def issue(query: dict[str, Any], position: Sequence[Any]) -> str:
    values = [v.isoformat() if isinstance(v, datetime) else v for v in position]
    fingerprint = _digest(query)
    return encode_cursor({"q": fingerprint, "k": values, "c": _digest([fingerprint, values])})


def read(cursor: str, query: dict[str, Any], types: Sequence[KeyType]) -> list[Any]:
    """The position in ``cursor``, checked against the query it must have come from."""
    value = decode_cursor(cursor, frozenset({"q", "k", "c"}))
    fingerprint, position = value["q"], value["k"]
    if value["c"] != _digest([fingerprint, position]):
        raise InvalidRequest(_NOT_OURS)
    if fingerprint != _digest(query):
        raise InvalidRequest(
            "cursor belongs to a different query: send the same parameters as the request "
            "that returned it, or drop the cursor to start again"
        )
    if not isinstance(position, list) or len(position) != len(types):
        raise InvalidRequest(_NOT_OURS)
    return [_typed(item, kind) for item, kind in zip(position, types, strict=True)]


def _typed(item: Any, kind: KeyType) -> Any:
    if kind == "bool" and isinstance(item, bool):
        return item
    if kind == "int" and type(item) is int and -_INT_LIMIT < item < _INT_LIMIT:
        return item
    if kind == "str" and isinstance(item, str) and len(item) <= 255 and is_storable(item):
        return item
    if kind == "datetime" and isinstance(item, str) and len(item) <= 40:
        try:
            parsed = datetime.fromisoformat(item)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            return parsed
    raise InvalidRequest(_NOT_OURS)
