"""Organizations: the root reads every team's usage and billing, teams see only their own,
and model access rules are enforced at submit and reported as CSV."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from impasto.models import KeyScope
from impasto.teams.service import TeamService
from tests.fal_spec import assert_fal_shape
from tests.integration.usage.server import DEBUG, STREAM, Server

DAY = {"start": "2026-01-01", "end": "2026-01-02"}


@pytest.fixture
def org(server: Server) -> Server:
    """corp (root) with teams ml and web; bob is in no organization. Each team runs
    one billed request per image it asks for."""
    with server.container.database.session(write=True) as session:
        teams = TeamService(session, server.container.clock)
        teams.add_team("corp", "corp", "Corp")
        teams.add_team("corp", "ml", "Machine learning")
        teams.add_team("corp", "web")
    server.price(DEBUG, "image", 0.5)
    for owner, images in (("corp", 1), ("ml", 2), ("web", 3), ("bob", 4)):
        body = {"images": [{"url": str(n)} for n in range(images)]}
        server.run(server.key(owner, KeyScope.API), body=body)
    return server


def test_the_root_lists_its_teams_and_no_one_else_may(org: Server) -> None:
    response = org.client.get("/v1/organization/teams", headers=org.key("corp"))
    assert response.status_code == 200, response.text
    assert_fal_shape("getOrganizationTeams", response.json())
    teams = response.json()["teams"]
    assert [(t["username"], t["is_org_root"]) for t in teams] == [
        ("corp", True),
        ("ml", False),
        ("web", False),
    ]
    assert teams[1]["name"] == "Machine learning"
    for owner in ("ml", "bob"):
        refused = org.client.get("/v1/organization/teams", headers=org.key(owner))
        assert refused.status_code == 403
    api = org.client.get("/v1/organization/teams", headers=org.key("corp", KeyScope.API))
    assert api.status_code == 403


def test_organization_usage_attributes_each_line_to_its_team(org: Server) -> None:
    root = org.key("corp")
    body = org.client.get(
        "/v1/organization/usage", params={**DAY, "expand": "summary"}, headers=root
    ).json()
    assert_fal_shape("getOrganizationUsage", body)
    lines = {line["username"]: line for line in body["summary"]}
    assert set(lines) == {"corp", "ml", "web"}  # never bob
    assert [lines[t]["quantity"] for t in ("corp", "ml", "web")] == [1, 2, 3]
    assert {line["product"] for line in body["summary"]} == {"model_apis"}
    only = org.client.get(
        "/v1/organization/usage",
        params={**DAY, "expand": "summary", "team_username": "web,bob"},
        headers=root,
    ).json()
    assert [line["username"] for line in only["summary"]] == ["web"]
    compute = org.client.get(
        "/v1/organization/usage",
        params={**DAY, "expand": "summary", "product": "compute"},
        headers=root,
    ).json()
    assert compute["summary"] == []
    team_view = org.client.get(
        "/v1/models/usage", params={**DAY, "expand": "summary"}, headers=org.key("ml")
    ).json()
    assert [line["quantity"] for line in team_view["summary"]] == [2]  # its own only
    assert org.client.get("/v1/organization/usage", headers=org.key("ml")).status_code == 403


def test_organization_billing_events_and_focus_add_up(org: Server) -> None:
    root = org.key("corp")
    events = org.client.get("/v1/organization/billing-events", params=DAY, headers=root)
    assert events.status_code == 200, events.text
    assert_fal_shape("getOrganizationBillingEvents", events.json())
    billed = events.json()["billing_events"]
    assert sorted(e["username"] for e in billed) == ["corp", "ml", "web"]
    assert sum(int(e["cost_estimate_nano_usd"]) for e in billed) == 3_000_000_000

    for path, params in (
        ("/v1/organization/focus", {"source": "estimate", **DAY}),
        ("/v1/account/focus", {"source": "estimate", "expand": "organization", **DAY}),
    ):
        report = org.client.get(path, params=params, headers=root)
        assert report.status_code == 200, report.text
        rows = list(csv.DictReader(io.StringIO(report.text)))
        assert {row["BillingAccountId"] for row in rows} == {"corp"}
        assert {row["SubAccountId"]: row["BilledCost"] for row in rows} == {
            "corp": "0.500000000",
            "ml": "1.000000000",
            "web": "1.500000000",
        }
        assert sum(Decimal(row["BilledCost"]) for row in rows) == Decimal(3)
    one = org.client.get(
        "/v1/organization/focus",
        params={"source": "estimate", "team_username": "ml", **DAY},
        headers=root,
    )
    assert [row["SubAccountId"] for row in csv.DictReader(io.StringIO(one.text))] == ["ml"]
    refused = org.client.get(
        "/v1/account/focus",
        params={"source": "estimate", "expand": "organization"},
        headers=org.key("web"),
    )
    assert refused.status_code == 403


def _rule(server: Server, account: str, endpoint_id: str, access: str | None) -> None:
    with server.container.database.session(write=True) as session:
        TeamService(session, server.container.clock).set_access(account, endpoint_id, access)


def _submit(server: Server, owner: str, endpoint: str = DEBUG) -> int:
    key = server.key(owner, KeyScope.API)
    return server.client.post(f"/queue/{endpoint}", json={}, headers=key).status_code


def test_model_access_rules_are_enforced_at_submit(org: Server) -> None:
    _rule(org, "ml", DEBUG, "BLOCKED")
    assert _submit(org, "ml") == 403
    assert _submit(org, "ml", STREAM) == 200
    assert _submit(org, "web") == 200
    # An allow-list for the whole organization: every model blocked but one, and a team
    # rule that lets ml back in.
    _rule(org, "corp", "*", "BLOCKED")
    _rule(org, "corp", STREAM, "ALLOWED")
    _rule(org, "ml", DEBUG, "ALLOWED")
    assert (_submit(org, "web"), _submit(org, "web", STREAM)) == (403, 200)
    assert _submit(org, "ml") == 200
    assert _submit(org, "corp") == 403
    assert _submit(org, "bob") == 200  # another organization's rules never reach bob
    blocked = org.client.post(f"/queue/{DEBUG}", json={}, headers=org.key("web", KeyScope.API))
    assert "model access controls" in blocked.json()["detail"]
    assert blocked.headers["X-Fal-Error-Type"] == blocked.json()["error_type"]


def test_model_access_controls_csv(org: Server) -> None:
    _rule(org, "corp", "*", "BLOCKED")
    _rule(org, "web", STREAM, "ALLOWED")
    response = org.client.get(
        "/v1/account/model-access-controls", headers=org.key("web", KeyScope.API)
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = {row["endpoint_id"]: row for row in csv.DictReader(io.StringIO(response.text))}
    assert rows[STREAM]["api_access"] == "ALLOWED"
    assert rows[DEBUG]["api_access"] == "BLOCKED"
    assert rows[DEBUG]["ui_access"] == "BLOCKED"
    bob = org.client.get("/v1/account/model-access-controls", headers=org.key("bob", KeyScope.API))
    assert {row["api_access"] for row in csv.DictReader(io.StringIO(bob.text))} == {"ALLOWED"}
