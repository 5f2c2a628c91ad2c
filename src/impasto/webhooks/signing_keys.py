"""The Ed25519 key that signs webhooks, and the JWKS that publishes its public half.

The private key comes from ``IMPASTO_WEBHOOK_SIGNING_KEY`` (PEM, or base64 of the 32-byte
seed) or is generated once into ``<data_dir>/webhook-signing.pem`` (mode 0600) and reused,
so receivers keep verifying across restarts. Servers sharing a database must share the key
(any of them may send any webhook). The ``kid`` is the key's RFC 7638 thumbprint.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from impasto.kit import base64url
from impasto.kit.secret_files import read_or_create

KEY_FILE = "webhook-signing.pem"
_RAW = serialization.Encoding.Raw
_RAW_PUBLIC = serialization.PublicFormat.Raw


def b64decode_any(text: str) -> bytes:
    """Standard or URL-safe base64, padding optional; raises ``ValueError``."""
    text = "".join(text.split()).rstrip("=").replace("+", "-").replace("/", "_")
    try:
        return base64url.decode(text)
    except ValueError:
        raise ValueError("not valid base64") from None


def public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(_RAW, _RAW_PUBLIC)


def jwk(key: Ed25519PublicKey) -> dict[str, str]:
    """The public key as a JWK (RFC 8037), with its thumbprint as ``kid``."""
    x = base64url.encode(public_bytes(key))
    # RFC 7638: SHA-256 of the required members, sorted, without whitespace.
    canonical = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": x}, separators=(",", ":"))
    kid = base64url.encode(hashlib.sha256(canonical.encode()).digest())
    return {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "use": "sig", "alg": "EdDSA"}


def parse_public_key(text: str) -> Ed25519PublicKey:
    """A raw 32-byte public key in base64/base64url (a JWK's ``x``); raises ``ValueError``."""
    raw = b64decode_any(text)
    if len(raw) != 32:
        raise ValueError("an Ed25519 public key is 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def parse_private_key(text: str) -> Ed25519PrivateKey:
    """PEM (PKCS#8) or base64 of the 32-byte seed; raises ``ValueError``."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_private_key(text.encode(), password=None)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            raise ValueError("not a readable unencrypted PEM private key") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("the PEM key is not an Ed25519 key")
        return key
    seed = b64decode_any(text)
    if len(seed) != 32:
        raise ValueError("an Ed25519 private key (seed) is 32 bytes")
    return Ed25519PrivateKey.from_private_bytes(seed)


@dataclass(frozen=True, slots=True)
class SigningKeys:
    """The current private key, plus older public keys still published during a rotation."""

    private: Ed25519PrivateKey
    previous: tuple[Ed25519PublicKey, ...] = ()

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    @property
    def kid(self) -> str:
        return jwk(self.public)["kid"]

    def sign(self, message: bytes) -> bytes:
        return self.private.sign(message)

    def jwks(self) -> dict[str, Any]:
        keys = [jwk(self.public)]
        seen = {keys[0]["x"]}
        for key in self.previous:
            entry = jwk(key)
            if entry["x"] not in seen:
                seen.add(entry["x"])
                keys.append(entry)
        return {"keys": keys}


def load_signing_keys(
    configured: str | None, data_dir: Path, previous: Iterable[str] = ()
) -> SigningKeys:
    """The configured key, else the one in ``<data_dir>/webhook-signing.pem`` (made once)."""
    try:
        older = tuple(parse_public_key(text) for text in previous)
    except ValueError as exc:
        raise ValueError(f"webhook_previous_public_keys: {exc}") from None
    if configured:
        try:
            return SigningKeys(parse_private_key(configured), older)
        except ValueError as exc:
            raise ValueError(f"webhook_signing_key: {exc}") from None
    path = data_dir / KEY_FILE
    pem = read_or_create(path, _new_pem)
    try:
        return SigningKeys(parse_private_key(pem.decode()), older)
    except ValueError as exc:
        raise RuntimeError(f"{path}: {exc}; delete it to make a new key") from None


def _new_pem() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
