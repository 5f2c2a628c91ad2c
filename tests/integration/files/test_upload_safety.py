"""Bad uploads answer a clear 4xx and leave nothing behind; limits and quotas hold."""

from __future__ import annotations

from collections.abc import Callable

from tests.integration.files.conftest import Files

EMPTY = {"files": 0, "blobs": 0, "pending_uploads": 0, "upload_parts": 0}


def test_body_shorter_or_longer_than_content_length(files: Files) -> None:
    key = files.key()
    for length in ("100", "10"):
        response = files.client.post(
            "/files/upload", content=b"x" * 50, headers={**key, "Content-Length": length}
        )
        assert response.status_code == 400, response.text
        assert response.headers["x-fal-error-type"] == "bad_request"
    assert files.counts() == EMPTY
    assert files.blobs_in_store() == 0


def test_bad_content_length_and_type(files: Files) -> None:
    key = files.key()
    bad_length = files.client.post(
        "/files/upload", content=b"x", headers={**key, "Content-Length": "-1"}
    )
    assert bad_length.status_code == 400
    bad_type = files.client.post(
        "/files/upload", content=b"x", headers={**key, "Content-Type": "not a type"}
    )
    assert bad_type.status_code == 400
    bad_lifecycle = files.client.post(
        "/files/upload", content=b"x", headers={**key, "X-Fal-Object-Lifecycle": "{nope"}
    )
    assert bad_lifecycle.status_code == 400
    assert files.counts() == EMPTY


def test_upload_over_the_limit_is_413(make_files: Callable[..., Files]) -> None:
    files = make_files(max_upload_bytes=100)
    key = files.key()
    assert files.client.post("/files/upload", content=b"x" * 100, headers=key).status_code == 200
    # Without a Content-Length the limit is enforced while streaming.
    chunked = files.client.post("/files/upload", content=iter([b"y" * 60, b"y" * 60]), headers=key)
    assert chunked.status_code == 413
    declared = files.client.post("/files/upload", content=b"z" * 101, headers=key)
    assert declared.status_code == 413
    assert files.counts()["files"] == 1
    assert files.blobs_in_store() == 1


def test_owner_quota(make_files: Callable[..., Files]) -> None:
    files = make_files(storage_quota_bytes=150)
    acme, globex = files.key("acme"), files.key("globex")
    assert files.client.post("/files/upload", content=b"a" * 100, headers=acme).status_code == 200
    over = files.client.post("/files/upload", content=b"b" * 100, headers=acme)
    assert over.status_code == 413
    assert "quota" in over.json()["detail"]
    # Another owner's quota is their own.
    assert files.client.post("/files/upload", content=b"c" * 100, headers=globex).status_code == 200


def _start(files: Files, key: dict[str, str]) -> tuple[str, str]:
    body = files.client.post(
        "/files/upload/multipart", headers={**key, "X-Fal-File-Name": "f.bin"}
    ).json()
    return body["access_url"], body["uploadId"]


def test_bad_part_numbers_and_completions(files: Files) -> None:
    key = files.key()
    url, upload = _start(files, key)
    for number in ("0", "10001", "-1", "abc"):
        response = files.client.put(f"{url}/multipart/{upload}/{number}", content=b"x", headers=key)
        assert response.status_code == 422, number
    etags = {}
    for number in (1, 2, 4):
        response = files.client.put(
            f"{url}/multipart/{upload}/{number}", content=bytes([number]) * 10, headers=key
        )
        etags[number] = response.headers["etag"]
    complete = f"{url}/multipart/{upload}/complete"
    cases = [
        [],  # nothing
        [{"partNumber": 1, "etag": etags[1]}, {"partNumber": 3, "etag": etags[1]}],  # never sent
        [{"partNumber": 1, "etag": etags[1]}, {"partNumber": 2, "etag": '"deadbeef"'}],  # wrong tag
        [{"partNumber": 1, "etag": etags[1]}, {"partNumber": 1, "etag": etags[1]}],  # twice
        [{"partNumber": 1, "etag": etags[1]}, {"partNumber": 4, "etag": etags[4]}],  # gap
        [{"partNumber": 2, "etag": etags[2]}],  # does not start at 1
    ]
    for parts in cases:
        response = files.client.post(complete, json={"parts": parts}, headers=key)
        assert response.status_code == 400, parts
    assert files.client.post(complete, json={"parts": "x"}, headers=key).status_code == 422
    assert files.client.get(url).status_code == 404
    assert files.counts()["files"] == 0


def test_parts_need_the_owner_or_a_valid_signature(files: Files) -> None:
    url, upload = _start(files, files.key("acme"))
    part = f"{url}/multipart/{upload}/1"
    assert files.client.put(part, content=b"x").status_code == 401
    assert files.client.put(part, content=b"x", headers=files.key("globex")).status_code == 404
    forged = files.client.put(f"{part}?expires=9999999999&signature={'0' * 64}", content=b"x")
    assert forged.status_code == 403
    assert (
        files.client.put(part, content=b"x", headers={"Authorization": "Bearer junk"}).status_code
        == 401
    )
    assert files.counts()["upload_parts"] == 0


