"""The vector leg through an ANN index (usearch on SQLite, pgvector on PostgreSQL) answers
what the exact leg answers, follows re-indexing and deletions, honours filters, and a space
added later is backfilled."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select

from impasto.assets.search.ann import AssetVectors
from impasto.container import Container, build_indexer
from impasto.models import Asset, AssetEmbedding, AssetIndexJob
from impasto.vectors.base import VectorIndex
from impasto.vectors.factory import open_vector_index
from impasto.vectors.pgvector import pgvector_available
from impasto.vectors.tiered import TieredIndex
from tests.conftest import auth, make_key
from tests.integration.assets.test_assets_api import assets, png, upload
from tests.unit.assets.test_fusion import LetterEmbedder


class WideLetters(LetterEmbedder):
    """The same towers in a space of their own: a second embedder configured later."""

    space = "letters-wide"


def indexed(container: Container, embedder: LetterEmbedder, tmp_path: Path) -> AssetVectors:
    """The embedder, with an index that leaves exact search at one vector per owner."""
    if container.database.dialect == "postgresql" and not pgvector_available(container.database):
        pytest.skip("this PostgreSQL has no pgvector")

    def open_index() -> VectorIndex:
        return open_vector_index(
            container.database,
            embedder.space,
            embedder.dimensions,
            data_dir=tmp_path,
            exact_limit=1,
            ef_search=64,
        )

    vectors = AssetVectors(container.database, embedder, container.clock, open_index)
    container.asset_embedders.append(embedder)
    container.asset_vectors.append(vectors)
    return vectors


def index_all(client: TestClient, container: Container) -> int:
    handled: int = client.portal.call(build_indexer(container).run_once)  # type: ignore[union-attr]
    return handled


def ranked(client: TestClient, key: dict[str, str], **params: Any) -> list[tuple[str, float]]:
    return [(a["url"], a["similarity"]) for a in assets(client, key, **params)["assets"]]


def test_indexed_search_matches_exact_search(
    client: TestClient, container: Container, tmp_path: Path
) -> None:
    key = auth(make_key(container, "acme"))
    sizes = [(3, 5), (4, 4), (5, 5), (9, 2), (2, 9), (6, 7)]
    urls = [upload(client, key, f"{w}x{h}.png", png(w, h)) for w, h in sizes]
    vectors = indexed(container, LetterEmbedder(), tmp_path)
    vectors.load()
    assert vectors.index is not None
    assert index_all(client, container) == len(sizes)
    if isinstance(vectors.index, TieredIndex):
        assert vectors.index.has_graph("acme")  # past exact_limit: the HNSW graph answers
    assert vectors.index.count("acme") == 2 * len(sizes)  # an image and a text vector each

    queries: list[dict[str, Any]] = [{"q": "aaaa"}, {"q": "abc"}, {"search_image_url": urls[3]}]
    through_index = [ranked(client, key, **q) for q in queries]
    container.asset_vectors.remove(vectors)  # the exact leg over the database
    exact = [ranked(client, key, **q) for q in queries]
    container.asset_vectors.append(vectors)
    assert [[url for url, _ in hits] for hits in through_index] == [
        [url for url, _ in hits] for hits in exact
    ]
    for got, want in zip(through_index, exact, strict=True):
        assert [s for _, s in got] == pytest.approx([s for _, s in want], abs=1e-5)
    assert through_index[2][0][0] == urls[3]

    # Another owner's vectors are never candidates.
    other = auth(make_key(container, "other"))
    upload(client, other, "o.png", png(9, 2))
    index_all(client, container)
    assert all(url not in urls for url, _ in ranked(client, other, q="aaaa"))
    assert {url for url, _ in ranked(client, key, q="aaaa")} == set(urls)

    # A deleted asset drops out though its vectors are still in the index.
    with container.database.session(write=True) as session:
        gone = session.scalars(select(Asset).where(Asset.owner == "acme")).first()
        assert gone is not None
        session.delete(gone)
    left = ranked(client, key, q="aaaa")
    assert len(left) == len(sizes) - 1

    # A filter is applied inside the index's candidates (here: a tag on one asset).
    tag = client.post("/v1/assets/tags", json={"name": "pick"}, headers=key).json()["tag"]
    pick = assets(client, key)["assets"][-1]
    assign = {"asset_id": pick["asset_id"]}
    client.post(f"/v1/assets/tags/{tag['id']}/assign", json=assign, headers=key)
    assert [url for url, _ in ranked(client, key, q="aaaa", tag_id=tag["id"])] == [pick["url"]]


def test_a_restart_refills_and_a_new_space_is_backfilled(
    client: TestClient, container: Container, tmp_path: Path
) -> None:
    key = auth(make_key(container, "acme"))
    for w, h in [(3, 5), (4, 4), (5, 5)]:
        upload(client, key, f"{w}x{h}.png", png(w, h))
    first = indexed(container, LetterEmbedder(), tmp_path)
    first.load()
    index_all(client, container)

    # A new process: the index fills from the stored rows, no job needed.
    again = AssetVectors(container.database, first.embedder, container.clock, first.open_index)
    again.load()
    assert again.index is not None
    assert again.index.count("acme") == 6
    with container.database.session(write=False) as session:
        pending = select(func.count()).where(AssetIndexJob.status == "pending")
        assert session.scalar(pending) == 0

    # A space configured later queues every asset once; indexing fills it.
    wide = indexed(container, WideLetters(), tmp_path / "wide")
    wide.load()
    with container.database.session(write=False) as session:
        assert session.scalar(pending) == 3
    assert index_all(client, container) == 3
    assert wide.index is not None
    assert wide.index.count("acme") == 6
    hits = ranked(client, key, q="aaaa")
    assert len(hits) == 3

    # Rows that vanished while no process ran leave the index on the next load.
    with container.database.session(write=True) as session:
        session.execute(delete(AssetEmbedding).where(AssetEmbedding.space == "letters-wide"))
    fresh = AssetVectors(container.database, wide.embedder, container.clock, wide.open_index)
    fresh.load()
    assert fresh.index is not None
    assert fresh.index.count("acme") == 0
