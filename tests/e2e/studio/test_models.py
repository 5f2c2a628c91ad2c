"""The model gallery and a model page with its snippets pointed at this server."""

from __future__ import annotations

from tests.e2e.studio.conftest import Studio, expect, playwright, shot, sign_in


def test_search_the_gallery_and_open_a_model(page: playwright.Page, studio: Studio) -> None:
    sign_in(page, studio, studio.admin)
    page.wait_for_selector(".tile")
    shot(page, studio, "models")
    page.fill("#model-search", "resize")
    expect(page.locator("#models .tile")).to_have_count(1)
    expect(page.locator("#models .tile")).to_have_attribute(
        "data-endpoint-id", "impasto/image-tools/resize"
    )
    assert "q=resize" in page.url
    page.click("[data-endpoint-id='impasto/image-tools/resize']")
    page.wait_for_url("**/models/impasto/image-tools/resize")
    page.wait_for_selector("#playground [data-field='width']")
    snippet = page.locator("#snippet").inner_text()
    host = studio.url.removeprefix("http://")
    assert f'FAL_QUEUE_RUN_HOST"] = "{host}/queue"' in snippet
    page.click("text=curl")
    assert f"{studio.url}/queue/impasto/image-tools/resize" in page.locator("#snippet").inner_text()
    shot(page, studio, "model")
