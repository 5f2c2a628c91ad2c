"""The worker API under ``/worker/v1``: how ``impasto worker`` on another machine serves
the queue over HTTP, with the operator's WORKER key and no database credentials.

Not part of the Platform API document. Tenant keys (API and ADMIN) are refused on every
route: an owner's ADMIN key manages that owner's catalog, it must not serve (or read, or
answer) other owners' requests. Every call names a worker id; the leases are held under
``<key_id>/<worker_id>`` and whether that worker still holds an attempt is decided by
``LeaseService`` alone. Errors come out in the run surface's ``{"detail"}`` format.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from impasto import __version__
from impasto.container import Container
from impasto.deps import ContainerDep
from impasto.files.cdn.responses import content_length, file_response, own_bases
from impasto.files.local_urls import own_origins
from impasto.files.service import FileService
from impasto.keys.auth import WorkerPrincipal
from impasto.keys.service import Principal
from impasto.kit.http.bodies import BoundedRoute
from impasto.runners.protocol import MAX_FRAME_BYTES
from impasto.runs.workers.schemas import (
    REQUEST_ID,
    WORKER_ID,
    Accepted,
    AppList,
    BeatAnswer,
    ClaimBody,
    ClaimList,
    HeartbeatBody,
    LoadedBody,
    OutcomeBody,
    ReportBody,
    StoredFile,
    WorkerInfo,
)
from impasto.runs.workers.service import WorkerKey, WorkerService


class WorkerRoute(BoundedRoute):
    """A worker's finish carries the app's whole answer: as large as a runner may send
    (its frame limit), where a tenant's JSON body gets ``max_json_body_bytes``."""

    max_body_bytes = MAX_FRAME_BYTES


router = APIRouter(route_class=WorkerRoute, prefix="/worker/v1", include_in_schema=False)
REQUEST_PATH = Path(pattern=REQUEST_ID)
WorkerIdQuery = Annotated[str, Query(pattern=WORKER_ID)]
AttemptQuery = Annotated[int, Query(ge=1, le=1000)]
MAX_URL_LENGTH = 4096


def _gateway(container: Container, principal: Principal) -> WorkerService:
    key = WorkerKey(key_id=principal.key_id, apps=principal.apps)
    return WorkerService(
        container.database, container.runs, container.files, container.url_fetcher, key
    )


@router.get("/info")
def info(_: WorkerPrincipal, container: ContainerDep) -> WorkerInfo:
    """What a worker tunes itself by: heartbeats must come well within a lease."""
    return WorkerInfo(version=__version__, lease_seconds=container.runs.policy.lease_seconds)


@router.get("/apps")
async def apps(
    principal: WorkerPrincipal, container: ContainerDep, worker_id: WorkerIdQuery
) -> AppList:
    """The deployed apps this key may serve."""
    specs = await _gateway(container, principal).apps(worker_id)
    return AppList(apps=[spec.to_json() for spec in specs])


@router.post("/claim")
async def claim(
    body: ClaimBody, request: Request, principal: WorkerPrincipal, container: ContainerDep
) -> ClaimList:
    """Long poll: with ``wait``, answers as soon as something was claimed. 403 when an
    app is outside the key's binding."""
    wants = [(want.app_id, want.limit) for want in body.apps]
    gateway = _gateway(container, principal)
    claims = await gateway.claim(body.worker_id, wants, body.wait, request.is_disconnected)
    return ClaimList(claims=[item.to_json() for item in claims])


@router.post("/heartbeat")
async def heartbeat(
    body: HeartbeatBody, principal: WorkerPrincipal, container: ContainerDep
) -> BeatAnswer:
    beat = await _gateway(container, principal).heartbeat(body.worker_id, body.request_ids)
    return BeatAnswer(cancel=beat.cancel, lost=beat.lost)


@router.post("/requests/{request_id}/events")
async def report(
    request_id: Annotated[str, REQUEST_PATH],
    body: ReportBody,
    principal: WorkerPrincipal,
    container: ContainerDep,
) -> Accepted:
    events = [(item.kind, item.data) for item in body.events]
    gateway = _gateway(container, principal)
    return Accepted(accepted=await gateway.report(body.worker_id, request_id, body.attempt, events))


@router.post("/requests/{request_id}/finish")
async def finish(
    request_id: Annotated[str, REQUEST_PATH],
    body: OutcomeBody,
    principal: WorkerPrincipal,
    container: ContainerDep,
) -> Accepted:
    gateway = _gateway(container, principal)
    result = body.result.to_result()
    return Accepted(accepted=await gateway.finish(body.worker_id, request_id, body.attempt, result))


@router.post("/requests/{request_id}/release")
async def release(
    request_id: Annotated[str, REQUEST_PATH],
    body: OutcomeBody,
    principal: WorkerPrincipal,
    container: ContainerDep,
) -> Accepted:
    gateway = _gateway(container, principal)
    result = body.result.to_result()
    accepted = await gateway.release(body.worker_id, request_id, body.attempt, result)
    return Accepted(accepted=accepted)


@router.put("/requests/{request_id}/files")
async def store_file(
    request_id: Annotated[str, REQUEST_PATH],
    request: Request,
    principal: WorkerPrincipal,
    container: ContainerDep,
    worker_id: WorkerIdQuery,
    attempt: AttemptQuery,
    file_name: Annotated[str, Query(min_length=1, max_length=255)],
) -> StoredFile:
    """The body is the file; it is stored for the request's owner, like an upload."""
    url = await _gateway(container, principal).store_output(
        worker_id,
        request_id,
        attempt,
        request.stream(),
        content_type=request.headers.get("content-type"),
        file_name=file_name,
        size=content_length(request),
    )
    return StoredFile(url=url)


@router.get("/requests/{request_id}/input")
async def read_input(
    request_id: Annotated[str, REQUEST_PATH],
    request: Request,
    principal: WorkerPrincipal,
    container: ContainerDep,
    worker_id: WorkerIdQuery,
    attempt: AttemptQuery,
    url: Annotated[str, Query(min_length=1, max_length=MAX_URL_LENGTH)],
) -> Response:
    """A file of this server named as an input of a request this worker holds, read as
    the request's owner: their own private files too, 404 for what they may not read."""
    settings = container.settings
    bases = [*own_bases(request, settings.public_url), *own_origins(settings)]
    gateway = _gateway(container, principal)
    view = await gateway.open_input(worker_id, request_id, attempt, url, bases)
    return file_response(request, FileService(container.files), view, "private, no-store")


@router.post("/loaded")
async def set_loaded(
    body: LoadedBody, principal: WorkerPrincipal, container: ContainerDep
) -> Accepted:
    """Whether this worker has the app's runners up (the catalog's warm flag)."""
    await _gateway(container, principal).set_loaded(body.worker_id, body.app_id, body.loaded)
    return Accepted(accepted=True)
