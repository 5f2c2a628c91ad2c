from __future__ import annotations

import pytest

from impasto.kit.egress.addresses import AddressPolicy
from impasto.kit.errors import InvalidRequest
from impasto.webhooks.urls import InvalidWebhookUrl, validate_webhook_url


@pytest.mark.parametrize(
    ("url", "stored"),
    [
        ("https://hooks.example.com/fal?x=1", "https://hooks.example.com/fal?x=1"),
        ("http://HOOKS.example.com:8080/a#frag", "http://hooks.example.com:8080/a"),
        ("https://8.8.8.8/hook", "https://8.8.8.8/hook"),
    ],
)
def test_good_urls_are_normalised(url: str, stored: str) -> None:
    assert validate_webhook_url(url) == stored


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.com/x", "http or https"),
        ("example.com/hook", "http or https"),
        ("https://user:pw@example.com/", "credentials"),
        ("https://example.com/" + "a" * 2048, "longer than 2048"),
        ("https://exa mple.com/", "whitespace"),
        ("https://example.com:99999/", "port"),
        ("http://127.0.0.1:9000/hook", "loopback"),
        ("http://[::1]/hook", "loopback"),
        ("http://10.1.2.3/hook", "private"),
        ("http://169.254.169.254/latest/meta-data", "link-local"),
        ("http://2130706433/", "loopback"),  # 127.0.0.1 in the legacy integer form
        ("http://127.1/", "loopback"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),
    ],
)
def test_bad_urls_are_a_400(url: str, reason: str) -> None:
    with pytest.raises(InvalidWebhookUrl, match=reason) as caught:
        validate_webhook_url(url)
    assert isinstance(caught.value, InvalidRequest)
    assert caught.value.status_code == 400


def test_allowed_networks_open_private_addresses() -> None:
    policy = AddressPolicy(["127.0.0.0/8"])
    assert validate_webhook_url("http://127.0.0.1:9000/hook", policy) == (
        "http://127.0.0.1:9000/hook"
    )


def test_names_are_not_resolved_at_submit_time() -> None:
    # localhost is vetted when the sender connects, after resolving it.
    assert validate_webhook_url("http://localhost/hook") == "http://localhost/hook"
