"""Verifying Impasto's (and fal's) signed webhooks on the receiving side.

Needs only ``cryptography`` (and ``httpx`` for ``JWKSCache``)::

    from impasto.webhooks.verify import JWKSCache, verify_webhook

    jwks = JWKSCache("https://impasto.example/.well-known/jwks.json")
    verify_webhook(raw_body, request.headers, jwks.keys())  # raises WebhookVerificationError

Checks, in order: the four ``X-Fal-Webhook-*`` headers are present, the timestamp is
within ``tolerance_seconds`` of now, and some key verifies the Ed25519 signature over
``request_id \\n user_id \\n timestamp \\n hex(sha256(body))``. Verify the raw bytes as
received, before parsing them as JSON.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from impasto.webhooks.message import (
    REQUEST_ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    USER_ID_HEADER,
    signed_message,
)
from impasto.webhooks.signing_keys import parse_public_key

DEFAULT_TOLERANCE_SECONDS = 300
MAX_JWKS_TTL_SECONDS = 86400
PublicKeyLike = Ed25519PublicKey | bytes | str | Mapping[str, Any]
KeySource = Mapping[str, Any] | Sequence[PublicKeyLike]
NO_MATCHING_KEY = "signature does not match any key"


class WebhookVerificationError(Exception):
    """The webhook is not authentic or not fresh; ``reason`` says which check failed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def verify_webhook(
    body: bytes,
    headers: Mapping[str, str],
    jwks: KeySource,
    *,
    now: float | None = None,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
) -> None:
    """Return if some key signed this webhook recently; raise ``WebhookVerificationError``.

    ``jwks`` is a JWKS document (``{"keys": [...]}``) or a sequence of public keys: JWK
    mappings, ``Ed25519PublicKey`` objects, raw 32-byte keys or their base64url text.
    """
    lowered = {name.lower(): value for name, value in headers.items()}

    def header(name: str) -> str:
        value = lowered.get(name.lower())
        if not value:
            raise WebhookVerificationError(f"missing header {name}")
        return value

    request_id = header(REQUEST_ID_HEADER)
    user_id = header(USER_ID_HEADER)
    timestamp = header(TIMESTAMP_HEADER)
    signature_hex = header(SIGNATURE_HEADER)
    if not timestamp.isdigit() or len(timestamp) > 12:
        raise WebhookVerificationError("timestamp is not a Unix time in seconds")
    current = time.time() if now is None else now
    if abs(current - int(timestamp)) > tolerance_seconds:
        raise WebhookVerificationError(
            f"timestamp is more than {tolerance_seconds} seconds from now"
        )
    try:
        signature = bytes.fromhex(signature_hex)
    except ValueError:
        raise WebhookVerificationError("signature is not hex") from None
    if len(signature) != 64:
        raise WebhookVerificationError("signature is not 64 bytes")
    keys = public_keys(jwks)
    if not keys:
        raise WebhookVerificationError("no Ed25519 key to verify with")
    message = signed_message(request_id, user_id, timestamp, body)
    for key in keys:
        try:
            key.verify(signature, message)
        except InvalidSignature:
            continue
        return
    raise WebhookVerificationError(NO_MATCHING_KEY)


def public_keys(source: KeySource) -> list[Ed25519PublicKey]:
    """The Ed25519 keys in a JWKS document or a sequence of keys; others are skipped."""
    if isinstance(source, Mapping):
        entries: Sequence[Any] = source.get("keys") or []
        if not isinstance(entries, Sequence) or isinstance(entries, str | bytes):
            raise WebhookVerificationError("JWKS has no list of keys")
    else:
        entries = source
    keys: list[Ed25519PublicKey] = []
    for entry in entries:
        key = _one_key(entry)
        if key is not None:
            keys.append(key)
    return keys


def _one_key(entry: object) -> Ed25519PublicKey | None:
    if isinstance(entry, Ed25519PublicKey):
        return entry
    if isinstance(entry, Mapping):
        # Other key types may share the document; only OKP/Ed25519 entries are ours.
        is_ed25519 = entry.get("kty") == "OKP" and entry.get("crv") == "Ed25519"
        entry = entry.get("x") if is_ed25519 else None
    try:
        if isinstance(entry, bytes):
            return Ed25519PublicKey.from_public_bytes(entry)
        if isinstance(entry, str):
            return parse_public_key(entry)
    except ValueError:
        return None
    return None


class JWKSCache:
    """Fetches a JWKS URL with httpx and keeps its keys for ``ttl_seconds`` (at most 24 h).

    ``verify`` refetches once when no cached key matches (the sender may have rotated its
    key), at most every ``min_refresh_seconds`` so forged requests cannot make it hammer
    the JWKS URL.
    """

    def __init__(
        self,
        url: str,
        ttl_seconds: float = MAX_JWKS_TTL_SECONDS,
        *,
        client: httpx.Client | None = None,
        timeout: float = 10.0,
        min_refresh_seconds: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 0 < ttl_seconds <= MAX_JWKS_TTL_SECONDS:
            raise ValueError(f"ttl_seconds must be in (0, {MAX_JWKS_TTL_SECONDS}]")
        self.url = url
        self._ttl = ttl_seconds
        self._client = client
        self._timeout = timeout
        self._min_refresh = min_refresh_seconds
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._keys: list[Ed25519PublicKey] = []
        self._fetched_at: float | None = None

    def keys(self) -> list[Ed25519PublicKey]:
        """The cached keys, fetched first when missing or older than the TTL."""
        with self._lock:
            if self._fetched_at is None or self._monotonic() - self._fetched_at >= self._ttl:
                self._refresh()
            return list(self._keys)

    def refresh(self) -> list[Ed25519PublicKey]:
        with self._lock:
            self._refresh()
            return list(self._keys)

    def verify(
        self,
        body: bytes,
        headers: Mapping[str, str],
        *,
        now: float | None = None,
        tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
    ) -> None:
        """``verify_webhook`` against the cached keys, refetching once on a key miss."""
        try:
            verify_webhook(body, headers, self.keys(), now=now, tolerance_seconds=tolerance_seconds)
            return
        except WebhookVerificationError as exc:
            if exc.reason != NO_MATCHING_KEY or not self._may_refresh():
                raise
        verify_webhook(body, headers, self.refresh(), now=now, tolerance_seconds=tolerance_seconds)

    def _may_refresh(self) -> bool:
        with self._lock:
            fetched = self._fetched_at
            return fetched is None or self._monotonic() - fetched >= self._min_refresh

    def _refresh(self) -> None:
        try:
            if self._client is not None:
                response = self._client.get(self.url, timeout=self._timeout)
            else:
                response = httpx.get(self.url, timeout=self._timeout)
            response.raise_for_status()
            document = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise WebhookVerificationError(f"cannot fetch JWKS from {self.url}: {exc}") from None
        if not isinstance(document, Mapping):
            raise WebhookVerificationError(f"JWKS at {self.url} is not a JSON object")
        self._keys = public_keys(document)
        self._fetched_at = self._monotonic()
