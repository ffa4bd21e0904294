"""The proxy's Prometheus families (`/metrics`; names in the README's table).

Recorded as each request settles (`ProxyMetrics.settled`, from `RunningRequest._settle`):
requests by endpoint, model and status (success, failed, rejected), durations, time to the
first part of streamed answers, tokens billed by model. Read when scraped: running and
queued requests, worker capacity, connections by peer kind and state, the payment state of
clients and workers in tokens (used or earned, signed, settled) and in nano-TON (owed both
ways, client balances and stakes, the proxy contract's balance), the last root read.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from cocoon.roles.common.metrics import (
    RequestMetrics,
    ScrapeCollector,
    Totals,
    gauge,
    sync_families,
)
from cocoon.roles.proxy.clients import ClientSession
from cocoon.roles.proxy.registry import base_model_name

if TYPE_CHECKING:
    from prometheus_client.core import Metric

    from cocoon.roles.common.metrics import Registry
    from cocoon.roles.proxy.node import ProxyNode
    from cocoon.roles.proxy.requests import RunningRequest


class ProxyMetrics:
    def __init__(self, registry: Registry, node: ProxyNode) -> None:
        self.node = node
        self.requests = RequestMetrics(registry, "proxy", "success, failed, rejected")
        self.billed = Totals(
            "cocoon_proxy_billed_tokens",
            "Adjusted tokens billed to clients for finished requests, by model",
            ("model",),
        )
        registry.register(ScrapeCollector(self.collect))

    def settled(self, request: RunningRequest, ok: bool, now: float) -> None:
        node = self.node
        model = base_model_name(request.query.model_name)
        model = self.requests.models(model, node.registry.models_first_seen)
        status = "success" if ok else ("rejected" if request.conn_id is None else "failed")
        first = request.first_answer_at
        self.requests.ended(
            request.endpoint,
            model,
            status,
            duration=now - request.start if request.answered else None,
            first_token=first - request.start if request.in_parts and first is not None else None,
        )
        if request.tokens:
            self.billed.add((model,), request.tokens)

    def collect(self) -> Iterator[Metric]:
        from prometheus_client.core import GaugeMetricFamily  # at a scrape only

        node = self.node
        registry = node.registry
        yield self.billed.family()
        yield gauge(
            "cocoon_proxy_serving",
            "1 when the proxy accepts requests, else 0 (see /health for why not)",
            1 if node.serving else 0,
        )
        yield gauge(
            "cocoon_proxy_running_requests",
            "Client requests admitted and not yet settled",
            sum(acc.running for acc in node.clients.values()),
        )
        queued = GaugeMetricFamily(
            "cocoon_proxy_queued_requests",
            "Requests waiting for a free worker slot, by model",
            labels=("model",),
        )
        capacity = GaugeMetricFamily(
            "cocoon_proxy_worker_slots",
            "Request slots of enabled workers, by model and state (busy, free)",
            labels=("model", "state"),
        )
        models = self.requests.models
        for model in registry.models_first_seen:
            queued.add_metric(
                [models(model, registry.models_first_seen)], node.slots.waiting(model)
            )
        slots: dict[tuple[str, str], int] = {}
        for conn in registry.connections.values():
            if conn.enabled:
                model = models(conn.base_model, registry.models_first_seen)
                busy = min(conn.running, conn.capacity)
                slots[(model, "busy")] = slots.get((model, "busy"), 0) + busy
                slots[(model, "free")] = slots.get((model, "free"), 0) + conn.capacity - busy
        for key, value in slots.items():
            capacity.add_metric(list(key), value)
        yield queued
        yield capacity
        yield self._connections()
        yield from self._payments()
        yield from sync_families("proxy", node.root.synced_at)

    def _connections(self) -> Metric:
        from prometheus_client.core import GaugeMetricFamily  # at a scrape only

        node = self.node
        counts = {
            ("client", "handshake"): 0,
            ("client", "ready"): 0,
            ("worker", "handshake"): 0,
            ("worker", "ready"): 0,
            ("worker", "disabled"): 0,
        }
        registered = {id(s): conn_id for conn_id, s in node.worker_sessions.items()}
        for session in node.connections:
            if isinstance(session, ClientSession):
                key = ("client", "ready" if session.account is not None else "handshake")
            elif id(session) not in registered:
                key = ("worker", "handshake")
            else:
                conn = node.registry.connections.get(registered[id(session)])
                key = ("worker", "ready" if conn is not None and conn.enabled else "disabled")
            counts[key] += 1
        family = GaugeMetricFamily(
            "cocoon_proxy_connections",
            "Open connections, by peer kind and state (handshake: not yet authorized)",
            labels=("peer", "state"),
        )
        for key, n in counts.items():
            family.add_metric(list(key), n)
        return family

    def _payments(self) -> Iterator[Metric]:
        from prometheus_client.core import GaugeMetricFamily  # at a scrape only

        node = self.node
        params = node.contract.params if node.contract is not None else None
        root = params or node.root.config
        price = root.price_per_token if root is not None else 0
        fee = root.worker_fee_per_token if root is not None else 0
        tokens = GaugeMetricFamily(
            "cocoon_proxy_payment_tokens",
            "Tokens in the books, all clients or all workers together: used (earned by "
            "workers), signed (in the latest signed payment), settled (on-chain)",
            labels=("peer", "state"),
        )
        owed = GaugeMetricFamily(
            "cocoon_proxy_owed_nanotons",
            "nano-TON for tokens used but not settled on-chain yet: owed by clients (to this "
            "proxy) and to workers (by this proxy), at the current price and worker fee",
            labels=("peer",),
        )
        clients = list(node.clients.values())
        workers = list(node.workers.values())
        for peer, accounts, unit in (("client", clients, price), ("worker", workers, fee)):
            used = sum(a.tokens.tokens_max for a in accounts)
            settled = sum(a.tokens.sc_tokens for a in accounts)
            tokens.add_metric([peer, "used"], used)
            tokens.add_metric(
                [peer, "signed"], sum(a.tokens.tokens_committed_to_blockchain for a in accounts)
            )
            tokens.add_metric([peer, "settled"], settled)
            owed.add_metric([peer], (used - settled) * unit)
        yield tokens
        yield owed
        yield gauge(
            "cocoon_proxy_client_balance_nanotons",
            "Client contracts' balances, all clients together (as the chain last told)",
            sum(a.sc_balance for a in clients),
        )
        yield gauge(
            "cocoon_proxy_client_stake_nanotons",
            "Client contracts' stakes, all clients together",
            sum(a.sc_stake for a in clients),
        )
        yield gauge(
            "cocoon_proxy_contract_balance_nanotons",
            "The proxy contract's balance: earnings ready to withdraw",
            node.sc_balance,
        )
