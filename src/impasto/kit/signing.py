"""One signed-token format for everything the server hands out and later reads back.

One secret signs everything; each use names its ``purpose`` (a download link, an upload
URL, a storage token, a realtime token, a cursor), and the purpose is part of what is
signed, so a signature made for one is never accepted as another. A signature is
HMAC-SHA256 over ``purpose \\n expires \\n message`` (``purpose \\n message`` for what does
not expire), written as unpadded base64url. It comes in two shapes:

- detached, for a message that travels on its own with ``expires`` beside it (the file or
  upload id of a signed URL): ``sign`` and ``verify``;
- a token that carries its claims, ``base64url(JSON claims) "." signature``: ``token`` and
  ``read_token`` (the claims hold ``exp``), ``seal`` and ``unseal`` (no expiry: cursors).

Signatures used to be the same HMAC written in hex. ``verify`` and ``read_token`` still
accept that form, so URLs and tokens issued before the change keep working until they
expire (signed URLs live at most 7 days); sealed values never had it.

The secret comes from ``IMPASTO_SIGNING_SECRET`` or is generated once into the data
directory (mode 0600); servers that share a database must share the secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from pathlib import Path
from typing import Any

from impasto.kit import base64url
from impasto.kit.secret_files import read_or_create

SECRET_FILE = "signing.key"  # noqa: S105 - a file name
MAX_TOKEN_LENGTH = 2048
MIN_SECRET_BYTES = 16


class Signer:
    def __init__(self, secret: bytes) -> None:
        if len(secret) < MIN_SECRET_BYTES:
            raise ValueError(f"the signing secret must be at least {MIN_SECRET_BYTES} bytes")
        self._secret = secret

    def sign(self, purpose: str, message: str, expires: int) -> str:
        return base64url.encode(self._mac(purpose, str(expires), message))

    def verify(self, purpose: str, message: str, expires: int, signature: str, now: int) -> bool:
        """True when ``signature`` is ours for this purpose and message and not expired."""
        mac = self._mac(purpose, str(expires), message)
        return _matches(mac, signature, legacy=True) and now < expires

    def token(self, purpose: str, claims: dict[str, Any], expires: int) -> str:
        """A self-contained token that ``read_token`` accepts until ``expires``."""
        payload = _payload(dict(claims, exp=expires))
        return f"{payload}.{self.sign(purpose, payload, expires)}"

    def read_token(self, purpose: str, token: str, now: int) -> dict[str, Any] | None:
        """The claims of a valid, unexpired token of this purpose; None for anything else."""
        parts = _split(token)
        if parts is None:
            return None
        payload, signature = parts
        claims = _claims(payload)  # read first: the signed message holds their expiry
        if claims is None or not isinstance(claims.get("exp"), int):
            return None
        if not self.verify(purpose, payload, claims["exp"], signature, now):
            return None
        return claims

    def seal(self, purpose: str, claims: dict[str, Any]) -> str:
        """A token that does not expire: ``unseal`` gives its claims back, unchanged."""
        payload = _payload(claims)
        return f"{payload}.{base64url.encode(self._mac(purpose, payload))}"

    def unseal(self, purpose: str, token: str) -> dict[str, Any] | None:
        """The claims of a token this purpose sealed; None for anything else."""
        parts = _split(token)
        if parts is None:
            return None
        payload, signature = parts
        # Checked before parsing: nothing a client made up reaches the JSON parser.
        if not _matches(self._mac(purpose, payload), signature, legacy=False):
            return None
        return _claims(payload)

    def _mac(self, purpose: str, *parts: str) -> bytes:
        message = "\n".join((purpose, *parts)).encode("utf-8", "surrogatepass")
        return hmac.new(self._secret, message, hashlib.sha256).digest()


def _matches(mac: bytes, signature: str, *, legacy: bool) -> bool:
    given = signature.encode("utf-8", "surrogatepass")
    if hmac.compare_digest(base64url.encode(mac).encode("ascii"), given):
        return True
    return legacy and hmac.compare_digest(mac.hex().encode("ascii"), given)


def _payload(claims: dict[str, Any]) -> str:
    return base64url.encode(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())


def _split(token: str) -> tuple[str, str] | None:
    if len(token) > MAX_TOKEN_LENGTH or token.count(".") != 1:
        return None
    payload, signature = token.split(".")
    return payload, signature


def _claims(payload: str) -> dict[str, Any] | None:
    try:
        claims = json.loads(base64url.decode(payload))
    except (ValueError, RecursionError):
        return None
    return claims if isinstance(claims, dict) else None


def load_secret(configured: str | None, data_dir: Path) -> bytes:
    """The configured secret, else the one in ``<data_dir>/signing.key`` (created once)."""
    if configured:
        return configured.encode()
    path = data_dir / SECRET_FILE
    secret = read_or_create(path, lambda: secrets.token_hex(32).encode()).strip()
    if len(secret) < MIN_SECRET_BYTES:
        raise RuntimeError(f"{path} holds no usable signing secret; delete it to make a new one")
    return secret
