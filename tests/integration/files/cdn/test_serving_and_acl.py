"""Serving /files: ranges, validators, HEAD; ACLs, signed URLs and storage settings."""

from __future__ import annotations

from urllib.parse import quote

from tests.integration.files.conftest import Files

DATA = bytes(range(256)) * 4  # 1024 bytes


def test_ranges_and_416(files: Files) -> None:
    url = files.upload(DATA, files.key())
    cases = {
        "bytes=0-99": (0, 100),
        "bytes=1000-": (1000, 1024),
        "bytes=-24": (1000, 1024),
        "bytes=1000-5000": (1000, 1024),
    }
    for header, (start, end) in cases.items():
        response = files.client.get(url, headers={"Range": header})
        assert response.status_code == 206, header
        assert response.content == DATA[start:end]
        assert response.headers["content-range"] == f"bytes {start}-{end - 1}/1024"
        assert response.headers["content-length"] == str(end - start)
    unsatisfiable = files.client.get(url, headers={"Range": "bytes=1024-"})
    assert unsatisfiable.status_code == 416
    assert unsatisfiable.headers["content-range"] == "bytes */1024"
    # Several ranges, or nonsense, get the whole file (allowed by RFC 9110).
    for header in ("bytes=0-1,5-6", "pages=1", "bytes=9-3"):
        assert files.client.get(url, headers={"Range": header}).status_code == 200
    stale = files.client.get(url, headers={"Range": "bytes=0-9", "If-Range": '"other"'})
    assert stale.status_code == 200


def test_conditional_requests_and_head(files: Files) -> None:
    url = files.upload(DATA, files.key())
    first = files.client.get(url)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert files.client.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert files.client.get(url, headers={"If-None-Match": f'"x", W/{etag}'}).status_code == 304
    assert files.client.get(url, headers={"If-None-Match": '"x"'}).status_code == 200
    assert files.client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    assert files.client.get(url, headers={"If-Modified-Since": "garbage"}).status_code == 200
    head = files.client.head(url)
    assert head.status_code == 200
    assert head.headers["content-length"] == "1024"
    assert head.content == b""


def test_wrong_names_and_ids_are_404(files: Files) -> None:
    response = files.client.post(
        "/files/upload",
        content=b"x",
        headers={**files.key(), "X-Fal-File-Name": "a b/../é.txt".encode()},
    )
    url = response.json()["access_url"]
    assert url.endswith(quote("é.txt", safe=""))
    assert files.client.get(url).content == b"x"
    base = url.rsplit("/", 1)[0]
    assert files.client.get(f"{base}/other.txt").status_code == 404
    assert files.client.get("/files/b/nope/x.txt").status_code == 404
    assert files.client.get("/files/b/bad%20id/x.txt").status_code == 422


def test_acl_get_put_and_decisions(files: Files) -> None:
    acme, globex, initech = files.key("acme"), files.key("globex"), files.key("initech")
    url = files.upload(b"doc", acme)
    acl = files.client.get("/v1/storage/files/acl", params={"url": url}, headers=acme)
    assert acl.json() == {"default": "allow", "rules": []}
    body = {
        "default": "hide",
        "rules": [
            {"user": "globex", "decision": "allow"},
            {"user": "initech", "decision": "forbid"},
            {"user": "nobody-here", "decision": "allow"},
        ],
    }
    applied = files.client.put(
        "/v1/storage/files/acl", params={"url": url}, json=body, headers=acme
    )
    assert applied.status_code == 200
    assert [rule["user"] for rule in applied.json()["rules"]] == ["globex", "initech"]
    assert files.client.get(url).status_code == 404  # hidden from anonymous callers
    assert files.client.get(url, headers=globex).content == b"doc"
    assert files.client.get(url, headers=initech).status_code == 403
    assert files.client.get(url, headers=acme).status_code == 200
    # Only the owner sees or changes the ACL; others get a 404 in the Platform format.
    other = files.client.get("/v1/storage/files/acl", params={"url": url}, headers=globex)
    assert other.status_code == 404
    assert other.json()["error"]["type"] == "not_found"
    bad = files.client.put(
        "/v1/storage/files/acl", params={"url": url}, json={"default": "maybe"}, headers=acme
    )
    assert bad.status_code == 400
    junk = files.client.get("/v1/storage/files/acl", params={"url": "ftp://x/y"}, headers=acme)
    assert junk.status_code == 400


