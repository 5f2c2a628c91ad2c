"""Frames between the worker (parent) and a runner process (child).

A frame is a 4-byte big-endian length followed by that many bytes of UTF-8 JSON, one
object with a ``type``. The child reads frames on its stdin and writes them on its
original stdout; its fd 1 is pointed at stderr first, so stray prints from native code
cannot corrupt the stream. The message catalogue is in docs/architecture/runners.md.
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
    body = json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode()
    if len(body) > MAX_FRAME_BYTES:
        raise ProtocolError(f"frame of {len(body)} bytes exceeds {MAX_FRAME_BYTES}")
    return HEADER.pack(len(body)) + body


def decode(body: bytes) -> dict[str, Any]:
    try:
        message = json.loads(body)
    except ValueError as exc:
        raise ProtocolError(f"frame is not JSON: {exc}") from exc
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise ProtocolError("frame is not an object with a 'type'")
    return message


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
