"""``ScrapedGauge``: read when scraped, at most once per time to live, never at
registration, and a failed read leaves its family empty instead of failing the scrape."""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from prometheus_client import CollectorRegistry, Counter

from impasto.kit.clock import FrozenClock
from impasto.kit.gauges import Sample, ScrapedGauge
from tests.scrape import scrape_registry


class Source:
    def __init__(self) -> None:
        self.reads = 0
        self.value = 1.0
        self.fails = False

    def read(self) -> Iterable[Sample]:
        self.reads += 1
        if self.fails:
            raise RuntimeError("database unreachable")
        return [(("a",), self.value), (("b",), 2 * self.value)]


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


def gauge(registry: CollectorRegistry, source: Source, clock: FrozenClock) -> ScrapedGauge:
    return ScrapedGauge(
        "impasto_test_things", "Things.", ["kind"], source.read, clock, ttl=2.0, registry=registry
    )


def test_registering_reads_nothing_and_a_scrape_reads_once(registry: CollectorRegistry) -> None:
    source, clock = Source(), FrozenClock()
    gauge(registry, source, clock)
    assert source.reads == 0
    metrics = scrape_registry(registry)
    assert metrics.types["impasto_test_things"] == "gauge"
    assert metrics.series("impasto_test_things") == {
        frozenset({("kind", "a")}): 1.0,
        frozenset({("kind", "b")}): 2.0,
    }
    assert source.reads == 1


def test_scrapes_within_the_ttl_share_one_read(registry: CollectorRegistry) -> None:
    source, clock = Source(), FrozenClock()
    gauge(registry, source, clock)
    scrape_registry(registry)
    source.value = 5.0
    clock.advance(1.9)
    for _ in range(10):
        assert scrape_registry(registry).value("impasto_test_things", kind="a") == 1.0
    assert source.reads == 1
    clock.advance(0.1)
    assert scrape_registry(registry).value("impasto_test_things", kind="a") == 5.0
    assert source.reads == 2


def test_expire_reads_afresh_at_the_next_scrape(registry: CollectorRegistry) -> None:
    source, clock = Source(), FrozenClock()
    things = gauge(registry, source, clock)
    scrape_registry(registry)
    source.value = 3.0
    things.expire()
    assert scrape_registry(registry).value("impasto_test_things", kind="a") == 3.0


def test_a_failed_read_empties_its_family_not_the_scrape(registry: CollectorRegistry) -> None:
    source, clock = Source(), FrozenClock()
    gauge(registry, source, clock)
    other = Counter("impasto_test_other_total", "Other.", registry=registry)
    other.inc()
    source.fails = True
    metrics = scrape_registry(registry)
    assert metrics.series("impasto_test_things") == {}
    assert metrics.types["impasto_test_things"] == "gauge"
    assert metrics.value("impasto_test_other_total") == 1.0
    # The failure is not kept for the ttl: the next scrape tries again.
    source.fails = False
    assert scrape_registry(registry).value("impasto_test_things", kind="b") == 2.0
    assert source.reads == 2