def test_signed_urls(files: Files) -> None:
    acme = files.key("acme")
    url = files.upload(
        b"private", acme, **{"X-Fal-Object-Lifecycle": '{"initial_acl": {"default": "forbid"}}'}
    )
    assert files.client.get(url).status_code == 403
    signed = files.client.post(
        "/v1/storage/files/sign", params={"url": url}, json={"expiration_seconds": 60}, headers=acme
    )
    assert signed.status_code == 200
    signed_url = signed.json()["signed_url"]
    assert files.client.get(signed_url).content == b"private"
    tampered = signed_url[:-1] + ("0" if signed_url[-1] != "0" else "1")
    assert files.client.get(tampered).status_code == 403
    other_file = files.upload(b"other", acme)
    swapped = other_file + "?" + signed_url.split("?", 1)[1]
    assert files.client.get(swapped).status_code == 403  # a signature covers one file
    files.clock.advance(61)
    assert files.client.get(signed_url).status_code == 403
    for seconds in (0, 604801, True):  # pydantic alone would read true as 1 second
        response = files.client.post(
            "/v1/storage/files/sign",
            params={"url": url},
            json={"expiration_seconds": seconds},
            headers=acme,
        )
        assert response.status_code == 400
    stranger = files.client.post(
        "/v1/storage/files/sign",
        params={"url": url},
        json={"expiration_seconds": 60},
        headers=files.key("globex"),
    )
    assert stranger.status_code == 404


def test_storage_settings_apply_to_new_uploads(files: Files) -> None:
    acme = files.key("acme")
    empty = files.client.get("/v1/storage/settings", headers=acme).json()
    assert empty == {"expiration_duration_seconds": None, "initial_acl": None}
    saved = files.client.put(
        "/v1/storage/settings",
        json={"expiration_duration_seconds": 100, "initial_acl": {"default": "forbid"}},
        headers=acme,
    )
    assert saved.json() == {
        "expiration_duration_seconds": 100,
        "initial_acl": {"default": "forbid", "rules": []},
    }
    url = files.upload(b"x", acme)
    assert files.client.get(url).status_code == 403
    # The per-request header wins over the owner's defaults.
    public = files.upload(
        b"y", acme, **{"X-Fal-Object-Lifecycle": '{"initial_acl": {"default": "allow"}}'}
    )
    assert files.client.get(public).status_code == 200
    files.clock.advance(101)
    assert files.client.get(url, headers=acme).status_code == 404
    reset = files.client.put("/v1/storage/settings", json={}, headers=acme).json()
    assert reset == {"expiration_duration_seconds": None, "initial_acl": None}
    assert (
        files.client.put(
            "/v1/storage/settings", json={"expiration_duration_seconds": 0}, headers=acme
        ).status_code
        == 400
    )


def test_storage_settings_refuse_booleans_and_unstorable_users(files: Files) -> None:
    acme = files.key("acme")
    put = files.client.put
    kept = put("/v1/storage/settings", json={"expiration_duration_seconds": 7.0}, headers=acme)
    assert kept.json()["expiration_duration_seconds"] == 7  # an integer, as JSON Schema has it
    for body in (
        {"expiration_duration_seconds": True},
        {"initial_acl": {"default": "allow", "rules": [{"user": "a\x00b", "decision": "hide"}]}},
    ):
        response = put("/v1/storage/settings", json=body, headers=acme)
        assert response.status_code == 400, response.text
        assert response.json()["error"]["type"] == "validation_error"
    assert files.client.get("/v1/storage/settings", headers=acme).json() == {
        "expiration_duration_seconds": 7,
        "initial_acl": None,
    }
