"""Deployed apps: which class serves ``owner/name``, and where a called path lands.

Adding an app imports its class here (never runs ``setup()``), stores the manifest and
registers every endpoint in the catalog with its real input and output schemas, so that
``GET /v1/models`` and the queue agree on what exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from impasto.catalog.repository import CatalogRepository
from impasto.catalog.service import CatalogService
from impasto.kit.clock import Clock
from impasto.kit.errors import InvalidRequest, NotFound
from impasto.models import AppRevision, DeployedApp
from impasto.runs.deployments.repository import DeploymentRepository
from impasto.sdk.introspect import AppManifest, EndpointInfo, describe, load_app
from impasto.sdk.naming import endpoint_id as endpoint_id_of
from impasto.sdk.naming import validate_app_name


@dataclass(frozen=True)
class Target:
    """Where a request goes: the app, the endpoint path inside it, and its schemas."""

    app: DeployedApp
    endpoint: EndpointInfo

    @property
    def endpoint_id(self) -> str:
        return self.endpoint.endpoint_id(self.app.owner, self.app.name)


class DeploymentService:
    def __init__(self, session: Session, clock: Clock, *, operator: str) -> None:
        self.repository = DeploymentRepository(session)
        self._session = session
        self._clock = clock
        self._operator = operator

    def add(
        self,
        import_path: str,
        *,
        owner: str,
        name: str | None = None,
        env: Mapping[str, str] | None = None,
        metadata: Mapping[str, Any] | None = None,
        public: bool | None = None,
    ) -> DeployedApp:
        """Deploy (or redeploy) an app class under ``owner``; idempotent.

        A new app's endpoints are private to their owner (and the operator), as fal
        deploys them, unless ``public``. A redeploy without ``public`` keeps each endpoint's
        catalog privacy, so an app an operator made public stays public; the catalog entry's
        privacy is what decides who may call it (``CatalogService.may_call``).
        """
        try:
            manifest = describe(load_app(import_path))
        except Exception as exc:  # an app's import may fail in any way
            raise InvalidRequest(f"cannot load app {import_path!r}: {exc}") from exc
        return self.register(
            manifest,
            import_path,
            owner=owner,
            name=name,
            env=env,
            metadata=metadata,
            public=public,
        )

    def register(
        self,
        manifest: AppManifest,
        import_path: str,
        *,
        owner: str,
        name: str | None = None,
        env: Mapping[str, str] | None = None,
        metadata: Mapping[str, Any] | None = None,
        public: bool | None = None,
        revision_id: str | None = None,
    ) -> DeployedApp:
        """Store what serves ``owner/name`` and register its endpoints in the catalog."""
        name = validate_app_name(name or manifest.name)
        app_id = f"{owner}/{name}"
        now = self._clock.now()
        CatalogRepository(self._session).ensure_account(owner, now)
        app = self.repository.get(app_id)
        if app is None:
            app = DeployedApp(app_id=app_id, owner=owner, name=name, created_at=now)
        gone = {info.path for info in manifest_of(app).endpoints} if app.manifest else set()
        app.import_path = import_path
        app.manifest = manifest.to_json()
        app.env = dict(env or {})
        app.revision_id = revision_id
        app.updated_at = now
        self.repository.save(app)
        catalog = CatalogService(self._session, self._clock, operator=self._operator)
        catalog_repo = CatalogRepository(self._session)
        for info in manifest.endpoints:
            gone.discard(info.path)
            endpoint_id = info.endpoint_id(owner, name)
            given = dict(metadata or {})
            if public is not None:
                given["privacy"] = "public" if public else "private"
            elif "privacy" not in given and catalog_repo.get(endpoint_id) is None:
                given["privacy"] = "private"
            catalog.register_endpoint(
                endpoint_id,
                info.input_schema,
                info.output_schema,
                **_endpoint_metadata(manifest, info, given),
            )
        for path in gone:  # a redeploy dropped these endpoints
            endpoint_id = endpoint_id_of(owner, name, path)
            if catalog_repo.get(endpoint_id) is not None:
                catalog.delete(endpoint_id, actor=None)
        return app

    def remove(self, app_id: str) -> None:
        app = self.repository.get(app_id)
        if app is None:
            raise NotFound(f"app {app_id} not found")
        catalog = CatalogService(self._session, self._clock, operator=self._operator)
        for endpoint_id in endpoint_ids_of(app):
            catalog.delete(endpoint_id, actor=None)
        self.repository.delete(app)

    def list(self) -> list[DeployedApp]:
        return self.repository.all()

    def get(self, app_id: str) -> DeployedApp:
        app = self.repository.get(app_id)
        if app is None:
            raise NotFound(f"app {app_id} not found")
        return app

    def resolve(self, endpoint_path: str) -> Target:
        """``owner/app[/path...]`` as called -> the deployed app and endpoint."""
        parts = [part for part in endpoint_path.split("/") if part]
        if len(parts) < 2:
            raise NotFound(f"Application {endpoint_path!r} not found")
        app = self.repository.get(f"{parts[0]}/{parts[1]}")
        if app is None:
            raise NotFound(f"Application {parts[0]}/{parts[1]} not found")
        path = "/" + "/".join(parts[2:])
        for info in manifest_of(app).endpoints:
            if info.path == path:
                return Target(app=app, endpoint=info)
        raise NotFound(f"Path {path} not found")


def auth_mode(session: Session, app: DeployedApp) -> str:
    """fal's ``auth_mode`` of an app: its endpoints' catalog privacy (one for all, as
    deploys set it), ``private`` when none is registered."""
    repository = CatalogRepository(session)
    for endpoint_id in endpoint_ids_of(app):
        entry = repository.get(endpoint_id)
        if entry is not None:
            return "public" if entry.privacy == "public" else "private"
    return "private"


def live_revisions(session: Session, apps: list[DeployedApp]) -> dict[str, AppRevision]:
    """The live revision of each app deployed as code, by revision id (one query)."""
    ids = [app.revision_id for app in apps if app.revision_id]
    if not ids:
        return {}
    query = select(AppRevision).where(AppRevision.revision_id.in_(ids))
    return {revision.revision_id: revision for revision in session.scalars(query)}


def manifest_of(app: DeployedApp) -> AppManifest:
    return AppManifest.from_json(app.manifest)


def endpoint_ids_of(app: DeployedApp) -> list[str]:
    """Under the deployed name, which may differ from the class's (``--name``)."""
    return [info.endpoint_id(app.owner, app.name) for info in manifest_of(app).endpoints]


def _endpoint_metadata(
    manifest: AppManifest, info: EndpointInfo, given: Mapping[str, Any]
) -> dict[str, Any]:
    metadata = dict(given)
    metadata.setdefault("display_name", manifest.name if info.path == "/" else info.name)
    return metadata
