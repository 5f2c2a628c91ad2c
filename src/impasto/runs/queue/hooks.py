"""What happens exactly once when a request completes, in the completing transaction."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import event
from sqlalchemy.orm import Session

from impasto.assets.ingest.runs import record_run
from impasto.catalog.service import CatalogService
from impasto.kit.clock import Clock
from impasto.kit.ids import IdGenerator
from impasto.runs.queue.completion import Completed, CompletionHook
from impasto.webhooks.core import Webhooks


def count_popularity(clock: Clock, operator: str) -> CompletionHook:
    """The catalog's popularity is real traffic: one per completed request."""

    def hook(session: Session, record: Completed) -> None:
        CatalogService(session, clock, operator=operator).record_requests(record.endpoint_id)

    return hook


def send_webhook(webhooks: Webhooks) -> CompletionHook:
    """fal_webhook: the delivery joins the outbox in the same transaction."""

    def hook(session: Session, record: Completed) -> None:
        if record.webhook_url is None:
            return
        webhooks.outbox.enqueue(
            session,
            request_id=record.request_id,
            owner=record.owner,
            url=record.webhook_url,
            result_status=record.result_status,
            output=record.output,
            error=record.error,
        )
        event.listen(session, "after_commit", lambda _: webhooks.kick(), once=True)

    return hook


def index_assets(ids: IdGenerator, orchestrated: Collection[str] = ()) -> CompletionHook:
    """Input and output files of a successful run join the owner's asset library.

    A run of an ``orchestrated`` namespace (a workflow) is left out: its nodes, ordinary
    requests, already recorded every file it took and made, with their lineage. So is a
    request sent with ``X-Fal-Store-IO: 0``: its payloads are not to be kept.
    """

    def hook(session: Session, record: Completed) -> None:
        if (
            record.result_status >= 400
            or not record.store_io
            or record.app_id.split("/", 1)[0] in orchestrated
        ):
            return
        record_run(
            session,
            ids,
            owner=record.owner,
            request_id=record.request_id,
            endpoint_id=record.endpoint_id,
            input_payload=record.input,
            output_payload=record.output,
            created_at=record.completed_at,
        )

    return hook
