"""The worker's Prometheus families (`/metrics`; names in the README's table).

Recorded as each request ends (`WorkerMetrics.ended`, from `query.serve_query`): requests
by endpoint, model and status (success, failed, rejected: refused at once, every slot busy,
before its request was read, so under endpoint "other"), durations, time to the first part
of streamed answers. Read when scraped: adjusted tokens by kind (the counters behind
`/jsonstats`), running requests and the limit, proxy connections, the inference server's
state, earnings per proxy contract in tokens (earned, committed to the proxy's database,
signed, settled) and what each proxy still owes in nano-TON, the last root read.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from cocoon.roles.common.metrics import RequestMetrics, ScrapeCollector, gauge, sync_families

if TYPE_CHECKING:
    from prometheus_client.core import Metric

    from cocoon.roles.common.metrics import Registry
    from cocoon.roles.worker.runner import WorkerNode

TOKEN_KINDS = ("prompt", "cached", "completion", "reasoning")


class WorkerMetrics:
    def __init__(self, registry: Registry, node: WorkerNode) -> None:
        self.node = node
        self.requests = RequestMetrics(registry, "worker", "success, failed, rejected")
        registry.register(ScrapeCollector(self.collect))

    def ended(
        self,
        endpoint: str,
        status: str,
        *,
        duration: float | None = None,
        first_token: float | None = None,
    ) -> None:
        model = self.node.ctx.model  # the one model served (from the config, not a caller)
        self.requests.ended(
            endpoint,
            self.requests.models(model, (model,)),
            status,
            duration=duration,
            first_token=first_token,
        )

    def collect(self) -> Iterator[Metric]:
        from prometheus_client.core import (  # at a scrape only
            CounterMetricFamily,
            GaugeMetricFamily,
        )

        node = self.node
        ctx = node.ctx
        tokens = CounterMetricFamily(
            "cocoon_worker_tokens",
            "Adjusted tokens of finished requests, by kind (what the proxies are billed)",
            labels=("kind",),
        )
        for kind in TOKEN_KINDS:
            tokens.add_metric([kind], int(ctx.stats[f"{kind}_adjusted_tokens_used"].total))
        yield tokens
        yield gauge("cocoon_worker_running_requests", "Requests being served", ctx.active)
        yield gauge(
            "cocoon_worker_max_running_requests",
            "Requests served at once at most; more are refused at once (no queue)",
            ctx.max_active,
        )
        yield gauge(
            "cocoon_worker_enabled",
            "1 when the worker takes requests (not disabled, inference server up, accepted "
            "by the root contract), else 0",
            0 if node.disabled else 1,
        )
        yield gauge(
            "cocoon_worker_inference_server_up",
            "1 when the last probe of the inference server succeeded, else 0",
            1 if node.uplink_ok else 0,
        )
        states = {"ready": 0, "connecting": 0}
        for link in node.all_links:
            states["ready" if link.ready else "connecting"] += 1
        connections = GaugeMetricFamily(
            "cocoon_worker_connections",
            "Connections to peers, by peer kind and state",
            labels=("peer", "state"),
        )
        for state, n in states.items():
            connections.add_metric(["proxy", state], n)
        yield connections
        yield from self._earnings()
        yield from sync_families("worker", node.root.synced_at)

    def _earnings(self) -> Iterator[Metric]:
        from prometheus_client.core import GaugeMetricFamily  # at a scrape only

        node = self.node
        root = node.root.config
        earned = GaugeMetricFamily(
            "cocoon_worker_earned_tokens",
            "Tokens earned at each proxy: earned (the proxy's count), committed (to its "
            "database), signed (in its latest signed payment), settled (paid on-chain)",
            labels=("proxy_contract", "state"),
        )
        owed = GaugeMetricFamily(
            "cocoon_worker_owed_nanotons",
            "What each proxy owes this worker: earned tokens not paid on-chain yet, at the "
            "worker fee per token",
            labels=("proxy_contract",),
        )
        for proxy, e in node.earnings.by_proxy.items():
            earned.add_metric([proxy, "earned"], e.max_tokens)
            earned.add_metric([proxy, "committed"], e.db_tokens)
            earned.add_metric([proxy, "signed"], e.chain_tokens)
            earned.add_metric([proxy, "settled"], e.paid_out)
            params = e.params or (root.params if root is not None else None)
            fee = params.worker_fee_per_token if params is not None else 0
            owed.add_metric([proxy], max(e.max_tokens - e.paid_out, 0) * fee)
        yield earned
        yield owed
