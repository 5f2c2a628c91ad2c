"""Output files: the runner writes pending bytes to a spool directory, the parent stores them.

Contract: an output ``File``/``Image`` built from bytes leaves the runner with
``url = "impasto-spool://<request id>/<name>"`` and the result frame lists each such file
(``ref``, ``path`` relative to the spool root, ``size``, ``sha256``, ``content_type``,
``file_name``). The parent uploads ``<spool root>/<path>``, swaps every ``ref`` in the
output for the stored file's URL (``replace_refs``) and deletes the spooled copy.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
import secrets
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from impasto.sdk.files import SPOOL_SCHEME, File, Image

__all__ = ["SPOOL_SCHEME", "Spool", "SpooledFile", "replace_refs"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class SpooledFile:
    ref: str
    path: str
    size: int
    sha256: str
    content_type: str | None
    file_name: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SpooledFile:
        return cls(
            ref=str(data["ref"]),
            path=str(data["path"]),
            size=int(data["size"]),
            sha256=str(data["sha256"]),
            content_type=data.get("content_type"),
            file_name=str(data["file_name"]),
        )


class Spool:
    def __init__(self, root: Path) -> None:
        self.root = root

    def store(self, request_id: str, value: Any) -> list[SpooledFile]:
        """Write every pending file inside ``value`` and point its url at the spooled copy."""
        stored: list[SpooledFile] = []
        for file in _pending_files(value):
            stored.append(self._write(request_id, file, len(stored)))
        return stored

    def _write(self, request_id: str, file: File, index: int) -> SpooledFile:
        data = file.file_data or b""
        name = file.file_name or _generated_name(file.content_type)
        disk_name = f"{index}-{_UNSAFE.sub('_', name)[:100]}"
        folder = self.root / request_id
        folder.mkdir(parents=True, exist_ok=True)
        (folder / disk_name).write_bytes(data)
        if isinstance(file, Image) and (file.width is None or file.height is None):
            file.width, file.height = _image_size(data) or (file.width, file.height)
        ref = f"{SPOOL_SCHEME}{request_id}/{disk_name}"
        file.url = ref
        file.file_name = name
        file.file_size = len(data)
        return SpooledFile(
            ref=ref,
            path=f"{request_id}/{disk_name}",
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            content_type=file.content_type,
            file_name=name,
        )


def replace_refs(value: Any, urls: Mapping[str, str]) -> Any:
    """A copy of the JSON ``value`` with every spool ref swapped for its stored URL."""
    if isinstance(value, str):
        return urls.get(value, value)
    if isinstance(value, list):
        return [replace_refs(item, urls) for item in value]
    if isinstance(value, dict):
        return {key: replace_refs(item, urls) for key, item in value.items()}
    return value


def _pending_files(value: Any) -> list[File]:
    found: list[File] = []
    seen: set[int] = set()

    def walk(item: Any) -> None:
        if id(item) in seen:
            return
        if isinstance(item, File):
            seen.add(id(item))
            if item.pending:
                found.append(item)
            return
        if isinstance(item, BaseModel):
            seen.add(id(item))
            for name in type(item).model_fields:
                walk(getattr(item, name, None))
        elif isinstance(item, list | tuple | set | frozenset):
            for element in item:
                walk(element)
        elif isinstance(item, dict):
            for element in item.values():
                walk(element)

    walk(value)
    return found


def _generated_name(content_type: str | None) -> str:
    extension = mimetypes.guess_extension(content_type or "") or ""
    return f"{secrets.token_hex(12)}{extension}"


def _image_size(data: bytes) -> tuple[int, int] | None:
    try:
        from PIL import Image as PILImage

        with PILImage.open(BytesIO(data)) as image:
            return image.size
    except Exception:
        return None
