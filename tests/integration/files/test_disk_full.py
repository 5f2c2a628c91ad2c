"""A full disk answers 507 in each surface's format and leaves nothing half-written.

Three ways to a full disk: a real tmpfs of 2 MiB under the object store (skipped where
mounting is impossible), a free-space function that reports a nearly full disk, and a
store whose writes fail with ENOSPC like any filesystem's would. The database's own
"disk full" is simulated on each database the way it reports it for real.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import text

from impasto.kit.diskspace import DiskSpace
from impasto.storage.local import STAGING, LocalObjectStore
from impasto.storage.memory import MemoryBlobWriter, MemoryObjectStore
from tests.integration.files.conftest import Files
from tests.small_disk import small_disk

MESSAGE = "The server is out of disk space; try again later"


def _staged(store: LocalObjectStore) -> list[Path]:
    staging = store.root / STAGING
    return sorted(staging.iterdir()) if staging.exists() else []


def _is_run_507(response: Response) -> bool:
    return (
        response.status_code == 507
        and response.headers["x-fal-error-type"] == "insufficient_storage"
        and response.json() == {"detail": MESSAGE, "error_type": "insufficient_storage"}
    )


def _is_platform_507(response: Response) -> bool:
    if response.status_code != 507:
        return False
    error = response.json()["error"]
    return (error["type"], error["message"]) == ("server_error", MESSAGE)


def _form_upload(client: TestClient, path: str, data: bytes, key: dict[str, str]) -> Response:
    return client.post(
        f"/v1/serverless/files/file/local/{path}",
        files={"file_upload": ("f.bin", data, "application/octet-stream")},
        headers=key,
    )


def _start_multipart(files: Files, key: dict[str, str]) -> tuple[str, str]:
    body = files.client.post(
        "/files/upload/multipart", headers={**key, "X-Fal-File-Name": "big.bin"}
    ).json()
    return body["access_url"], body["uploadId"]


def test_uploads_that_fill_a_real_disk_are_507_and_leave_nothing(
    make_files: Callable[..., Files], tmp_path: Path
) -> None:
    with small_disk(tmp_path / "disk", 2 << 20) as disk:
        store = LocalObjectStore(disk / "objects")  # no reserve: the disk really fills
        files = make_files(object_store=store)
        key = files.key()
        kept = files.upload(b"k" * 100_000, key)

        # No Content-Length, so nothing to refuse up front: the write itself hits ENOSPC.
        chunked = files.client.post(
            "/files/upload", content=iter([b"x" * (1 << 20)] * 3), headers=key
        )
        assert _is_run_507(chunked), chunked.text
        form = _form_upload(files.client, "big.bin", b"y" * (3 << 20), key)
        assert _is_platform_507(form), form.text

        # Multipart: parts fit, a part that does not is 507, and so is joining them.
        url, upload = _start_multipart(files, key)
        etags = []
        for number in (1, 2):
            part = files.client.put(
                f"{url}/multipart/{upload}/{number}", content=bytes([number]) * 800_000, headers=key
            )
            assert part.status_code == 200, part.text
            etags.append({"partNumber": number, "etag": part.headers["etag"]})
        third = files.client.put(
            f"{url}/multipart/{upload}/3", content=iter([b"z" * (1 << 20)]), headers=key
        )
        assert _is_run_507(third), third.text
        complete = files.client.post(
            f"{url}/multipart/{upload}/complete", json={"parts": etags}, headers=key
        )
        assert _is_run_507(complete), complete.text

        assert _staged(store) == []
        assert files.counts() == {"files": 1, "blobs": 3, "pending_uploads": 1, "upload_parts": 2}
        assert files.blobs_in_store() == 3
        assert files.client.get(kept).content == b"k" * 100_000


def test_a_declared_size_over_the_free_space_is_507_at_once(
    make_files: Callable[..., Files], tmp_path: Path
) -> None:
    root = tmp_path / "objects"
    # 10 kB free, 1 kB of it kept back: 9 kB may be written.
    space = DiskSpace(root, reserve=1_000, free=lambda _: 10_000)
    store = LocalObjectStore(root, space=space)
    files = make_files(object_store=store)
    key = files.key()

    assert _is_run_507(files.client.post("/files/upload", content=b"a" * 9_001, headers=key))
    assert _is_platform_507(_form_upload(files.client, "a.bin", b"a" * 9_500, key))
    initiated = files.client.post(
        "/rest/storage/upload/initiate", json={"file_name": "a.bin"}, headers=key
    ).json()
    assert _is_run_507(files.client.put(initiated["upload_url"], content=b"a" * 9_001))
    url, upload = _start_multipart(files, key)
    part = files.client.put(f"{url}/multipart/{upload}/1", content=b"a" * 9_001, headers=key)
    assert _is_run_507(part)
    assert files.counts() == {"files": 0, "blobs": 0, "pending_uploads": 2, "upload_parts": 0}
    assert _staged(store) == []

    # What fits above the reserve is stored as usual.
    assert files.client.post("/files/upload", content=b"a" * 9_000, headers=key).status_code == 200


class _FailingStore(MemoryObjectStore):
    """A store whose every write fails with ``code``, the way a filesystem's would."""

    def __init__(self, code: int) -> None:
        super().__init__()
        self.code = code

    def writer(self) -> MemoryBlobWriter:
        return _FailingWriter(self)


