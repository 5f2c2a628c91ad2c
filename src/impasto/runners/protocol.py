"""Frames between the worker (parent) and a runner process (child).

A frame is a 4-byte big-endian length followed by that many bytes of UTF-8 JSON, one
object with a ``type``. The child reads frames on its stdin and writes them on its
original stdout; its fd 1 is pointed at stderr first, so stray prints from native code
cannot corrupt the stream. The message catalogue is in docs/architecture/runners.md.

A frame whose body cannot be decoded (nested deeper than ``json`` goes, ``NaN``...) leaves
the stream intact: the reader gets ``FrameUndecodable`` with the frame's ``type`` and
``id`` (``encode`` writes them first, so they can be read without decoding the rest) and
answers for that one request; only a broken header or a cut frame ends the stream.
Frames never carry ``NaN`` or ``Infinity``: ``encode`` refuses them, as JSON does.
"""

from __future__ import annotations

import asyncio
import json
import re
import struct
from enum import StrEnum
from typing import Any, BinaryIO

HEADER = struct.Struct(">I")
MAX_FRAME_BYTES = 256 * 1024 * 1024
# Request ids name spool folders, so they are kept to a safe alphabet.
REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


class ProtocolError(Exception):
    """A malformed frame; the stream cannot be trusted after one."""


class FrameUnencodable(ProtocolError):
    """A message that cannot become a frame (not JSON, NaN, a lone surrogate, too deep or
    too large); nothing was written, the stream is intact."""


class FrameUndecodable(ProtocolError):
    """A whole frame whose body is not a JSON object with a ``type``; the stream is intact.
    ``kind`` and ``request_id`` are read from the frame's start when it has them."""

    def __init__(self, reason: str, kind: str | None = None, request_id: str | None = None):
        super().__init__(reason)
        self.kind = kind
        self.request_id = request_id


class Msg(StrEnum):
    # child -> parent
    READY = "ready"
    FATAL = "fatal"
    LOG = "log"
    PROGRESS = "progress"
    PARTIAL = "partial"
    RESULT = "result"
    FETCH = "fetch"
    HEARTBEAT = "heartbeat"
    STOPPED = "stopped"
    # parent -> child
    REQUEST = "request"
    CANCEL = "cancel"
    FETCHED = "fetched"
    SHUTDOWN = "shutdown"


def encode(message: dict[str, Any]) -> bytes:
    """The frame of ``message``; ``FrameUnencodable`` if it cannot be one."""
    if "id" in message:  # ``type`` and ``id`` first, for ``FrameUndecodable``
        message = {"type": message.get("type"), "id": message["id"], **message}
    try:
        text = json.dumps(message, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        body = text.encode()
    except (TypeError, ValueError, RecursionError) as exc:  # UnicodeError is a ValueError
        raise FrameUnencodable(f"not a JSON frame: {exc}") from None
    if len(body) > MAX_FRAME_BYTES:
        raise FrameUnencodable(f"frame of {len(body)} bytes exceeds {MAX_FRAME_BYTES}")
    return HEADER.pack(len(body)) + body


def decode(body: bytes) -> dict[str, Any]:
    try:
        message = json.loads(body, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        raise FrameUndecodable(f"frame is not JSON: {exc}", *_salvage(body)) from None
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise FrameUndecodable("frame is not an object with a 'type'", *_salvage(body))
    return message


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_START = re.compile(rb'\{"type":"([a-z_]{1,32})"(?:,"id":"([A-Za-z0-9][A-Za-z0-9._-]{0,127})")?')


def _salvage(body: bytes) -> tuple[str | None, str | None]:
    found = _START.match(body[:256])
    if found is None:
        return None, None
    request_id = found.group(2)
    return found.group(1).decode(), None if request_id is None else request_id.decode()


def _length(header: bytes) -> int:
    (length,) = HEADER.unpack(header)
    if length > MAX_FRAME_BYTES:
        raise ProtocolError(f"frame of {length} bytes exceeds {MAX_FRAME_BYTES}")
    return int(length)


async def read_frame(reader: asyncio.StreamReader) -> dict[str, Any] | None:
    """The next frame, or ``None`` at a clean end of stream."""
    try:
        header = await reader.readexactly(HEADER.size)
    except asyncio.IncompleteReadError as exc:
        if exc.partial:
            raise ProtocolError("stream ended inside a frame header") from exc
        return None
    try:
        body = await reader.readexactly(_length(header))
    except asyncio.IncompleteReadError as exc:
        raise ProtocolError("stream ended inside a frame") from exc
    return decode(body)


def read_frame_blocking(stream: BinaryIO) -> dict[str, Any] | None:
    header = _read_exactly(stream, HEADER.size)
    if header is None:
        return None
    body = _read_exactly(stream, _length(header))
    if body is None:
        raise ProtocolError("stream ended inside a frame")
    return decode(body)


def _read_exactly(stream: BinaryIO, size: int) -> bytes | None:
    chunks: list[bytes] = []
    remaining = size
    while remaining:
        chunk = stream.read(remaining)
        if not chunk:
            if chunks:
                raise ProtocolError("stream ended inside a frame")
            return None
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)
