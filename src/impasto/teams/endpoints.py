"""fal's organization teams and model access control operations."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from fastapi import APIRouter, Response

from impasto.keys.auth import AdminPrincipal, ApiPrincipal
from impasto.kit.http.bodies import BoundedRoute
from impasto.kit.http.openapi import ERROR_RESPONSES
from impasto.teams.deps import ReadTeams
from impasto.teams.schemas import Team, Teams

router = APIRouter(route_class=BoundedRoute, prefix="/v1", responses=ERROR_RESPONSES)

CSV = "text/csv; charset=utf-8"
CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}}
}


@router.get(
    "/organization/teams",
    tags=["Organization"],
    operation_id="getOrganizationTeams",
    summary="Organization Teams",
    response_model=Teams,
)
def get_organization_teams(principal: AdminPrincipal, teams: ReadTeams) -> Teams:
    """The teams of the caller's organization, the root first. Only the root's ADMIN keys
    may read it (403 otherwise); `impasto teams` manages organizations."""
    members = teams.teams_of_root(principal.owner)
    return Teams(
        teams=[
            Team(
                username=team.username,
                name=team.name,
                is_org_root=team.username == team.organization,
                created_at=team.created_at.astimezone(UTC).isoformat(),
            )
            for team in sorted(members, key=lambda t: t.username != t.organization)
        ]
    )


@router.get(
    "/account/model-access-controls",
    tags=["Account"],
    operation_id="getModelAccessControls",
    summary="Model Access Controls",
    response_class=Response,
    responses=CSV_RESPONSE,
)
def get_model_access_controls(principal: ApiPrincipal, teams: ReadTeams) -> Response:
    """Every model the caller sees, with the access its organization's rules give it
    (`ALLOWED` or `BLOCKED`; a blocked model's submits are refused with 403). Columns:
    endpoint_id, title, category, enterprise_status, ui_access, api_access."""
    return Response(teams.access_csv(principal.owner), media_type=CSV)
