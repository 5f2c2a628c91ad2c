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
    page.click("#favorite")
    expect(page.locator("#favorite")).to_have_attribute("aria-pressed", "true")
    page.goto(f"{studio.url}/models")
    page.check("#model-favorites")
    expect(page.locator("#models .tile")).to_have_count(1)
    expect(page.locator("#models .tile")).to_have_attribute(
        "data-endpoint-id", "impasto/image-tools/resize"
    )


def test_pages_fit_a_phone_and_work_from_the_keyboard(
    page: playwright.Page, studio: Studio
) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, studio, studio.admin)
    for path in ("/models", "/models/impasto/image-tools/resize", "/requests", "/assets"):
        page.goto(f"{studio.url}{path}")
        page.wait_for_load_state("networkidle")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px"
    page.goto(f"{studio.url}/models")
    page.wait_for_selector(".tile")
    page.keyboard.press("Tab")
    expect(page.locator(".skip")).to_be_focused()
    page.keyboard.press("Enter")
    page.locator("#model-search").focus()
    page.keyboard.type("debug")
    expect(page.locator("#models .tile").first).to_have_attribute(
        "data-endpoint-id", "impasto/debug"
    )
    page.locator("#models .tile").first.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/models/impasto/debug")


def test_dark_mode_follows_the_system(browser: playwright.Browser, studio: Studio) -> None:
    for scheme, dark in (("light", False), ("dark", True)):
        context = browser.new_context(color_scheme=scheme, viewport={"width": 1280, "height": 900})
        try:
            page = context.new_page()
            sign_in(page, studio, studio.admin)
            page.wait_for_selector(".tile")
            rgb = page.evaluate("getComputedStyle(document.body).backgroundColor")
            channels = [int(part) for part in rgb[rgb.index("(") + 1 : -1].split(",")[:3]]
            assert (sum(channels) / 3 < 80) is dark, rgb
            if dark:
                shot(page, studio, "models-dark")
        finally:
            context.close()
