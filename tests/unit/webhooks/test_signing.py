"""Signatures against an independent computation with ``cryptography`` and hashlib."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from impasto.kit.base64url import encode as b64url
from impasto.webhooks.signing import signature_headers
from impasto.webhooks.signing_keys import (
    KEY_FILE,
    SigningKeys,
    jwk,
    load_signing_keys,
    parse_public_key,
)

SEED = bytes(range(32))


def test_headers_carry_an_ed25519_signature_over_fals_message() -> None:
    keys = load_signing_keys(b64url(SEED), Path("/nonexistent"))
    body = b'{"request_id":"r-1","status":"OK","payload":{"x":1}}'
    headers = signature_headers(
        keys, request_id="r-1", user_id="acme", timestamp=1767225600, body=body
    )

    message = b"r-1\nacme\n1767225600\n" + hashlib.sha256(body).hexdigest().encode()
    expected = Ed25519PrivateKey.from_private_bytes(SEED).sign(message)  # Ed25519 is deterministic
    assert headers == {
        "X-Fal-Webhook-Request-Id": "r-1",
        "X-Fal-Webhook-User-Id": "acme",
        "X-Fal-Webhook-Timestamp": "1767225600",
        "X-Fal-Webhook-Signature": expected.hex(),
    }
    Ed25519PrivateKey.from_private_bytes(SEED).public_key().verify(expected, message)


def test_jwk_matches_rfc_8037_and_its_thumbprint() -> None:
    # RFC 8037 appendix A.2/A.3: the example public key and its RFC 7638 thumbprint.
    key = parse_public_key("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")
    assert jwk(key) == {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
        "kid": "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k",
        "use": "sig",
        "alg": "EdDSA",
    }


def test_generated_key_is_private_and_reused(tmp_path: Path) -> None:
    first = load_signing_keys(None, tmp_path / "data")
    path = tmp_path / "data" / KEY_FILE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    again = load_signing_keys(None, tmp_path / "data")
    assert again.kid == first.kid
    assert [p.name for p in path.parent.iterdir()] == [KEY_FILE]  # no temp file left


def test_configured_pem_and_base64_seed_give_the_same_key(tmp_path: Path) -> None:
    private = Ed25519PrivateKey.from_private_bytes(SEED)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    import base64

    from_pem = load_signing_keys(pem, tmp_path)
    from_b64 = load_signing_keys(base64.b64encode(SEED).decode(), tmp_path)
    assert from_pem.kid == from_b64.kid == jwk(private.public_key())["kid"]
    assert not (tmp_path / KEY_FILE).exists()  # a configured key writes nothing


def test_jwks_lists_previous_keys_after_the_current_one(tmp_path: Path) -> None:
    old = Ed25519PrivateKey.generate().public_key()
    old_x = jwk(old)["x"]
    keys = load_signing_keys(b64url(SEED), tmp_path, [old_x, old_x])
    document = keys.jwks()
    assert [entry["x"] for entry in document["keys"]] == [jwk(keys.public)["x"], old_x]


@pytest.mark.parametrize(
    ("configured", "previous", "message"),
    [
        ("not base64!", [], "webhook_signing_key"),
        (b64url(b"short"), [], "32 bytes"),
        ("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----", [], "PEM"),
        (b64url(SEED), ["abc"], "webhook_previous_public_keys"),
    ],
)
def test_unusable_keys_are_refused_with_the_setting_named(
    tmp_path: Path, configured: str, previous: list[str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        load_signing_keys(configured, tmp_path, previous)


def test_a_damaged_key_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / KEY_FILE).write_text("garbage")
    with pytest.raises(RuntimeError, match="delete it"):
        load_signing_keys(None, tmp_path)


def test_signing_keys_sign_with_the_private_key() -> None:
    keys = SigningKeys(Ed25519PrivateKey.from_private_bytes(SEED))
    keys.public.verify(keys.sign(b"m"), b"m")
