"""Frames of a video for embedding: a clip is found by any moment in it (best frame wins).

Frames are sampled at evenly spaced timestamps (the middle of N equal slices, so neither
the usual black first frame nor the fade-out is picked) with PyAV, and returned as PNG
bytes so every image embedder takes them as it takes uploads.
"""

from __future__ import annotations

import io
from typing import Any

from impasto.embedders.base import Embedder, InvalidMedia, Vectors

MAX_FRAMES = 64


def sample_video_frames(video: bytes, n: int = 8) -> list[bytes]:
    """Up to ``n`` frames, in time order, as PNG; fewer when the video has fewer frames."""
    if not 1 <= n <= MAX_FRAMES:
        raise ValueError(f"n must be between 1 and {MAX_FRAMES}")
    try:
        import av
    except ImportError as exc:  # pragma: no cover - av is a dependency
        raise InvalidMedia("PyAV is not installed") from exc
    try:
        total = _frame_count(video)
        if total == 0:
            raise InvalidMedia("the video has no frames")
        picks = {min(total - 1, int((i + 0.5) * total / n)) for i in range(n)}
        with av.open(io.BytesIO(video), mode="r") as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            # Frames are counted by decoding, not taken from the header (often absent or
            # wrong in generated files); only the picked ones become images, so memory stays
            # at one frame whatever the length.
            return [
                _png(frame.to_image())  # type: ignore[no-untyped-call]
                for index, frame in enumerate(container.decode(stream))
                if index in picks
            ]
    except av.error.FFmpegError as exc:
        raise InvalidMedia(f"not a readable video: {exc}") from exc


def embed_video(embedder: Embedder, video: bytes, n: int = 8) -> Vectors | None:
    """One row per sampled frame (store each; an asset scores by its best frame), or
    ``None`` when the embedder takes no images."""
    return embedder.embed_images(sample_video_frames(video, n))


def _frame_count(video: bytes) -> int:
    import av

    with av.open(io.BytesIO(video), mode="r") as container:
        if not container.streams.video:
            raise InvalidMedia("no video stream")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        return sum(1 for _ in container.decode(stream))


def _png(image: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
