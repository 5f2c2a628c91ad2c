"""Explicit wiring: builds every service's backends from Settings. No FastAPI here."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from impasto.assets.indexing.metrics import IndexerMetrics
from impasto.assets.indexing.service import AssetIndexer
from impasto.assets.ingest.uploads import upload_hook
from impasto.assets.search.ann import AssetVectors
from impasto.config import Settings, StorageBackend
from impasto.embedders.base import Embedder
from impasto.embedders.registry import EmbedderRegistry, build_registry
from impasto.files.core import FileLimits, FilesCore
from impasto.files.local_urls import LocalFileOpener
from impasto.kit.clock import Clock, SystemClock
from impasto.kit.cursors import Cursors
from impasto.kit.db import Database
from impasto.kit.egress.addresses import AddressPolicy
from impasto.kit.egress.fetch import FetchLimits, UrlFetcher
from impasto.kit.extras import require
from impasto.kit.http.base_url import own_origins
from impasto.kit.http.connections import ConnectionLimits
from impasto.kit.http.metrics import HttpMetrics
from impasto.kit.http.server import ServerLimits
from impasto.kit.ids import IdGenerator, UUIDv7Generator
from impasto.kit.ratelimit import RateLimiter
from impasto.kit.signing import Signer, load_secret
from impasto.runs.queue.hooks import count_popularity, index_assets, send_webhook
from impasto.runs.queue.metrics import QueueMetrics
from impasto.runs.queue.notifier import LocalNotifier
from impasto.runs.queue.service import QueuePolicy, RunDeps
from impasto.runs.tasks import ConfiguredApps
from impasto.storage import ObjectStore
from impasto.usage.metering import meter
from impasto.vectors.base import VectorIndex
from impasto.vectors.factory import open_vector_index
from impasto.vectors.metrics import VectorMetrics
from impasto.vectors.pgvector import pgvector_available
from impasto.webhooks.core import Webhooks, build_webhooks
from impasto.webhooks.signing_keys import load_signing_keys
from impasto.weights.manager import WeightsLayout, WeightsManager
from impasto.workers.metrics import RunnerMetrics
from impasto.workflows.engine import NAMESPACE, WorkflowEngine


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
    cursors: Cursors  # sealed with the signing secret, like the files' URLs and tokens
    url_fetcher: UrlFetcher
    webhooks: Webhooks
    runs: RunDeps
    registry: CollectorRegistry = field(repr=False)
    # Series on ``registry`` that the server's loops feed (the queue's are in ``runs``,
    # the webhooks' in ``webhooks``): the embedded worker's runners, the asset indexer,
    # the vector indexes (``asset_vectors`` report to it).
    runner_metrics: RunnerMetrics = field(repr=False)
    indexer_metrics: IndexerMetrics = field(repr=False)
    vector_metrics: VectorMetrics = field(repr=False)
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
    signer = Signer(load_secret(_secret(settings.signing_secret), settings.data_dir))
    files = _build_files(settings, database, object_store, clock, ids, signer)
    files.on_record = upload_hook(ids)
    webhooks = _build_webhooks(settings, database, clock, ids, registry)
    embedders = list(embedder_registry(settings))
    queue_metrics = QueueMetrics(registry, database, clock)
    vector_metrics = VectorMetrics(registry, clock)
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
        cursors=Cursors(signer),
        url_fetcher=_build_fetcher(settings, clock, files),
        webhooks=webhooks,
        runs=_build_runs(settings, clock, ids, webhooks, queue_metrics),
        asset_embedders=embedders,
        asset_vectors=[
            _asset_vectors(settings, database, clock, e, vector_metrics) for e in embedders
        ],
        registry=registry,
        runner_metrics=RunnerMetrics(registry),
        indexer_metrics=IndexerMetrics(registry, database, clock),
        vector_metrics=vector_metrics,
    )


def build_indexer(container: Container) -> AssetIndexer:
    """The asset indexer the server runs in the background (``assets/tasks.py``)."""
    return AssetIndexer(
        container.database,
        container.object_store,
        container.clock,
        container.asset_embedders,
        container.ids,
        vectors=container.asset_vectors,
        metrics=container.indexer_metrics,
    )


def _asset_vectors(
    settings: Settings,
    database: Database,
    clock: Clock,
    embedder: Embedder,
    metrics: VectorMetrics,
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

    return AssetVectors(database, embedder, clock, open_index, metrics)


def _build_files(
    settings: Settings,
    database: Database,
    store: ObjectStore,
    clock: Clock,
    ids: IdGenerator,
    signer: Signer,
) -> FilesCore:
    limits = FileLimits(
        max_upload_bytes=settings.max_upload_bytes,
        quota_bytes=settings.storage_quota_bytes,
        upload_url_seconds=settings.upload_url_seconds,
        stale_upload_seconds=settings.stale_upload_seconds,
        token_seconds=settings.storage_token_seconds,
        unzip_max_bytes=settings.unzip_max_bytes,
        unzip_max_ratio=settings.unzip_max_ratio,
    )
    return FilesCore(database, store, clock, ids, signer, limits)


def _build_fetcher(settings: Settings, clock: Clock, files: FilesCore) -> UrlFetcher:
    fetcher = UrlFetcher(fetch_limits(settings), clock=clock, policy=address_policy(settings))
    # URLs of files this server serves are read from the store, not fetched over HTTP.
    origins = own_origins(settings.public_url, settings.host, settings.port)
    fetcher.local = LocalFileOpener(files, origins)
    return fetcher


def _build_webhooks(
    settings: Settings,
    database: Database,
    clock: Clock,
    ids: IdGenerator,
    registry: CollectorRegistry,
) -> Webhooks:
    keys = load_signing_keys(
        _secret(settings.webhook_signing_key),
        settings.data_dir,
        settings.webhook_previous_public_keys,
    )
    return build_webhooks(
        database,
        clock,
        ids,
        registry,
        keys=keys,
        policy=address_policy(settings),
        max_attempts=settings.webhook_max_attempts,
        retry_window_seconds=settings.webhook_retry_window_seconds,
        timeout=settings.webhook_timeout_seconds,
    )


def _build_runs(
    settings: Settings,
    clock: Clock,
    ids: IdGenerator,
    webhooks: Webhooks,
    metrics: QueueMetrics,
) -> RunDeps:
    operator = settings.bootstrap_owner
    deps = RunDeps(
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
        metrics=metrics,
        hooks=[
            count_popularity(clock, operator),
            send_webhook(webhooks),
            index_assets(ids, orchestrated=[NAMESPACE]),
            meter,  # the request's units and cost, into the ledger
            metrics.on_completed,  # counts once the completion commits
        ],
        check_webhook_url=webhooks.validate_url,
    )
    # Workflow runs complete with these same hooks, and move on from their nodes' ones.
    engine = WorkflowEngine(deps)
    deps.orchestrators[NAMESPACE] = engine
    deps.hooks.append(engine.on_completed)
    return deps


# -- settings as the values kit, backends and domains take -------------------------------


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None


def address_policy(settings: Settings) -> AddressPolicy:
    """Where requests on a user's behalf (URL fetches, webhooks) may connect."""
    return AddressPolicy(settings.fetch_allowed_networks)


