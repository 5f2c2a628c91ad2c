"""Names that reach storage: project paths, file names and content types, validated.

Project paths are keys in the owner's own space, never filesystem paths, but they are
held to the rules a filesystem would need anyway: relative, no ``.``/``..`` segments, no
backslashes or control characters, so no spelling of a path can step outside the space.
"""

from __future__ import annotations

import mimetypes
import re
import unicodedata

from impasto.kit.errors import InvalidRequest
from impasto.kit.text import is_storable

MAX_PATH_LENGTH = 1024
MAX_SEGMENT_LENGTH = 255
MAX_FILE_NAME_LENGTH = 200
DEFAULT_CONTENT_TYPE = "application/octet-stream"

_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"  # noqa: S105 - RFC 9110 token
_CONTENT_TYPE = re.compile(rf"{_TOKEN}/{_TOKEN}(\s*;\s*{_TOKEN}=({_TOKEN}|\"[^\"\\\r\n]*\"))*")
# The same rules as a JSON Schema pattern, so the OpenAPI document says what is valid:
# 1-255 characters per segment, no control characters or backslashes, and no segment
# that is "." or "..". (Lone surrogates cannot arrive in a URL path: it is UTF-8.)
_CHAR = r"[^/\\\x00-\x1f\x7f]"
_NODOT = r"[^/\\.\x00-\x1f\x7f]"
_SEGMENT = rf"(?:{_NODOT}{_CHAR}{{0,254}}|\.{_NODOT}{_CHAR}{{0,253}}|\.\.{_CHAR}{{1,253}})"
PATH_PATTERN = rf"^{_SEGMENT}(?:/{_SEGMENT})*$"
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\\"<>|:*?]")


def validate_path(raw: str, *, what: str = "path") -> str:
    """A normalised project path ``a/b/c.txt``; anything that could escape is a 400."""
    path = unicodedata.normalize("NFC", raw)
    if not path or len(path) > MAX_PATH_LENGTH:
        raise InvalidRequest(f"{what} must be 1-{MAX_PATH_LENGTH} characters")
    if not is_storable(path) or "\\" in path:
        raise InvalidRequest(f"{what} must not contain control characters or backslashes")
    if path.startswith("/"):
        raise InvalidRequest(f"{what} must be relative to your storage, not absolute")
    segments = path.split("/")
    for segment in segments:
        if segment in {"", ".", ".."}:
            raise InvalidRequest(f"{what} must not contain empty, '.' or '..' segments")
        if len(segment) > MAX_SEGMENT_LENGTH:
            raise InvalidRequest(f"each segment of {what} must be at most 255 characters")
    return path


def validate_directory(raw: str | None) -> str:
    """A directory to list: empty for the root, else a valid path (a trailing / is fine)."""
    if not raw:
        return ""
    return validate_path(raw[:-1] if raw.endswith("/") else raw, what="dir")


def clean_file_name(raw: str | None, content_type: str, fallback_stem: str = "upload") -> str:
    """A safe display name for a file: the last segment, printable, bounded.

    Used in URLs and ``Content-Disposition``; a name that cleans to nothing becomes
    ``upload`` plus an extension guessed from the content type.
    """
    name = ""
    if raw:
        name = unicodedata.normalize("NFC", raw).replace("\\", "/").rsplit("/", 1)[-1]
        name = _UNSAFE_NAME.sub("_", name).strip(" .")
        if not is_storable(name):
            name = ""
    if not name:
        extension = (
            mimetypes.guess_extension(content_type.split(";", maxsplit=1)[0].strip()) or ".bin"
        )
        name = f"{fallback_stem}{extension}"
    if len(name) > MAX_FILE_NAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 16:
            name = f"{stem[: MAX_FILE_NAME_LENGTH - len(extension) - 1]}.{extension}"
        else:
            name = name[:MAX_FILE_NAME_LENGTH]
    return name


def clean_content_type(raw: str | None) -> str:
    """A syntactically valid media type; missing means ``application/octet-stream``."""
    if raw is None or not raw.strip():
        return DEFAULT_CONTENT_TYPE
    value = raw.strip()
    if len(value) > 255 or not _CONTENT_TYPE.fullmatch(value):
        raise InvalidRequest("Content-Type must be a media type such as image/png")
    return value


def guess_content_type(name: str) -> str:
    guessed, _ = mimetypes.guess_type(name)
    return guessed or DEFAULT_CONTENT_TYPE
