"""Read a server's ``/metrics`` with ``prometheus_client``'s own parser."""

from __future__ import annotations

from collections.abc import Mapping

import httpx
from prometheus_client.parser import text_string_to_metric_families

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(base_url: str) -> Samples:
    """Every sample of ``base_url``/metrics, keyed by name and label set."""
    return parse(httpx.get(f"{base_url}/metrics", timeout=30))


async def ascrape(client: httpx.AsyncClient) -> Samples:
    """:func:`scrape` with an async client (for servers in the test's own loop)."""
    return parse(await client.get("/metrics"))


def parse(response: httpx.Response) -> Samples:
    response.raise_for_status()
    assert response.headers["content-type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sample ``name`` with exactly ``labels`` (0 when absent)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def by_label(samples: Samples, name: str, *keep: str) -> dict[tuple[str, ...], float]:
    """``name``'s samples summed by the values of the ``keep`` labels."""
    out: dict[tuple[str, ...], float] = {}
    for (sample_name, labels), sample_value in samples.items():
        if sample_name != name:
            continue
        mapping: Mapping[str, str] = dict(labels)
        key = tuple(mapping.get(label, "") for label in keep)
        out[key] = out.get(key, 0.0) + sample_value
    return out
