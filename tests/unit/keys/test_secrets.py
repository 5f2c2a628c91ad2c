import pytest

from impasto.keys.secrets import hash_secret, new_secret, parse_credential, secret_matches


def test_secret_is_256_bits_of_hex() -> None:
    secret = new_secret()
    assert len(secret) == 64
    int(secret, 16)
    assert new_secret() != secret


def test_hash_matches_only_its_secret() -> None:
    secret = new_secret()
    stored = hash_secret(secret)
    assert secret not in stored
    assert secret_matches(secret, stored)
    assert not secret_matches(secret[:-1] + "0" if secret[-1] != "0" else "1", stored)


def test_parse_credential() -> None:
    parsed = parse_credential("0190-abc:" + "f" * 64)
    assert parsed is not None
    assert parsed.key_id == "0190-abc"
    assert str(parsed) == "0190-abc:" + "f" * 64


@pytest.mark.parametrize(
    "text",
    [
        "",
        ":",
        "abc",
        "abc:",
        ":" + "f" * 64,
        "a b:" + "f" * 64,
        "abc:short",
        "x" * 40 + ":" + "f" * 64,
        "abc:" + "f" * 200,
        "abc:" + "é" * 20,
    ],
)
def test_unparseable_credentials(text: str) -> None:
    assert parse_credential(text) is None
