"""The worker API under ``/worker/v1``: how ``impasto worker`` on another machine serves
the queue over HTTP, with an ADMIN key and no database credentials.

Not part of the Platform API document. Every call names the worker id the leases are held
under; whether that worker still holds an attempt is decided by ``LeaseService`` alone.
Errors come out in the run surface's ``{"detail"}`` format.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from impasto import __version__
from impasto.container import Container
from impasto.deps import ContainerDep
from impasto.files.http import content_length
from impasto.keys.auth import AdminPrincipal
from impasto.runs.worker_schemas import (
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
from impasto.runs.worker_service import WorkerGateway

router = APIRouter(prefix="/worker/v1", include_in_schema=False)
REQUEST_PATH = Path(pattern=REQUEST_ID)


def _gateway(container: Container) -> WorkerGateway:
    return WorkerGateway(container.database, container.runs, container.files, container.url_fetcher)


@router.get("/info")
def info(_: AdminPrincipal, container: ContainerDep) -> WorkerInfo:
    """What a worker tunes itself by: heartbeats must come well within a lease."""
    return WorkerInfo(version=__version__, lease_seconds=container.runs.policy.lease_seconds)


@router.get("/apps")
async def apps(
    _: AdminPrincipal,
    container: ContainerDep,
    worker_id: Annotated[str, Query(pattern=WORKER_ID)],
) -> AppList:
    specs = await _gateway(container).link(worker_id).apps()
    return AppList(apps=[spec.to_json() for spec in specs])


@router.post("/claim")
async def claim(
    body: ClaimBody, request: Request, _: AdminPrincipal, container: ContainerDep
) -> ClaimList:
    """Long poll: with ``wait``, answers as soon as something was claimed."""
    wants = [(want.app_id, want.limit) for want in body.apps]
    gateway = _gateway(container)
    claims = await gateway.claim(body.worker_id, wants, body.wait, request.is_disconnected)
    return ClaimList(claims=[item.to_json() for item in claims])


@router.post("/heartbeat")
async def heartbeat(body: HeartbeatBody, _: AdminPrincipal, container: ContainerDep) -> BeatAnswer:
    beat = await _gateway(container).link(body.worker_id).heartbeat(body.request_ids)
    return BeatAnswer(cancel=beat.cancel, lost=beat.lost)


@router.post("/requests/{request_id}/events")
async def report(
    request_id: Annotated[str, REQUEST_PATH],
    body: ReportBody,
    _: AdminPrincipal,
    container: ContainerDep,
) -> Accepted:
    events = [(item.kind, item.data) for item in body.events]
    link = _gateway(container).link(body.worker_id)
    return Accepted(accepted=await link.report(request_id, body.attempt, events))


@router.post("/requests/{request_id}/finish")
async def finish(
    request_id: Annotated[str, REQUEST_PATH],
    body: OutcomeBody,
    _: AdminPrincipal,
    container: ContainerDep,
) -> Accepted:
    link = _gateway(container).link(body.worker_id)
    return Accepted(accepted=await link.finish(request_id, body.attempt, body.result.to_result()))


@router.post("/requests/{request_id}/release")
async def release(
    request_id: Annotated[str, REQUEST_PATH],
    body: OutcomeBody,
    _: AdminPrincipal,
    container: ContainerDep,
) -> Accepted:
    link = _gateway(container).link(body.worker_id)
    result = body.result.to_result()
    return Accepted(accepted=await link.release(request_id, body.attempt, result))


@router.put("/requests/{request_id}/files")
async def store_file(
    request_id: Annotated[str, REQUEST_PATH],
    request: Request,
    _: AdminPrincipal,
    container: ContainerDep,
    worker_id: Annotated[str, Query(pattern=WORKER_ID)],
    attempt: Annotated[int, Query(ge=1, le=1000)],
    file_name: Annotated[str, Query(min_length=1, max_length=255)],
) -> StoredFile:
    """The body is the file; it is stored for the request's owner, like an upload."""
    url = await _gateway(container).store_output(
        worker_id,
        request_id,
        attempt,
        request.stream(),
        content_type=request.headers.get("content-type"),
        file_name=file_name,
        size=content_length(request),
    )
    return StoredFile(url=url)


@router.post("/loaded")
async def set_loaded(body: LoadedBody, _: AdminPrincipal, container: ContainerDep) -> Accepted:
    """Whether this worker has the app's runners up (the catalog's warm flag)."""
    await _gateway(container).link(body.worker_id).set_loaded(body.app_id, body.loaded)
    return Accepted(accepted=True)
