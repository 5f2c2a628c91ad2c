"""fal's Serverless operations on apps deployed as code: listing, revisions, events,
runner history and metrics, in fal's shapes, confined to the app's owner."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from impasto.config import Settings
from impasto.container import Container
from impasto.kit.clock import FrozenClock
from impasto.models import KeyScope
from impasto.runs.deployments.activity import AppActivity, Sample
from impasto.runs.workers.local_link import LocalLink
from tests.conftest import SettingsFactory, auth, make_key, make_worker_key
from tests.fal_spec import assert_fal_shape
from tests.integration.runs.deployments.test_apps_api import body


@pytest.fixture
def settings(make_settings: SettingsFactory) -> Settings:
    """Owners other than the operator may deploy here (IMPASTO_ALLOW_TENANT_DEPLOYS)."""
    return make_settings(allow_tenant_deploys=True)


@pytest.fixture
def alice(container: Container) -> dict[str, str]:
    return auth(make_key(container, "alice", KeyScope.ADMIN))


def deploy(client: TestClient, headers: dict[str, str], **changes: Any) -> dict[str, Any]:
    answer = client.post("/v1/apps", json=body(**changes), headers=headers)
    assert answer.status_code == 201, answer.text
    result: dict[str, Any] = answer.json()
    return result


def test_apps_revisions_and_events(
    client: TestClient, container: Container, alice: dict[str, str]
) -> None:
    first = deploy(client, alice)
    manifest = body()["manifest"]
    manifest["settings"] = {**manifest["settings"], "keep_alive": 5.0}
    second = deploy(client, alice, manifest=manifest, public=True)

    apps = client.get("/v1/serverless/apps", params={"expand": "endpoints"}, headers=alice)
    assert apps.status_code == 200, apps.text
    assert_fal_shape("serverlessListApps", apps.json())
    [app] = apps.json()["apps"]
    assert (app["endpoint_id"], app["auth_mode"], app["keep_alive"]) == ("alice/loud", "public", 5)
    assert app["endpoints"] == ["alice/loud"]
    found = client.get("/v1/serverless/apps", params={"search": "LOU"}, headers=alice).json()
    assert len(found["apps"]) == 1
    assert client.get("/v1/serverless/apps", params={"search": "x"}, headers=alice).json() == {
        "apps": []
    }

    revisions = client.get("/v1/serverless/apps/alice/loud/revisions", headers=alice)
    assert_fal_shape("serverlessListAppRevisions", revisions.json())
    listed = revisions.json()["revisions"]
    assert [r["revision_id"] for r in listed] == [
        second["revision"]["revision_id"],
        first["revision"]["revision_id"],
    ]
    assert [r["is_current"] for r in listed] == [True, False]
    assert {r["status"] for r in listed} == {"deployed"}
    assert {r["deployed_by"] for r in listed} == {"alice"}
    one = client.get(
        "/v1/serverless/apps/alice/loud/revisions", params={"limit": 1}, headers=alice
    ).json()
    assert one["has_more"] is True
    rest = client.get(
        "/v1/serverless/apps/alice/loud/revisions",
        params={"limit": 1, "cursor": one["next_cursor"]},
        headers=alice,
    ).json()
    assert [r["revision_id"] for r in rest["revisions"]] == [first["revision"]["revision_id"]]
    assert rest["has_more"] is False

    events = client.get("/v1/serverless/apps/alice/loud/events", headers=alice)
    assert_fal_shape("serverlessListAppEvents", events.json())
    categories = [e["category"] for e in events.json()["events"]]
    assert categories.count("deployment_ended") == 2
    [changed] = [e for e in events.json()["events"] if e["category"] == "config_changed"]
    assert changed["payload"]["old_app_auth_mode"] == "private"
    assert changed["payload"]["new_app_auth_mode"] == "public"
    assert changed["payload"]["new_config"]["keep_alive"] == 5.0
    only = client.get(
        "/v1/serverless/apps/alice/loud/events",
        params={"category": "config_changed"},
        headers=alice,
    ).json()
    assert [e["category"] for e in only["events"]] == ["config_changed"]
    bad = client.get(
        "/v1/serverless/apps/alice/loud/events", params={"category": "nope"}, headers=alice
    )
    assert bad.status_code == 400


def test_runner_events_and_history_from_workers(
    client: TestClient, container: Container, alice: dict[str, str]
) -> None:
    deploy(client, alice)
    link = LocalLink(
        "w1", container.database, container.runs, container.files, container.url_fetcher
    )
    asyncio.run(
        link.app_activity(
            [("alice/loud", "runner_started", {"job_id": "host:1"})],
            [Sample("alice/loud", running=2, idle=1, pending=0, draining=0)],
        )
    )
    # Another worker's count a minute earlier: the hour's peak takes each state's maximum.
    earlier = FrozenClock(datetime.now(UTC).replace(second=0) - timedelta(minutes=1))
    with container.database.session(write=True) as session:
        AppActivity(session, earlier, container.ids).add_samples(
            "w2", [Sample("alice/loud", running=0, idle=1, pending=1, draining=0)]
        )
    started = client.get(
        "/v1/serverless/apps/alice/loud/events",
        params={"category": "runner_started"},
        headers=alice,
    ).json()
    assert [e["payload"] for e in started["events"]] == [{"job_id": "host:1"}]

    history = client.get(
        "/v1/serverless/apps/alice/loud/runners/history",
        params={"timeframe": "hour"},
        headers=alice,
    )
    assert history.status_code == 200, history.text
    assert_fal_shape("serverlessGetRunnerHistory", history.json())
    rows = history.json()["history"]
    assert len(rows) in (24, 25)
    busy = [r for r in rows if r["running"] or r["idle"]]
    assert 1 <= len(busy) <= 2  # the two minutes may straddle an hour
    assert max(r["running"] for r in busy) == 2
    assert max(r["pending"] for r in busy) == 1

    metrics = client.get("/v1/serverless/metrics", headers=alice)
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    assert 'impasto_app_runners{app="alice/loud",state="idle"}' in metrics.text


def test_other_owners_get_404(
    client: TestClient, container: Container, alice: dict[str, str]
) -> None:
    deploy(client, alice)
    bob = auth(make_key(container, "bob"))
    for path in ("revisions", "events", "runners/history"):
        answer = client.get(f"/v1/serverless/apps/alice/loud/{path}", headers=bob)
        assert answer.status_code == 404, (path, answer.text)
    assert client.get("/v1/serverless/apps", headers=bob).json() == {"apps": []}
    assert "alice/loud" not in client.get("/v1/serverless/metrics", headers=bob).text


def test_workers_report_activity_only_for_apps_they_serve(
    client: TestClient, container: Container, alice: dict[str, str]
) -> None:
    deploy(client, alice)
    report = {
        "worker_id": "w1",
        "events": [
            {"app_id": "alice/loud", "category": "runner_failed", "payload": {"reason": "oom"}}
        ],
        "samples": [{"app_id": "alice/loud", "running": 1, "idle": 0, "pending": 0, "draining": 0}],
    }
    bound = auth(make_worker_key(container, ["impasto/debug"]))
    assert client.post("/worker/v1/apps/activity", json=report, headers=bound).status_code == 403
    # Workers report runner transitions, never deploys.
    forged = {**report, "events": [{**report["events"][0], "category": "deployment_ended"}]}
    serving = auth(make_worker_key(container, ["alice/loud"]))
    assert client.post("/worker/v1/apps/activity", json=forged, headers=serving).status_code == 422
    assert client.post("/worker/v1/apps/activity", json=report, headers=serving).status_code == 200
    events = client.get(
        "/v1/serverless/apps/alice/loud/events", params={"category": "runner_failed"}, headers=alice
    ).json()
    assert [e["payload"] for e in events["events"]] == [{"reason": "oom"}]


def test_activity_past_its_retention_is_pruned(
    client: TestClient, container: Container, alice: dict[str, str]
) -> None:
    deploy(client, alice)
    now = datetime.now(UTC)
    with container.database.session(write=True) as session:
        old = AppActivity(session, FrozenClock(now - timedelta(days=91)), container.ids)
        old.record("alice/loud", "runner_started", {"job_id": "old"})
        old.add_samples("w", [Sample("alice/loud", 1, 0, 0, 0)])
        recent = AppActivity(session, FrozenClock(now), container.ids)
        recent.add_samples("w", [Sample("alice/loud", 1, 0, 0, 0)])
    with container.database.session(write=True) as session:
        assert AppActivity(session, FrozenClock(now), container.ids).prune() == 2
    with container.database.session(write=True) as session:
        kept = AppActivity(session, FrozenClock(now), container.ids)
        assert len(kept.samples("alice/loud", now - timedelta(days=365), now + timedelta(1))) == 1
