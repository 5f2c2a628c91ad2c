"""Organizations of owners: teams (accounts) under an organization root, and which models
each may call.

A team is an ordinary account: its keys are its members' keys, its requests and usage
are its own, and no team sees another's data. The organization root (itself a team) reads
every team's usage and billing, and sets model access rules.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from impasto.kit.db.types import UTCDateTime
from impasto.models.base import Base


class OrganizationTeam(Base):
    """``username`` belongs to the organization rooted at ``organization`` (the root is a
    member of its own organization)."""

    __tablename__ = "organization_teams"
    __table_args__ = (Index(None, "organization", "username"),)

    username: Mapped[str] = mapped_column(
        ForeignKey("accounts.name", ondelete="CASCADE"), primary_key=True
    )
    organization: Mapped[str] = mapped_column(ForeignKey("accounts.name", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ModelAccessRule(Base):
    """``account`` (a team, or an organization root for all its teams) may or may not call
    ``endpoint_id``; a team's own rule wins over its organization's."""

    __tablename__ = "model_access_rules"
    __table_args__ = (CheckConstraint("access IN ('ALLOWED', 'BLOCKED')", name="access"),)

    account: Mapped[str] = mapped_column(
        ForeignKey("accounts.name", ondelete="CASCADE"), primary_key=True
    )
    endpoint_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    access: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
