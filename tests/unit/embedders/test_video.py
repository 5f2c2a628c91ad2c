from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from impasto.embedders.base import InvalidMedia
from impasto.embedders.hashing import HashingEmbedder
from impasto.embedders.text import MiniLMTextEmbedder
from impasto.embedders.video import embed_video, sample_video_frames

av = pytest.importorskip("av")


def _video(frames: int, codec: str = "libx264", fmt: str = "mp4") -> bytes:
    """A clip whose frame i is flat grey of level 8 * i: the samples say which frames."""
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=fmt) as container:
        stream = container.add_stream(codec, rate=10)
        stream.width, stream.height, stream.pix_fmt = 32, 24, "yuv420p"
        for i in range(frames):
            picture = np.full((24, 32, 3), 8 * i, np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()


def _level(png: bytes) -> int:
    return round(float(np.asarray(Image.open(io.BytesIO(png))).mean()) / 8)


def test_samples_evenly_from_the_middle_of_each_slice() -> None:
    frames = sample_video_frames(_video(30), 3)
    assert [_level(f) for f in frames] == [5, 15, 25]
    assert all(f.startswith(b"\x89PNG") for f in frames)


def test_embed_video_gives_a_vector_per_frame() -> None:
    frames = embed_video(HashingEmbedder(), _video(20), 4)
    assert frames is not None
    assert frames.shape == (4, 64)
    assert embed_video(MiniLMTextEmbedder(), _video(4), 2) is None  # no image tower


def test_short_videos_give_every_frame_once() -> None:
    assert [_level(f) for f in sample_video_frames(_video(3), 8)] == [0, 1, 2]


def test_other_containers_and_codecs() -> None:
    assert len(sample_video_frames(_video(12, codec="libvpx-vp9", fmt="webm"), 4)) == 4


def test_bad_input() -> None:
    with pytest.raises(InvalidMedia):
        sample_video_frames(b"\x00" * 100, 4)
    with pytest.raises(ValueError, match="between"):
        sample_video_frames(_video(2), 0)
    audio_only = io.BytesIO()
    with av.open(audio_only, mode="w", format="wav") as container:
        stream = container.add_stream("pcm_s16le", rate=8000)
        frame = av.AudioFrame.from_ndarray(
            np.zeros((1, 800), np.int16), format="s16", layout="mono"
        )
        frame.sample_rate = 8000
        for packet in stream.encode(frame):
            container.mux(packet)
    with pytest.raises(InvalidMedia, match="no video"):
        sample_video_frames(audio_only.getvalue(), 2)
