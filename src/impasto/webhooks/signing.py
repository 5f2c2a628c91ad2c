"""Signing one delivery attempt: fal's four ``X-Fal-Webhook-*`` headers."""

from __future__ import annotations

from impasto.webhooks.message import (
    REQUEST_ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    USER_ID_HEADER,
    signed_message,
)
from impasto.webhooks.signing_keys import SigningKeys


def signature_headers(
    keys: SigningKeys, *, request_id: str, user_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """Headers for one attempt; ``timestamp`` is the send time in Unix seconds.

    Each attempt is signed afresh, since receivers reject timestamps more than a few
    minutes old and retries run for hours.
    """
    stamp = str(timestamp)
    signature = keys.sign(signed_message(request_id, user_id, stamp, body))
    return {
        REQUEST_ID_HEADER: request_id,
        USER_ID_HEADER: user_id,
        TIMESTAMP_HEADER: stamp,
        SIGNATURE_HEADER: signature.hex(),
    }
