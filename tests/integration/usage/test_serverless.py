"""fal's serverless usage and analytics: runner seconds of the caller's own apps, and the
analytics of its requests to them."""

from __future__ import annotations

from impasto.models import KeyScope
from tests.fal_spec import assert_fal_shape
from tests.integration.usage.server import DEBUG, STREAM, Server

DAY = {"start": "2026-01-01", "end": "2026-01-02"}


def test_serverless_usage_is_the_runner_time_of_the_callers_apps(server: Server) -> None:
    acme = server.key("acme", KeyScope.API)
    server.run(acme, took=2.0, inference_time=1.5)
    server.run(acme, STREAM, took=1.0)  # no inference time: claim to finish
    server.run(server.key("bob", KeyScope.API), took=1.0, inference_time=0.25)
    owner = server.key("impasto")  # the built-in apps' owner
    body = server.client.get(
        "/v1/serverless/usage",
        params={**DAY, "expand": "summary,time_series", "timeframe": "day"},
        headers=owner,
    )
    assert body.status_code == 200, body.text
    assert_fal_shape("serverlessGetUsage", body.json())
    [line] = body.json()["summary"]
    assert (line["app"], line["unit"], line["quantity"]) == ("debug", "second", 1.5 + 1.0 + 0.25)
    assert body.json()["time_series"][0]["results"] == [line]
    searched = server.client.get(
        "/v1/serverless/usage",
        params={**DAY, "expand": "summary", "search": "DEB", "app": "debug,other"},
        headers=owner,
    ).json()
    assert [line["app"] for line in searched["summary"]] == ["debug"]
    # acme calls these apps but owns none of them.
    none = server.client.get(
        "/v1/serverless/usage", params={**DAY, "expand": "summary"}, headers=server.key("acme")
    ).json()
    assert none["summary"] == []
    api = server.client.get("/v1/serverless/usage", headers=acme)
    assert api.status_code == 403


def test_serverless_analytics_answer_like_model_analytics(server: Server) -> None:
    acme = server.key("acme", KeyScope.API)
    server.run(acme, took=2.0)
    server.run(acme, status=500, took=1.0)
    params = {**DAY, "endpoint_id": DEBUG, "expand": "summary,request_count,error_count"}
    body = server.client.get("/v1/serverless/analytics", params=params, headers=acme)
    assert body.status_code == 200, body.text
    assert_fal_shape("serverlessGetAnalytics", body.json())
    assert body.json()["summary"] == [{"endpoint_id": DEBUG, "request_count": 2, "error_count": 1}]
