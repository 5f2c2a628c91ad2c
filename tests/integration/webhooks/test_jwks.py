"""The public JWKS at fal's path and on the rest prefix."""

from __future__ import annotations

from collections.abc import Callable

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from impasto.app import create_app
from impasto.kit.base64url import encode as b64url
from impasto.webhooks.signing import signature_headers
from impasto.webhooks.signing_keys import jwk
from impasto.webhooks.verify import verify_webhook
from tests.integration.webhooks.conftest import Hooks


def test_jwks_is_public_cacheable_and_verifies_the_senders_signatures(
    make_hooks: Callable[..., Hooks],
) -> None:
    previous = b64url(Ed25519PrivateKey.generate().public_key().public_bytes_raw())
    hooks = make_hooks(webhook_previous_public_keys=previous)
    keys = hooks.container.webhooks.keys
    with TestClient(create_app(hooks.container.settings, hooks.container)) as client:
        first = client.get("/.well-known/jwks.json")
        second = client.get("/rest/.well-known/jwks.json")
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert first.headers["cache-control"] == "public, max-age=3600"
    current, older = first.json()["keys"]
    assert current == jwk(keys.public)
    assert current["kid"] == keys.kid
    assert older["x"] == previous
    body = b'{"status":"OK"}'
    headers = signature_headers(keys, request_id="r", user_id="acme", timestamp=100, body=body)
    verify_webhook(body, headers, first.json(), now=100)


def test_the_generated_key_survives_a_restart(make_hooks: Callable[..., Hooks]) -> None:
    first = make_hooks().container.webhooks.keys.kid
    assert make_hooks().container.webhooks.keys.kid == first
