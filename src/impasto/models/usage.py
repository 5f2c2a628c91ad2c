"""The metering ledger: one row per finished request, its units and cost fixed at completion.

Written by the completion hook in the completing transaction (``usage/metering.py``) and
never updated: usage, analytics, billing events and FOCUS reports all read these rows, so
a price changed in the catalog later changes no past cost. Money is integer nano-units of
the currency, so sums are exact on every database.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, ForeignKey, Index, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from impasto.kit.db.types import UTCDateTime
from impasto.models.base import Base


class UsageEvent(Base):
    __tablename__ = "usage_events"
    __table_args__ = (
        Index(None, "owner", "completed_at"),
        Index(None, "owner", "endpoint_id", "completed_at"),
    )

    # One event per request: the completion is written once (fenced), and so is this.
    request_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # The account billed; not a foreign key to the request, which may be deleted.
    owner: Mapped[str] = mapped_column(ForeignKey("accounts.name", ondelete="CASCADE"))
    key_id: Mapped[str | None] = mapped_column(String(36))
    endpoint_id: Mapped[str] = mapped_column(String(255))
    app_id: Mapped[str] = mapped_column(String(255))
    status_code: Mapped[int] = mapped_column(SmallInteger)
    error_type: Mapped[str | None] = mapped_column(String(64))
    # What was billed: ``quantity`` of ``unit`` at ``unit_price_nano`` each; failed
    # requests bill nothing (quantity 0).
    unit: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[float] = mapped_column(Float)
    unit_price_nano: Mapped[int] = mapped_column(BigInteger)
    cost_nano: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    # Measured by the platform: queue wait, execution, and the runner time the app used.
    prepare_seconds: Mapped[float | None] = mapped_column(Float)
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    runner_seconds: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime())
