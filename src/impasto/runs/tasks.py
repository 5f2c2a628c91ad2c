"""What the server runs beside its HTTP handlers: app deployment, the reaper, the worker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from sqlalchemy.exc import OperationalError

from impasto.apps import BUILTIN_OWNER, builtin_apps
from impasto.config import Settings
from impasto.kit.background import in_background
from impasto.kit.db import Database
from impasto.kit.logging import get_logger
from impasto.kit.threads import in_session
from impasto.runs.deployments import DeploymentService
from impasto.runs.queue.leases import LeaseService
from impasto.runs.queue.service import RunDeps

logger = get_logger("impasto.runs")


def deploy_configured_apps(settings: Settings, database: Database, deps: RunDeps) -> None:
    """Deploy the built-in apps and those named in settings; idempotent, once per start."""
    wanted: list[tuple[str, str, str | None, Mapping[str, str]]] = []
    if settings.builtin_apps:
        found = builtin_apps(text_to_image_weights=settings.text_to_image_weights)
        wanted += [(BUILTIN_OWNER, app.import_path, None, app.env) for app in found.values()]
    for item in settings.apps:
        wanted.append((*parse_app_setting(item, settings.bootstrap_owner), {}))
    for owner, import_path, name, env in wanted:
        with database.session(write=True) as session:
            registry = DeploymentService(session, deps.clock, operator=deps.operator)
            app = registry.add(import_path, owner=owner, name=name, env=env)
            logger.info("app_deployed", app=app.app_id, import_path=import_path)


@asynccontextmanager
async def deploying(settings: Settings, database: Database, deps: RunDeps) -> AsyncIterator[None]:
    """Deploy the configured apps before serving; while the database is unreachable, keep
    trying in the background so the server still starts and reports 503 on /health."""
    try:
        await asyncio.to_thread(deploy_configured_apps, settings, database, deps)
    except OperationalError:
        logger.warning("apps_deploy_deferred", reason="database unreachable")
    else:
        yield
        return

    async def retry() -> None:
        delay = 1.0
        while True:
            await asyncio.sleep(delay)
            try:
                await asyncio.to_thread(deploy_configured_apps, settings, database, deps)
            except OperationalError:
                delay = min(delay * 2, 30.0)
            else:
                return

    async with in_background(retry(), "apps-deploy"):
        yield


def parse_app_setting(item: str, default_owner: str) -> tuple[str, str, str | None]:
    """``module:Class`` or ``owner/name=module:Class`` -> (owner, import path, name)."""
    target, sep, import_path = item.partition("=")
    if not sep:
        return default_owner, item.strip(), None
    owner, slash, name = target.strip().partition("/")
    if not slash or not owner or not name:
        raise ValueError(f"app setting {item!r}: use owner/name=module:Class")
    return owner, import_path.strip(), name


@asynccontextmanager
async def reaping(database: Database, deps: RunDeps, interval: float) -> AsyncIterator[None]:
    """Re-queue requests of workers that stopped renewing their leases."""
    if interval <= 0:
        yield
        return

    async def loop() -> None:
        while True:
            try:
                reaped = await in_session(
                    database, lambda s: LeaseService(s, deps).reap(), write=True
                )
                if reaped:
                    logger.info("leases_reaped", count=reaped)
            except Exception:
                logger.exception("reap_failed")
            await asyncio.sleep(interval)

    async with in_background(loop(), "queue-reaper"):
        yield
