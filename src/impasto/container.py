"""Explicit wiring: builds every service's backends from Settings. No FastAPI here."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry

from impasto.assets.ingest.uploads import upload_hook
from impasto.assets.search.ann import AssetVectors
from impasto.config import Settings
from impasto.embedders.base import Embedder
from impasto.embedders.registry import registry_from_settings
from impasto.files.core import FileLimits, FilesCore
from impasto.files.local_urls import LocalFileOpener, own_origins
from impasto.files.signing import Signer, load_secret
from impasto.kit.clock import Clock, SystemClock
from impasto.kit.db import Database
from impasto.kit.egress.fetch import UrlFetcher
from impasto.kit.http.metrics import HttpMetrics
from impasto.kit.ids import IdGenerator, UUIDv7Generator
from impasto.kit.ratelimit import RateLimiter
from impasto.runs.queue.hooks import count_popularity, index_assets, send_webhook
from impasto.runs.queue.notifier import LocalNotifier
from impasto.runs.queue.service import QueuePolicy, RunDeps
from impasto.storage import ObjectStore
from impasto.storage.factory import build_object_store
from impasto.vectors.base import VectorIndex
from impasto.vectors.factory import open_vector_index
from impasto.vectors.pgvector import pgvector_available
from impasto.webhooks.core import Webhooks, build_webhooks


@dataclass
class Container:
    settings: Settings
    database: Database
    clock: Clock
    ids: IdGenerator
    rate_limiter: RateLimiter
    worker_rate_limiter: RateLimiter  # WORKER keys only: never the tenants' bucket
    metrics: HttpMetrics
    object_store: ObjectStore
    files: FilesCore
    url_fetcher: UrlFetcher
    webhooks: Webhooks
    runs: RunDeps
    registry: CollectorRegistry = field(repr=False)
    # Embedders the asset library indexes with and searches through (assets/search/exact.py),
    # and one vector index per embedder's space (assets/search/ann.py), filled after start.
    asset_embedders: list[Embedder] = field(default_factory=list)
    asset_vectors: list[AssetVectors] = field(default_factory=list)

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
    files.on_record = upload_hook(ids)
    webhooks = build_webhooks(settings, database, clock, ids, registry)
    embedders = list(registry_from_settings(settings))
    return Container(
        settings=settings,
        database=database,
        clock=clock,
        ids=ids,
        rate_limiter=RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst, clock),
        worker_rate_limiter=RateLimiter(
            settings.worker_rate_limit_per_second, settings.worker_rate_limit_burst, clock
        ),
        metrics=HttpMetrics(registry),
        object_store=object_store,
        files=files,
        url_fetcher=_build_fetcher(settings, clock, files),
        webhooks=webhooks,
        runs=_build_runs(settings, clock, ids, webhooks),
        asset_embedders=embedders,
        asset_vectors=[_asset_vectors(settings, database, clock, e) for e in embedders],
        registry=registry,
    )


def _asset_vectors(
    settings: Settings, database: Database, clock: Clock, embedder: Embedder
) -> AssetVectors:
    def open_index() -> VectorIndex | None:
        # An in-process index would miss other API processes' writes on PostgreSQL.
        if database.dialect == "postgresql" and not pgvector_available(database):
            return None
        return open_vector_index(
            database,
            embedder.space,
            embedder.dimensions,
            data_dir=settings.data_dir,
            exact_limit=settings.vector_exact_limit,
            ef_search=settings.vector_ef_search,
        )

    return AssetVectors(database, embedder, clock, open_index)


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
        unzip_max_bytes=settings.unzip_max_bytes,
        unzip_max_ratio=settings.unzip_max_ratio,
    )
    signer = Signer(load_secret(secret, settings.data_dir))
    return FilesCore(database, store, clock, ids, signer, limits)


def _build_fetcher(settings: Settings, clock: Clock, files: FilesCore) -> UrlFetcher:
    fetcher = UrlFetcher.from_settings(settings, clock)
    # URLs of files this server serves are read from the store, not fetched over HTTP.
    fetcher.local = LocalFileOpener(files, own_origins(settings))
    return fetcher


def _build_runs(settings: Settings, clock: Clock, ids: IdGenerator, webhooks: Webhooks) -> RunDeps:
    operator = settings.bootstrap_owner
    return RunDeps(
        clock=clock,
        ids=ids,
        notifier=LocalNotifier(),
        policy=QueuePolicy(
            max_attempts=settings.queue_max_attempts,
            lease_seconds=settings.queue_lease_seconds,
            # A WebSocket or realtime message passes the same size limit as an HTTP body.
            max_input_bytes=settings.max_json_body_bytes,
        ),
        operator=operator,
        hooks=[count_popularity(clock, operator), send_webhook(webhooks), index_assets(ids)],
        check_webhook_url=webhooks.validate_url,
    )
