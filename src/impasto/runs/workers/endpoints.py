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
from impasto.deps import OwnBases, SettingsDep
from impasto.files.cdn.responses import content_length, file_response
from impasto.files.deps import Files
from impasto.keys.auth import WorkerPrincipal
from impasto.kit.http.base_url import own_origins
from impasto.kit.http.bodies import BoundedRoute
from impasto.runners.protocol import MAX_FRAME_BYTES
from impasto.runs.deployments.activity import Sample
from impasto.runs.queue.deps import Runs
from impasto.runs.workers.deps import Workers
from impasto.runs.workers.schemas import (
    REQUEST_ID,
    WORKER_ID,
    Accepted,
    ActivityBody,
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


class WorkerRoute(BoundedRoute):
    """A worker's finish carries the app's whole answer: as large as a runner may send
    (its frame limit), where a tenant's JSON body gets ``max_json_body_bytes``."""

    max_body_bytes = MAX_FRAME_BYTES


router = APIRouter(route_class=WorkerRoute, prefix="/worker/v1", include_in_schema=False)
REQUEST_PATH = Path(pattern=REQUEST_ID)
WorkerIdQuery = Annotated[str, Query(pattern=WORKER_ID)]
AttemptQuery = Annotated[int, Query(ge=1, le=1000)]
MAX_URL_LENGTH = 4096


@router.get("/info")
def info(_: WorkerPrincipal, runs: Runs) -> WorkerInfo:
    """What a worker tunes itself by: heartbeats must come well within a lease."""
    return WorkerInfo(version=__version__, lease_seconds=runs.policy.lease_seconds)


@router.get("/apps")
async def apps(workers: Workers, worker_id: WorkerIdQuery) -> AppList:
    """The deployed apps this key may serve."""
    specs = await workers.apps(worker_id)
    return AppList(apps=[spec.to_json() for spec in specs])


@router.get("/code", response_class=Response)
async def code(
    workers: Workers,
    worker_id: WorkerIdQuery,
    app_id: Annotated[str, Query(min_length=3, max_length=255)],
    revision_id: Annotated[str, Query(min_length=1, max_length=36)],
) -> Response:
    """The zip archive of an app revision's code (apps deployed with `impasto deploy`);
    403 for an app outside the key's binding, 404 for a revision not of that app."""
    data = await workers.fetch_code(worker_id, app_id, revision_id)
    return Response(
        data, media_type="application/zip", headers={"Cache-Control": "private, no-store"}
    )


@router.post("/apps/activity")
async def app_activity(body: ActivityBody, workers: Workers) -> Accepted:
    """Runner lifecycle events and per-minute runner counts of apps this key serves
    (the apps' events and runner history)."""
    events = [
        (item.app_id, item.category, item.payload.model_dump(exclude_none=True))
        for item in body.events
    ]
    samples = [Sample(s.app_id, s.running, s.idle, s.pending, s.draining) for s in body.samples]
    await workers.app_activity(body.worker_id, events, samples)
    return Accepted(accepted=True)


@router.post("/claim")
async def claim(body: ClaimBody, request: Request, workers: Workers) -> ClaimList:
    """Long poll: with ``wait``, answers as soon as something was claimed. 403 when an
    app is outside the key's binding."""
    wants = [(want.app_id, want.limit) for want in body.apps]
    claims = await workers.claim(body.worker_id, wants, body.wait, request.is_disconnected)
    return ClaimList(claims=[item.to_json() for item in claims])


@router.post("/heartbeat")
async def heartbeat(body: HeartbeatBody, workers: Workers) -> BeatAnswer:
    beat = await workers.heartbeat(body.worker_id, body.request_ids)
    return BeatAnswer(cancel=beat.cancel, lost=beat.lost)


@router.post("/requests/{request_id}/events")
async def report(
    request_id: Annotated[str, REQUEST_PATH],
    body: ReportBody,
    workers: Workers,
) -> Accepted:
    events = [(item.kind, item.data) for item in body.events]
    return Accepted(accepted=await workers.report(body.worker_id, request_id, body.attempt, events))


@router.post("/requests/{request_id}/finish")
async def finish(
    request_id: Annotated[str, REQUEST_PATH],
    body: OutcomeBody,
    workers: Workers,
) -> Accepted:
    result = body.result.to_result()
    return Accepted(accepted=await workers.finish(body.worker_id, request_id, body.attempt, result))


@router.post("/requests/{request_id}/release")
async def release(
    request_id: Annotated[str, REQUEST_PATH],
    body: OutcomeBody,
    workers: Workers,
) -> Accepted:
    result = body.result.to_result()
    accepted = await workers.release(body.worker_id, request_id, body.attempt, result)
    return Accepted(accepted=accepted)


@router.put("/requests/{request_id}/files")
async def store_file(
    request_id: Annotated[str, REQUEST_PATH],
    request: Request,
    workers: Workers,
    worker_id: WorkerIdQuery,
    attempt: AttemptQuery,
    file_name: Annotated[str, Query(min_length=1, max_length=255)],
) -> StoredFile:
    """The body is the file; it is stored for the request's owner, like an upload."""
    url = await workers.store_output(
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
    workers: Workers,
    files: Files,
    settings: SettingsDep,
    own: OwnBases,
    worker_id: WorkerIdQuery,
    attempt: AttemptQuery,
    url: Annotated[str, Query(min_length=1, max_length=MAX_URL_LENGTH)],
) -> Response:
    """A file of this server named as an input of a request this worker holds, read as
    the request's owner: their own private files too, 404 for what they may not read."""
    bases = [*own, *own_origins(settings.public_url, settings.host, settings.port)]
    view = await workers.open_input(worker_id, request_id, attempt, url, bases)
    return file_response(request, files, view, "private, no-store")


@router.post("/loaded")
async def set_loaded(body: LoadedBody, workers: Workers) -> Accepted:
    """Whether this worker has the app's runners up (the catalog's warm flag)."""
    await workers.set_loaded(body.worker_id, body.app_id, body.loaded)
    return Accepted(accepted=True)
