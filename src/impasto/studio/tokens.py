"""Session secrets, their stored hashes and the CSRF token derived from them.

A secret is 256 random bits, so SHA-256 is enough at rest (as for API keys). The CSRF
token is a second hash of the same secret: the server recomputes it from the cookie on
every call, so nothing more is stored, and only a page of ours (which the server renders
it into) can read it; the cookie itself is HttpOnly.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

_SECRET = re.compile(r"^[A-Za-z0-9_-]{43}$")


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def is_secret(value: str) -> bool:
    return _SECRET.fullmatch(value) is not None


def session_hash(secret: str) -> str:
    return hashlib.sha256(b"impasto-session:" + secret.encode()).hexdigest()


def csrf_token(secret: str) -> str:
    return hashlib.sha256(b"impasto-csrf:" + secret.encode()).hexdigest()


def csrf_matches(secret: str, presented: str | None) -> bool:
    return presented is not None and hmac.compare_digest(csrf_token(secret), presented)
