"""Key material: generation, parsing and hashing of ``key_id:key_secret`` credentials.

Secrets are 256 random bits, so a fast hash is enough: nobody can brute-force the
pre-image, and a slow password hash would cost every API call milliseconds. The
comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,36}$")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{16,128}$")


@dataclass(frozen=True, slots=True)
class Credential:
    key_id: str
    secret: str

    def __str__(self) -> str:
        return f"{self.key_id}:{self.secret}"


def new_secret() -> str:
    return secrets.token_hex(32)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, stored_sha256: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_sha256)


def is_key_id(value: str) -> bool:
    return _KEY_ID.fullmatch(value) is not None


def parse_credential(value: str) -> Credential | None:
    """``key_id:key_secret`` -> Credential, or None when it cannot be one of ours."""
    key_id, sep, secret = value.partition(":")
    if not sep or not _KEY_ID.fullmatch(key_id) or not _SECRET.fullmatch(secret):
        return None
    return Credential(key_id=key_id, secret=secret)
