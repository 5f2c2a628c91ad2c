"""Streaming ``multipart/form-data``: one file field's bytes, as they arrive.

Starlette's ``request.form()`` spools every file to a temporary file before the handler
sees it, doubling disk traffic for large uploads; this reads the body once and hands the
named field's bytes straight on, so memory stays at one network chunk.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from impasto.kit.errors import InvalidRequest


@dataclass
class FormFile:
    """The file field's metadata, filled in once its part headers have been read."""

    name: str
    file_name: str | None = None
    content_type: str | None = None
    found: bool = False


def boundary_of(content_type: str | None) -> bytes:
    media_type, options = parse_options_header(content_type or "")
    boundary = options.get(b"boundary")
    if media_type != b"multipart/form-data" or not boundary or len(boundary) > 200:
        raise InvalidRequest("Body must be multipart/form-data with a boundary")
    return boundary


class _Collector:
    """python-multipart callbacks: keep the target part's bytes, note its headers."""

    def __init__(self, form: FormFile) -> None:
        self.form = form
        self.pending: list[bytes] = []
        self.ended = False
        self._in_target = False
        self._name = bytearray()
        self._value = bytearray()
        self._headers: dict[bytes, bytes] = {}

    def on_part_begin(self) -> None:
        self._headers.clear()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._name.extend(data[start:end])

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._value.extend(data[start:end])

    def on_header_end(self) -> None:
        self._headers[bytes(self._name).lower()] = bytes(self._value)
        self._name.clear()
        self._value.clear()

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        self._in_target = name == self.form.name and not self.form.found
        if self._in_target:
            self.form.found = True
            raw_name = options.get(b"filename")
            self.form.file_name = raw_name.decode("utf-8", "replace") if raw_name else None
            raw_type = self._headers.get(b"content-type")
            self.form.content_type = raw_type.decode("latin-1") if raw_type else None

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_target:
            self.pending.append(bytes(data[start:end]))

    def on_part_end(self) -> None:
        self._in_target = False

    def on_end(self) -> None:
        self.ended = True


async def file_field(
    chunks: AsyncIterator[bytes], content_type: str | None, form: FormFile
) -> AsyncIterator[bytes]:
    """Yield the bytes of the first part named ``form.name``; 400 if there is none."""
    collector = _Collector(form)
    parser = MultipartParser(
        boundary_of(content_type),
        {
            "on_part_begin": collector.on_part_begin,
            "on_header_field": collector.on_header_field,
            "on_header_value": collector.on_header_value,
            "on_header_end": collector.on_header_end,
            "on_headers_finished": collector.on_headers_finished,
            "on_part_data": collector.on_part_data,
            "on_part_end": collector.on_part_end,
            "on_end": collector.on_end,
        },
    )
    try:
        async for chunk in chunks:
            parser.write(chunk)
            if collector.pending:
                data = b"".join(collector.pending)
                collector.pending.clear()
                yield data
        parser.finalize()
    except MultipartParseError as exc:
        raise InvalidRequest(f"Malformed multipart body: {exc}") from None
    if not collector.ended:
        raise InvalidRequest("The multipart body ended before its closing boundary")
    if not form.found:
        raise InvalidRequest(f"The form has no '{form.name}' file field")
