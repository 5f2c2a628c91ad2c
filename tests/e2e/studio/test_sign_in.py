"""Signing in and out of the studio in a real browser, and a revoked key's session."""

from __future__ import annotations

from tests.e2e.studio.conftest import Studio, playwright, shot, sign_in


def test_wrong_key_is_refused_then_sign_in_and_out(page: playwright.Page, studio: Studio) -> None:
    page.goto(f"{studio.url}/requests")
    page.wait_for_url("**/sign-in?next=%2Frequests")
    shot(page, studio, "sign-in")
    key_id, secret = studio.admin.split(":")
    page.fill("#key", f"{key_id}:{secret[::-1]}")
    page.click("button[type=submit]")
    assert "Invalid API key" in page.locator("#sign-in-error").inner_text()
    page.fill("#key", studio.admin)
    page.click("button[type=submit]")
    page.wait_for_url("**/requests")
    assert "ADMIN" in page.locator(".who").inner_text()
    page.click("#sign-out")
    page.wait_for_url("**/sign-in")
    page.goto(f"{studio.url}/models")
    page.wait_for_url("**/sign-in?next=%2Fmodels")


def test_a_revoked_key_ends_its_session(page: playwright.Page, studio: Studio) -> None:
    with studio.api(studio.admin) as admin:
        created = admin.post("/v1/keys", json={"alias": "browser"}).json()
        sign_in(page, studio, created["key"])
        page.wait_for_selector(".tile")
        assert admin.delete(f"/v1/keys/{created['key_id']}").status_code == 204
    page.reload()
    page.wait_for_url("**/sign-in?next=%2Fmodels")


def test_the_session_cookie_is_http_only_and_strict(page: playwright.Page, studio: Studio) -> None:
    sign_in(page, studio, studio.admin)
    [cookie] = page.context.cookies()
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert page.evaluate("document.cookie") == ""
