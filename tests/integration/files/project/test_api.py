"""fal's Platform files API: the owner's project storage, confined to the owner's space."""

from __future__ import annotations

from tests.integration.files.conftest import Files


def _put(files: Files, path: str, data: bytes, key: dict[str, str]) -> int:
    response = files.client.post(
        f"/v1/serverless/files/file/local/{path}",
        files={"file_upload": ("ignored.bin", data, "text/plain")},
        headers=key,
    )
    return response.status_code


def test_upload_list_download(files: Files) -> None:
    acme = files.key()
    assert _put(files, "datasets/images/cat.jpg", b"meow", acme) == 200
    assert _put(files, "datasets/readme.txt", b"hello", acme) == 200
    assert _put(files, "top.txt", b"top", acme) == 200
    root = files.client.get("/v1/serverless/files/list", headers=acme).json()
    assert [(e["path"], e["is_file"], e["size"]) for e in root] == [
        ("datasets", False, 0),
        ("top.txt", True, 3),
    ]
    assert "checksum_sha256" not in root[0]
    listed = files.client.get("/v1/serverless/files/list/datasets", headers=acme).json()
    assert [(e["name"], e["is_file"]) for e in listed] == [("images", False), ("readme.txt", True)]
    assert listed[1]["created_time"].endswith("Z")
    assert len(listed[1]["checksum_sha256"]) == 64
    assert files.client.get("/v1/serverless/files/list/nothing", headers=acme).json() == []
    download = files.client.get("/v1/serverless/files/file/datasets/images/cat.jpg", headers=acme)
    assert download.content == b"meow"
    assert download.headers["content-type"] == "text/plain"
    ranged = files.client.get(
        "/v1/serverless/files/file/datasets/readme.txt", headers={**acme, "Range": "bytes=1-"}
    )
    assert ranged.status_code == 206
    assert ranged.content == b"ello"
    # Writing a path again replaces the file.
    assert _put(files, "top.txt", b"new top", acme) == 200
    assert files.client.get("/v1/serverless/files/file/top.txt", headers=acme).content == b"new top"


def test_owners_are_confined_to_their_own_space(files: Files) -> None:
    acme, globex = files.key("acme"), files.key("globex")
    _put(files, "secret.txt", b"acme only", acme)
    assert files.client.get("/v1/serverless/files/list", headers=globex).json() == []
    missing = files.client.get("/v1/serverless/files/file/secret.txt", headers=globex)
    assert missing.status_code == 404
    assert missing.json()["error"]["type"] == "not_found"


BAD_PATHS = [
    "../etc/passwd",
    "a/../../b",
    "a/./b",
    "a//b",
    "a\\b",
    "x/%00y",
    "ok/" + "s" * 256,
]


def test_path_traversal_and_bad_paths_are_400(files: Files) -> None:
    acme = files.key()
    for path in BAD_PATHS:
        # Dots percent-encoded, so the HTTP client does not resolve '..' before sending.
        raw = path.replace(".", "%2E")
        assert _put(files, raw, b"x", acme) == 400, path
        download = files.client.get(f"/v1/serverless/files/file/{raw}", headers=acme)
        assert download.status_code == 400, path
        listing = files.client.get(f"/v1/serverless/files/list/{raw}", headers=acme)
        assert listing.status_code == 400, path
        from_url = files.client.post(
            f"/v1/serverless/files/file/url/{raw}", json={"url": "http://x/y"}, headers=acme
        )
        assert from_url.status_code == 400, path
    assert files.counts()["files"] == 0


def test_absolute_paths_are_400(files: Files) -> None:
    acme = files.key()
    # "//etc" reaches the route as the path "/etc".
    response = files.client.post(
        "/v1/serverless/files/file/local//etc/passwd",
        files={"file_upload": ("x", b"x")},
        headers=acme,
    )
    assert response.status_code == 400
    assert files.client.get("/v1/serverless/files/list//etc", headers=acme).status_code == 400


def test_bad_forms(files: Files) -> None:
    acme = files.key()
    url = "/v1/serverless/files/file/local/a.txt"
    wrong_field = files.client.post(url, files={"other": ("x", b"x")}, headers=acme)
    assert wrong_field.status_code == 400
    not_a_form = files.client.post(url, content=b"raw", headers=acme)
    assert not_a_form.status_code == 400
    truncated = files.client.post(
        url,
        content=b"--B\r\nContent-Disposition: form-data; name=file_upload; filename=a\r\n\r\nab",
        headers={**acme, "Content-Type": "multipart/form-data; boundary=B"},
    )
    assert truncated.status_code == 400
    assert files.counts()["files"] == 0
    assert files.blobs_in_store() == 0


def test_upload_from_own_url_shares_the_blob(files: Files) -> None:
    acme = files.key()
    url = files.upload(b"from the cdn", acme)
    response = files.client.post(
        "/v1/serverless/files/file/url/copies/a.txt", json={"url": url}, headers=acme
    )
    assert response.status_code == 200
    assert response.json() is True
    copy = files.client.get("/v1/serverless/files/file/copies/a.txt", headers=acme)
    assert copy.content == b"from the cdn"
    assert files.counts()["blobs"] == 1
    bad = files.client.post(
        "/v1/serverless/files/file/url/b.txt", json={"url": "file:///etc/passwd"}, headers=acme
    )
    assert bad.status_code == 400
