from impasto.kit.clock import FrozenClock
from impasto.kit.ratelimit import RateLimiter


def test_burst_then_refill_at_rate() -> None:
    clock = FrozenClock()
    limiter = RateLimiter(rate=2.0, burst=3, clock=clock)
    assert [limiter.acquire("k") for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = limiter.acquire("k")
    assert wait == 0.5  # one token at 2/s
    clock.advance(0.5)
    assert limiter.acquire("k") == 0.0
    assert limiter.acquire("k") > 0


def test_keys_have_separate_buckets() -> None:
    limiter = RateLimiter(rate=1.0, burst=1, clock=FrozenClock())
    assert limiter.acquire("a") == 0.0
    assert limiter.acquire("a") > 0
    assert limiter.acquire("b") == 0.0


def test_refill_never_exceeds_burst() -> None:
    clock = FrozenClock()
    limiter = RateLimiter(rate=100.0, burst=2, clock=clock)
    clock.advance(3600)
    assert [limiter.acquire("k") == 0.0 for _ in range(3)] == [True, True, False]


def test_zero_rate_disables() -> None:
    limiter = RateLimiter(rate=0, burst=1, clock=FrozenClock())
    assert not limiter.enabled
    assert all(limiter.acquire("k") == 0.0 for _ in range(100))


def test_retry_after_is_whole_seconds_at_least_one() -> None:
    assert RateLimiter.retry_after_header(0.01) == "1"
    assert RateLimiter.retry_after_header(1.2) == "2"
