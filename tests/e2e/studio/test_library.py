"""Assets (text search, more like this, tag, collection), requests, keys and apps pages,
what a second owner sees, and user text that must stay text."""

from __future__ import annotations

import base64
import io
import re
import time
from typing import Any

import httpx
from PIL import Image

from tests.e2e.processes import TIMEOUT
from tests.e2e.studio.conftest import Studio, expect, playwright, shot, sign_in

HOSTILE = "<script>window.__pwned = 1</script><img src=x onerror='window.__pwned = 2'>"


def _data_png(color: tuple[int, int, int]) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (24, 24), color).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _run(api: httpx.Client, endpoint: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = api.post(f"/queue/{endpoint}", json=body)
    assert answer.status_code == 200, answer.text
    submitted: dict[str, Any] = answer.json()
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        status = api.get(f"/queue/{endpoint}/requests/{submitted['request_id']}/status").json()
        if status["status"] == "COMPLETED":
            return submitted
        time.sleep(0.1)
    raise AssertionError(f"{endpoint} did not complete")


def _wait_indexed(api: httpx.Client, asset_id: str) -> None:
    """Image search sees an asset once the background indexer has embedded it."""
    url = api.get(f"/v1/assets/{asset_id}").json()["asset"]["url"]
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        found = api.get("/v1/assets", params={"search_image_url": url}).json()["assets"]
        if any(asset["asset_id"] == asset_id for asset in found):
            return
        time.sleep(0.2)
    raise AssertionError(f"asset {asset_id} was never indexed")


def test_find_tag_and_collect_an_output(page: playwright.Page, studio: Studio) -> None:
    _, key = studio.owner_key()
    with studio.api(key) as api:
        resized = _run(
            api,
            "impasto/image-tools/resize",
            {
                "image": _data_png((200, 40, 20)),
                "width": 10,
                "height": 10,
                "prompt": "a red fox in snow",
            },
        )
        crop = {"image": _data_png((20, 40, 200)), "left": 0, "top": 0, "width": 8, "height": 8}
        crop["prompt"] = "a blue whale"
        _run(api, "impasto/image-tools/crop", crop)
        assets = api.get("/v1/assets").json()["assets"]
        [asset_id] = [a["asset_id"] for a in assets if a["request_id"] == resized["request_id"]]
        for asset in assets:
            _wait_indexed(api, asset["asset_id"])
    sign_in(page, studio, key)
    page.goto(f"{studio.url}/assets")
    tiles = page.locator("#assets .tile")
    expect(tiles).to_have_count(2)
    expect(tiles.first.locator(".sub")).to_contain_text("impasto/image-tools/crop")  # newest
    # Indexed assets show their thumbnails, not the full files.
    expect(tiles.first.locator("img")).to_have_attribute("src", re.compile(r"thumbnail\.webp$"))
    page.fill("#asset-search", "fox")
    expect(tiles.first).to_have_attribute("data-asset-id", asset_id)
    shot(page, studio, "assets")
    tiles.first.locator(".more-like-this").click()
    page.wait_for_url("**/assets?like=*")
    expect(tiles.first).to_have_attribute("data-asset-id", asset_id)  # itself, most alike
    page.locator(f"#assets [data-asset-id='{asset_id}'] input[type=checkbox]").check()
    page.fill("#bulk-tag", "keeper")
    page.click("#bulk-tag-button")
    expect(page.locator("#toast")).to_contain_text("Tagged")
    page.locator(f"#assets [data-asset-id='{asset_id}'] input[type=checkbox]").check()
    page.fill("#bulk-collection", "best of")
    page.click("#bulk-collection-button")
    expect(page.locator("#toast")).to_contain_text("Added")
    with studio.api(key) as api:
        asset = api.get(f"/v1/assets/{asset_id}").json()["asset"]
        collections = api.get("/v1/assets/collections").json()["collections"]
    assert [tag["name"] for tag in asset["tags"]] == ["keeper"]
    assert asset["request_id"] == resized["request_id"]
    assert [c["name"] for c in collections if c["id"] in asset["collection_ids"]] == ["best of"]
    page.goto(f"{studio.url}/assets")
    expect(tiles).to_have_count(2)
    page.select_option("#asset-tag", label="keeper")
    expect(tiles).to_have_count(1)
    expect(tiles.first).to_have_attribute("data-asset-id", asset_id)
    page.select_option("#asset-tag", [])
    page.select_option("#asset-collection", label="best of")
    expect(tiles).to_have_count(1)
    page.goto(f"{studio.url}/assets/{asset_id}")
    page.wait_for_selector("#favorite")
    page.click("#favorite")
    expect(page.locator("#favorite")).to_have_attribute("aria-pressed", "true")
    shot(page, studio, "asset")


def test_create_a_key_shown_once_then_revoke_it(page: playwright.Page, studio: Studio) -> None:
    _, key = studio.owner_key()
    sign_in(page, studio, key)
    page.goto(f"{studio.url}/keys")
    page.fill("#alias", "laptop")
    page.click("text=Create key")
    secret = page.locator("#new-key").inner_text()
    key_id = secret.split(":")[0]
    with studio.api(secret) as api:
        assert api.get("/v1/assets").status_code == 200
    page.wait_for_selector(f"[data-key-id='{key_id}']")
    shot(page, studio, "keys")
    page.reload()
    page.wait_for_selector(f"[data-key-id='{key_id}']")
    assert secret.split(":")[1] not in page.content()
    page.locator(f"[data-key-id='{key_id}'] button").click()
    page.wait_for_selector(f"[data-key-id='{key_id}']", state="detached")
    with studio.api(secret) as api:
        assert api.get("/v1/assets").status_code == 401


def test_a_second_owner_sees_nothing_of_the_first(page: playwright.Page, studio: Studio) -> None:
    _, first = studio.owner_key()
    with studio.api(first) as api:
        run = _run(
            api,
            "impasto/image-tools/resize",
            {"image": _data_png((9, 9, 9)), "width": 4, "height": 4},
        )
        made = api.post("/v1/keys", json={"alias": "first-owner-key"}).json()
    _, second = studio.owner_key()
    sign_in(page, studio, second)
    page.goto(f"{studio.url}/requests?since=30d")
    expect(page.locator("main p.muted[aria-live]")).to_have_text("No request matches.")
    assert run["request_id"] not in page.content()
    page.goto(f"{studio.url}/assets")
    expect(page.locator("main p.muted[aria-live]").last).to_have_text("No asset matches.")
    page.goto(f"{studio.url}/keys")
    page.wait_for_selector("#keys td")
    assert made["key_id"] not in page.content()
    assert "first-owner-key" not in page.content()
    page.goto(f"{studio.url}/requests/{run['request_id']}?endpoint=impasto/image-tools/resize")
    page.wait_for_selector("#view .error")
    assert "No such request" in page.locator("#view").inner_text()


def test_hostile_text_renders_as_text(page: playwright.Page, studio: Studio) -> None:
    _, key = studio.owner_key()
    with studio.api(key) as api:
        run = _run(api, "impasto/debug", {"payload": {"prompt": HOSTILE}, "logs": 1})
    sign_in(page, studio, key)
    page.goto(f"{studio.url}/requests")
    link = page.locator(f"[data-request-id='{run['request_id']}'] a")
    link.click()
    page.wait_for_selector("#view .json")
    shot(page, studio, "request")
    assert HOSTILE.replace('"', '\\"') in page.locator("#view").inner_text()
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#view script").count() == 0


def test_apps_page_for_admin(page: playwright.Page, studio: Studio) -> None:
    _, key = studio.owner_key()
    with studio.api(key) as api:
        _run(api, "impasto/debug", {"payload": "one"})
        _run(api, "impasto/debug", {"fail": True})
    sign_in(page, studio, key)
    page.goto(f"{studio.url}/apps")
    expect(page.locator("[data-app='impasto/debug'] td").nth(2)).to_have_text("0")  # queued
    expect(page.locator("#usage")).to_contain_text("2 requests, error rate 50.0%")
    expect(page.locator("#usage .chart .bar.bad")).to_have_count(1)
    shot(page, studio, "apps")


def test_request_history_filters_and_payload_deletion(
    page: playwright.Page, studio: Studio
) -> None:
    _, key = studio.owner_key()
    with studio.api(key) as api:
        good = _run(api, "impasto/debug", {"payload": "kept", "logs": 2})
        bad = _run(api, "impasto/debug", {"fail": True})
        resized = _run(
            api,
            "impasto/image-tools/resize",
            {"image": _data_png((1, 2, 3)), "width": 2, "height": 2},
        )
    sign_in(page, studio, key)
    page.goto(f"{studio.url}/requests")
    rows = page.locator("#requests tr")
    expect(rows).to_have_count(3)
    page.select_option("#req-status", "error")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-request-id", bad["request_id"])
    page.select_option("#req-status", "")
    page.fill("#req-endpoint", "impasto/image-tools/resize")
    page.click("text=Filter")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-request-id", resized["request_id"])
    page.fill("#req-endpoint", "")
    page.fill("#req-id", good["request_id"])
    page.click("text=Filter")
    expect(rows).to_have_count(1)
    rows.first.locator("a").click()
    expect(page.locator("#logs")).to_contain_text("debug log 2 of 2")
    expect(page.locator("#view")).to_contain_text('"kept"')
    page.goto(f"{studio.url}/requests/{good['request_id']}")  # a bare id, no endpoint
    expect(page.locator("#logs")).to_contain_text("debug log 2 of 2")
    page.click("#delete-payloads")
    expect(page.locator("#view")).to_contain_text("Payload deleted or not stored.")
    with studio.api(key) as api:
        stored = api.get(
            "/v1/models/requests/by-endpoint",
            params={
                "endpoint_id": "impasto/debug",
                "request_id": good["request_id"],
                "expand": "payloads",
            },
        ).json()["items"][0]
    assert stored.get("json_input") is None
