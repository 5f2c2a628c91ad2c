from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from impasto.kit.db.types import UTCDateTime
from impasto.models.base import Base


class KeyScope(StrEnum):
    API = "API"  # run models, the API-scoped Platform endpoints
    ADMIN = "ADMIN"  # also the owner's keys, catalog and other admin endpoints
    WORKER = "WORKER"  # the operator's remote workers: /worker/v1 only, never a tenant's


class ApiKey(Base):
    """A credential ``key_id:key_secret``. Only a SHA-256 of the secret is stored."""

    __tablename__ = "api_keys"
    __table_args__ = (
        CheckConstraint("scope IN ('API', 'ADMIN', 'WORKER')", name="scope"),
        Index(None, "owner", "key_id"),
    )

    key_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner: Mapped[str] = mapped_column(ForeignKey("accounts.name", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(8))
    alias: Mapped[str] = mapped_column(String(255))
    secret_sha256: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # WORKER keys: the app ids it may serve; None: every app.
    apps: Mapped[list[str] | None] = mapped_column(JSON, default=None)
