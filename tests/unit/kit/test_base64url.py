import pytest

from impasto.kit import base64url


@pytest.mark.parametrize("data", [b"", b"\xff", b"\xff\xfe", b"\xfb\xff\xbf", bytes(range(256))])
def test_round_trip_without_padding(data: bytes) -> None:
    text = base64url.encode(data)
    assert not {"=", "+", "/"} & set(text)
    assert base64url.decode(text) == data
    assert base64url.decode(text + "=" * (-len(text) % 4)) == data  # padded is read too


@pytest.mark.parametrize("text", ["!!!", "a", "ab=c", "ÿÿ", "a b"])
def test_anything_else_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError, match="base64url"):
        base64url.decode(text)
