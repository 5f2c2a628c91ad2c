"""Deployed apps, run requests (the durable queue), their events and webhook deliveries.

A request row is the queue entry and the request record at once: it is inserted
``IN_QUEUE`` in the submitting transaction, claimed ``IN_PROGRESS`` under a lease that the
worker renews, and finished ``COMPLETED`` exactly once (the write checks the lease and the
attempt number, so a worker that lost its lease cannot overwrite a later attempt).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from impasto.kit.db.types import UTCDateTime
from impasto.models.base import Base


class DeployedApp(Base):
    """An app served on this platform: ``owner/name`` -> the class that implements it."""

    __tablename__ = "apps"

    app_id: Mapped[str] = mapped_column(String(255), primary_key=True)  # owner/name
    owner: Mapped[str] = mapped_column(ForeignKey("accounts.name", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(127))
    import_path: Mapped[str] = mapped_column(String(512))  # module:Class
    # AppManifest.to_json(): scaling settings and every endpoint with its schemas.
    manifest: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Extra environment for the runner process (never the server's own settings).
    env: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # The live revision of an app deployed as code (models/app_revision.py); None for an
    # app imported from the server's own environment (built-in apps, ``apps add``).
    revision_id: Mapped[str | None] = mapped_column(String(36), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RequestRecord(Base):
    __tablename__ = "run_requests"
    __table_args__ = (
        # The claim: oldest normal-priority request of an app first (ids are UUIDv7).
        Index(None, "app_id", "status", "priority", "request_id"),
        # The reaper: expired leases.
        Index(None, "status", "lease_expires_at"),
        # Request records by owner and endpoint, newest first.
        Index(None, "owner", "endpoint_id", "created_at"),
        Index(None, "owner", "created_at"),
        # A workflow run's node requests: one per node, whatever completes concurrently.
        Index(None, "parent_request_id", "node_id", unique=True),
    )

    request_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner: Mapped[str] = mapped_column(ForeignKey("accounts.name", ondelete="CASCADE"))
    key_id: Mapped[str | None] = mapped_column(String(36), default=None)
    endpoint_id: Mapped[str] = mapped_column(String(255))
    app_id: Mapped[str] = mapped_column(String(255))
    path: Mapped[str] = mapped_column(String(255))  # the endpoint's path inside the app
    mode: Mapped[str] = mapped_column(String(16))  # queue | sync | stream | ws | realtime
    status: Mapped[str] = mapped_column(String(16))  # IN_QUEUE | IN_PROGRESS | COMPLETED
    priority: Mapped[int] = mapped_column(SmallInteger, default=0)  # 0 normal, 1 low
    input: Mapped[Any | None] = mapped_column(JSON, default=None)
    # Headers forwarded to the runner (x-fal-* the app may read).
    headers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    store_io: Mapped[bool] = mapped_column(Boolean, default=True)
    # Where the caller reached this server: output file URLs are built on it.
    base_url: Mapped[str] = mapped_column(String(512))
    runner_hint: Mapped[str | None] = mapped_column(String(255), default=None)
    webhook_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    # X-Fal-Request-Timeout: the request must have started by then, or it fails with 504.
    start_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer)
    # The embedded worker's id, or "<key_id>/<worker_id>" for a remote worker's lease.
    lease_owner: Mapped[str | None] = mapped_column(String(128), default=None)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    # Runners that died with this request in flight: past a limit it is failed, not retried.
    runner_crashes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # A node of a workflow run: the run's request, and the node's id in its definition.
    parent_request_id: Mapped[str | None] = mapped_column(String(36), default=None)
    node_id: Mapped[str | None] = mapped_column(String(128), default=None)
    # The result, as the app answered it (or as the platform failed it).
    result_status: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    output: Mapped[Any | None] = mapped_column(JSON, default=None)
    result_headers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    error_type: Mapped[str | None] = mapped_column(String(64), default=None)
    inference_time: Mapped[float | None] = mapped_column(Float, default=None)
    payloads_deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class RunEvent(Base):
    """Logs, progress and partial outputs of a request, in the order the app made them."""

    __tablename__ = "run_events"
    __table_args__ = (Index(None, "request_id", "seq"),)

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    request_id: Mapped[str] = mapped_column(
        ForeignKey("run_requests.request_id", ondelete="CASCADE")
    )
    attempt: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # log | progress | partial
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WebhookDelivery(Base):
    """The outbox: committed with the request's completion, delivered after the commit."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index(None, "state", "next_attempt_at"),)

    delivery_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    request_id: Mapped[str] = mapped_column(
        ForeignKey("run_requests.request_id", ondelete="CASCADE")
    )
    owner: Mapped[str] = mapped_column(String(63))
    url: Mapped[str] = mapped_column(String(2048))
    # The exact bytes that are signed and sent, so every retry is byte-identical.
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16))  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_status_code: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
