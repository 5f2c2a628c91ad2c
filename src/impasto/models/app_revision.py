"""Apps deployed as code: each deploy is a revision pointing at a content-addressed archive;
what happened to each app (its events) and how many runners it had (runner samples).

The archive lives in the database, not on a disk of one machine, so every API process
serves it and every worker (embedded or remote) fetches the same bytes; it is bounded
(``runs.deployments.revisions.MAX_CODE_BYTES``) and shared by revisions with the same
content.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from impasto.kit.db.types import UTCDateTime
from impasto.models.base import Base


class AppCode(Base):
    """A zip archive of an app's source, named by the SHA-256 of its bytes."""

    __tablename__ = "app_code"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AppRevision(Base):
    """One deploy: which code, which class in it, what it needs, who and when."""

    __tablename__ = "app_revisions"

    revision_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.app_id", ondelete="CASCADE"), index=True)
    code_sha256: Mapped[str] = mapped_column(ForeignKey("app_code.sha256"), index=True)
    entry: Mapped[str] = mapped_column(String(512))  # module:Class inside the archive
    requirements: Mapped[list[str]] = mapped_column(JSON, default=list)
    manifest: Mapped[dict[str, Any]] = mapped_column(JSON)
    deployed_by: Mapped[str | None] = mapped_column(String(36), default=None)  # key id
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AppEvent(Base):
    """What happened to an app: deploys, configuration changes, runner lifecycle (fal's
    app event categories), newest first by ``(created_at, event_id)``."""

    __tablename__ = "app_events"
    __table_args__ = (Index("ix_app_events_app_id_created_at", "app_id", "created_at"),)

    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.app_id", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RunnerSample(Base):
    """One worker's count of an app's runners by state at one moment; workers send one
    a minute per app they hold runners for. Runner history sums them per moment."""

    __tablename__ = "runner_samples"
    __table_args__ = (Index("ix_runner_samples_app_id_sampled_at", "app_id", "sampled_at"),)

    sample_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.app_id", ondelete="CASCADE"))
    worker: Mapped[str] = mapped_column(String(128))
    sampled_at: Mapped[datetime] = mapped_column(UTCDateTime())
    running: Mapped[int] = mapped_column(Integer)
    idle: Mapped[int] = mapped_column(Integer)
    pending: Mapped[int] = mapped_column(Integer)
    draining: Mapped[int] = mapped_column(Integer)
