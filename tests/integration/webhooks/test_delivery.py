"""Delivery end to end: a real receiver on 127.0.0.1, signatures checked with the JWKS."""

from __future__ import annotations

import json
from collections.abc import Callable

import anyio
from fastapi.testclient import TestClient

from impasto.app import create_app
from impasto.models import WebhookDelivery
from impasto.webhooks.records import AttemptOutcome
from impasto.webhooks.tasks import WebhookDeliverer
from impasto.webhooks.verify import verify_webhook
from tests.integration.webhooks.conftest import Hooks, Receiver


def deliver(hooks: Hooks) -> dict[AttemptOutcome, int]:
    return anyio.run(WebhookDeliverer(hooks.container.webhooks).deliver_due)


def stored(hooks: Hooks, delivery_id: str) -> WebhookDelivery:
    with hooks.container.database.session(write=False) as session:
        row = session.get(WebhookDelivery, delivery_id)
        assert row is not None
        return row


def deliveries(hooks: Hooks, outcome: str) -> float | None:
    return hooks.container.registry.get_sample_value(
        "impasto_webhook_deliveries_total", {"outcome": outcome}
    )


def test_a_signed_webhook_reaches_the_receiver(
    make_hooks: Callable[..., Hooks], receiver: Receiver
) -> None:
    hooks = make_hooks()
    output = {"images": [{"url": "https://cdn.example/x.png"}], "seed": 42}
    delivery_id = hooks.enqueue("req-1", receiver.url("/fal?token=abc"), output=output)

    assert deliver(hooks) == {AttemptOutcome.DELIVERED: 1}

    [got] = receiver.requests
    assert got.path == "/fal?token=abc"
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["User-Agent"].startswith("impasto-webhooks/")
    assert got.headers["X-Fal-Webhook-Request-Id"] == "req-1"
    assert got.headers["X-Fal-Webhook-User-Id"] == "acme"
    timestamp = int(hooks.clock.now().timestamp())
    assert got.headers["X-Fal-Webhook-Timestamp"] == str(timestamp)
    assert json.loads(got.body) == {
        "request_id": "req-1",
        "gateway_request_id": "req-1",
        "status": "OK",
        "payload": output,
    }
    # The receiver's view: the public JWKS verifies what the sender signed.
    with TestClient(create_app(hooks.container.settings, hooks.container)) as client:
        jwks = client.get("/.well-known/jwks.json").json()
    verify_webhook(got.body, got.headers, jwks, now=timestamp)

    row = stored(hooks, delivery_id)
    assert (row.state, row.attempts, row.last_status_code) == ("delivered", 1, 200)
    assert row.delivered_at == hooks.clock.now()
    assert deliveries(hooks, "delivered") == 1
    assert deliver(hooks) == {}  # nothing left to send


def test_a_failing_receiver_gets_the_same_body_again_later(
    make_hooks: Callable[..., Hooks], receiver: Receiver
) -> None:
    hooks = make_hooks()
    receiver.statuses = [500]
    delivery_id = hooks.enqueue("req-1", receiver.url(), result_status=422, output={"detail": []})

    assert deliver(hooks) == {AttemptOutcome.RETRY: 1}
    row = stored(hooks, delivery_id)
    assert (row.state, row.attempts, row.last_status_code) == ("pending", 1, 500)
    assert deliver(hooks) == {}  # not due yet
    hooks.clock.advance((row.next_attempt_at - hooks.clock.now()).total_seconds())

    assert deliver(hooks) == {AttemptOutcome.DELIVERED: 1}
    first, second = receiver.requests
    assert first.body == second.body
    assert json.loads(second.body)["error"] == "Invalid status code: 422"
    assert stored(hooks, delivery_id).attempts == 2
    assert (deliveries(hooks, "retry"), deliveries(hooks, "delivered")) == (1, 1)


def test_gives_up_after_the_last_attempt(
    make_hooks: Callable[..., Hooks], receiver: Receiver
) -> None:
    hooks = make_hooks(webhook_max_attempts=3, webhook_retry_window_seconds=0)
    receiver.statuses = [500, 502, 404]
    delivery_id = hooks.enqueue("req-1", receiver.url())
    # With no retry window every retry is due at once, so one round runs them all.
    assert deliver(hooks) == {AttemptOutcome.RETRY: 2, AttemptOutcome.FAILED: 1}
    row = stored(hooks, delivery_id)
    assert (row.state, row.attempts, row.last_status_code) == ("failed", 3, 404)
    assert len(receiver.requests) == 3
    assert deliveries(hooks, "failed") == 1


def test_loopback_is_refused_unless_allowed(
    make_hooks: Callable[..., Hooks], receiver: Receiver
) -> None:
    hooks = make_hooks(allow_loopback=False)
    # A name, so that submit-time validation lets it through and the sender must vet it.
    delivery_id = hooks.enqueue("req-1", f"http://localhost:{receiver.port}/hook")
    assert deliver(hooks) == {AttemptOutcome.RETRY: 1}
    row = stored(hooks, delivery_id)
    assert row.last_status_code is None
    assert row.last_error is not None
    assert "loopback" in row.last_error
    assert receiver.requests == []  # no connection was made


def test_redirects_are_not_followed(make_hooks: Callable[..., Hooks], receiver: Receiver) -> None:
    hooks = make_hooks()
    receiver.statuses = [302]
    delivery_id = hooks.enqueue("req-1", receiver.url())
    assert deliver(hooks) == {AttemptOutcome.RETRY: 1}
    assert stored(hooks, delivery_id).last_status_code == 302
    assert [r.path for r in receiver.requests] == ["/hook"]


def test_a_receiver_that_does_not_answer_times_out(
    make_hooks: Callable[..., Hooks], receiver: Receiver
) -> None:
    hooks = make_hooks(webhook_timeout_seconds=0.3)
    delivery_id = hooks.enqueue("req-1", receiver.url("/stall"))
    assert deliver(hooks) == {AttemptOutcome.RETRY: 1}
    assert stored(hooks, delivery_id).last_error == "timed out after 0.3 s"


def test_kick_wakes_the_sender_of_a_running_app(
    make_hooks: Callable[..., Hooks], receiver: Receiver
) -> None:
    # The poll interval is an hour: only the kick can explain a prompt delivery.
    hooks = make_hooks(webhook_poll_interval_seconds=3600)
    with TestClient(create_app(hooks.container.settings, hooks.container)):
        hooks.enqueue("req-1", receiver.url())
        hooks.container.webhooks.kick()  # from this thread, not the app's event loop
        assert receiver.arrived.wait(30)
    assert [json.loads(r.body)["request_id"] for r in receiver.requests] == ["req-1"]
