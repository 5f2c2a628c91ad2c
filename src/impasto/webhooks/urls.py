"""Checking a webhook URL when a request is submitted, so a bad one is a 400 right away.

Names are not resolved here (DNS can change before delivery); the sender vets every
resolved address when it connects. A literal IP address is checked against the same
address policy now, since it cannot change.
"""

from __future__ import annotations

import ipaddress
import socket

import httpx

from impasto.kit.egress.addresses import AddressPolicy, IPAddress, parse_ip
from impasto.kit.errors import InvalidRequest

MAX_WEBHOOK_URL_LENGTH = 2048


class InvalidWebhookUrl(InvalidRequest):
    """The ``fal_webhook`` URL cannot be delivered to."""


def validate_webhook_url(url: str, policy: AddressPolicy | None = None) -> str:
    """The URL to store (fragment dropped), or ``InvalidWebhookUrl`` saying why not.

    ``policy`` is the server's address policy (``IMPASTO_FETCH_ALLOWED_NETWORKS``); without
    it only public addresses pass.
    """
    if len(url) > MAX_WEBHOOK_URL_LENGTH:
        raise InvalidWebhookUrl(f"Webhook URL is longer than {MAX_WEBHOOK_URL_LENGTH} characters")
    if any(not char.isprintable() or char.isspace() for char in url):
        raise InvalidWebhookUrl("Webhook URL contains whitespace or control characters")
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError):
        raise InvalidWebhookUrl("Webhook URL is malformed") from None
    if parsed.scheme not in {"http", "https"}:
        raise InvalidWebhookUrl("Webhook URL must be an http or https URL")
    if not parsed.host:
        raise InvalidWebhookUrl("Webhook URL has no host")
    if parsed.userinfo:
        raise InvalidWebhookUrl("Webhook URL must not contain credentials")
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise InvalidWebhookUrl("Webhook URL has an invalid port")
    address = _literal_address(parsed.host)
    if address is not None:
        reason = (policy or AddressPolicy()).refusal(address)
        if reason is not None:
            raise InvalidWebhookUrl(f"Webhook URL points at a {reason}")
    return str(parsed.copy_with(fragment=None))


def _literal_address(host: str) -> IPAddress | None:
    """An IP literal, including the legacy IPv4 forms resolvers accept (``127.1``, ``0x7f.1``)."""
    address = parse_ip(host)
    if address is not None:
        return address
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, ValueError):
        return None
