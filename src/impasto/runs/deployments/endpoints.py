"""``/v1/apps``: deploy app code (``impasto deploy``), list the caller's apps, read one
with its revisions, remove one.

Deploying takes an ADMIN key and deploys under the key's owner; reading takes any key of
the owner. Another owner's app is a 404 (the operator sees every app).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from impasto.deps import SettingsDep
from impasto.keys.auth import AdminPrincipal, ApiPrincipal
from impasto.keys.service import Principal
from impasto.kit.errors import NotFound, PermissionDenied
from impasto.kit.http.bodies import BoundedRoute
from impasto.kit.http.openapi import ERROR_RESPONSES
from impasto.models import DeployedApp
from impasto.runs.deployments.deps import ReadRevisions, WriteRevisions
from impasto.runs.deployments.revisions import Deploy, RevisionService
from impasto.runs.deployments.schemas import (
    AppDetail,
    AppList,
    Deployed,
    DeployRequest,
    app_detail,
    app_item,
    revision_out,
)
from impasto.sdk.naming import APP_NAME_PATTERN

router = APIRouter(
    route_class=BoundedRoute, prefix="/v1/apps", tags=["Apps"], responses=ERROR_RESPONSES
)

Owner = Annotated[str, Path(max_length=63, description="The app's owner")]
AppName = Annotated[str, Path(max_length=127, pattern=APP_NAME_PATTERN, description="App name")]


@router.post(
    "",
    operation_id="deployApp",
    summary="Deploy app code as a new revision",
    status_code=status.HTTP_201_CREATED,
)
def deploy(
    body: DeployRequest, principal: AdminPrincipal, service: WriteRevisions, settings: SettingsDep
) -> Deployed:
    """Store the archive and a revision, and make it the app's live one. Workers load it
    at their next look at the app list; requests in flight finish on the old code. App
    code runs unsandboxed on the workers: only the operator's owner may deploy unless
    `IMPASTO_ALLOW_TENANT_DEPLOYS` is set (403 otherwise)."""
    if principal.owner != service.operator and not settings.allow_tenant_deploys:
        raise PermissionDenied(
            "Deploying app code is limited to the operator on this server "
            "(IMPASTO_ALLOW_TENANT_DEPLOYS)"
        )
    app, revision = service.deploy(
        Deploy(
            owner=principal.owner,
            name=body.name,
            entry=body.entry,
            manifest=body.manifest,
            code=body.code_bytes(),
            public=body.public,
            deployed_by=principal.key_id,
        )
    )
    return Deployed(app=app_item(app), revision=revision_out(revision))


@router.get("", operation_id="listApps", summary="List your apps")
def list_apps(principal: ApiPrincipal, service: ReadRevisions) -> AppList:
    apps = service.deployments.list()
    return AppList(apps=[app_item(app) for app in apps if _visible(app, principal, service)])


@router.get("/{owner}/{name}", operation_id="getApp", summary="Get an app and its revisions")
def get_app(
    owner: Owner, name: AppName, principal: ApiPrincipal, service: ReadRevisions
) -> AppDetail:
    app = _own_app(owner, name, principal, service)
    return app_detail(app, service.revisions(app.app_id))


@router.delete(
    "/{owner}/{name}",
    operation_id="deleteApp",
    summary="Remove an app, its revisions and its catalog entries",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
)
def delete_app(
    owner: Owner, name: AppName, principal: AdminPrincipal, service: WriteRevisions
) -> Response:
    app = _own_app(owner, name, principal, service)
    service.remove(app.app_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _visible(app: DeployedApp, principal: Principal, service: RevisionService) -> bool:
    return principal.owner in (app.owner, service.operator)


def _own_app(owner: str, name: str, principal: Principal, service: RevisionService) -> DeployedApp:
    app_id = f"{owner}/{name}"
    try:
        app = service.deployments.get(app_id)
    except NotFound:
        app = None
    if app is None or not _visible(app, principal, service):
        raise NotFound(f"app {app_id} not found")
    return app
