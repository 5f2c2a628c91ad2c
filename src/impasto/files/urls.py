"""URLs of stored files on this server: ``{base}/files/b/{file_id}/{name}``.

fal's CDN hands out ``https://v3.fal.media/files/b/<id>/<filename>``; ours has the same
shape under this server's base URL, so a URL alone says which file it names. Signed URLs
add ``expires`` (unix seconds) and ``signature`` query parameters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

FILE_PATH = re.compile(r"(?P<prefix>.*)/files/b/(?P<file_id>[0-9a-zA-Z-]{1,36})/(?P<name>[^/]+)")
# What the Platform API accepts where it asks for a file URL (documented and enforced).
FILE_URL_PATTERN = (
    r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~%-]+)*"
    r"/files/b/[0-9A-Za-z-]{1,36}/[^/?#]+$"
)
READ_PURPOSE = "file-read"
UPLOAD_PURPOSE = "file-upload"


@dataclass(frozen=True, slots=True)
class FileUrl:
    origin: str  # scheme://host[:port] plus any base path, without a trailing slash
    file_id: str
    name: str
    expires: int | None = None
    signature: str | None = None


def file_url(base: str, file_id: str, name: str) -> str:
    return f"{base.rstrip('/')}/files/b/{file_id}/{quote(name, safe='')}"


def with_query(url: str, **params: str | int) -> str:
    return f"{url}?{urlencode(params)}"


def parse_file_url(url: str) -> FileUrl | None:
    """The file a URL of ours names, or None when it is not shaped like one."""
    if len(url) > 4096:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"} or not parts.netloc or parts.fragment:
        return None
    match = FILE_PATH.fullmatch(parts.path)
    if match is None:
        return None
    query = parse_qs(parts.query)
    expires = query.get("expires", [None])[0]
    signature = query.get("signature", [None])[0]
    return FileUrl(
        origin=f"{parts.scheme}://{parts.netloc}{match['prefix']}".lower(),
        file_id=match["file_id"],
        name=unquote(match["name"]),
        expires=int(expires) if expires is not None and expires.isdigit() else None,
        signature=signature,
    )


def same_origin(a: str, b: str) -> bool:
    return a.rstrip("/").lower() == b.rstrip("/").lower()
