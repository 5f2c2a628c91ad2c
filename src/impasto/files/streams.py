"""Streaming a body into the object store with limits: all of it, or nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from impasto.kit.diskspace import OUT_OF_SPACE
from impasto.kit.errors import AppError, InsufficientStorage, InvalidRequest
from impasto.storage import Blob, ObjectStore

# How often a stream re-reads the free space while writing: statvfs is cheap, but not
# per 64 KiB piece. Other uploads share the disk, so a size checked once can stop fitting.
SPACE_CHECK_BYTES = 16 << 20


class BodyCutOff(InvalidRequest):
    """The client stopped sending before the body was complete."""


def require_space(store: ObjectStore, size: int) -> None:
    """Refuse (507) to write ``size`` bytes the store's disk cannot take above its reserve."""
    left = store.space_left()
    if left is not None and size > left:
        raise InsufficientStorage(OUT_OF_SPACE)


async def store_stream(
    store: ObjectStore,
    chunks: AsyncIterator[bytes],
    *,
    limit: int,
    too_large: Callable[[], AppError],
    expected_length: int | None = None,
) -> Blob:
    """Write ``chunks`` as one blob, refusing past ``limit`` bytes or a wrong length.

    A declared length the disk cannot hold is refused (507) before any byte is read; the
    free space is checked again as bytes arrive. Any failure (limit, length mismatch, a
    full disk, a dropped connection, cancellation) aborts the writer, so nothing
    half-written is ever published.
    """
    if expected_length is not None:
        if expected_length > limit:
            raise too_large()
        require_space(store, expected_length)
    writer = store.writer()
    next_check = SPACE_CHECK_BYTES
    try:
        async for chunk in chunks:
            if not chunk:
                continue
            if writer.size + len(chunk) > limit:
                raise too_large()
            if expected_length is not None and writer.size + len(chunk) > expected_length:
                raise InvalidRequest("body is longer than its Content-Length")
            await writer.write(chunk)
            if writer.size >= next_check:
                next_check = writer.size + SPACE_CHECK_BYTES
                # What is still to come must fit (nothing known when the length is not).
                coming = 0 if expected_length is None else expected_length - writer.size
                require_space(store, coming)
        if expected_length is not None and writer.size != expected_length:
            raise BodyCutOff(f"body was cut off: {writer.size} of {expected_length} bytes arrived")
        return await writer.commit()
    except BaseException:
        await writer.abort()
        raise
