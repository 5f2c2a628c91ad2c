"""A files app on a frozen clock, so expiry, signatures and the sweeper can be driven."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from impasto.app import create_app
from impasto.config import Settings
from impasto.container import Container, build_container
from impasto.files.tasks import FileSweeper
from impasto.kit.clock import FrozenClock
from impasto.models import BlobRecord, PendingUpload, StoredFile, UploadPart
from impasto.storage import ObjectStore
from tests.conftest import auth, make_key


@dataclass
class Files:
    client: TestClient
    container: Container
    clock: FrozenClock

    def key(self, owner: str = "acme") -> dict[str, str]:
        return auth(make_key(self.container, owner))

    def upload(self, data: bytes, headers: dict[str, str], **extra: str) -> str:
        response = self.client.post("/files/upload", content=data, headers={**headers, **extra})
        assert response.status_code == 200, response.text
        url: str = response.json()["access_url"]
        return url

    def sweep(self) -> Any:
        return self.client.portal.call(FileSweeper(self.container.files).sweep_once)  # type: ignore[union-attr]

    def counts(self) -> dict[str, int]:
        from sqlalchemy import func, select

        with self.container.database.session(write=False) as session:
            return {
                model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
                for model in (StoredFile, BlobRecord, PendingUpload, UploadPart)
            }

    def blobs_in_store(self) -> int:
        async def count() -> int:
            found = 0
            async for _ in self.container.object_store.keys():
                found += 1
            return found

        return self.client.portal.call(count)  # type: ignore[union-attr]


@pytest.fixture
def make_files(settings: Settings) -> Iterator[Callable[..., Files]]:
    made: list[tuple[TestClient, Container]] = []

    def make(*, object_store: ObjectStore | None = None, **overrides: Any) -> Files:
        clock = FrozenClock()
        container = build_container(
            settings.model_copy(update={"files_sweep_interval_seconds": 0, **overrides}),
            clock=clock,
            object_store=object_store,
        )
        client = TestClient(create_app(container.settings, container))
        client.__enter__()
        made.append((client, container))
        return Files(client, container, clock)

    yield make
    for client, container in made:
        client.__exit__(None, None, None)
        container.close()


@pytest.fixture
def files(make_files: Callable[..., Files]) -> Files:
    return make_files()
