"""What the indexer learns from a video or audio file with PyAV: duration, frame size and,
for a video, a poster (a WebP thumbnail of one early frame).

Files come from users, so decoding is bounded: the header gives duration and size, and at
most ``MAX_POSTER_PACKETS`` packets are demuxed looking for a poster frame. Unreadable
input yields an empty ``MediaInfo``, never an exception.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import av.error

from impasto.assets.media import MAX_PIXELS, webp_thumbnail
from impasto.kit.logging import get_logger

MAX_POSTER_PACKETS = 600
# Durations past a day are header garbage, not media.
MAX_DURATION = 86_400.0
log = get_logger(__name__)

Source = bytes | Path


@dataclass(frozen=True, slots=True)
class MediaInfo:
    duration: float | None = None
    width: int | None = None
    height: int | None = None
    poster: bytes | None = None  # WebP


def _duration(container: av.container.InputContainer) -> float | None:
    seconds: float | None = None
    if container.duration is not None:
        seconds = container.duration / av.time_base
    else:
        for stream in container.streams:
            if stream.duration is not None and stream.time_base is not None:
                seconds = float(stream.duration * Fraction(stream.time_base))
                break
    if seconds is None or not 0 <= seconds <= MAX_DURATION:
        return None
    return round(seconds, 3)


def probe(source: Source, media_type: str) -> MediaInfo:
    """Duration (audio, video), width/height and poster (video); empty when unreadable."""
    try:
        opened = av.open(str(source) if isinstance(source, Path) else io.BytesIO(source), mode="r")
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        log.info("asset_probe_unreadable", error=repr(exc))
        return MediaInfo()
    with opened as container:
        try:
            duration = _duration(container)
            if media_type != "video" or not container.streams.video:
                return MediaInfo(duration=duration)
            stream = container.streams.video[0]
            width, height = stream.codec_context.width or None, stream.codec_context.height or None
            if width and height and width * height > MAX_PIXELS:
                return MediaInfo(duration=duration)
            return MediaInfo(duration, width, height, _poster(container, stream))
        except (av.error.FFmpegError, OSError, ValueError) as exc:
            log.info("asset_probe_failed", error=repr(exc))
            return MediaInfo()


def _poster(container: av.container.InputContainer, stream: av.VideoStream) -> bytes | None:
    for count, packet in enumerate(container.demux(stream)):
        if count >= MAX_POSTER_PACKETS:
            return None
        for frame in packet.decode():
            if isinstance(frame, av.VideoFrame):
                return webp_thumbnail(frame.to_image())  # type: ignore[no-untyped-call]
    return None
