"""The indexer's series on both databases: the backlog of pending jobs as scraped, and jobs
handled by outcome, on a frozen clock (a failed job's retry falls due when it is moved)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from numpy.typing import NDArray

from impasto.app import create_app
from impasto.assets.indexing.service import AssetIndexer
from impasto.container import Container, build_container, build_indexer
from impasto.kit.clock import FrozenClock
from impasto.kit.gauges import SCRAPE_TTL_SECONDS
from tests.conftest import SettingsFactory, auth, make_key
from tests.integration.assets.test_assets_api import upload
from tests.scrape import scrape

STEP = SCRAPE_TTL_SECONDS + 1  # past the scraped gauge's cache
RETRY_AFTER = 6 * 60  # a claimed job that failed is due again after five minutes


class BrokenEmbedder:
    space = "broken"
    dimensions = 3

    def embed_texts(self, texts: Sequence[str]) -> NDArray[Any]:
        raise RuntimeError("the model is not there")

    def embed_images(self, images: Sequence[bytes]) -> NDArray[Any] | None:
        raise RuntimeError("the model is not there")


@dataclass
class Library:
    client: TestClient
    container: Container
    clock: FrozenClock

    def run(self, indexer: AssetIndexer, limit: int = 32) -> int:
        handled: int = self.client.portal.call(indexer.run_once, limit)  # type: ignore[union-attr]
        return handled

    def backlog(self) -> float | None:
        self.clock.advance(STEP)
        return scrape(self.client).value("impasto_assets_index_backlog")

    def jobs(self, outcome: str) -> float:
        return scrape(self.client).count("impasto_assets_index_jobs_total", outcome=outcome)


@pytest.fixture
def library(make_settings: SettingsFactory) -> Iterator[Library]:
    settings = make_settings()
    clock = FrozenClock()
    container = build_container(settings, clock=clock)
    try:
        with TestClient(create_app(settings, container)) as client:
            yield Library(client, container, clock)
    finally:
        container.close()


def test_the_backlog_and_the_jobs_follow_the_indexer(library: Library) -> None:
    container = library.container
    assert library.backlog() == 0
    key = auth(make_key(container, "acme"))
    upload(library.client, key, "first.png")
    upload(library.client, key, "second.png")
    assert library.backlog() == 2

    broken = AssetIndexer(
        container.database,
        container.object_store,
        container.clock,
        [BrokenEmbedder()],
        container.ids,
        metrics=container.indexer_metrics,
    )
    assert library.run(broken, limit=1) == 1
    assert library.jobs("retry") == 1
    assert library.backlog() == 2  # the failed job waits for its retry

    working = build_indexer(container)
    assert library.run(working) == 1  # the other one; the retry is not due yet
    assert library.jobs("done") == 1
    assert library.backlog() == 1

    library.clock.advance(RETRY_AFTER)
    assert library.run(working) == 1
    assert library.jobs("done") == 2
    assert library.jobs("failed") == 0
    assert library.backlog() == 0
