"""Serving installed models under fal endpoint ids (``fal-ai/flux/dev``).

Every alias under one ``owner/app`` becomes one deployed app of the diffusion app class:
its manifest lists one endpoint per alias path, each a copy of the class's endpoint for the
alias's task with the alias's path, so the catalog and the queue see ordinary endpoints.
The runner learns which model and task each path means from one environment variable
(``ROUTES_ENV``), which the app's ``endpoint_for`` reads.
"""

from __future__ import annotations

import json
from dataclasses import replace

from sqlalchemy.orm import Session

from impasto.apps.diffusion.routes import DIFFUSION_APP, ROUTES_ENV, TASK_PATHS, Route
from impasto.kit.clock import Clock
from impasto.kit.errors import InvalidRequest, NotFound
from impasto.kit.names import validate_owner_name
from impasto.models import InstalledModel
from impasto.runs.deployments.repository import DeploymentRepository
from impasto.runs.deployments.service import DeploymentService
from impasto.sdk.introspect import AppManifest, describe, load_app
from impasto.sdk.naming import normalize_path, validate_app_name
from impasto.weights.repository import WeightsRepository


def split_endpoint_id(endpoint_id: str) -> tuple[str, str, str]:
    """``fal-ai/flux/dev`` -> (``fal-ai``, ``flux``, ``/dev``), each part checked."""
    parts = endpoint_id.strip().strip("/").split("/")
    if len(parts) < 2:
        raise InvalidRequest(f"alias {endpoint_id!r}: use owner/app[/path], e.g. fal-ai/flux/dev")
    try:
        owner = validate_owner_name(parts[0])
        app = validate_app_name(parts[1])
        path = normalize_path("/".join(parts[2:]))
    except ValueError as exc:
        raise InvalidRequest(f"alias {endpoint_id!r}: {exc}") from None
    return owner, app, path


def deploy_aliases(session: Session, clock: Clock, operator: str, owner: str, app: str) -> None:
    """Bring ``owner/app``'s deployment in line with its aliases (none left: undeploy)."""
    app_id = f"{owner}/{app}"
    repo = WeightsRepository(session)
    registry = DeploymentService(session, clock, operator=operator)
    aliases = repo.aliases_under(app_id)
    if not aliases:
        if DeploymentRepository(session).get(app_id) is not None:
            registry.remove(app_id)
        return
    base = describe(load_app(DIFFUSION_APP))
    by_path = {info.path: info for info in base.endpoints}
    routes: dict[str, Route] = {}
    endpoints = []
    for alias in aliases:
        model = repo.get(alias.model_name)
        if model is None:  # the foreign key keeps this from happening
            raise NotFound(f"model {alias.model_name} is not installed")
        _, _, path = split_endpoint_id(alias.endpoint_id)
        routes[path] = route_of(model, alias.task, alias.device)
        endpoints.append(replace(by_path[TASK_PATHS[alias.task]], path=path))
    manifest = AppManifest(name=app, settings=base.settings, endpoints=tuple(endpoints))
    env = {ROUTES_ENV: json.dumps({path: route.to_json() for path, route in routes.items()})}
    registry.register(manifest, DIFFUSION_APP, owner=owner, name=app, env=env, public=True)


def route_of(model: InstalledModel, task: str, device: str | None = None) -> Route:
    return Route(
        task=task,
        model=model.name,
        path=model.path,
        source=model.source,
        family=model.family,
        pipeline_class=model.pipeline_class,
        device=device,
    )
