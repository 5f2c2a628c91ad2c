"""What a webhook signature covers, shared by the sender and the receivers' verifier.

fal's scheme: Ed25519 over the UTF-8 of
``request_id + "\\n" + user_id + "\\n" + timestamp + "\\n" + hex(sha256(body))``,
sent hex-encoded with the three inputs in their own headers.
"""

from __future__ import annotations

import hashlib

REQUEST_ID_HEADER = "X-Fal-Webhook-Request-Id"
USER_ID_HEADER = "X-Fal-Webhook-User-Id"
TIMESTAMP_HEADER = "X-Fal-Webhook-Timestamp"
SIGNATURE_HEADER = "X-Fal-Webhook-Signature"


def signed_message(request_id: str, user_id: str, timestamp: str, body: bytes) -> bytes:
    digest = hashlib.sha256(body).hexdigest()
    return f"{request_id}\n{user_id}\n{timestamp}\n{digest}".encode()
