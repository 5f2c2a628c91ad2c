"""Reading ``/metrics`` (or a registry) back in tests: samples by name and labels."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

Key = tuple[str, frozenset[tuple[str, str]]]
CREATED = "_created"  # prometheus_client's creation timestamps: not what a test reads


@dataclass(frozen=True)
class Scrape:
    types: dict[str, str]  # family name (counters without _total) -> type
    samples: dict[Key, float]

    def value(self, name: str, **labels: str) -> float | None:
        """The sample ``name`` with exactly ``labels``; None when there is none."""
        return self.samples.get((name, frozenset(labels.items())))

    def count(self, name: str, **labels: str) -> float:
        """A counter's (or a histogram's ``_count``) value; 0 before it first moved."""
        return self.samples.get((name, frozenset(labels.items())), 0.0)

    def label_names(self, name: str) -> set[frozenset[str]]:
        """The label names of every sample called ``name`` (``le`` included)."""
        return {
            frozenset(k for k, _ in labels) for sample, labels in self.samples if sample == name
        }

    def series(self, name: str) -> dict[frozenset[tuple[str, str]], float]:
        return {labels: v for (sample, labels), v in self.samples.items() if sample == name}


def parse(text: str) -> Scrape:
    types: dict[str, str] = {}
    samples: dict[Key, float] = {}
    for family in text_string_to_metric_families(text):
        if family.name.endswith(CREATED):
            continue  # an unlabelled series' creation time, read back as a gauge of its own
        types[family.name] = family.type
        for sample in family.samples:
            if sample.name.endswith(CREATED):
                continue
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return Scrape(types, samples)


def scrape(client: TestClient) -> Scrape:
    response = client.get("/metrics")
    assert response.status_code == 200, response.text
    return parse(response.text)


def scrape_registry(registry: CollectorRegistry) -> Scrape:
    return parse(generate_latest(registry).decode())
