"""Explicit wiring: builds every service's backends from Settings. No FastAPI here."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry

from impasto.config import Settings
from impasto.files.core import FileLimits, FilesCore
from impasto.files.fetch import UrlFetcher
from impasto.files.local_urls import LocalFileOpener, own_origins
from impasto.files.signing import Signer, load_secret
from impasto.kit.clock import Clock, SystemClock
from impasto.kit.db import Database
from impasto.kit.http.metrics import HttpMetrics
from impasto.kit.ids import IdGenerator, UUIDv7Generator
from impasto.kit.ratelimit import RateLimiter
from impasto.storage import ObjectStore
from impasto.storage.factory import build_object_store


@dataclass
class Container:
    settings: Settings
    database: Database
    clock: Clock
    ids: IdGenerator
    rate_limiter: RateLimiter
    metrics: HttpMetrics
    object_store: ObjectStore
    files: FilesCore
    url_fetcher: UrlFetcher
    registry: CollectorRegistry = field(repr=False)

    def close(self) -> None:
        self.database.dispose()


def build_container(
    settings: Settings,
    *,
    clock: Clock | None = None,
    ids: IdGenerator | None = None,
    object_store: ObjectStore | None = None,
) -> Container:
    clock = clock or SystemClock()
    ids = ids or UUIDv7Generator()
    registry = CollectorRegistry()
    database = Database(settings.effective_database_url, pool_size=settings.db_pool_size)
    object_store = object_store or build_object_store(settings)
    files = _build_files(settings, database, object_store, clock, ids)
    return Container(
        settings=settings,
        database=database,
        clock=clock,
        ids=ids,
        rate_limiter=RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst, clock),
        metrics=HttpMetrics(registry),
        object_store=object_store,
        files=files,
        url_fetcher=_build_fetcher(settings, clock, files),
        registry=registry,
    )


def _build_files(
    settings: Settings, database: Database, store: ObjectStore, clock: Clock, ids: IdGenerator
) -> FilesCore:
    secret = settings.signing_secret.get_secret_value() if settings.signing_secret else None
    limits = FileLimits(
        max_upload_bytes=settings.max_upload_bytes,
        quota_bytes=settings.storage_quota_bytes,
        upload_url_seconds=settings.upload_url_seconds,
        stale_upload_seconds=settings.stale_upload_seconds,
        token_seconds=settings.storage_token_seconds,
    )
    signer = Signer(load_secret(secret, settings.data_dir))
    return FilesCore(database, store, clock, ids, signer, limits)


def _build_fetcher(settings: Settings, clock: Clock, files: FilesCore) -> UrlFetcher:
    fetcher = UrlFetcher.from_settings(settings, clock)
    # URLs of files this server serves are read from the store, not fetched over HTTP.
    fetcher.local = LocalFileOpener(files, own_origins(settings))
    return fetcher
