from __future__ import annotations

import itertools
import random

import pytest

from impasto.webhooks.backoff import RetryPolicy


def test_default_schedule_is_nine_doubling_waits_over_two_hours() -> None:
    policy = RetryPolicy()
    waits = policy.schedule()
    assert len(waits) == 9
    assert sum(waits) == pytest.approx(7200)
    assert all(later == pytest.approx(2 * earlier) for earlier, later in itertools.pairwise(waits))
    assert 10 < waits[0] < 20
    assert [policy.delay_after(n) for n in range(1, 10)] == waits
    assert policy.delay_after(10) is None


def test_many_attempts_stop_doubling_and_still_fill_the_window() -> None:
    waits = RetryPolicy(max_attempts=50, window_seconds=3600).schedule()
    assert sum(waits) == pytest.approx(3600)
    assert waits[20] == waits[-1] > 1  # flat tail, no near-zero early retries forever


def test_one_attempt_never_retries() -> None:
    assert RetryPolicy(max_attempts=1).delay_after(1) is None


def test_jitter_stays_within_bounds_and_is_reproducible() -> None:
    a = RetryPolicy(jitter=0.1, rng=random.Random(7))  # noqa: S311 (not for secrets)
    b = RetryPolicy(jitter=0.1, rng=random.Random(7))  # noqa: S311 (not for secrets)
    base = RetryPolicy().schedule()
    delays = [a.delay_after(n) for n in range(1, 10)]
    assert delays == [b.delay_after(n) for n in range(1, 10)]
    for delay, wait in zip(delays, base, strict=True):
        assert delay is not None
        assert 0.9 * wait <= delay <= 1.1 * wait


def test_invalid_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="jitter"):
        RetryPolicy(jitter=1.5)
