"""fal's CDN protocol: storage token, single upload, multipart, serving, on both databases."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from fastapi.testclient import TestClient

from impasto.container import Container
from tests.conftest import auth, make_key


def token_headers(client: TestClient, container: Container, owner: str = "acme") -> dict[str, str]:
    response = client.post(
        "/rest/storage/auth/token?storage_type=fal-cdn-v3",
        json={},
        headers=auth(make_key(container, owner)),
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["base_url"] == "http://testserver"
    expires = datetime.fromisoformat(body["expires_at"])
    assert expires.utcoffset() is not None  # fal-client compares it with an aware now
    return {"Authorization": f"Bearer {body['token']}"}


def test_single_upload_round_trip(client: TestClient, container: Container) -> None:
    headers = token_headers(client, container)
    data = b"hello, impasto\n" * 1000
    response = client.post(
        "/files/upload",
        content=data,
        headers={**headers, "Content-Type": "text/plain", "X-Fal-File-Name": "greeting.txt"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["uploaded"] is True
    url = body["access_url"]
    assert url.startswith("http://testserver/files/b/")
    assert url.endswith("/greeting.txt")

    download = client.get(url)  # public by default, no credentials
    assert download.status_code == 200
    assert download.content == data
    assert download.headers["content-type"].startswith("text/plain")
    assert download.headers["content-length"] == str(len(data))
    assert download.headers["etag"] == f'"{hashlib.sha256(data).hexdigest()}"'
    assert "immutable" in download.headers["cache-control"]
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-security-policy"] == "sandbox"


def test_identical_uploads_share_one_blob(client: TestClient, container: Container) -> None:
    headers = token_headers(client, container)
    urls = {
        client.post("/files/upload", content=b"same bytes", headers=headers).json()["access_url"]
        for _ in range(3)
    }
    assert len(urls) == 3  # three files...
    with container.database.session(write=False) as session:
        from sqlalchemy import func, select

        from impasto.models import BlobRecord

        assert session.scalar(select(func.count()).select_from(BlobRecord)) == 1  # ...one blob


def test_key_header_works_in_place_of_a_token(client: TestClient, container: Container) -> None:
    key = auth(make_key(container, "acme"))
    response = client.post("/files/upload", content=b"x", headers=key)
    assert response.status_code == 200
    assert client.get(response.json()["access_url"]).content == b"x"


def test_multipart_upload_out_of_order_parts(client: TestClient, container: Container) -> None:
    headers = token_headers(client, container)
    started = client.post(
        "/files/upload/multipart",
        headers={**headers, "Content-Type": "video/mp4", "X-Fal-File-Name": "clip.mp4"},
    )
    assert started.status_code == 200, started.text
    access_url, upload_id = started.json()["access_url"], started.json()["uploadId"]
    chunks = [bytes([n]) * 1000 for n in range(1, 4)]
    parts = []
    for number in (3, 1, 2):  # fal-client reports parts in completion order
        response = client.put(
            f"{access_url}/multipart/{upload_id}/{number}",
            content=chunks[number - 1],
            headers={**headers, "Content-Type": "video/mp4"},
        )
        assert response.status_code == 200, response.text
        assert response.json() == {"partNumber": number, "etag": response.headers["etag"]}
        parts.append({"partNumber": number, "etag": response.headers["etag"]})
    assert client.get(access_url).status_code == 404  # not visible before complete
    done = client.post(
        f"{access_url}/multipart/{upload_id}/complete", json={"parts": parts}, headers=headers
    )
    assert done.status_code == 200, done.text
    download = client.get(access_url)
    assert download.content == b"".join(chunks)
    assert download.headers["content-type"] == "video/mp4"
    # A retried complete (first answer lost) answers the same file.
    again = client.post(
        f"{access_url}/multipart/{upload_id}/complete", json={"parts": parts}, headers=headers
    )
    assert again.status_code == 200
    assert again.json()["access_url"] == access_url


def test_js_initiate_then_signed_put(client: TestClient, container: Container) -> None:
    key = auth(make_key(container, "acme"))
    initiated = client.post(
        "/rest/storage/upload/initiate?storage_type=fal-cdn-v3",
        json={"content_type": "image/png", "file_name": "dot.png"},
        headers=key,
    )
    assert initiated.status_code == 200, initiated.text
    upload_url, file_url = initiated.json()["upload_url"], initiated.json()["file_url"]
    assert client.get(file_url).status_code == 404
    put = client.put(upload_url, content=b"\x89PNG fake", headers={"Content-Type": "image/png"})
    assert put.status_code == 200, put.text
    assert client.get(file_url).content == b"\x89PNG fake"
    # The signed URL is single-use: the upload is no longer pending.
    assert client.put(upload_url, content=b"other").status_code == 404


def test_js_initiate_multipart_parts_and_complete(client: TestClient, container: Container) -> None:
    key = auth(make_key(container, "acme"))
    initiated = client.post(
        "/rest/storage/upload/initiate-multipart?storage_type=fal-cdn-v3",
        json={"content_type": "application/octet-stream", "file_name": "big.bin"},
        headers=key,
    ).json()
    base, _, query = initiated["upload_url"].partition("?")
    parts = []
    for number, chunk in enumerate((b"a" * 10, b"b" * 5), start=1):
        response = client.put(f"{base}/{number}?{query}", content=chunk)  # no credentials
        assert response.status_code == 200, response.text
        parts.append(response.json())
    done = client.post(f"{base}/complete?{query}", json={"parts": parts})
    assert done.status_code == 200, done.text
    assert client.get(initiated["file_url"]).content == b"a" * 10 + b"b" * 5
    again = client.post(f"{base}/complete?{query}", json={"parts": parts})
    assert again.status_code == 200  # a retried complete answers the same file
    assert again.json()["access_url"] == initiated["file_url"]


def test_lifecycle_header_sets_expiry_and_acl(client: TestClient, container: Container) -> None:
    headers = token_headers(client, container)
    lifecycle = {"expiration_duration_seconds": 3600, "initial_acl": {"default": "forbid"}}
    url = client.post(
        "/files/upload",
        content=b"secret",
        headers={**headers, "X-Fal-Object-Lifecycle": json.dumps(lifecycle)},
    ).json()["access_url"]
    assert client.get(url).status_code == 403
    assert client.get(url, headers=auth(make_key(container, "globex"))).status_code == 403
    owned = client.get(url, headers=headers)
    assert owned.status_code == 200
    assert owned.content == b"secret"
    assert owned.headers["cache-control"].startswith("private")
