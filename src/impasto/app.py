"""create_app: routers, middleware, error handlers and lifespan. No logic lives here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from impasto import __version__
from impasto.assets.deps import ASSET_EMBEDDERS, ASSET_VECTORS, OBJECT_STORE
from impasto.assets.endpoints import router as assets_router
from impasto.assets.tasks import indexing, loading_vectors
from impasto.catalog.admin.endpoints import router as catalog_admin_router
from impasto.catalog.endpoints import router as catalog_router
from impasto.config import Settings
from impasto.container import (
    Container,
    build_container,
    build_indexer,
    configured_apps,
    weights_manager,
)
from impasto.deps import CLOCK, CURSORS, DATABASE, IDS, SETTINGS, provide
from impasto.files.cdn.endpoints import router as files_cdn_router
from impasto.files.deps import FILES, URL_FETCHER
from impasto.files.endpoints import router as files_storage_router
from impasto.files.project.endpoints import router as files_platform_router
from impasto.files.tasks import sweeping
from impasto.files.uploads.endpoints import router as files_rest_router
from impasto.keys.deps import SESSIONS, TENANT_LIMITER, WORKER_LIMITER
from impasto.keys.endpoints import router as keys_router
from impasto.kit.http.bodies import install_body_limits
from impasto.kit.http.docs import install_docs
from impasto.kit.http.errors import install_error_handlers
from impasto.kit.http.middleware import RequestContextMiddleware
from impasto.kit.http.openapi import platform_openapi
from impasto.logs.endpoints import router as logs_router
from impasto.logs.tasks import pruning
from impasto.platform.deps import REGISTRY
from impasto.platform.endpoints import router as platform_router
from impasto.platform.proxy.endpoints import router as proxy_router
from impasto.runs.deployments.endpoints import router as apps_router
from impasto.runs.queue.deps import RUNS
from impasto.runs.queue.endpoints import router as queue_router
from impasto.runs.records.endpoints import queue_router as app_queue_router
from impasto.runs.records.endpoints import router as records_router
from impasto.runs.records.endpoints import serverless_requests_router
from impasto.runs.sync.endpoints import router as run_router
from impasto.runs.sync.websockets import router as ws_router
from impasto.runs.tasks import deploying, reaping
from impasto.runs.workers.endpoints import router as worker_router
from impasto.scenario.assets.endpoints import router as scenario_assets_router
from impasto.scenario.models.endpoints import router as scenario_router
from impasto.serverless.endpoints import router as serverless_router
from impasto.studio.credentials import SessionStore
from impasto.studio.endpoints import router as studio_router
from impasto.studio.middleware import SessionCookieMiddleware
from impasto.teams.endpoints import router as teams_router
from impasto.usage.endpoints import router as usage_router
from impasto.usage.organization.endpoints import router as organization_router
from impasto.webhooks.deps import WEBHOOKS
from impasto.webhooks.endpoints import router as webhooks_router
from impasto.webhooks.tasks import delivering
from impasto.weights.deps import WEIGHTS
from impasto.weights.endpoints import router as weights_router
from impasto.workers.embedded import embedded_worker
from impasto.workflows.endpoints import router as workflows_router

OPENAPI_URL = "/v1/openapi.json"
DESCRIPTION = """\
Impasto's Platform API, path for path and field for field compatible with fal's
Platform APIs. Authenticate with `Authorization: Key <key_id>:<key_secret>`;
operations marked `adminApiKey` need a key with ADMIN scope.
"""


def create_app(settings: Settings | None = None, container: Container | None = None) -> FastAPI:
    """Build the ASGI app. The container is closed when the app shuts down."""
    if container is None:
        container = build_container(settings or Settings())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            settings = container.settings
            async with (
                deploying(configured_apps(settings), container.database, container.runs),
                sweeping(container.files, settings.files_sweep_interval_seconds),
                pruning(
                    container.database,
                    container.clock,
                    container.cursors,
                    settings.logs_retention_days,
                ),
                delivering(container.webhooks, settings.webhook_poll_interval_seconds),
                reaping(container.database, container.runs, settings.queue_reap_interval_seconds),
                embedded_worker(
                    settings,
                    container.database,
                    container.runs,
                    container.files,
                    container.url_fetcher,
                    container.runner_metrics,
                ),
                loading_vectors(container.asset_vectors),
                indexing(build_indexer(container), settings.assets_index_interval_seconds),
            ):
                yield
        finally:
            container.close()

    app = FastAPI(
        title="Impasto Platform APIs",
        version=__version__,
        description=DESCRIPTION,
        openapi_url=OPENAPI_URL,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.container = container  # for tests and debugging: endpoints never read it
    _provide(app, container)
    install_body_limits(app, container.settings.max_json_body_bytes)
    install_error_handlers(app)
    # Inside the request context, so a refused cookie call has its request id.
    app.add_middleware(SessionCookieMiddleware)
    app.add_middleware(
        RequestContextMiddleware,
        ids=container.ids,
        clock=container.clock,
        metrics=container.metrics,
    )
    for router in (
        platform_router,
        proxy_router,
        keys_router,
        catalog_router,
        assets_router,
        catalog_admin_router,
        weights_router,
        scenario_router,
        scenario_assets_router,
        files_storage_router,
        files_platform_router,
        files_rest_router,
        files_cdn_router,
        webhooks_router,
        records_router,
        serverless_requests_router,
        usage_router,
        organization_router,
        teams_router,
        logs_router,
        app_queue_router,
        workflows_router,
        apps_router,
        serverless_router,
        queue_router,
        ws_router,
        run_router,
        worker_router,
        studio_router,
    ):
        app.include_router(router)
    _install_openapi(app)
    install_docs(app, OPENAPI_URL)
    return app


def _provide(app: FastAPI, container: Container) -> None:
    """Fill the slots the endpoints' dependencies read (``deps.py``, each domain's ``deps.py``)."""
    provide(app, SETTINGS, container.settings)
    provide(app, DATABASE, container.database)
    provide(app, CLOCK, container.clock)
    provide(app, IDS, container.ids)
    provide(app, CURSORS, container.cursors)
    provide(app, TENANT_LIMITER, container.rate_limiter)
    provide(app, WORKER_LIMITER, container.worker_rate_limiter)
    provide(app, SESSIONS, SessionStore(container.database, container.clock, container.ids))
    provide(app, FILES, container.files)
    provide(app, URL_FETCHER, container.url_fetcher)
    provide(app, OBJECT_STORE, container.object_store)
    provide(app, ASSET_EMBEDDERS, container.asset_embedders)
    provide(app, ASSET_VECTORS, container.asset_vectors)
    provide(app, RUNS, container.runs)
    provide(app, WEBHOOKS, container.webhooks)
    provide(app, REGISTRY, container.registry)
    provide(app, WEIGHTS, weights_manager(container.settings, container.database, container.clock))


def _install_openapi(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = platform_openapi(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
