"""A known mix of requests: its units and costs, fixed at completion, add up to the same
figures in usage, analytics, billing events and the FOCUS CSV, on both databases."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from sqlalchemy import select

from impasto.models import KeyScope, UsageEvent
from tests.fal_spec import assert_fal_shape
from tests.integration.usage.server import DEBUG, STREAM, Server

WINDOW = {"start": "2026-01-01", "end": "2026-01-02"}


def _mix(server: Server) -> dict[str, str]:
    """Four requests of acme's, two keys, two endpoints, one price change between them."""
    k1 = server.key("acme", KeyScope.API)
    k2 = server.key("acme", KeyScope.API)
    server.price(DEBUG, "image", 0.025)
    server.price(STREAM, None, None)  # unpriced: one "request" each, free
    two_images = {"images": [{"url": "a"}, {"url": "b"}]}
    ids = {
        "images": server.run(k1, body=two_images, wait=1.0, took=2.0, inference_time=1.5),
        "free": server.run(k1, STREAM, wait=0.5, took=1.0),
    }
    server.price(DEBUG, "image", 0.03)  # the first request keeps the price it completed at
    ids["reported"] = server.run(
        k2, result_headers={"x-fal-billable-units": "3"}, wait=2.0, took=4.0
    )
    ids["failed"] = server.run(k2, status=500, body={"detail": "boom"}, wait=0.5, took=0.5)
    return ids


def _ledger(server: Server) -> dict[str, UsageEvent]:
    with server.container.database.session(write=False) as session:
        events = session.scalars(select(UsageEvent)).all()
        for event in events:
            session.expunge(event)
    return {event.request_id: event for event in events}


def test_each_request_bills_what_it_reported_or_its_unit_implies(server: Server) -> None:
    ids = _mix(server)
    ledger = _ledger(server)
    assert set(ledger) == set(ids.values())
    images, free = ledger[ids["images"]], ledger[ids["free"]]
    reported, failed = ledger[ids["reported"]], ledger[ids["failed"]]
    assert (images.unit, images.quantity, images.unit_price_nano) == ("image", 2.0, 25_000_000)
    assert images.cost_nano == 50_000_000
    assert (images.prepare_seconds, images.duration_seconds, images.runner_seconds) == (
        1.0,
        2.0,
        1.5,
    )
    assert (free.unit, free.quantity, free.cost_nano) == ("request", 1.0, 0)
    assert (reported.quantity, reported.unit_price_nano, reported.cost_nano) == (
        3.0,
        30_000_000,
        90_000_000,
    )
    assert (failed.quantity, failed.cost_nano, failed.status_code) == (0.0, 0, 500)
    assert images.key_id != reported.key_id


def test_the_result_carries_the_units_header_the_app_set(server: Server) -> None:
    key = server.key("acme", KeyScope.API)
    request_id = server.run(key, result_headers={"x-fal-billable-units": "3"})
    result = server.client.get(f"/queue/{DEBUG}/requests/{request_id}", headers=key)
    assert result.status_code == 200
    assert result.headers["x-fal-billable-units"] == "3"


def test_reports_add_up_to_the_ledger(server: Server) -> None:
    _mix(server)
    admin = server.key("acme")
    total_nano = sum(event.cost_nano for event in _ledger(server).values())
    assert total_nano == 140_000_000

    usage = server.client.get(
        "/v1/models/usage",
        params={**WINDOW, "expand": "time_series,summary", "timeframe": "day"},
        headers=admin,
    )
    assert usage.status_code == 200, usage.text
    body = usage.json()
    assert_fal_shape("getUsage", body)
    summary = {(line["endpoint_id"], line["unit_price"]): line for line in body["summary"]}
    assert set(summary) == {(DEBUG, 0.025), (DEBUG, 0.03), (STREAM, 0.0)}
    assert summary[(DEBUG, 0.025)]["quantity"] == 2
    assert summary[(DEBUG, 0.03)]["quantity"] == 3
    assert summary[(STREAM, 0.0)]["quantity"] == 1
    assert _decimal_sum(line["cost_total"] for line in body["summary"]) == Decimal("0.14")
    [bucket] = body["time_series"]
    assert bucket["bucket"] == "2026-01-01T00:00:00+00:00"
    assert bucket["results"] == body["summary"]

    events = server.client.get("/v1/models/billing-events", params=WINDOW, headers=admin)
    assert events.status_code == 200, events.text
    assert_fal_shape("getBillingEvents", events.json())
    billed = events.json()["billing_events"]
    assert len(billed) == 3  # the failed request bills nothing
    assert sum(int(e["cost_estimate_nano_usd"]) for e in billed) == total_nano

    analytics = server.client.get(
        "/v1/models/analytics",
        params={
            **WINDOW,
            "endpoint_id": f"{DEBUG},{STREAM}",
            "expand": "summary,request_count,success_count,error_count,user_error_count,"
            "p50_duration,p50_prepare_duration,total_billable_duration,runtime_error_count",
        },
        headers=admin,
    )
    assert analytics.status_code == 200, analytics.text
    assert_fal_shape("getAnalytics", analytics.json())
    debug, stream = analytics.json()["summary"]
    assert debug == {
        "endpoint_id": DEBUG,
        "request_count": 3,
        "success_count": 2,
        "user_error_count": 0,
        "error_count": 1,
        "runtime_error_count": 1,
        "p50_prepare_duration": 1.0,
        "p50_duration": 2.0,
        "total_billable_duration": 1.5 + 4.0 + 0.5,
    }
    assert stream["request_count"] == 1

    report = server.client.get(
        "/v1/account/focus", params={"source": "estimate", **WINDOW}, headers=admin
    )
    assert report.status_code == 200, report.text
    assert report.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(report.text)))
    assert len(rows) == 3
    assert _decimal_sum(row["BilledCost"] for row in rows) == Decimal("0.140000000")
    assert {row["BillingAccountId"] for row in rows} == {"acme"}
    assert sum(float(row["ConsumedQuantity"]) for row in rows) == 6


def test_owners_see_only_their_own_usage(server: Server) -> None:
    _mix(server)
    bob = server.key("bob")
    server.run(server.key("bob", KeyScope.API), body={"images": [{"url": "c"}]})
    usage = server.client.get(
        "/v1/models/usage", params={**WINDOW, "expand": "summary"}, headers=bob
    ).json()
    assert [line["quantity"] for line in usage["summary"]] == [1]
    events = server.client.get("/v1/models/billing-events", params=WINDOW, headers=bob).json()
    assert len(events["billing_events"]) == 1
    focus = server.client.get(
        "/v1/account/focus", params={"source": "estimate", **WINDOW}, headers=bob
    )
    assert "acme" not in focus.text


def _decimal_sum(values: object) -> Decimal:
    return sum((Decimal(str(v)) for v in values), Decimal(0))  # type: ignore[attr-defined]


def test_a_second_price_bills_media_seconds_else_runner_time(server: Server) -> None:
    key = server.key("acme", KeyScope.API)
    server.price(DEBUG, "second", 0.001)
    video = server.run(key, body={"video": {"url": "v", "duration": 12.5}}, took=3.0)
    silent = server.run(key, body={"text": "no media"}, took=3.0, inference_time=2.25)
    ledger = _ledger(server)
    assert (ledger[video].quantity, ledger[video].cost_nano) == (12.5, 12_500_000)
    assert (ledger[silent].quantity, ledger[silent].cost_nano) == (2.25, 2_250_000)
