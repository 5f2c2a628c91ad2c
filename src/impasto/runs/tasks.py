"""What the server runs beside its HTTP handlers: app deployment, the reaper, the worker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from impasto.apps import BUILTIN_OWNER, builtin_apps
from impasto.kit.background import Round, every, in_background, periodic
from impasto.kit.db import Database
from impasto.kit.logging import get_logger
from impasto.kit.threads import in_session
from impasto.runs.deployments.activity import AppActivity
from impasto.runs.deployments.service import DeploymentService
from impasto.runs.queue.leases import LeaseService
from impasto.runs.queue.service import RunDeps

logger = get_logger(__name__)
# While the database is unreachable at start, deployment is retried after 1 s, 2 s, 4 s...
DEPLOY_RETRY_SECONDS = 1.0
DEPLOY_RETRY_MAX_SECONDS = 30.0
PRUNE_SECONDS = 3600.0  # app events and runner samples past their retention, hourly


@dataclass(frozen=True, slots=True)
class ConfiguredApps:
    """The apps a server deploys on start (``IMPASTO_BUILTIN_APPS``, ``IMPASTO_APPS``)."""

    builtin: bool = True
    # ``module:Class`` or ``owner/name=module:Class``; the owner defaults to default_owner.
    apps: Sequence[str] = ()
    default_owner: str = "admin"


def deploy_configured_apps(configured: ConfiguredApps, database: Database, deps: RunDeps) -> None:
    """Deploy the built-in apps and the configured ones; idempotent, once per start."""
    wanted: list[tuple[str, str, str | None, Mapping[str, str]]] = []
    if configured.builtin:
        found = builtin_apps()
        wanted += [(BUILTIN_OWNER, app.import_path, None, app.env) for app in found.values()]
    for item in configured.apps:
        wanted.append((*parse_app_setting(item, configured.default_owner), {}))
    for owner, import_path, name, env in wanted:
        with database.session(write=True) as session:
            registry = DeploymentService(session, deps.clock, operator=deps.operator)
            # The operator's shared models: public, unlike an app an owner deploys.
            app = registry.add(import_path, owner=owner, name=name, env=env, public=True)
            logger.info("app_deployed", app=app.app_id, import_path=import_path)


@asynccontextmanager
async def deploying(
    configured: ConfiguredApps, database: Database, deps: RunDeps
) -> AsyncIterator[None]:
    """Deploy the configured apps before serving; while the database is unreachable, keep
    trying in the background so the server still starts and reports 503 on /health."""
    try:
        await asyncio.to_thread(deploy_configured_apps, configured, database, deps)
    except OperationalError:
        logger.warning("apps_deploy_deferred", reason="database unreachable")
    else:
        yield
        return

    async def deploy() -> Round:
        await asyncio.to_thread(deploy_configured_apps, configured, database, deps)
        return Round.DONE

    retry = periodic(
        deploy,
        interval=DEPLOY_RETRY_SECONDS,
        log=logger,
        failure="apps_deploy_failed",
        max_backoff=DEPLOY_RETRY_MAX_SECONDS,
        wait_first=True,
    )
    async with in_background(retry, "apps-deploy"):
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
    """Re-queue requests of workers that stopped renewing their leases (0: never), and
    forget app activity past its retention."""

    pruned_at = deps.clock.monotonic()  # not at start, where every loop writes at once

    def prune(session: Session) -> int:
        return AppActivity(session, deps.clock, deps.ids).prune()

    async def reap() -> None:
        nonlocal pruned_at
        reaped = await in_session(database, lambda s: LeaseService(s, deps).reap(), write=True)
        if reaped:
            logger.info("leases_reaped", count=reaped)
        if deps.clock.monotonic() - pruned_at >= PRUNE_SECONDS:
            pruned_at = deps.clock.monotonic()
            pruned = await in_session(database, prune, write=True)
            if pruned:
                logger.info("app_activity_pruned", rows=pruned)

    async with every(interval, reap, name="queue-reaper", log=logger, failure="reap_failed"):
        yield
