"""The SQL of organizations and model access rules."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, delete, or_, select
from sqlalchemy.orm import Session

from impasto.models import CatalogEntry, ModelAccessRule, OrganizationTeam

T, M = OrganizationTeam, ModelAccessRule
EVERY_MODEL = "*"

# The submit path's one read: the caller's own rules and its organization's, for the
# endpoint and for every model ("*"). Built once.
_RULES = select(M.account, M.endpoint_id, M.access).where(
    or_(
        M.account == bindparam("owner"),
        M.account
        == select(T.organization).where(T.username == bindparam("owner")).scalar_subquery(),
    ),
    M.endpoint_id.in_([bindparam("endpoint_id"), EVERY_MODEL]),
)


class TeamRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def membership(self, username: str) -> OrganizationTeam | None:
        return self.session.get(T, username)

    def teams(self, organization: str) -> list[OrganizationTeam]:
        stmt = select(T).where(T.organization == organization).order_by(T.created_at, T.username)
        return list(self.session.scalars(stmt))

    def add(self, team: OrganizationTeam) -> None:
        self.session.add(team)
        self.session.flush()

    def remove(self, team: OrganizationTeam) -> None:
        self.session.delete(team)
        self.session.flush()

    def rules_for(self, owner: str, endpoint_id: str) -> list[tuple[str, str, str]]:
        rows = self.session.execute(_RULES, {"owner": owner, "endpoint_id": endpoint_id})
        return [(row.account, row.endpoint_id, row.access) for row in rows]

    def rules_of(self, accounts: Sequence[str]) -> list[ModelAccessRule]:
        stmt = select(M).where(M.account.in_(list(accounts))).order_by(M.account, M.endpoint_id)
        return list(self.session.scalars(stmt))

    def set_rule(self, account: str, endpoint_id: str, access: str, now: datetime) -> None:
        rule = self.session.get(M, (account, endpoint_id))
        if rule is None:
            self.session.add(
                M(account=account, endpoint_id=endpoint_id, access=access, created_at=now)
            )
        else:
            rule.access = access
        self.session.flush()

    def unset_rule(self, account: str, endpoint_id: str) -> bool:
        result = self.session.execute(
            delete(M).where(M.account == account, M.endpoint_id == endpoint_id)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def catalog(self) -> list[tuple[str, str, str, str, str]]:
        """Every catalog entry: (endpoint_id, display name, category, privacy, owner)."""
        stmt = select(
            CatalogEntry.endpoint_id,
            CatalogEntry.display_name,
            CatalogEntry.category,
            CatalogEntry.privacy,
            CatalogEntry.owner,
        ).order_by(CatalogEntry.endpoint_id)
        return [tuple(row) for row in self.session.execute(stmt)]  # type: ignore[misc]
