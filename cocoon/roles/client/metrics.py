"""The client's Prometheus families (`/metrics`; names in the README's table).

Recorded as each request ends (`ClientMetrics.finished`, from `InferenceApi._finish`):
requests by endpoint, model and HTTP status, durations, time to the first part of streamed
answers, tokens and nano-TON spent by model. Read when scraped: running requests, proxy
connections, the payment channels (balance, stake, tokens used, signed and settled, what is
owed), the last root read. The wallet's balance is not here: it costs a ledger query, and a
scrape must not wait on the chain (`/jsonstats` shows it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from cocoon.roles.client.pages import _address  # contracts as the pages show them
from cocoon.roles.common.metrics import (
    RequestMetrics,
    ScrapeCollector,
    Totals,
    endpoint_label,
    gauge,
    labelled,
    sync_families,
)

if TYPE_CHECKING:
    from prometheus_client.core import Metric

    from cocoon.roles.client.core import ClientNode
    from cocoon.roles.client.journal import RequestRecord
    from cocoon.roles.common.metrics import Registry

NO_STATUS = "none"  # the request ended before any answer went out (the caller left)


class ClientMetrics:
    def __init__(self, registry: Registry, node: ClientNode) -> None:
        self.node = node
        self.requests = RequestMetrics(registry, "client", "the HTTP status answered")
        self.tokens = Totals(
            "cocoon_client_tokens",
            "Adjusted tokens of finished requests, by model and kind (prompt includes cached, "
            "completion includes reasoning)",
            ("model", "kind"),
        )
        self.billed = Totals(
            "cocoon_client_billed_tokens",
            "Adjusted tokens the proxies billed, by model (their receipts' figures)",
            ("model",),
        )
        self.spent = Totals(
            "cocoon_client_spent_nanotons",
            "nano-TON the billed tokens cost (tokens x price per token), by model",
            ("model",),
        )
        registry.register(ScrapeCollector(self.collect))

    def _model(self, record: RequestRecord) -> str:
        return self.requests.models(record.model, self.node.models_seen)

    def finished(self, record: RequestRecord) -> None:
        """A request ended (its record complete as far as it goes)."""
        model = self._model(record)
        endpoint = endpoint_label(record.endpoint)
        answered = record.first_byte_at is not None
        self.requests.ended(
            endpoint,
            model,
            str(record.status) if record.status else NO_STATUS,
            duration=record.ended_at - record.started_at
            if answered and record.ended_at is not None
            else None,
            first_token=record.first_byte_at - record.started_at
            if record.stream and record.first_byte_at is not None
            else None,
        )
        if record.tokens or record.cost:
            self.tokens.add((model, "prompt"), record.prompt_tokens)
            self.tokens.add((model, "completion"), record.completion_tokens)
            self.billed.add((model,), record.tokens)
            self.spent.add((model,), record.cost)

    def recharged(self, record: RequestRecord, tokens: int, cost: int) -> None:
        """A finished request's charge changed by (`tokens`, `cost`) (a later receipt)."""
        model = self._model(record)
        self.billed.add((model,), tokens)
        self.spent.add((model,), cost)

    def collect(self) -> Iterator[Metric]:
        from prometheus_client.core import (  # at a scrape only
            CounterMetricFamily,
            GaugeMetricFamily,
        )

        node = self.node
        yield self.tokens.family()
        yield self.billed.family()
        yield self.spent.family()
        yield gauge(
            "cocoon_client_running_requests",
            "Requests in flight at the proxies",
            sum(len(link.requests) for link in node.links),
        )
        states = {"ready": 0, "connecting": 0}
        for link in node.links:
            states["ready" if link.ready else "connecting"] += 1
        yield labelled(
            GaugeMetricFamily,
            "cocoon_client_connections",
            "Connections to peers, by peer kind and state",
            ("peer", "state"),
            ((("proxy", state), n) for state, n in states.items()),
        )
        balance = GaugeMetricFamily(
            "cocoon_client_channel_balance_nanotons",
            "The client contract's balance at each proxy (its last read)",
            labels=("proxy_contract",),
        )
        stake = GaugeMetricFamily(
            "cocoon_client_channel_stake_nanotons",
            "The client contract's stake at each proxy",
            labels=("proxy_contract",),
        )
        owed = GaugeMetricFamily(
            "cocoon_client_channel_owed_nanotons",
            "What the client owes each proxy: tokens it used there and the chain has not "
            "settled yet, at the channel's price",
            labels=("proxy_contract",),
        )
        tokens = GaugeMetricFamily(
            "cocoon_client_channel_tokens",
            "Tokens per proxy: used (the proxy's count), signed (the proxy's latest signed "
            "payment), settled (charged on-chain)",
            labels=("proxy_contract", "state"),
        )
        actions = CounterMetricFamily(
            "cocoon_client_channel_transactions",
            "Top-ups and charges the client's channel loop sent to each channel, by kind",
            labels=("proxy_contract", "kind"),
        )
        for ch in node.channels.values():
            proxy = _address(node, ch.proxy_sc) or ""
            s, link = ch.storage, ch.link
            settled = s.tokens_used if s is not None else 0
            used = link.max_tokens if link is not None else settled
            if s is not None:
                balance.add_metric([proxy], s.balance)
            stake.add_metric([proxy], s.stake if s is not None else ch.stake)
            owed.add_metric([proxy], max(used - settled, 0) * ch.price)
            tokens.add_metric([proxy, "used"], used)
            tokens.add_metric([proxy, "signed"], link.signed_tokens if link is not None else 0)
            tokens.add_metric([proxy, "settled"], settled)
            actions.add_metric([proxy, "top_up"], ch.top_ups)
            actions.add_metric([proxy, "charge"], ch.charges)
        yield from (balance, stake, owed, tokens, actions)
        yield from sync_families("client", node.root.synced_at)
