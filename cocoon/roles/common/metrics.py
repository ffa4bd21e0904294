"""Prometheus metrics of a role (`GET /metrics`), exposed by `prometheus_client`.

Each role has its own `Registry` (several roles share a process in tests and in
`cocoon network`; the library's global registry would mix them). `prometheus_client` is imported
at the first scrape only: a role at rest does not carry it. Most families are read from
the role's own state when scraped (`ScrapeCollector`): counters behind `/jsonstats`,
payment counters, connections. Only what the role keeps nowhere else is recorded as it
happens, once per request at its end (`RequestMetrics`): requests by endpoint, model and
status, and the latency histograms.

Label values are bounded: endpoints are the two inference paths or "other", and a model is
named only when the role knows it from its peers (the models its proxies list, its workers
registered, or the one it serves), at most `MAX_MODELS` of them; any other name a caller
sent becomes "other". Nothing secret (keys, tokens, the access hash) is ever a value or
label here.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
    from quart_trio import QuartTrio  # imported at the pages' first request (`lazyapp`)

METRICS_PATH = "/metrics"
METRICS = "cocoon.metrics"  # app.extensions key: the app's Registry
OTHER = "other"
ENDPOINTS = frozenset({"/v1/chat/completions", "/v1/completions"})
MAX_MODELS = 100  # distinct model label values a role keeps; more go to "other"
# Seconds: a whole answer takes from well under a second to minutes (long generations).
DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
# Seconds to the first part of a streamed answer (queueing and the prompt's prefill).
FIRST_TOKEN_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def endpoint_label(target: str) -> str:
    """An HTTP target (`/v1/chat/completions?x=1`) as a bounded label value."""
    path = target.partition("?")[0]
    return path if path in ENDPOINTS else OTHER


class ModelLabels:
    """Model names as label values: a name the role knows, up to `limit` distinct ones."""

    def __init__(self, limit: int = MAX_MODELS) -> None:
        self.limit = limit
        self._used: set[str] = set()

    def __call__(self, name: str, known: Collection[str]) -> str:
        if name in self._used:
            return name
        if name not in known or len(self._used) >= self.limit:
            return OTHER
        self._used.add(name)
        return name


class Totals:
    """Integer totals by label values, exposed as one counter family. Cheaper than the
    library's `Counter` on the request path (no lock: trio runs one task at a time), and it
    takes corrections (a later receipt may lower a request's charge)."""

    def __init__(self, name: str, documentation: str, labels: Sequence[str]) -> None:
        self.name = name
        self.documentation = documentation
        self.labels = tuple(labels)
        self.values: dict[tuple[str, ...], int] = {}

    def add(self, key: tuple[str, ...], value: int = 1) -> None:
        self.values[key] = self.values.get(key, 0) + value

    def family(self) -> CounterMetricFamily:
        from prometheus_client.core import CounterMetricFamily

        family = CounterMetricFamily(self.name, self.documentation, labels=self.labels)
        for key, value in self.values.items():
            family.add_metric(key, value)
        return family


class Histograms:
    """Histograms by label values, exposed as one histogram family: bucket counts kept as
    plain integers (the library's `Histogram`, with its lock and objects per child, is not
    needed on the request path, and importing it costs every role megabytes at rest)."""

    def __init__(
        self, name: str, documentation: str, labels: Sequence[str], buckets: Sequence[float]
    ) -> None:
        self.name = name
        self.documentation = documentation
        self.labels = tuple(labels)
        self.bounds = tuple(sorted(buckets))
        # label values -> ([count per bucket, then above the last], sum)
        self.values: dict[tuple[str, ...], tuple[list[int], list[float]]] = {}

    def observe(self, key: tuple[str, ...], value: float) -> None:
        entry = self.values.get(key)
        if entry is None:
            entry = self.values[key] = ([0] * (len(self.bounds) + 1), [0.0])
        entry[0][bisect_left(self.bounds, value)] += 1  # `le`: a value on a bound counts in it
        entry[1][0] += value

    def family(self) -> Metric:
        from prometheus_client.core import HistogramMetricFamily
        from prometheus_client.utils import floatToGoString

        family = HistogramMetricFamily(self.name, self.documentation, labels=self.labels)
        for key, (counts, total) in self.values.items():
            cumulative, buckets = 0, []
            for bound, count in zip((*self.bounds, float("inf")), counts, strict=True):
                cumulative += count
                buckets.append((floatToGoString(bound), cumulative))
            family.add_metric(list(key), buckets, total[0])
        return family


class ScrapeCollector:
    """Families computed when scraped, by `collect` (a function yielding them)."""

    def __init__(self, collect: Callable[[], Iterable[Metric]]) -> None:
        self._collect = collect

    def collect(self) -> Iterable[Metric]:
        return self._collect()


class Registry:
    """A role's collectors; what `/metrics` encodes (the library's encoders take any object
    with `collect()`). The library itself is imported at the first scrape."""

    def __init__(self) -> None:
        self._collectors: list[ScrapeCollector] = []

    def register(self, collector: ScrapeCollector) -> None:
        self._collectors.append(collector)

    def collect(self) -> Iterator[Metric]:
        for collector in self._collectors:
            yield from collector.collect()


def gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    from prometheus_client.core import GaugeMetricFamily

    return GaugeMetricFamily(name, documentation, value=value)


def labelled(
    kind: type[GaugeMetricFamily] | type[CounterMetricFamily],
    name: str,
    documentation: str,
    labels: Sequence[str],
    rows: Iterable[tuple[Sequence[str], float]],
) -> Metric:
    family = kind(name, documentation, labels=labels)
    for values, value in rows:
        family.add_metric(list(values), value)
    return family


def sync_families(role: str, synced_at: float | None) -> list[Metric]:
    """When the role last read the root contract, and how long ago (+Inf: never)."""
    out: list[Metric] = [
        gauge(
            f"cocoon_{role}_ton_sync_lag_seconds",
            "Seconds since the root contract was last read from the chain (+Inf: never)",
            time.time() - synced_at if synced_at else float("inf"),
        )
    ]
    if synced_at:
        out.append(
            gauge(
                f"cocoon_{role}_ton_last_sync_timestamp_seconds",
                "Unix time the root contract was last read from the chain",
                synced_at,
            )
        )
    return out


class RequestMetrics:
    """What a role records as each request ends: its count by endpoint, model and status,
    its duration and its time to the first part of a streamed answer."""

    def __init__(self, registry: Registry, role: str, statuses: str) -> None:
        self.models = ModelLabels()
        self.requests = Totals(
            f"cocoon_{role}_requests",
            f"Inference requests that ended, by endpoint, model and status ({statuses})",
            ("endpoint", "model", "status"),
        )
        self.duration = Histograms(
            f"cocoon_{role}_request_duration_seconds",
            "Seconds from a request's arrival to the end of its answer (answered requests)",
            ("endpoint", "model"),
            DURATION_BUCKETS,
        )
        self.first_token = Histograms(
            f"cocoon_{role}_time_to_first_token_seconds",
            "Seconds from a request's arrival to the first part of its streamed answer",
            ("endpoint", "model"),
            FIRST_TOKEN_BUCKETS,
        )
        registry.register(
            ScrapeCollector(
                lambda: [self.requests.family(), self.duration.family(), self.first_token.family()]
            )
        )

    def ended(
        self,
        endpoint: str,
        model: str,
        status: str,
        *,
        duration: float | None = None,
        first_token: float | None = None,
    ) -> None:
        """One request ended (`endpoint` and `model` already bounded labels)."""
        self.requests.add((endpoint, model, status))
        if duration is not None:
            self.duration.observe((endpoint, model), max(duration, 0.0))
        if first_token is not None:
            self.first_token.observe((endpoint, model), max(first_token, 0.0))


def new_registry() -> Registry:
    return Registry()


def add_metrics_route(app: QuartTrio, registry: Registry) -> None:
    """`GET /metrics`: the registry in the format the scraper's `Accept` asks for (Prometheus
    text, or OpenMetrics), by the library's own encoders. Behind the access token like
    `/jsonstats` (it shows the same balances); `webapp.new_app` also takes it as `Authorization:
    Bearer`, which is what Prometheus's scrape `authorization` setting sends."""
    from prometheus_client.exposition import choose_encoder
    from quart import Response, request

    app.extensions[METRICS] = registry

    @app.route(METRICS_PATH)
    async def metrics() -> Any:
        encode, content_type = choose_encoder(request.headers.get("Accept", ""))
        return Response(encode(registry), content_type=content_type)
