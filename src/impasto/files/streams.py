"""Streaming a body into the object store with limits: all of it, or nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from impasto.kit.errors import AppError, InvalidRequest
from impasto.storage import Blob, ObjectStore


class BodyCutOff(InvalidRequest):
    """The client stopped sending before the body was complete."""


async def store_stream(
    store: ObjectStore,
    chunks: AsyncIterator[bytes],
    *,
    limit: int,
    too_large: Callable[[], AppError],
    expected_length: int | None = None,
) -> Blob:
    """Write ``chunks`` as one blob, refusing past ``limit`` bytes or a wrong length.

    Any failure (limit, length mismatch, a dropped connection, cancellation) aborts the
    writer, so nothing half-written is ever published.
    """
    if expected_length is not None and expected_length > limit:
        raise too_large()
    writer = store.writer()
    try:
        async for chunk in chunks:
            if not chunk:
                continue
            if writer.size + len(chunk) > limit:
                raise too_large()
            if expected_length is not None and writer.size + len(chunk) > expected_length:
                raise InvalidRequest("body is longer than its Content-Length")
            await writer.write(chunk)
        if expected_length is not None and writer.size != expected_length:
            raise BodyCutOff(f"body was cut off: {writer.size} of {expected_length} bytes arrived")
        return await writer.commit()
    except BaseException:
        await writer.abort()
        raise
