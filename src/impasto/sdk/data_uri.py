"""``data:`` URIs (RFC 2397): how inputs carry small files inline and how tests send images."""

from __future__ import annotations

import base64
import binascii
import re
from urllib.parse import unquote_to_bytes

from impasto.sdk.errors import FetchError

_MEDIA_TYPE = re.compile(r"^[\w.+-]+/[\w.+-]+$")


def is_data_uri(url: str) -> bool:
    return url[:5].lower() == "data:"


def decode_data_uri(url: str) -> tuple[bytes, str | None]:
    """Return the bytes and the media type (``None`` when the URI names none)."""
    if not is_data_uri(url):
        raise FetchError("not a data: URI")
    header, sep, data = url[5:].partition(",")
    if not sep:
        raise FetchError("malformed data: URI (no comma)")
    params = header.split(";")
    media_type = params[0].strip().lower() or None
    if media_type is not None and not _MEDIA_TYPE.fullmatch(media_type):
        raise FetchError(f"malformed data: URI media type {media_type!r}")
    if "base64" in (p.strip().lower() for p in params[1:]):
        try:
            return base64.b64decode(data, validate=True), media_type
        except (binascii.Error, ValueError) as exc:
            raise FetchError(f"malformed base64 in data: URI: {exc}") from exc
    return unquote_to_bytes(data), media_type


def encode_data_uri(data: bytes, media_type: str = "application/octet-stream") -> str:
    return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"
