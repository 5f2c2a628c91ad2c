from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from impasto.kit.db.types import UTCDateTime
from impasto.models.base import Base


class StudioSession(Base):
    """A signed-in browser. Only a SHA-256 of the cookie's secret is stored; the key it
    was opened with decides who it is, so revoking that key ends the session."""

    __tablename__ = "studio_sessions"
    __table_args__ = (Index(None, "key_id"), Index(None, "expires_at"))

    session_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    key_id: Mapped[str] = mapped_column(ForeignKey("api_keys.key_id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
