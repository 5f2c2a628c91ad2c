"""Everything the webhook side needs, built once (``container.py`` maps the settings).

The queue calls ``outbox.enqueue`` inside the transaction that completes a request and
``kick()`` after committing it; submit calls ``validate_url``; the app's lifespan runs
``tasks.delivering``; the JWKS endpoint publishes ``keys``.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry

from impasto.kit.clock import Clock
from impasto.kit.db import Database
from impasto.kit.egress.addresses import AddressPolicy
from impasto.kit.ids import IdGenerator
from impasto.webhooks.backoff import RetryPolicy
from impasto.webhooks.metrics import WebhookMetrics
from impasto.webhooks.outbox import WebhookOutbox
from impasto.webhooks.sender import WebhookSender
from impasto.webhooks.signing_keys import SigningKeys
from impasto.webhooks.urls import validate_webhook_url

JITTER = 0.1  # spreads the retries of many webhooks that failed together


class Wakeup:
    """Wakes the sender loop early; ``kick`` is safe from any thread or none at all."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event: asyncio.Event | None = None

    def bind(self) -> asyncio.Event:
        """Called by the sender loop, on its event loop, before it first waits."""
        event = asyncio.Event()
        with self._lock:
            self._loop = asyncio.get_running_loop()
            self._event = event
        return event

    def unbind(self) -> None:
        with self._lock:
            self._loop = None
            self._event = None

    def kick(self) -> None:
        with self._lock:
            loop, event = self._loop, self._event
        if loop is None or event is None or loop.is_closed():
            return  # no sender in this process: the poll picks the row up
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            event.set()
        else:
            # RuntimeError: the loop closed between the check and the call.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(event.set)


@dataclass
class Webhooks:
    keys: SigningKeys
    outbox: WebhookOutbox
    sender: WebhookSender
    policy: AddressPolicy
    metrics: WebhookMetrics
    wakeup: Wakeup = field(default_factory=Wakeup)

    def kick(self) -> None:
        """Tell this process's sender that a webhook was just committed."""
        self.wakeup.kick()

    def validate_url(self, url: str) -> str:
        """``validate_webhook_url`` under this server's address policy (400 when refused)."""
        return validate_webhook_url(url, self.policy)


def build_webhooks(
    database: Database,
    clock: Clock,
    ids: IdGenerator,
    registry: CollectorRegistry,
    *,
    keys: SigningKeys,
    policy: AddressPolicy,
    max_attempts: int,
    retry_window_seconds: float,
    timeout: float,
) -> Webhooks:
    retry = RetryPolicy(
        max_attempts=max_attempts, window_seconds=retry_window_seconds, jitter=JITTER
    )
    metrics = WebhookMetrics(registry, database, clock)
    return Webhooks(
        keys=keys,
        outbox=WebhookOutbox(database, clock, ids, retry, attempt_timeout=timeout, metrics=metrics),
        sender=WebhookSender(keys, clock, timeout=timeout, policy=policy),
        policy=policy,
        metrics=metrics,
    )
