"""The one signed-token format: detached signatures, expiring tokens, sealed values, and
the persisted signing secret."""

from __future__ import annotations

import hashlib
import hmac
import json
import stat
from pathlib import Path

import pytest

from impasto.kit import base64url
from impasto.kit.signing import SECRET_FILE, Signer, load_secret

SECRET = b"0123456789abcdef0123456789abcdef"
SIGNER = Signer(SECRET)


def test_signatures_bind_purpose_message_and_expiry() -> None:
    signature = SIGNER.sign("read", "file-1", 100)
    assert SIGNER.verify("read", "file-1", 100, signature, now=99)
    assert not SIGNER.verify("read", "file-1", 100, signature, now=100)  # expired
    assert not SIGNER.verify("upload", "file-1", 100, signature, now=0)
    assert not SIGNER.verify("read", "file-2", 100, signature, now=0)
    assert not SIGNER.verify("read", "file-1", 101, signature, now=0)
    assert not Signer(b"another secret, 16+ bytes").verify("read", "file-1", 100, signature, 0)
    for junk in ("", "0" * 64, signature[:-1], signature + "A", "é" * 43, "\ud800"):
        assert not SIGNER.verify("read", "file-1", 100, junk, now=0)


def test_the_format_is_an_unpadded_base64url_hmac() -> None:
    """Pinned: HMAC-SHA256 over ``purpose \\n expires \\n message``."""
    mac = hmac.new(SECRET, b"read\n100\nfile-1", hashlib.sha256).digest()
    assert SIGNER.sign("read", "file-1", 100) == base64url.encode(mac)
    token = SIGNER.token("t", {"o": "acme"}, expires=50)
    payload, signature = token.split(".")
    assert json.loads(base64url.decode(payload)) == {"exp": 50, "o": "acme"}
    assert signature == SIGNER.sign("t", payload, 50)
    assert "=" not in token


def test_signatures_issued_in_hex_still_verify_until_they_expire() -> None:
    legacy = hmac.new(SECRET, b"read\n100\nfile-1", hashlib.sha256).hexdigest()
    assert SIGNER.verify("read", "file-1", 100, legacy, now=99)
    assert not SIGNER.verify("read", "file-1", 100, legacy, now=100)
    assert not SIGNER.verify("upload", "file-1", 100, legacy, now=0)
    payload = SIGNER.token("t", {"o": "acme"}, expires=50).split(".")[0]
    old_mac = hmac.new(SECRET, f"t\n50\n{payload}".encode(), hashlib.sha256).hexdigest()
    old_token = f"{payload}.{old_mac}"
    assert SIGNER.read_token("t", old_token, now=10) == {"o": "acme", "exp": 50}


def test_tokens() -> None:
    token = SIGNER.token("t", {"o": "acme"}, expires=50)
    assert SIGNER.read_token("t", token, now=10) == {"o": "acme", "exp": 50}
    assert SIGNER.read_token("t", token, now=50) is None  # expired
    assert SIGNER.read_token("u", token, now=10) is None  # another purpose
    payload, signature = token.split(".")
    assert SIGNER.read_token("t", f"{payload}x.{signature}", now=10) is None
    later = base64url.encode(json.dumps({"exp": 500, "o": "acme"}).encode())
    assert SIGNER.read_token("t", f"{later}.{signature}", now=10) is None  # tampered expiry
    for junk in ("", "a", "a.b.c", "!!!.sig", "x" * 5000, "e30.x", "W10.x"):
        assert SIGNER.read_token("t", junk, now=10) is None


def test_sealed_values_do_not_expire_and_keep_their_purpose() -> None:
    sealed = SIGNER.seal("cursor", {"k": [1, "a"]})
    assert SIGNER.unseal("cursor", sealed) == {"k": [1, "a"]}
    assert SIGNER.unseal("other", sealed) is None
    assert Signer(b"another secret, 16+ bytes").unseal("cursor", sealed) is None
    payload, seal = sealed.split(".")
    assert SIGNER.unseal("cursor", f"{payload}.{seal[:-1]}") is None
    # A sealed value is not a token: no expiry was signed.
    assert SIGNER.read_token("cursor", sealed, now=0) is None


def test_secret_is_generated_once_owner_only(tmp_path: Path) -> None:
    first = load_secret(None, tmp_path / "data")
    assert load_secret(None, tmp_path / "data") == first
    mode = (tmp_path / "data" / SECRET_FILE).stat().st_mode
    assert stat.S_IMODE(mode) == 0o600
    assert load_secret("configured-secret-value", tmp_path) == b"configured-secret-value"
    with pytest.raises(ValueError, match="16 bytes"):
        Signer(b"short")


def test_an_unusable_secret_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / SECRET_FILE).write_text("short\n")
    with pytest.raises(RuntimeError, match="no usable signing secret"):
        load_secret(None, tmp_path)
