from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from impasto.kit.db.types import UTCDateTime
from impasto.models.base import Base


class Account(Base):
    """An owner: the first segment of endpoint ids; every resource belongs to one."""

    __tablename__ = "accounts"

    name: Mapped[str] = mapped_column(String(63), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
