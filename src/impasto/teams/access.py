"""Model access controls: may this owner call this model?

Rules are ALLOWED or BLOCKED, for one endpoint id or for every model (``*``), set on a
team or on its organization's root. The most specific rule decides: the team's rule for
the endpoint, then the team's ``*``, then the organization's rule for the endpoint, then
its ``*``; no rule: allowed. An allow-list is ``* BLOCKED`` plus an ALLOWED rule per model.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from impasto.teams.repository import EVERY_MODEL, TeamRepository

ALLOWED = "ALLOWED"
BLOCKED = "BLOCKED"


def decide(owner: str, endpoint_id: str, rules: Iterable[tuple[str, str, str]]) -> str:
    """``rules``: (account, endpoint_id, access) of the owner and its organization root."""
    ranked = sorted(
        rules,
        key=lambda rule: (rule[0] != owner, rule[1] != endpoint_id),
    )
    for _, target, access in ranked:
        if target in (endpoint_id, EVERY_MODEL):
            return access
    return ALLOWED


def allows(session: Session, owner: str, endpoint_id: str) -> bool:
    """One indexed read; on every submit's path."""
    rules = TeamRepository(session).rules_for(owner, endpoint_id)
    return not rules or decide(owner, endpoint_id, rules) == ALLOWED
