"""The pieces under the runner process, without one: frames, the spool, the environment."""

import asyncio
import hashlib
from io import BytesIO
from pathlib import Path

import pytest
from pydantic import BaseModel

from impasto.runners.env import runner_environment
from impasto.runners.protocol import (
    HEADER,
    MAX_FRAME_BYTES,
    ProtocolError,
    encode,
    read_frame,
    read_frame_blocking,
)
from impasto.runners.spool import Spool, replace_refs
from impasto.sdk import File, Image


def test_frames_round_trip_back_to_back() -> None:
    messages = [{"type": "log", "message": "héllo"}, {"type": "result", "body": [1, None]}]
    stream = BytesIO(b"".join(encode(m) for m in messages))
    assert read_frame_blocking(stream) == messages[0]
    assert read_frame_blocking(stream) == messages[1]
    assert read_frame_blocking(stream) is None


@pytest.mark.parametrize(
    "raw",
    [
        HEADER.pack(10) + b"{}",  # cut inside the body
        b"\x00\x00",  # cut inside the header
        HEADER.pack(MAX_FRAME_BYTES + 1),  # absurd length
        HEADER.pack(2) + b"[]",  # not an object
        HEADER.pack(2) + b'{"',  # not JSON
        HEADER.pack(11) + b'{"type": 1}',  # type is not a string
    ],
)
def test_malformed_frames_are_protocol_errors(raw: bytes) -> None:
    with pytest.raises(ProtocolError):
        read_frame_blocking(BytesIO(raw))


def test_async_reader_reads_the_same_frames() -> None:
    async def read() -> list[object]:
        reader = asyncio.StreamReader()
        reader.feed_data(encode({"type": "ready"}) + encode({"type": "stopped"}))
        reader.feed_eof()
        return [await read_frame(reader), await read_frame(reader), await read_frame(reader)]

    assert asyncio.run(read()) == [{"type": "ready"}, {"type": "stopped"}, None]


class Gallery(BaseModel):
    cover: Image
    pages: list[File]
    by_name: dict[str, File]


def test_spool_writes_pending_files_wherever_they_sit(tmp_path: Path) -> None:
    kept = File(url="https://cdn.example/kept.bin")
    gallery = Gallery(
        cover=Image.from_bytes(b"not really a png", "image/png", size=(3, 2)),
        pages=[File.from_bytes(b"page one", file_name="../../etc/passwd"), kept],
        by_name={"note": File.from_bytes(b"note", "text/plain")},
    )
    stored = Spool(tmp_path).store("req-1", gallery)
    assert len(stored) == 3
    for spooled in stored:
        path = tmp_path / spooled.path
        assert path.resolve().is_relative_to(tmp_path.resolve())
        assert hashlib.sha256(path.read_bytes()).hexdigest() == spooled.sha256
        assert spooled.ref == f"impasto-spool://{spooled.path}"
    assert gallery.cover.url == stored[0].ref
    assert (gallery.cover.width, gallery.cover.height) == (3, 2)
    assert gallery.cover.file_name is not None
    assert gallery.cover.file_name.endswith(".png")
    assert gallery.pages[0].file_name == "../../etc/passwd"  # shown as given, stored safely
    assert gallery.pages[1] is kept
    assert kept.url == "https://cdn.example/kept.bin"
    assert gallery.by_name["note"].file_size == 4

    dumped = gallery.model_dump(mode="json")
    urls = {s.ref: f"https://files.example/{n}" for n, s in enumerate(stored)}
    replaced = replace_refs(dumped, urls)
    assert replaced["cover"]["url"] == "https://files.example/0"
    assert replaced["pages"][1]["url"] == "https://cdn.example/kept.bin"
    assert replaced["by_name"]["note"]["url"] == "https://files.example/2"


def test_runner_environment_keeps_platform_settings_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMPASTO_DATABASE_URL", "postgresql://secret@db/impasto")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    env = runner_environment({"HF_HOME": "/models"})
    assert not [key for key in env if key.startswith(("IMPASTO_", "AWS_"))]
    assert env["HF_HOME"] == "/models"
    assert "PYTHONPATH" in env


def test_a_file_returned_again_is_stored_again(tmp_path: Path) -> None:
    cached = File.from_bytes(b"same bytes every time", "text/plain")
    first = Spool(tmp_path).store("req-a", cached)
    second = Spool(tmp_path).store("req-b", cached)
    assert first[0].path.startswith("req-a/")
    assert second[0].path.startswith("req-b/")
    assert cached.url == second[0].ref
    assert (tmp_path / second[0].path).read_bytes() == b"same bytes every time"
