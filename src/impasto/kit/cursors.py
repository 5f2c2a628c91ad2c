"""Page cursors: a keyset position bound to the query it belongs to, sealed by the server.

A cursor holds a digest of the query's normalised parameters and the position after the
last row of a page, sealed with the server's signing secret (``kit/signing.py``). Reusing
it with other filters would silently walk a different result set, so that is a 400; so is
a cursor that was edited or made up, since only the secret's holder can seal one. Every
position is type-checked on the way back in all the same: it reaches SQL.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from impasto.kit.errors import InvalidRequest
from impasto.kit.signing import Signer
from impasto.kit.text import is_storable

KeyType = Literal["int", "bool", "str", "datetime"]
PURPOSE = "cursor"
MAX_CURSOR_LENGTH = 1024
NOT_OURS = "cursor is not one this server issued"
_INT_LIMIT = 1 << 62


class Cursors:
    """Issues and reads cursors; built once, from the server's signer, and injected."""

    def __init__(self, signer: Signer) -> None:
        self._signer = signer

    def issue(self, query: dict[str, Any], position: Sequence[Any]) -> str:
        values = [v.isoformat() if isinstance(v, datetime) else v for v in position]
        return self._signer.seal(PURPOSE, {"q": fingerprint(query), "k": values})

    def read(self, cursor: str, query: dict[str, Any], types: Sequence[KeyType]) -> list[Any]:
        """The position in ``cursor``, checked against the query it must have come from."""
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise InvalidRequest("cursor is too long")
        claims = self._signer.unseal(PURPOSE, cursor)
        if claims is None or not {"q", "k"} <= claims.keys():
            raise InvalidRequest(NOT_OURS)
        if claims["q"] != fingerprint(query):
            raise InvalidRequest(
                "cursor belongs to a different query: send the same parameters as the request "
                "that returned it, or drop the cursor to start again"
            )
        position = claims["k"]
        if not isinstance(position, list) or len(position) != len(types):
            raise InvalidRequest(NOT_OURS)
        return [_typed(item, kind) for item, kind in zip(position, types, strict=True)]


def fingerprint(query: dict[str, Any]) -> str:
    """A short digest of the query's parameters; the seal, not this, keeps it honest."""
    raw = json.dumps(query, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


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
    raise InvalidRequest(NOT_OURS)
