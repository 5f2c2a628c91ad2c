"""Vector index series on both databases (usearch + numpy on SQLite, pgvector on
PostgreSQL): none before a space's index is built, its build time and size after, and the
size following the indexer once the scrape cache (on the frozen clock) has expired."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from impasto.app import create_app
from impasto.assets.search.ann import AssetVectors
from impasto.container import Container, build_container, build_indexer
from impasto.kit.clock import FrozenClock
from impasto.vectors.base import VectorIndex
from impasto.vectors.factory import open_vector_index
from impasto.vectors.metrics import SIZE_TTL_SECONDS
from impasto.vectors.pgvector import pgvector_available
from tests.conftest import SettingsFactory, auth, make_key
from tests.integration.assets.test_assets_api import png, upload
from tests.scrape import scrape
from tests.unit.assets.test_fusion import LetterEmbedder

SPACE = LetterEmbedder.space


@dataclass
class Library:
    client: TestClient
    container: Container
    clock: FrozenClock

    def index_all(self) -> int:
        indexer = build_indexer(self.container)
        handled: int = self.client.portal.call(indexer.run_once)  # type: ignore[union-attr]
        return handled


@pytest.fixture
def library(make_settings: SettingsFactory) -> Iterator[Library]:
    settings = make_settings()
    clock = FrozenClock()
    container = build_container(settings, clock=clock)
    try:
        if container.database.dialect == "postgresql" and not pgvector_available(
            container.database
        ):
            pytest.skip("this PostgreSQL has no pgvector")
        with TestClient(create_app(settings, container)) as client:
            yield Library(client, container, clock)
    finally:
        container.close()


def test_a_built_index_reports_its_build_time_and_size(library: Library) -> None:
    container = library.container
    embedder = LetterEmbedder()
    container.asset_embedders.append(embedder)
    key = auth(make_key(container, "acme"))
    for width in (3, 4, 5):
        upload(library.client, key, f"{width}.png", png(width, 2))
    assert library.index_all() == 3  # an image and a text vector each, in the database

    def open_index() -> VectorIndex:
        return open_vector_index(
            container.database,
            SPACE,
            embedder.dimensions,
            data_dir=container.settings.data_dir,
            exact_limit=1,  # past it an owner gets an HNSW graph: the build is timed too
            ef_search=64,
        )

    vectors = AssetVectors(
        container.database, embedder, container.clock, open_index, container.vector_metrics
    )
    before = scrape(library.client)
    assert before.value("impasto_vector_index_vectors", space=SPACE) is None
    assert before.count("impasto_vector_index_build_seconds_count", space=SPACE) == 0

    vectors.load()
    container.asset_vectors.append(vectors)
    loaded = scrape(library.client)
    assert loaded.value("impasto_vector_index_vectors", space=SPACE) == 6
    assert loaded.value("impasto_vector_index_build_seconds_count", space=SPACE) == 1
    assert loaded.label_names("impasto_vector_index_build_seconds_bucket") == {
        frozenset({"space", "le"})
    }

    upload(library.client, key, "6.png", png(6, 2))
    assert library.index_all() == 1
    assert scrape(library.client).value("impasto_vector_index_vectors", space=SPACE) == 6
    library.clock.advance(SIZE_TTL_SECONDS + 1)
    assert scrape(library.client).value("impasto_vector_index_vectors", space=SPACE) == 8
