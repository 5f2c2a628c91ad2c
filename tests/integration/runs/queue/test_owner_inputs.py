"""An owner's private files are inputs to their own requests, and to nobody else's."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image as PILModule

from impasto.config import Settings
from tests.integration.runs.conftest import Caller

BASE = "https://media.example.test"  # does not resolve: only the store can answer
PRIVATE = json.dumps({"initial_acl": {"default": "forbid"}})


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"public_url": BASE})


def _png() -> bytes:
    buffer = io.BytesIO()
    PILModule.new("RGB", (40, 20), "blue").save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_private_file_is_an_input_of_its_owner_only(acme: Caller, bob: Caller) -> None:
    uploaded = acme.client.post(
        "/files/upload",
        content=_png(),
        headers={
            **acme.headers,
            "Content-Type": "image/png",
            "X-Fal-File-Name": "private.png",
            "X-Fal-Object-Lifecycle": PRIVATE,
        },
    )
    assert uploaded.status_code == 200, uploaded.text
    url = uploaded.json()["access_url"]
    assert url.startswith(f"{BASE}/files/b/")
    assert acme.client.get(url.removeprefix(BASE)).status_code == 403  # not public
    payload = {"image": url, "max_width": 10, "max_height": 10}

    own = acme.result(acme.queued("impasto/image-tools/thumbnail", payload))
    assert own.status_code == 200, own.text
    assert (own.json()["image"]["width"], own.json()["image"]["height"]) == (10, 5)

    other = bob.result(bob.queued("impasto/image-tools/thumbnail", payload))
    assert other.status_code == 422
    [item] = other.json()["detail"]
    assert item["type"] == "file_download_error"
    assert "You may not read this file" in item["msg"]
