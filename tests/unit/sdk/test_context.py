import logging

import pytest

from impasto.sdk import RecordingSink, RequestCancelled, RequestContext, current_request, log
from impasto.sdk.context import bind_request, set_runner_log, unbind_request


def _ctx(sink: RecordingSink) -> RequestContext:
    return RequestContext(
        request_id="req-1",
        endpoint="/",
        attempt=2,
        headers={"x-fal-request-id": "req-1"},
        sink=sink,
    )


def test_no_request_outside_a_request() -> None:
    with pytest.raises(RuntimeError, match="no request"):
        current_request()


def test_log_outside_a_request_goes_to_the_runner_log() -> None:
    lines: list[tuple[str, str]] = []
    set_runner_log(lambda level, message: lines.append((level, message)))
    try:
        log("loading weights", "WARNING")
    finally:
        set_runner_log(None)
    assert lines == [("warning", "loading weights")]


def test_log_outside_a_runner_goes_to_stdlib_logging(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="impasto.app"):
        log("setting up")
    assert [(r.name, r.levelno, r.message) for r in caplog.records] == [
        ("impasto.app", logging.INFO, "setting up")
    ]
    with pytest.raises(ValueError, match="unknown log level"):
        log("x", "loud")


def test_logs_and_progress_reach_the_sink_of_the_current_request() -> None:
    sink = RecordingSink()
    ctx = _ctx(sink)
    token = bind_request(ctx)
    try:
        assert current_request() is ctx
        log("hello")
        ctx.log("careful", "WARNING")
        ctx.progress(0.5, "half way")
    finally:
        unbind_request(token)
    assert sink.logs == [("req-1", "info", "hello"), ("req-1", "warning", "careful")]
    assert sink.progress_reports == [("req-1", 0.5, "half way")]
    assert (ctx.attempt, ctx.headers["x-fal-request-id"]) == (2, "req-1")


def test_bad_levels_and_fractions_are_refused() -> None:
    ctx = _ctx(RecordingSink())
    with pytest.raises(ValueError, match="level"):
        ctx.log("x", "loud")
    with pytest.raises(ValueError, match="between 0 and 1"):
        ctx.progress(1.5)


def test_cancellation_is_visible_to_the_endpoint() -> None:
    ctx = _ctx(RecordingSink())
    ctx.raise_if_cancelled()
    ctx.mark_cancelled()
    assert ctx.cancelled
    with pytest.raises(RequestCancelled):
        ctx.raise_if_cancelled()
