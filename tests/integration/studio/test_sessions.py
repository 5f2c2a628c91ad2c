"""Signing in to the studio, its session cookie as an API credential, CSRF, sign-out,
revocation and expiry, on every database."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from impasto.container import Container
from impasto.keys.service import KeyService
from impasto.kit.clock import FrozenClock
from impasto.kit.errors import PermissionDenied, Unauthenticated
from impasto.kit.ids import UUIDv7Generator
from impasto.models import KeyScope, StudioSession
from impasto.studio.cookies import COOKIE
from impasto.studio.middleware import CSRF_HEADER
from impasto.studio.service import StudioSessions
from tests.conftest import auth, make_key, make_worker_key

CSRF_META = re.compile(r'<meta name="impasto-csrf" content="([0-9a-f]{64})">')


def sign_in(client: TestClient, key: str, next_path: str = "/models") -> str:
    """Signs in; returns the page's CSRF token."""
    answer = client.post("/sign-in", data={"key": key, "next": next_path}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    page = client.get("/models")
    assert page.status_code == 200
    match = CSRF_META.search(page.text)
    assert match is not None
    return match.group(1)


def test_sign_in_sets_a_strict_http_only_cookie(client: TestClient, container: Container) -> None:
    answer = client.post(
        "/sign-in",
        data={"key": make_key(container, "acme"), "next": "/assets"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/assets"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "expires=" in cookie
    assert "Secure" not in cookie  # plain HTTP here; under TLS it is set (e2e)


def test_a_wrong_key_is_refused_and_not_echoed(client: TestClient, container: Container) -> None:
    key_id, secret = make_key(container, "acme").split(":")
    wrong = f"{key_id}:{secret[::-1]}"
    answer = client.post("/sign-in", data={"key": wrong}, follow_redirects=False)
    assert answer.status_code == 401
    assert "Invalid API key" in answer.text
    assert wrong not in answer.text
    assert "set-cookie" not in answer.headers
    assert client.get("/models", follow_redirects=False).status_code == 303


def test_a_worker_key_cannot_sign_in(client: TestClient, container: Container) -> None:
    answer = client.post("/sign-in", data={"key": make_worker_key(container)})
    assert answer.status_code == 403
    assert "set-cookie" not in answer.headers


def test_pages_need_a_session(client: TestClient) -> None:
    answer = client.get("/requests?x=1", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/sign-in?next=%2Frequests%3Fx%3D1"
    assert client.get("/", follow_redirects=False).headers["location"] == "/sign-in"


@pytest.mark.parametrize(
    "target",
    ["//evil.example/x", "https://evil.example/", "/\\evil", "/\t/evil.example", "/\n", ""],
)
def test_sign_in_never_sends_the_browser_elsewhere(
    client: TestClient, container: Container, target: str
) -> None:
    answer = client.post(
        "/sign-in",
        data={"key": make_key(container, "acme"), "next": target},
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/models"


def test_pages_carry_a_strict_policy_with_a_fresh_nonce(
    client: TestClient, container: Container
) -> None:
    sign_in(client, make_key(container, "acme"))
    first, second = client.get("/models"), client.get("/models/impasto/debug")
    policies = [page.headers["content-security-policy"] for page in (first, second)]
    nonces = [re.search(r"'nonce-([^']+)'", policy).group(1) for policy in policies]  # type: ignore[union-attr]
    assert nonces[0] != nonces[1]
    assert "frame-ancestors 'none'" in policies[0]
    assert "unsafe-inline" not in policies[0]
    assert f'nonce="{nonces[0]}"' in first.text
    assert first.headers["x-frame-options"] == "DENY"
    # The endpoint id reaches the page as escaped text in an attribute.
    assert 'data-arg="impasto/debug"' in second.text


def test_the_cookie_authenticates_api_calls(client: TestClient, container: Container) -> None:
    sign_in(client, make_key(container, "acme", KeyScope.ADMIN))
    listed = client.get("/v1/keys")
    assert listed.status_code == 200, listed.text
    assert len(listed.json()["keys"]) == 0  # the ADMIN key itself is not an API key


def test_state_changes_need_the_csrf_token(client: TestClient, container: Container) -> None:
    csrf = sign_in(client, make_key(container, "acme", KeyScope.ADMIN))
    refused = client.post("/v1/keys", json={"alias": "ci"})
    assert refused.status_code == 403
    assert refused.json()["error"]["type"] == "authorization_error"
    wrong = client.post("/v1/keys", json={"alias": "ci"}, headers={CSRF_HEADER: "0" * 64})
    assert wrong.status_code == 403
    # The run surfaces answer in their own format.
    queued = client.post("/queue/impasto/debug", json={})
    assert queued.status_code == 403
    assert "detail" in queued.json()
    created = client.post("/v1/keys", json={"alias": "ci"}, headers={CSRF_HEADER: csrf})
    assert created.status_code == 201, created.text
    assert [key["alias"] for key in client.get("/v1/keys").json()["keys"]] == ["ci"]


def test_an_authorization_header_wins_over_the_cookie(
    client: TestClient, container: Container
) -> None:
    sign_in(client, make_key(container, "acme", KeyScope.ADMIN))
    other = make_key(container, "globex", KeyScope.ADMIN)
    # No CSRF token needed: a page of another site cannot set this header.
    created = client.post("/v1/keys", json={"alias": "theirs"}, headers=auth(other))
    assert created.status_code == 201
    assert client.get("/v1/keys").json()["keys"] == []
    assert len(client.get("/v1/keys", headers=auth(other)).json()["keys"]) == 1


def test_sessions_are_stored_as_hashes(client: TestClient, container: Container) -> None:
    sign_in(client, make_key(container, "acme"))
    secret = client.cookies[COOKIE]
    with container.database.session(write=False) as session:
        stored = session.scalars(select(StudioSession.session_sha256)).all()
    assert len(stored) == 1
    assert secret not in stored[0]
    assert len(stored[0]) == 64


def test_sign_out_needs_the_token_and_ends_the_session(
    client: TestClient, container: Container
) -> None:
    csrf = sign_in(client, make_key(container, "acme", KeyScope.ADMIN))
    assert client.post("/sign-out", data={"csrf": "nope"}).status_code == 403
    assert client.get("/v1/keys").status_code == 200
    secret = client.cookies[COOKIE]
    out = client.post("/sign-out", data={"csrf": csrf}, follow_redirects=False)
    assert out.status_code == 303
    assert out.headers["location"] == "/sign-in"
    assert f'{COOKIE}=""' in out.headers["set-cookie"]
    # The old cookie, replayed, is worth nothing: the row is gone.
    client.cookies.set(COOKIE, secret)
    replay = client.get("/v1/keys")
    assert replay.status_code == 401
    with container.database.session(write=False) as session:
        assert session.scalars(select(StudioSession)).all() == []


def test_revoking_the_key_ends_its_sessions(client: TestClient, container: Container) -> None:
    admin = make_key(container, "acme", KeyScope.ADMIN)
    created = client.post("/v1/keys", json={"alias": "browser"}, headers=auth(admin)).json()
    sign_in(client, created["key"])
    assert client.get("/v1/assets").status_code == 200
    gone = client.delete(f"/v1/keys/{created['key_id']}", headers=auth(admin))
    assert gone.status_code == 204
    assert client.get("/v1/assets").status_code == 401
    assert client.get("/models", follow_redirects=False).status_code == 303


def test_a_forged_session_header_is_401(client: TestClient) -> None:
    for value in ("Session x", "Session " + "A" * 43):
        answer = client.get("/v1/assets", headers={"Authorization": value})
        assert answer.status_code == 401


def test_sessions_expire(container: Container) -> None:
    clock = FrozenClock()
    ids = UUIDv7Generator()
    credential = make_key(container, "acme")
    with container.database.session(write=True) as session:
        opened = StudioSessions(session, clock, ids, lifetime=timedelta(hours=1)).sign_in(
            credential
        )
    with container.database.session(write=False) as session:
        sessions = StudioSessions(session, clock, ids)
        assert sessions.principal(opened.secret).owner == "acme"
        clock.advance(3600)
        with pytest.raises(Unauthenticated):
            sessions.principal(opened.secret)


def test_signing_in_purges_expired_sessions(container: Container) -> None:
    clock = FrozenClock()
    ids = UUIDv7Generator()
    credential = make_key(container, "acme")
    with container.database.session(write=True) as session:
        sessions = StudioSessions(session, clock, ids, lifetime=timedelta(minutes=5))
        sessions.sign_in(credential)
        clock.advance(600)
        sessions.sign_in(credential)
    with container.database.session(write=False) as session:
        assert len(session.scalars(select(StudioSession)).all()) == 1


def test_a_revoked_key_cannot_sign_in(container: Container) -> None:
    credential = make_key(container, "acme")
    with container.database.session(write=True) as session:
        KeyService(session, container.clock, container.ids).revoke(credential.split(":")[0])
    with container.database.session(write=True) as session, pytest.raises(Unauthenticated):
        StudioSessions(session, container.clock, container.ids).sign_in(credential)


def test_worker_refusal_is_permission_denied(container: Container) -> None:
    with container.database.session(write=True) as session, pytest.raises(PermissionDenied):
        StudioSessions(session, container.clock, container.ids).sign_in(make_worker_key(container))


def test_the_cookie_is_secure_under_tls(app: FastAPI, container: Container) -> None:
    with TestClient(app, base_url="https://testserver") as tls:
        answer = tls.post(
            "/sign-in", data={"key": make_key(container, "acme")}, follow_redirects=False
        )
    assert answer.status_code == 303
    assert "Secure" in answer.headers["set-cookie"]


def test_another_sites_form_cannot_sign_anyone_in(client: TestClient, container: Container) -> None:
    # Login CSRF: a page elsewhere posting the attacker's key into the victim's browser.
    answer = client.post(
        "/sign-in",
        data={"key": make_key(container, "mallory")},
        headers={"Origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert answer.status_code == 403
    assert "set-cookie" not in answer.headers
    own = client.post(
        "/sign-in",
        data={"key": make_key(container, "acme")},
        headers={"Origin": "http://testserver"},
        follow_redirects=False,
    )
    assert own.status_code == 303


def test_signing_in_again_replaces_the_browsers_session(
    client: TestClient, container: Container
) -> None:
    sign_in(client, make_key(container, "acme"))
    first = client.cookies[COOKIE]
    sign_in(client, make_key(container, "globex"))
    assert client.cookies[COOKIE] != first
    with container.database.session(write=False) as session:
        assert len(session.scalars(select(StudioSession)).all()) == 1
    assert 'data-owner="globex"' in client.get("/models").text
