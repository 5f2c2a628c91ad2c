"""The studio's scripts and styles, shipped inside the package (no build step, no CDN).

Served by name from one flat folder, so no path can leave it; revalidated by ETag so an
upgrade is picked up on the next load without stale modules."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

STATIC = Path(__file__).parent / "static"
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}\.(js|css|svg)$")
TYPES = {
    "js": "text/javascript; charset=utf-8",
    "css": "text/css; charset=utf-8",
    "svg": "image/svg+xml",
}


@dataclass(frozen=True, slots=True)
class StaticFile:
    body: bytes
    media_type: str
    etag: str


@cache
def static_file(name: str) -> StaticFile | None:
    match = NAME.fullmatch(name)
    path = STATIC / name
    if match is None or not path.is_file():
        return None
    body = path.read_bytes()
    etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
    return StaticFile(body=body, media_type=TYPES[match.group(1)], etag=etag)
