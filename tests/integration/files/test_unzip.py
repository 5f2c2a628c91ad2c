"""``file/local?unzip=true``: archives extracted into project storage, zip slip refused."""

from __future__ import annotations

import io
import stat
import zipfile
from collections.abc import Callable

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


def _send(files: Files, target: str, body: bytes, key: dict[str, str]) -> int:
    response = files.client.post(
        URL.format(target=target),
        files={"file_upload": ("a.zip", body, "application/zip")},
        headers=key,
    )
    return response.status_code


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
