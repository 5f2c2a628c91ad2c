"""The receivers' helper: authentic and fresh webhooks pass, anything else says why not."""

from __future__ import annotations

import json

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from impasto.kit.base64url import encode as b64url
from impasto.webhooks.signing import signature_headers
from impasto.webhooks.signing_keys import SigningKeys, public_bytes
from impasto.webhooks.verify import JWKSCache, WebhookVerificationError, verify_webhook

NOW = 1_767_225_600
BODY = b'{"request_id":"r-1","gateway_request_id":"r-1","status":"OK","payload":{}}'


@pytest.fixture
def keys() -> SigningKeys:
    return SigningKeys(Ed25519PrivateKey.generate())


def signed(keys: SigningKeys, body: bytes = BODY, timestamp: int = NOW) -> dict[str, str]:
    return signature_headers(keys, request_id="r-1", user_id="acme", timestamp=timestamp, body=body)


def test_accepts_a_good_webhook_with_any_key_form(keys: SigningKeys) -> None:
    headers = signed(keys)
    raw = public_bytes(keys.public)
    for source in (keys.jwks(), [keys.public], [raw], [b64url(raw)], keys.jwks()["keys"]):
        verify_webhook(BODY, headers, source, now=NOW)


def test_header_names_are_case_insensitive(keys: SigningKeys) -> None:
    headers = {name.lower(): value for name, value in signed(keys).items()}
    verify_webhook(BODY, headers, keys.jwks(), now=NOW + 299)


def test_any_key_of_a_rotation_may_match(keys: SigningKeys) -> None:
    other = SigningKeys(Ed25519PrivateKey.generate(), previous=(keys.public,))
    verify_webhook(BODY, signed(keys), other.jwks(), now=NOW)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"body": BODY.decode().replace("OK", "KO")}, "does not match"),
        ({"X-Fal-Webhook-User-Id": "mallory"}, "does not match"),
        ({"X-Fal-Webhook-Request-Id": "r-2"}, "does not match"),
        ({"X-Fal-Webhook-Timestamp": str(NOW - 301)}, "more than 300 seconds"),
        ({"X-Fal-Webhook-Timestamp": str(NOW + 301)}, "more than 300 seconds"),
        ({"X-Fal-Webhook-Timestamp": "12.5"}, "Unix time"),
        ({"X-Fal-Webhook-Signature": "zz"}, "not hex"),
        ({"X-Fal-Webhook-Signature": "abcd"}, "64 bytes"),
        ({"X-Fal-Webhook-Signature": ""}, "missing header X-Fal-Webhook-Signature"),
    ],
)
def test_rejects_tampered_or_stale_webhooks(
    keys: SigningKeys, change: dict[str, str], reason: str
) -> None:
    change = dict(change)
    body = change.pop("body", BODY)
    headers = {**signed(keys), **change}
    with pytest.raises(WebhookVerificationError, match=reason):
        verify_webhook(
            body if isinstance(body, bytes) else body.encode(), headers, keys.jwks(), now=NOW
        )


def test_rejects_a_signature_by_another_key(keys: SigningKeys) -> None:
    stranger = SigningKeys(Ed25519PrivateKey.generate())
    with pytest.raises(WebhookVerificationError, match="does not match any key"):
        verify_webhook(BODY, signed(stranger), keys.jwks(), now=NOW)


def test_tolerance_is_configurable(keys: SigningKeys) -> None:
    headers = signed(keys, timestamp=NOW - 1000)
    verify_webhook(BODY, headers, keys.jwks(), now=NOW, tolerance_seconds=1000)
    with pytest.raises(WebhookVerificationError, match="timestamp"):
        verify_webhook(BODY, headers, keys.jwks(), now=NOW, tolerance_seconds=999)


def test_foreign_and_broken_jwks_entries_are_skipped(keys: SigningKeys) -> None:
    document = {
        "keys": [
            {"kty": "RSA", "n": "...", "e": "AQAB"},
            {"kty": "OKP", "crv": "X25519", "x": b64url(bytes(32))},
            {"kty": "OKP", "crv": "Ed25519", "x": "not-a-key"},
            *keys.jwks()["keys"],
        ]
    }
    verify_webhook(BODY, signed(keys), document, now=NOW)
    with pytest.raises(WebhookVerificationError, match="no Ed25519 key"):
        verify_webhook(BODY, signed(keys), {"keys": document["keys"][:3]}, now=NOW)


class Jwks:
    """A JWKS URL behind httpx's MockTransport, counting fetches."""

    def __init__(self, keys: SigningKeys) -> None:
        self.document = keys.jwks()
        self.fetches = 0
        self.now = 0.0

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.fetches += 1
        return httpx.Response(200, content=json.dumps(self.document))

    def cache(self, **options: float) -> JWKSCache:
        client = httpx.Client(transport=httpx.MockTransport(self.handler))
        return JWKSCache(
            "https://impasto.test/.well-known/jwks.json",
            client=client,
            monotonic=lambda: self.now,
            **options,
        )


def test_cache_fetches_once_per_ttl(keys: SigningKeys) -> None:
    jwks = Jwks(keys)
    cache = jwks.cache(ttl_seconds=600)
    cache.verify(BODY, signed(keys), now=NOW)
    cache.verify(BODY, signed(keys), now=NOW)
    assert jwks.fetches == 1
    jwks.now = 600
    cache.keys()
    assert jwks.fetches == 2


def test_cache_refetches_once_when_the_sender_rotated(keys: SigningKeys) -> None:
    jwks = Jwks(keys)
    cache = jwks.cache(min_refresh_seconds=60)
    cache.keys()
    rotated = SigningKeys(Ed25519PrivateKey.generate(), previous=(keys.public,))
    jwks.document = rotated.jwks()
    jwks.now = 61
    cache.verify(BODY, signed(rotated), now=NOW)
    assert jwks.fetches == 2
    # A forged signature right after cannot make it fetch again.
    stranger = SigningKeys(Ed25519PrivateKey.generate())
    with pytest.raises(WebhookVerificationError, match="does not match"):
        cache.verify(BODY, signed(stranger), now=NOW)
    assert jwks.fetches == 2


def test_cache_ttl_is_at_most_a_day() -> None:
    with pytest.raises(ValueError, match="ttl_seconds"):
        JWKSCache("https://x.test/jwks.json", ttl_seconds=86401)


def test_unreachable_jwks_is_a_verification_error() -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503)

    client = httpx.Client(transport=httpx.MockTransport(fail))
    cache = JWKSCache("https://x.test/jwks.json", client=client)
    with pytest.raises(WebhookVerificationError, match="cannot fetch JWKS"):
        cache.keys()


def test_verify_module_needs_neither_fastapi_nor_sqlalchemy() -> None:
    import subprocess
    import sys

    code = (
        "import sys; import impasto.webhooks.verify; "
        "bad = [m for m in ('fastapi', 'sqlalchemy', 'starlette') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
