"""Runs from the playground: an uploaded image through impasto/image-tools, logs streamed
from impasto/debug, a cancelled sleeper, and a 422 shown next to its field."""

from __future__ import annotations

import json
import re
from pathlib import Path

from PIL import Image

from tests.e2e.studio.conftest import FORM_APP, Studio, expect, playwright, shot, sign_in


def _png(path: Path) -> Path:
    Image.new("RGB", (40, 30), (200, 60, 20)).save(path)
    return path


def test_resize_an_uploaded_image(page: playwright.Page, studio: Studio, tmp_path: Path) -> None:
    sign_in(page, studio, studio.admin)
    page.goto(f"{studio.url}/models/impasto/image-tools/resize")
    field = page.locator("[data-field='image']")
    field.locator("input[type=file]").set_input_files(_png(tmp_path / "red fox.png"))
    expect(field.locator("input[type=url]")).to_have_value(re.compile(r"/files/b/"))
    page.fill("[data-field='width'] input[type=number]", "16")
    page.fill("[data-field='height'] input[type=number]", "12")
    page.click("#submit")
    image = page.locator("#result .output-image img")
    expect(image).to_have_js_property("naturalWidth", 16)
    expect(image).to_have_js_property("naturalHeight", 12)
    expect(page.locator("#run-status")).to_have_text("COMPLETED")
    shot(page, studio, "playground")


def test_logs_stream_while_running(page: playwright.Page, studio: Studio) -> None:
    sign_in(page, studio, studio.admin)
    page.goto(f"{studio.url}/models/impasto/debug")
    page.fill("[data-field='sleep'] input[type=number]", "2")
    page.fill("[data-field='logs'] input[type=number]", "4")
    page.click("#submit")
    # The first line shows while the request still runs.
    expect(page.locator("#logs")).to_contain_text("debug log 1 of 4")
    assert page.locator("#run-status").inner_text() in ("IN_QUEUE", "IN_PROGRESS")
    expect(page.locator("#run-status")).to_have_text("COMPLETED")
    expect(page.locator("#logs")).to_contain_text("debug log 4 of 4")
    expect(page.locator("#result .json")).to_contain_text('"attempt": 1')


def test_cancel_a_sleeping_request(page: playwright.Page, studio: Studio) -> None:
    sign_in(page, studio, studio.admin)
    page.goto(f"{studio.url}/models/impasto/debug")
    page.fill("[data-field='sleep'] input[type=number]", "120")
    page.click("#submit")
    expect(page.locator("#run-status")).to_have_text("IN_PROGRESS")
    page.click("#cancel")
    expect(page.locator("#run-status")).to_have_text("CANCELLED")
    expect(page.locator("#result")).to_contain_text("Request cancelled")


def test_field_errors_sit_next_to_their_fields(page: playwright.Page, studio: Studio) -> None:
    sign_in(page, studio, studio.admin)
    page.goto(f"{studio.url}/models/impasto/debug")
    page.fill("[data-field='logs'] input[type=number]", "-1")
    page.click("#submit")
    expect(page.locator("[data-field='logs'] .field-error")).to_contain_text("minimum")
    expect(page.locator("[data-field='sleep'] .field-error")).to_have_text("")
    expect(page.locator("[data-field='logs'] input[type=number]")).to_have_attribute(
        "aria-invalid", "true"
    )
    expect(page.locator("#run")).to_have_text("")


def test_every_kind_of_field_reaches_the_app(page: playwright.Page, studio: Studio) -> None:
    sign_in(page, studio, studio.admin)
    page.goto(f"{studio.url}/models/{FORM_APP}")
    page.fill("[data-field='prompt'] textarea", 'a "quoted" lighthouse\nat dusk')
    page.select_option("[data-field='style'] select", label="anime")
    page.fill("[data-field='steps'] input[type=number]", "30")
    page.locator("[data-field='seed'] button").click()  # Randomise
    seed = page.locator("[data-field='seed'] input").input_value()
    assert seed.isdigit()
    page.check("[data-field='tiled'] input[type=checkbox]")
    page.fill("[data-field='size.width'] input[type=number]", "256")
    page.fill("[data-field='tags.0'] input", "coast")
    page.locator("[data-field='tags'] button", has_text="Add item").click()
    page.fill("[data-field='tags.1'] input", "night")
    page.locator("select[aria-label='Mask kind']").select_option(index=1)  # the integer variant
    page.fill("[data-field='mask'] input[type=number]", "3")
    page.click("#submit")
    expect(page.locator("#run-status")).to_have_text("COMPLETED")
    received = json.loads(page.locator("#result .json").inner_text())["received"]
    assert received == {
        "prompt": 'a "quoted" lighthouse\nat dusk',
        "style": "anime",
        "steps": 30,
        "guidance": 7.5,  # left to its default
        "seed": int(seed),
        "tiled": True,
        "size": {"width": 256, "height": 512},
        "tags": ["coast", "night"],
        "mask": 3,
    }
