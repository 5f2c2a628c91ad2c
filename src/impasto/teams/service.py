"""Organizations: who is a team of which root, what the root may read, and the access
report. An account is in at most one organization; a root is a member of its own."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from sqlalchemy.orm import Session

from impasto.catalog.repository import CatalogRepository
from impasto.kit.clock import Clock
from impasto.kit.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from impasto.kit.names import validate_owner_name
from impasto.models import OrganizationTeam
from impasto.teams.access import ALLOWED, BLOCKED, decide
from impasto.teams.repository import EVERY_MODEL, TeamRepository

ACCESS_COLUMNS = (
    "endpoint_id",
    "title",
    "category",
    "enterprise_status",
    "ui_access",
    "api_access",
)


class TeamService:
    def __init__(self, session: Session, clock: Clock) -> None:
        self._session = session
        self._repo = TeamRepository(session)
        self._clock = clock

    # -- reading ------------------------------------------------------------------------

    def organization_of(self, owner: str) -> str | None:
        team = self._repo.membership(owner)
        return team.organization if team is not None else None

    def teams_of_root(self, owner: str) -> list[OrganizationTeam]:
        """The teams of the organization ``owner`` is the root of; refused to anyone else,
        as fal does: organization reports are for the root's ADMIN keys."""
        if self.organization_of(owner) != owner:
            raise PermissionDenied(
                "organization operations need an ADMIN key of the organization's root team"
            )
        return self._repo.teams(owner)

    def team_usernames(self, owner: str, wanted: Sequence[str] | None) -> list[str]:
        """The root's teams to report on: all, or those of ``wanted`` in its organization
        (a name outside it matches nothing, never another organization's team)."""
        names = [team.username for team in self.teams_of_root(owner)]
        if wanted is None:
            return names
        return [name for name in names if name in set(wanted)]

    def access_csv(self, owner: str) -> str:
        """Every model ``owner`` can see, and whether its organization lets it call them."""
        organization = self.organization_of(owner)
        accounts = [owner] if organization in (None, owner) else [owner, organization]
        rules = [(r.account, r.endpoint_id, r.access) for r in self._repo.rules_of(accounts)]
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(ACCESS_COLUMNS)
        for endpoint_id, title, category, privacy, entry_owner in self._repo.catalog():
            if privacy == "private" and entry_owner != owner:
                continue
            access = decide(owner, endpoint_id, rules)
            writer.writerow([endpoint_id, title, category, "ready", access, access])
        return out.getvalue()

    # -- managing (the operator's command line) ------------------------------------------

    def add_team(self, organization: str, username: str, name: str | None = None) -> None:
        for account in (organization, username):
            try:
                validate_owner_name(account)
            except ValueError as exc:
                raise InvalidRequest(str(exc)) from None
        root = self._repo.membership(organization)
        if root is not None and root.organization != organization:
            raise Conflict(f"{organization!r} is a team of {root.organization!r}, not a root")
        now = self._clock.now()
        accounts = CatalogRepository(self._session)
        if root is None:
            accounts.ensure_account(organization, now)
            self._repo.add(
                OrganizationTeam(
                    username=organization,
                    organization=organization,
                    name=organization,
                    created_at=now,
                )
            )
        if username == organization:
            return
        existing = self._repo.membership(username)
        if existing is not None:
            raise Conflict(f"{username!r} is already a team of {existing.organization!r}")
        accounts.ensure_account(username, now)
        self._repo.add(
            OrganizationTeam(
                username=username, organization=organization, name=name or username, created_at=now
            )
        )

    def remove_team(self, username: str) -> None:
        team = self._repo.membership(username)
        if team is None:
            raise NotFound(f"{username!r} is in no organization")
        if team.organization == username and len(self._repo.teams(username)) > 1:
            raise Conflict(f"{username!r} is the root of teams: remove them first")
        self._repo.remove(team)

    def set_access(self, account: str, endpoint_id: str, access: str | None) -> None:
        if access not in (ALLOWED, BLOCKED, None):
            raise InvalidRequest("access is ALLOWED or BLOCKED")
        if not endpoint_id or len(endpoint_id) > 255:
            raise InvalidRequest(f"an endpoint id or {EVERY_MODEL!r}")
        if access is None:
            if not self._repo.unset_rule(account, endpoint_id):
                raise NotFound(f"no rule for {endpoint_id!r} on {account!r}")
            return
        CatalogRepository(self._session).ensure_account(account, self._clock.now())
        self._repo.set_rule(account, endpoint_id, access, self._clock.now())

    def rules(self, accounts: Sequence[str]) -> list[tuple[str, str, str]]:
        return [(r.account, r.endpoint_id, r.access) for r in self._repo.rules_of(accounts)]
