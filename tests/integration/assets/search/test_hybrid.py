"""The vector seam end to end: indexing jobs write vectors, ``q`` fuses both legs, and an
image URL of ours searches by its stored vectors; URLs from elsewhere are refused."""

from __future__ import annotations

from fastapi.testclient import TestClient

from impasto.container import Container, build_indexer
from tests.conftest import auth, make_key
from tests.integration.assets.test_assets_api import assets, png, upload
from tests.unit.assets.test_fusion import LetterEmbedder


def test_indexed_assets_answer_hybrid_and_image_search(
    client: TestClient, container: Container
) -> None:
    container.asset_embedders.append(LetterEmbedder())
    key = auth(make_key(container, "acme"))
    aaa = upload(client, key, "aaa.png", png(3, 5))
    upload(client, key, "bbb.png", png(4, 4))
    upload(client, key, "ccc.png", png(5, 5))
    indexer = build_indexer(container)
    handled = client.portal.call(indexer.run_once)  # type: ignore[union-attr]
    assert handled == 3
    assert client.portal.call(indexer.run_once) == 0  # type: ignore[union-attr]

    browsed = assets(client, key)["assets"]
    assert {(a["width"], a["height"]) for a in browsed} == {(3, 5), (4, 4), (5, 5)}

    # No title contains "aaaa", so only the vector leg finds anything: nearest first.
    hits = assets(client, key, q="aaaa")
    assert hits["assets"][0]["url"] == aaa
    assert hits["assets"][0]["similarity"] > hits["assets"][-1]["similarity"]
    assert hits["total_count"] == 3

    by_image = assets(client, key, search_image_url=aaa)
    assert by_image["assets"][0]["url"] == aaa
    assert by_image["assets"][0]["similarity"] == 1.0

    other = auth(make_key(container, "other"))
    assert assets(client, other, q="aaaa")["assets"] == []
    elsewhere = client.get(
        "/v1/assets",
        params={"search_image_url": "https://example.com/x.png"},
        headers=key,
    )
    assert elsewhere.status_code == 400
