"""HMAC signatures, tokens and the persisted signing secret."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from impasto.files.signing import SECRET_FILE, Signer, load_secret

SIGNER = Signer(b"0123456789abcdef0123456789abcdef")


def test_signatures_bind_purpose_message_and_expiry() -> None:
    signature = SIGNER.sign("read", "file-1", 100)
    assert SIGNER.verify("read", "file-1", 100, signature, now=99)
    assert not SIGNER.verify("read", "file-1", 100, signature, now=100)  # expired
    assert not SIGNER.verify("upload", "file-1", 100, signature, now=0)
    assert not SIGNER.verify("read", "file-2", 100, signature, now=0)
    assert not SIGNER.verify("read", "file-1", 101, signature, now=0)
    assert not Signer(b"another secret, 16+ bytes").verify("read", "file-1", 100, signature, 0)


def test_tokens() -> None:
    token = SIGNER.token("t", {"o": "acme"}, expires=50)
    assert SIGNER.read_token("t", token, now=10) == {"o": "acme", "exp": 50}
    assert SIGNER.read_token("t", token, now=50) is None
    assert SIGNER.read_token("u", token, now=10) is None
    payload, signature = token.split(".")
    assert SIGNER.read_token("t", f"{payload}x.{signature}", now=10) is None
    for junk in ("", "a", "a.b.c", "!!!.sig", "x" * 5000):
        assert SIGNER.read_token("t", junk, now=10) is None


def test_secret_is_generated_once_owner_only(tmp_path: Path) -> None:
    first = load_secret(None, tmp_path / "data")
    assert load_secret(None, tmp_path / "data") == first
    mode = (tmp_path / "data" / SECRET_FILE).stat().st_mode
    assert stat.S_IMODE(mode) == 0o600
    assert load_secret("configured-secret-value", tmp_path) == b"configured-secret-value"
    with pytest.raises(ValueError, match="16 bytes"):
        Signer(b"short")
