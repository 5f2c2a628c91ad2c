"""``file/local?unzip=true``: archives extracted into project storage, zip slip refused."""

from __future__ import annotations

import io
import stat
import struct
import zipfile
import zlib
from collections.abc import Callable

from httpx import Response

from tests.integration.files.conftest import Files

URL = "/v1/serverless/files/file/local/{target}?unzip=true"


def _zip(entries: dict[str, bytes], *, link: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
        if link is not None:
            info = zipfile.ZipInfo(link)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, "/etc/passwd")
    return buffer.getvalue()


def _post(files: Files, target: str, body: bytes, key: dict[str, str]) -> Response:
    return files.client.post(
        URL.format(target=target),
        files={"file_upload": ("a.zip", body, "application/zip")},
        headers=key,
    )


def _send(files: Files, target: str, body: bytes, key: dict[str, str]) -> int:
    return _post(files, target, body, key).status_code


def _one_entry_zip(name: str, deflated: bytes, crc: int, declared_size: int) -> bytes:
    """A ZIP of one deflated entry whose headers declare ``declared_size`` bytes."""
    encoded = name.encode()
    fields = (20, 0, 8, 0, 0x21, crc, len(deflated), declared_size, len(encoded))
    local = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", *fields, 0) + encoded
    central = struct.pack("<4sH", b"PK\x01\x02", 20) + struct.pack(
        "<HHHHHIIIHHHHHII", *fields, 0, 0, 0, 0, 0, 0
    )
    central += encoded
    end = struct.pack(
        "<4sHHHHIIH", b"PK\x05\x06", 0, 0, 1, 1, len(central), len(local) + len(deflated), 0
    )
    return local + deflated + central + end


def _deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def _zeros_bomb(mebibytes: int) -> bytes:
    """A valid ~1 KB-per-MiB ZIP of zeros, built without ever holding the zeros whole."""
    mib = bytes(1 << 20)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    # After a full flush the compressor starts afresh, so every MiB compresses alike.
    block = compressor.compress(mib) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(mebibytes):
        crc = zlib.crc32(mib, crc)
    deflated = block * mebibytes + compressor.flush()
    return _one_entry_zip("zeros.bin", deflated, crc, mebibytes << 20)


def _nothing_left(files: Files) -> bool:
    files.clock.advance(3600)
    files.sweep()
    return files.counts()["files"] == 0 and files.blobs_in_store() == 0


def test_archive_is_extracted_into_the_target(files: Files) -> None:
    acme = files.key()
    body = _zip({"a.txt": b"A", "sub/b.json": b"{}", "sub/": b""})
    assert _send(files, "data", body, acme) == 200
    listed = files.client.get("/v1/serverless/files/list/data", headers=acme).json()
    assert [(e["name"], e["is_file"]) for e in listed] == [("sub", False), ("a.txt", True)]
    got = files.client.get("/v1/serverless/files/file/data/sub/b.json", headers=acme)
    assert got.content == b"{}"
    assert got.headers["content-type"] == "application/json"
    # The archive itself is not kept: its blob goes with the next sweep.
    files.clock.advance(3600)
    assert files.sweep().blobs_deleted == 1
    assert files.counts()["files"] == 2


def test_zip_slip_links_and_junk_are_refused(files: Files) -> None:
    acme = files.key()
    for body in (
        _zip({"../escape.txt": b"x"}),
        _zip({"/abs.txt": b"x"}),
        _zip({"ok.txt": b"x", "a/../../b.txt": b"y"}),
        _zip({"ok.txt": b"x"}, link="link"),
        b"not a zip at all",
    ):
        assert _send(files, "data", body, acme) == 400
    assert files.counts()["files"] == 0
    files.clock.advance(3600)
    files.sweep()
    assert files.blobs_in_store() == 0


def test_declared_sizes_count_against_the_limit(make_files: Callable[..., Files]) -> None:
    files = make_files(max_upload_bytes=10_000)
    bomb = _zip({"zeros.bin": b"\0" * 50_000})  # compresses to well under the limit
    assert len(bomb) < 10_000
    assert _send(files, "data", bomb, files.key()) == 413
    assert files.counts()["files"] == 0


def test_a_1_mib_zip_expanding_to_1_gib_is_refused_unextracted(files: Files) -> None:
    bomb = _zeros_bomb(1024)  # no quota is set: only the expansion checks stand in the way
    assert len(bomb) < 1100 << 10
    response = _post(files, "data", bomb, files.key())
    assert response.status_code == 400, response.text
    assert "zip bomb" in response.json()["error"]["message"]
    assert _nothing_left(files)


def test_many_small_compressible_entries_are_judged_together(files: Files) -> None:
    # Each entry is under the 1 MiB floor; together they expand ~1000 times.
    body = _zip({f"part-{n}.bin": bytes(900_000) for n in range(20)})
    response = _post(files, "data", body, files.key())
    assert response.status_code == 400, response.text
    assert "The archive expands" in response.json()["error"]["message"]
    assert _nothing_left(files)


def test_small_entries_may_compress_well(files: Files) -> None:
    acme = files.key()
    assert _send(files, "data", _zip({"sparse.bin": bytes(500_000), "a.txt": b"A"}), acme) == 200
    got = files.client.get("/v1/serverless/files/file/data/sparse.bin", headers=acme)
    assert got.content == bytes(500_000)


def test_total_expansion_is_capped(make_files: Callable[..., Files]) -> None:
    files = make_files(unzip_max_bytes=100_000)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:  # ratio 1: no bomb
        for n in range(2):
            archive.writestr(f"f{n}.bin", bytes([n]) * 60_000)
    response = _post(files, "data", buffer.getvalue(), files.key())
    assert response.status_code == 413, response.text
    assert "at most 100000 bytes" in response.json()["error"]["message"]
    assert _nothing_left(files)


def test_headers_that_lie_about_sizes_are_refused(files: Files) -> None:
    acme = files.key()
    ok = _zip({"ok.txt": b"fine"})
    zeros = bytes(5 << 20)
    # Declares 1000 bytes but holds 5 MiB: extraction stops at 1000 and the CRC fails.
    understated = _one_entry_zip("big.bin", _deflate(zeros), zlib.crc32(zeros), 1000)
    # Declares 5000 bytes but holds 1000 (with the right CRC for those).
    data = b"a" * 1000
    overstated = _one_entry_zip("short.bin", _deflate(data), zlib.crc32(data), 5000)
    for body in (understated, overstated):
        response = _post(files, "data", body, acme)
        assert response.status_code == 400, response.text
        assert "Archive entry" in response.json()["error"]["message"]
    assert _nothing_left(files)
    # An honest archive through the same builder goes in whole.
    honest = _one_entry_zip("short.bin", _deflate(data), zlib.crc32(data), len(data))
    assert _send(files, "data", honest, acme) == 200
    assert _send(files, "data", ok, acme) == 200
    got = files.client.get("/v1/serverless/files/file/data/short.bin", headers=acme)
    assert got.content == data
