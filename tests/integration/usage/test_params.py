"""Every documented parameter of the usage operations, and their edge cases."""

from __future__ import annotations

from typing import Any

from impasto.models import KeyScope
from tests.fal_spec import assert_fal_shape
from tests.integration.usage.server import DEBUG, STREAM, Server

DAY = {"start": "2026-01-01", "end": "2026-01-02"}


def _spread(server: Server) -> tuple[dict[str, str], dict[str, str]]:
    """Six billed requests, one per hour, alternating two keys and two endpoints."""
    server.price(DEBUG, "request", 0.5)
    server.price(STREAM, "request", 0.25)
    k1, k2 = server.key("acme", KeyScope.API), server.key("acme", KeyScope.API)
    for n in range(6):
        server.run(k1 if n % 2 else k2, STREAM if n % 3 == 0 else DEBUG, took=1.0)
        server.clock.advance(3600)
    return k1, k2


def _get(server: Server, path: str, headers: dict[str, str], **params: Any) -> Any:
    response = server.client.get(path, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_pages_of_a_time_series_join_up_to_the_whole(server: Server) -> None:
    _spread(server)
    admin = server.key("acme")
    query = {**DAY, "timeframe": "hour", "expand": "time_series"}
    whole = _get(server, "/v1/models/usage", admin, **query)
    assert not whole["has_more"]
    lines = [(b["bucket"], r) for b in whole["time_series"] for r in b["results"]]
    assert len(lines) == 6
    seen: list[Any] = []
    cursor = None
    while True:
        page = _get(
            server,
            "/v1/models/usage",
            admin,
            **query,
            limit=4,
            **({"cursor": cursor} if cursor else {}),
        )
        assert_fal_shape("getUsage", page)
        seen += [(b["bucket"], r) for b in page["time_series"] for r in b["results"]]
        cursor = page["next_cursor"]
        assert page["has_more"] is (cursor is not None)
        if cursor is None:
            break
    assert seen == lines
    other = server.client.get(
        "/v1/models/usage",
        params={**query, "timeframe": "day", "cursor": cursor or "x"},
        headers=admin,
    )
    assert other.status_code == 400


def test_a_cursor_belongs_to_its_query(server: Server) -> None:
    _spread(server)
    admin = server.key("acme")
    query = {**DAY, "timeframe": "hour"}
    page = _get(server, "/v1/models/usage", admin, **query, limit=1)
    reused = server.client.get(
        "/v1/models/usage",
        params={**query, "limit": 1, "cursor": page["next_cursor"], "endpoint_id": DEBUG},
        headers=admin,
    )
    assert reused.status_code == 400
    assert reused.json()["error"]["type"] == "validation_error"


def test_filters_by_endpoint_and_key_and_auth_methods(server: Server) -> None:
    k1, _ = _spread(server)
    admin = server.key("acme")
    key_id = k1["Authorization"].split()[1].split(":")[0]
    body = _get(
        server,
        "/v1/models/usage",
        admin,
        **DAY,
        endpoint_id=[DEBUG],
        api_key_id=key_id,
        expand=["summary", "auth_method", "auth_method_structured"],
    )
    assert_fal_shape("getUsage", body)
    assert "time_series" not in body
    [line] = body["summary"]
    assert (line["endpoint_id"], line["quantity"], line["cost_total"]) == (DEBUG, 2, 1.0)
    assert line["auth_method"] == "API test key"
    assert line["auth_method_structured"] == {"detail": "API test key", "api_key_id": key_id}
    nobody = _get(
        server, "/v1/models/usage", admin, **DAY, login_username="alice", expand="summary"
    )
    assert nobody["summary"] == []


def test_timezones_bucket_by_local_time(server: Server) -> None:
    _spread(server)
    admin = server.key("acme")
    body = _get(
        server,
        "/v1/models/usage",
        admin,
        start="2025-12-31",
        end="2026-01-02",
        timezone="Asia/Tokyo",
        timeframe="day",
    )
    # 00:00-05:00 UTC on Jan 1st is 09:00-14:00 on Jan 1st in Tokyo: one bucket.
    assert [b["bucket"] for b in body["time_series"]] == ["2026-01-01T00:00:00+09:00"]


def test_analytics_take_endpoint_ids_and_metrics(server: Server) -> None:
    _spread(server)
    api = server.key("acme", KeyScope.API)  # analytics need no ADMIN key
    body = _get(
        server,
        "/v1/models/analytics",
        api,
        **DAY,
        endpoint_id=f"{DEBUG},{STREAM}",
        timeframe="hour",
    )
    assert_fal_shape("getAnalytics", body)
    counts = [r["request_count"] for b in body["time_series"] for r in b["results"]]
    assert counts == [1] * 6
    assert all(
        set(r) == {"endpoint_id", "request_count"}
        for b in body["time_series"]
        for r in b["results"]
    )
    missing = server.client.get("/v1/models/analytics", params=DAY, headers=api)
    assert missing.status_code == 400  # fal's schema requires endpoint_id
    blank = server.client.get(
        "/v1/models/analytics", params={**DAY, "endpoint_id": ""}, headers=api
    )
    assert (blank.status_code, blank.json()["time_series"]) == (200, [])
    no_metric = server.client.get(
        "/v1/models/analytics",
        params={**DAY, "endpoint_id": DEBUG, "expand": "summary"},
        headers=api,
    )
    assert no_metric.status_code == 400


def test_billing_events_filter_by_request_and_page_by_cursor(server: Server) -> None:
    _spread(server)
    admin = server.key("acme")
    first = _get(server, "/v1/models/billing-events", admin, **DAY, limit=4)
    assert (len(first["billing_events"]), first["has_more"]) == (4, True)
    rest = _get(
        server, "/v1/models/billing-events", admin, **DAY, limit=4, cursor=first["next_cursor"]
    )
    assert (len(rest["billing_events"]), rest["has_more"]) == (2, False)
    ids = [e["request_id"] for e in first["billing_events"] + rest["billing_events"]]
    assert len(set(ids)) == 6
    one = _get(server, "/v1/models/billing-events", admin, **DAY, request_id=ids[2])
    assert [e["request_id"] for e in one["billing_events"]] == [ids[2]]


def test_bad_parameters_are_400_and_scopes_are_enforced(server: Server) -> None:
    _spread(server)
    admin, api = server.key("acme"), server.key("acme", KeyScope.API)
    for params in (
        {"timezone": "Nowhere/Land"},
        {"start": "2026-01-02", "end": "2026-01-01"},
        {"start": "not a date"},
        {"timeframe": "fortnight"},
        {"bound_to_timeframe": "maybe"},
        {"endpoint_id": ",".join(f"a/{n}" for n in range(51))},
        {"limit": 0},
        {"expand": "auth_method"},  # neither time_series nor summary
    ):
        response = server.client.get("/v1/models/usage", params=params, headers=admin)
        assert response.status_code == 400, (params, response.text)
        assert response.json()["error"]["type"] == "validation_error"
    long = server.client.get(
        "/v1/models/billing-events",
        params={"start": "2025-01-01", "end": "2026-01-01"},
        headers=admin,
    )
    assert long.status_code == 400
    for path in ("/v1/models/usage", "/v1/models/billing-events", "/v1/account/billing"):
        assert server.client.get(path, headers=api).status_code == 403
        assert server.client.get(path).status_code == 401
    huge = server.client.get("/v1/models/usage", params={**DAY, "limit": 10**9}, headers=admin)
    assert huge.status_code == 200  # fal's schema allows any limit: served at our maximum


def test_account_billing_and_focus_months(server: Server) -> None:
    _spread(server)
    admin = server.key("acme")
    billing = _get(server, "/v1/account/billing", admin, expand="credits")
    assert_fal_shape("getAccountBilling", billing)
    assert billing == {"username": "acme"}
    invoice = server.client.get(
        "/v1/account/focus",
        params={"source": "invoice", "billing_month": "2026-01"},
        headers=admin,
    )
    assert invoice.status_code == 200
    rows = invoice.text.strip().split("\r\n")
    assert rows[0].startswith("BilledCost,BillingAccountId,")
    assert len(rows) == 1 + 2  # one day, two endpoints at one price each
    empty = server.client.get(
        "/v1/account/focus",
        params={"source": "invoice", "charge_month": "2025-12"},
        headers=admin,
    )
    assert empty.text.strip().count("\r\n") == 0  # the header only
    for params in ({"source": "bill"}, {"source": "invoice", "billing_month": "2026-1"}, {}):
        response = server.client.get("/v1/account/focus", params=params, headers=admin)
        assert response.status_code == 400, params