def fetch_limits(settings: Settings) -> FetchLimits:
    return FetchLimits(
        max_bytes=settings.fetch_max_bytes,
        data_uri_max_bytes=settings.data_uri_max_bytes,
        connect_timeout=settings.fetch_connect_timeout_seconds,
        read_timeout=settings.fetch_read_timeout_seconds,
        total_timeout=settings.fetch_total_timeout_seconds,
    )


def server_limits(settings: Settings, *, max_connections: int | None = None) -> ServerLimits:
    """What ``impasto serve`` limits; ``max_connections`` overrides the setting."""
    return ServerLimits(
        connections=ConnectionLimits(
            max_header_bytes=settings.max_header_bytes,
            max_headers=settings.max_headers,
            header_timeout=settings.header_timeout_seconds,
            body_timeout=settings.body_timeout_seconds,
            max_connections=max_connections or settings.max_connections,
        ),
        keep_alive_timeout=settings.keep_alive_timeout_seconds,
    )


def build_object_store(settings: Settings) -> ObjectStore:
    """The configured store; a backend's libraries are imported only when it is chosen."""
    if settings.storage_backend is StorageBackend.MEMORY:
        from impasto.storage.memory import MemoryObjectStore

        return MemoryObjectStore()
    if settings.storage_backend is StorageBackend.S3:
        require("boto3", feature="S3 storage", extra="s3")
        from impasto.storage.s3 import S3ObjectStore, make_s3_client

        assert settings.s3_bucket is not None  # checked by Settings
        client = make_s3_client(
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=_secret(settings.s3_secret_access_key),
        )
        return S3ObjectStore(client, settings.s3_bucket, settings.s3_prefix)
    from impasto.kit.diskspace import DiskSpace
    from impasto.storage.local import LocalObjectStore

    root = settings.data_dir / "objects"
    return LocalObjectStore(root, space=DiskSpace(root, reserve=settings.min_free_disk_bytes))


def embedder_registry(settings: Settings) -> EmbedderRegistry:
    """``IMPASTO_EMBEDDERS`` and ``IMPASTO_MODELS_DIR``; label embeddings cached in the data dir."""
    return build_registry(
        settings.embedders,
        models_dir=settings.models_dir,
        cache_dir=settings.data_dir / "cache" / "embedders",
    )


def weights_manager(settings: Settings, database: Database, clock: Clock) -> WeightsManager:
    """The weights manager on ``IMPASTO_WEIGHTS_DIR`` (default ``<data_dir>/weights``); the
    Hub endpoint and token are ``huggingface_hub``'s own (``HF_ENDPOINT``, ``HF_TOKEN``)."""
    layout = WeightsLayout(settings.weights_dir or settings.data_dir / "weights")
    return WeightsManager(database, clock, layout, operator=settings.bootstrap_owner)


def configured_apps(settings: Settings) -> ConfiguredApps:
    return ConfiguredApps(
        builtin=settings.builtin_apps,
        apps=tuple(settings.apps),
        default_owner=settings.bootstrap_owner,
    )