class _FailingWriter(MemoryBlobWriter):
    def __init__(self, store: _FailingStore) -> None:
        super().__init__(store)
        self.code = store.code

    async def write(self, chunk: bytes) -> None:
        raise OSError(self.code, os.strerror(self.code))


def test_enospc_from_any_store_is_507_in_each_surface(make_files: Callable[..., Files]) -> None:
    files = make_files(object_store=_FailingStore(errno.ENOSPC))
    key = files.key()
    assert _is_run_507(files.client.post("/files/upload", content=b"data", headers=key))
    assert _is_platform_507(_form_upload(files.client, "a.bin", b"data", key))
    assert files.counts()["files"] == 0


def test_other_write_failures_stay_500(make_files: Callable[..., Files]) -> None:
    files = make_files(object_store=_FailingStore(errno.EIO))
    response = files.client.post("/files/upload", content=b"data", headers=files.key())
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal Server Error", "error_type": "internal_error"}


def _fill_database(files: Files) -> None:
    """Make the database refuse to grow, as a full disk makes it."""
    database = files.container.database
    with database.write_engine.connect() as connection:
        if database.is_sqlite:
            # The writer pool holds this one connection: from now on SQLite answers
            # SQLITE_FULL ("database or disk is full") when a write needs another page.
            pages = connection.exec_driver_sql("PRAGMA page_count").scalar_one()
            connection.exec_driver_sql(f"PRAGMA max_page_count = {pages}")
            return
        # PostgreSQL's own error for a full disk: SQLSTATE 53100, sent by the server.
        connection.execute(
            text(
                "CREATE FUNCTION refuse_disk_full() RETURNS trigger LANGUAGE plpgsql AS $$ "
                "BEGIN RAISE EXCEPTION USING ERRCODE = 'disk_full', MESSAGE = "
                "'could not extend file \"base/1/2\": No space left on device'; END $$"
            )
        )
        connection.execute(
            text(
                "CREATE TRIGGER disk_full BEFORE INSERT ON files "
                "FOR EACH ROW EXECUTE FUNCTION refuse_disk_full()"
            )
        )
        connection.commit()


def test_a_full_database_is_507(files: Files) -> None:
    key = files.key()
    kept = files.upload(b"kept", key)
    _fill_database(files)
    # SQLite fails once a write needs a new page, which a few uploads reach; a row may
    # still fit in a page's free space after one failed, so each surface writes until it
    # fails too.
    for attempt in range(200):
        response = files.client.post(
            "/files/upload",
            content=f"file {attempt}".encode(),
            headers={**key, "X-Fal-File-Name": f"{attempt:04d}-{'n' * 900}.txt"},
        )
        if response.status_code != 200:
            break
    assert _is_run_507(response), response.text
    for attempt in range(200):
        platform = _form_upload(
            files.client, "/".join(["m" * 200] * 4) + f"/{attempt:04d}.bin", b"more", key
        )
        if platform.status_code != 200:
            break
    assert _is_platform_507(platform), platform.text
    assert files.client.get(kept).content == b"kept"
