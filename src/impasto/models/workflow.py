"""Workflows: an owner's saved graphs of model calls, and the runs made from them.

A definition (``contents``, fal's format) is stored as sent. A run is an ordinary request
record (its endpoint ``workflows/{owner}/{name}``) with a ``workflow_runs`` row holding the
definition it started with, so editing a workflow never changes a run in flight; each node
runs as a request of its own whose ``parent_request_id`` names the run and ``node_id`` the
node (``run_requests``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from impasto.kit.db.types import UTCDateTime
from impasto.models.base import Base


class Workflow(Base):
    __tablename__ = "workflows"
    __table_args__ = (
        UniqueConstraint("owner", "name"),
        Index(None, "owner", "created_at"),
    )

    workflow_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner: Mapped[str] = mapped_column(ForeignKey("accounts.name", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(128))  # ^[a-zA-Z0-9_-]+$, unique per owner
    title: Mapped[str] = mapped_column(String(256))
    is_public: Mapped[bool] = mapped_column(Boolean, default=False)
    contents: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The apps its nodes call, derived from contents (fal's used_endpoint_ids filter).
    endpoint_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WorkflowRun(Base):
    """The definition a run started with; its request record carries everything else."""

    __tablename__ = "workflow_runs"

    request_id: Mapped[str] = mapped_column(
        ForeignKey("run_requests.request_id", ondelete="CASCADE"), primary_key=True
    )
    workflow_id: Mapped[str | None] = mapped_column(
        ForeignKey("workflows.workflow_id", ondelete="SET NULL"), default=None
    )
    contents: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
