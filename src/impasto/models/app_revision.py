"""Apps deployed as code: each deploy is a revision pointing at a content-addressed archive.

The archive lives in the database, not on a disk of one machine, so every API process
serves it and every worker (embedded or remote) fetches the same bytes; it is bounded
(``runs.deployments.revisions.MAX_CODE_BYTES``) and shared by revisions with the same
content.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String
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
