"""HMAC signatures for file URLs, upload URLs and storage tokens.

One secret signs everything; each use has its own ``purpose`` so a signature made for one
thing (a download link) is never accepted as another (an upload URL or a token). The
secret comes from ``IMPASTO_SIGNING_SECRET`` or is generated once into the data directory
(mode 0600); servers that share a database must share the secret.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import json
import os
import secrets
import tempfile
from pathlib import Path
from typing import Any

SECRET_FILE = "signing.key"  # noqa: S105 - a file name
MAX_TOKEN_LENGTH = 2048


class Signer:
    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the signing secret must be at least 16 bytes")
        self._secret = secret

    def sign(self, purpose: str, message: str, expires: int) -> str:
        data = f"{purpose}\n{expires}\n{message}".encode()
        return hmac.new(self._secret, data, hashlib.sha256).hexdigest()

    def verify(self, purpose: str, message: str, expires: int, signature: str, now: int) -> bool:
        """True when ``signature`` is ours for this purpose and message and not expired."""
        expected = self.sign(purpose, message, expires)
        return hmac.compare_digest(expected, signature) and now < expires

    def token(self, purpose: str, claims: dict[str, Any], expires: int) -> str:
        """A self-contained token: base64url(JSON claims) + "." + signature."""
        body = dict(claims, exp=expires)
        raw = json.dumps(body, separators=(",", ":"), sort_keys=True).encode()
        payload = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        return f"{payload}.{self.sign(purpose, payload, expires)}"

    def read_token(self, purpose: str, token: str, now: int) -> dict[str, Any] | None:
        """The claims of a valid, unexpired token of this purpose; None for anything else."""
        if len(token) > MAX_TOKEN_LENGTH or token.count(".") != 1:
            return None
        payload, signature = token.split(".")
        try:
            raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
            claims = json.loads(raw)
        except (ValueError, binascii.Error):
            return None
        if not isinstance(claims, dict) or not isinstance(claims.get("exp"), int):
            return None
        if not self.verify(purpose, payload, claims["exp"], signature, now):
            return None
        return claims


def load_secret(configured: str | None, data_dir: Path) -> bytes:
    """The configured secret, else the one in ``<data_dir>/signing.key`` (created once)."""
    if configured:
        return configured.encode()
    path = data_dir / SECRET_FILE
    if path.exists():
        return _read_secret(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # Written aside and linked into place, so a concurrent first start never reads half a key.
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".signing-")  # mode 0600
    try:
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_hex(32))
            file.flush()
            os.fsync(file.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(temp, path)
    finally:
        os.unlink(temp)
    return _read_secret(path)


def _read_secret(path: Path) -> bytes:
    secret = path.read_text().strip().encode()
    if len(secret) < 16:
        raise RuntimeError(f"{path} holds no usable signing secret; delete it to make a new one")
    return secret
