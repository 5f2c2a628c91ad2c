"""What a finished request bills when the app does not say."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from impasto.runs.queue.completion import Completed
from impasto.usage.metering import billable_quantity, count_images, media_seconds, reported_units

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _done(
    status: int = 200, output: Any = None, headers: dict[str, str] | None = None
) -> Completed:
    return Completed(
        request_id="r",
        owner="acme",
        endpoint_id="acme/app",
        app_id="acme/app",
        webhook_url=None,
        input={},
        result_status=status,
        output=output,
        error=None,
        error_type=None,
        started_at=NOW,
        completed_at=NOW,
        headers=headers,
    )


@pytest.mark.parametrize(
    ("unit", "output", "expected"),
    [
        ("request", {"images": [{}, {}]}, 1.0),
        ("image", {"images": [{"url": "a"}, {"url": "b"}, "c"]}, 3.0),
        ("images", {"image": {"url": "a"}}, 1.0),
        ("image", {"text": "no image"}, 0.0),
        ("second", {"video": {"url": "v", "duration": 4.5}}, 4.5),
        ("seconds", {"audios": [{"duration": 1}, {"duration": 2}]}, 3.0),
        ("second", {"video": {"url": "v"}}, 7.0),  # no duration: the runner's time
    ],
)
def test_the_price_unit_decides_the_default(unit: str, output: Any, expected: float) -> None:
    assert billable_quantity(unit, _done(output=output), runner_seconds=7.0) == expected


def test_the_apps_figure_wins_and_failures_bill_nothing() -> None:
    reported = _done(output={"images": [{}]}, headers={"X-Fal-Billable-Units": "12"})
    assert billable_quantity("image", reported, None) == 12.0
    assert (
        billable_quantity("image", _done(status=500, headers={"x-fal-billable-units": "3"}), None)
        == 0.0
    )
    assert billable_quantity("request", _done(status=422), None) == 0.0


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "abc", "1e13", ""])
def test_unusable_figures_are_ignored(value: str) -> None:
    assert reported_units({"x-fal-billable-units": value}) is None


def test_media_and_images_ignore_what_is_not_theirs() -> None:
    assert count_images([1, 2]) == 0
    assert count_images({"images": "x"}) == 0
    assert media_seconds({"video": {"duration": float("nan")}, "audio": {"duration": -3}}) == 0.0
    assert media_seconds("text") == 0.0