def test_abandoned_multipart_is_swept_with_its_parts(files: Files) -> None:
    key = files.key()
    url, upload = _start(files, key)
    for number in (1, 2):
        files.client.put(f"{url}/multipart/{upload}/{number}", content=bytes([number]), headers=key)
    assert files.counts()["upload_parts"] == 2
    files.clock.advance(86400 + 1)  # stale: never completed
    report = files.sweep()
    assert report.stale_uploads == 1
    assert files.counts()["pending_uploads"] == 0
    assert files.counts()["upload_parts"] == 0
    files.clock.advance(3600)  # past the grace time, the part blobs go
    assert files.sweep().blobs_deleted == 2
    assert files.counts() == EMPTY
    assert files.blobs_in_store() == 0
    # The upload's URLs are dead now.
    response = files.client.post(
        f"{url}/multipart/{upload}/complete", json={"parts": []}, headers=key
    )
    assert response.status_code == 404


def test_storage_tokens_expire_are_signed_and_die_with_their_key(files: Files) -> None:
    from impasto.keys.service import KeyService

    credential = files.key()["Authorization"].removeprefix("Key ")
    token = files.client.post(
        "/rest/storage/auth/token", json={}, headers={"Authorization": f"Key {credential}"}
    ).json()["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert files.client.post("/files/upload", content=b"1", headers=bearer).status_code == 200
    tampered = {"Authorization": f"Bearer {token[:-1]}{'0' if token[-1] != '0' else '1'}"}
    assert files.client.post("/files/upload", content=b"1", headers=tampered).status_code == 401
    files.clock.advance(3601)
    assert files.client.post("/files/upload", content=b"1", headers=bearer).status_code == 401
    fresh = files.client.post(
        "/rest/storage/auth/token", json={}, headers={"Authorization": f"Key {credential}"}
    ).json()["token"]
    with files.container.database.session(write=True) as session:
        KeyService(session, files.clock, files.container.ids).revoke(credential.split(":")[0])
    revoked = files.client.post(
        "/files/upload", content=b"1", headers={"Authorization": f"Bearer {fresh}"}
    )
    assert revoked.status_code == 401
    assert (
        files.client.post(
            "/rest/storage/auth/token?storage_type=s3", json={}, headers=files.key()
        ).status_code
        == 400
    )


def test_expired_files_vanish_and_the_sweeper_frees_their_bytes(files: Files) -> None:
    key = files.key()
    url = files.upload(
        b"short-lived",
        key,
        **{"X-Fal-Object-Lifecycle": '{"expiration_duration_seconds": 60}'},
    )
    keeper = files.upload(b"kept", key)
    assert files.client.get(url).status_code == 200
    files.clock.advance(61)
    assert files.client.get(url).status_code == 404  # expired, even before the sweep
    assert files.sweep().expired_files == 1
    files.clock.advance(3600)
    assert files.sweep().blobs_deleted == 1
    assert files.blobs_in_store() == 1
    assert files.client.get(keeper).content == b"kept"


def test_shared_blob_survives_until_its_last_file_goes(files: Files) -> None:
    key = files.key()
    files.upload(b"same", key, **{"X-Fal-Object-Lifecycle": '{"expiration_duration_seconds": 5}'})
    other = files.upload(b"same", key)
    files.clock.advance(10)
    files.sweep()
    files.clock.advance(3600)
    assert files.sweep().blobs_deleted == 0
    assert files.client.get(other).content == b"same"


def test_hostile_lifecycle_json_is_400_on_every_route(files: Files) -> None:
    key = files.key()
    hostile = ["[" * 5000, '{"expiration_duration_seconds": NaN}', '{"a":' * 1000]
    for value in hostile:
        for name in ("X-Fal-Object-Lifecycle", "X-Fal-Object-Lifecycle-Preference"):
            headers = {**key, name: value}
            upload = files.client.post("/files/upload", content=b"x", headers=headers)
            assert upload.status_code == 400, upload.text
            assert upload.headers["x-fal-error-type"] == "bad_request"
            multipart = files.client.post("/files/upload/multipart", headers=headers)
            assert multipart.status_code == 400, multipart.text
            initiate = files.client.post(
                "/rest/storage/upload/initiate", json={"file_name": "a.txt"}, headers=headers
            )
            assert initiate.status_code == 400, initiate.text
    assert files.counts() == EMPTY


def test_hostile_storage_settings_bodies_are_400(files: Files) -> None:
    key = {**files.key(), "Content-Type": "application/json"}
    url = files.upload(b"x", key)
    bodies = [
        b'{"initial_acl": ' * 5000 + b"1" + b"}" * 5000,
        b"[" * 100_000,
        b'{"expiration_duration_seconds": NaN}',
        b'{"expiration_duration_seconds": Infinity}',
        b'{"initial_acl": {"default": "allow", "rules": [{"user": NaN, "decision": "allow"}]}}',
    ]
    for body in bodies:
        settings = files.client.put("/v1/storage/settings", content=body, headers=key)
        assert settings.status_code == 400, settings.text
        assert settings.json()["error"]["type"] == "validation_error"
        acl = files.client.put(
            "/v1/storage/files/acl", params={"url": url}, content=body, headers=key
        )
        assert acl.status_code == 400, acl.text
    assert files.client.get("/v1/storage/settings", headers=key).json() == {
        "expiration_duration_seconds": None,
        "initial_acl": None,
    }
