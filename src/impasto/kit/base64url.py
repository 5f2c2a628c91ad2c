"""Unpadded base64url (RFC 4648 §5 without ``=``): how tokens, cursors and JWKs write bytes."""

from __future__ import annotations

import base64
import binascii


def encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def decode(text: str) -> bytes:
    """The bytes of ``text``, padded or not; raises ``ValueError`` for anything else."""
    try:
        padded = text.encode("ascii") + b"=" * (-len(text) % 4)
        return base64.b64decode(padded, altchars=b"-_", validate=True)
    except (binascii.Error, UnicodeError) as exc:
        raise ValueError("not valid base64url") from exc
