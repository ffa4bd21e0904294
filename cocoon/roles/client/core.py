"""The client's engine: proxy connections, payment channels, and the request API that its
HTTP layer (or any embedding program) uses.

    async with node.request(options, http_request) as events:
        async for event in events:      # Head, then Chunk..., then Done (or Failed)
            ...

Requests go to the ready proxy connection with the fewest running requests; model lists
are merged across every connected proxy.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import aclosing
from typing import Any

import attrs

from cocoon import tl
from cocoon.net import QueryError, SessionClosed, codes
from cocoon.openai.validation import ClientRequestOptions
from cocoon.roles.client.channel import Channel
from cocoon.roles.client.config import ClientConfig
from cocoon.roles.client.events import Event, Failed, Head
from cocoon.roles.client.link import ProxyLink
from cocoon.roles.client.requests import ClientRequest
from cocoon.roles.common.counters import CounterSet
from cocoon.roles.common.root import RootView
from cocoon.roles.common.transport import Dialer, parse_endpoint
from cocoon.ton import flows
from cocoon.ton.cells import friendly, parse_address
from cocoon.ton.contracts import ProxyContract
from cocoon.ton.ledger import Ledger
from cocoon.ton.wallet_client import Wallet

log = logging.getLogger("cocoon.client")


@attrs.define
class ModelInfo:
    name: str
    created: int
    workers: list[dict[str, int]] = attrs.field(factory=list)

    @property
    def min_coefficient(self) -> int | None:
        return min((w["coefficient"] for w in self.workers), default=None)


class ClientNode:
    def __init__(
        self,
        config: ClientConfig,
        *,
        ledger: Ledger,
        root: RootView,
        wallet: Wallet,
        dialer: Dialer,
    ) -> None:
        self.config = config
        self.ledger = ledger
        self.root = root
        self.wallet = wallet
        self.dialer = dialer
        self.links: list[ProxyLink] = []
        self.channels: dict[str, Channel] = {}
        self.stats = CounterSet()
        self.models_seen: dict[str, int] = {}  # model -> unix time first seen
        self.started_at = time.time()

    @property
    def wallet_address_text(self) -> str:
        return friendly(self.wallet.address, testnet=self.config.is_testnet, bounceable=False)

    def pick_proxy(self, slot: int) -> tuple[str, int] | None:
        if self.config.proxies:
            return parse_endpoint(self.config.proxies[slot % len(self.config.proxies)])
        root = self.root.config
        endpoints = [p.clients_endpoint for p in root.proxies] if root is not None else []
        endpoints = [e for e in endpoints if e is not None]
        return random.choice(endpoints) if endpoints else None

    def channel_for(self, link: ProxyLink, contract: ProxyContract) -> Channel:
        key = contract.address.to_str(is_user_friendly=False)
        channel = self.channels.get(key)
        if channel is None:
            channel = self.channels[key] = Channel(self, contract)
        for other in self.channels.values():
            if other.link is link and other is not channel:
                other.link = None  # the link now carries another contract's receipts
        channel.link = link
        return channel

    def channel_of(self, link: ProxyLink) -> Channel | None:
        return self.channels.get(link.proxy_sc or "")

    def find_channel(self, proxy: str) -> Channel | None:
        """By proxy contract address in any form."""
        try:
            key = parse_address(proxy).to_str(is_user_friendly=False)
        except ValueError:
            return None
        return self.channels.get(key)

    async def register_with_proxy(self, link: ProxyLink, nonce: int) -> None:
        """Long authorization: our client contract forwards `nonce` to the proxy. On first
        contact this also deploys the contract and pays in one stake, in one wallet message.
        In fake-TON mode nothing is sent (the reference's client does not; its proxy accepts
        long authorization at once)."""
        if self.ledger.fake_ton:
            return
        channel = self.channels.get(link.proxy_sc or "") if link.proxy_sc else None
        if channel is None:
            for ch in self.channels.values():
                if ch.link is link:
                    channel = ch
        if channel is None:
            raise SessionClosed("cannot register: the proxy contract is unknown")
        wallet = self.wallet.address
        state = await self.ledger.get_account(channel.address)
        if state.active:
            transfers = [flows.client_register(channel.address, nonce, wallet)]
        else:
            transfers = channel.deploy_transfers(nonce)
            if self.config.pay and channel.price > 0:
                stake = channel.contract.params.min_client_stake
                amount = self.config.top_up_amount or (stake - stake % channel.price)
                transfers.append(flows.client_top_up(channel.address, amount, wallet))
        await self.wallet.send(*transfers)
        await channel.refresh()

    def ready_links(self) -> list[ProxyLink]:
        return [link for link in self.links if link.ready]

    def request(
        self,
        options: ClientRequestOptions,
        http_request: tl.HttpRequest,
        *,
        on_charge: Callable[[int], None] | None = None,
    ) -> RequestBlock:
        """Run one request; iterate the yielded events. Leaving the block ends it (cancelling
        it at the proxy if it was still running). `on_charge(tokens)`: what the proxy's
        receipt says it charged, whenever it comes (after the block, too)."""
        return RequestBlock(self, options, http_request, on_charge)

    def _events(
        self,
        options: ClientRequestOptions,
        http_request: tl.HttpRequest,
        on_charge: Callable[[int], None] | None,
    ) -> AsyncIterator[Event]:
        links = self.ready_links()
        if not links:
            return _single(Failed(codes.NOTREADY, "no working proxy connections"))
        links.sort(key=lambda lk: len(lk.requests))
        return self._attempts(links, options, tl.encode(http_request), on_charge)

    async def _attempts(
        self,
        links: list[ProxyLink],
        options: ClientRequestOptions,
        query: bytes,
        on_charge: Callable[[int], None] | None,
    ) -> AsyncIterator[Event]:
        # The least busy proxy first; the next one only when a proxy refused the request
        # for want of a worker for its model (a proxy that has just started, or that
        # this model's workers do not serve) before anything was produced or billed.
        # When every proxy refused, the caller hears the most telling refusal: "no
        # ready workers" from a proxy that serves the model, rather than "unknown
        # model" from one that has just started.
        refused: Failed | None = None
        for i, link in enumerate(links):
            request = ClientRequest(link, on_charge)
            events = request.run(
                model=options.model,
                query=query,
                max_coefficient=options.max_coefficient,
                max_tokens=options.max_tokens,
                timeout=options.timeout,
                min_config_version=self.root.config.version if self.root.config else 0,
                debug=options.enable_debug,
            )
            async with aclosing(events) as stream:
                async for event in stream:
                    if _served_elsewhere(event):
                        assert isinstance(event, Failed)
                        if refused is None or _refusal_rank(event) > _refusal_rank(refused):
                            refused = event
                        if i + 1 < len(links):
                            log.info("%s; trying another proxy", event.message)
                        request.on_charge = None  # refused: nothing charged
                        break
                    if type(event) is Head and event.response.status_code < 400:
                        self.models_seen.setdefault(options.model, int(time.time()))
                    yield event
                else:
                    return
        assert refused is not None
        if refused.message.startswith("unknown model ") and options.model in self.models_seen:
            # Served before, by a proxy that has since restarted and has not seen its
            # workers again yet: "not found" would tell the caller to stop asking.
            refused = attrs.evolve(
                refused,
                code=codes.NOTREADY,
                message=f"no workers for model {options.model} at the moment (it was "
                "served before; its workers may be reconnecting to a restarted proxy)",
            )
        yield refused

    async def models(self) -> list[ModelInfo]:
        """Models across all connected proxies (V2 lists; a model listed once)."""
        merged: dict[str, ModelInfo] = {}
        for link in self.ready_links():
            try:
                answer = await link.get_models()
            except (
                SessionClosed,
                QueryError,
                tl.TLDecodeError,
            ) as e:  # one bad proxy hides no others
                log.info("model list from %s failed: %s", link.proxy_sc, e)
                continue
            for t in answer.types:
                created = self.models_seen.setdefault(t.name, int(time.time()))
                info = merged.setdefault(t.name, ModelInfo(t.name, created))
                for w in getattr(t, "workers", ()):
                    info.workers.append(
                        {
                            "coefficient": w.coefficient,
                            "running_requests": w.active_requests,
                            "max_running_requests": w.max_active_requests,
                        }
                    )
        for info in merged.values():
            info.workers.sort(key=lambda w: w["coefficient"])
        return sorted(merged.values(), key=lambda m: m.name)

    def status(self) -> dict[str, Any]:
        return {
            "proxies_ready": len(self.ready_links()),
            "proxies": len(self.links),
        }


class RequestBlock:
    """`async with node.request(...) as events`: what `asynccontextmanager` did here, written
    out (one generator less per request): the events start when the block is entered, and
    leaving it closes them, cancelling the request at the proxy if it was still running."""

    __slots__ = ("_args", "_events", "_node")

    def __init__(
        self,
        node: ClientNode,
        options: ClientRequestOptions,
        http_request: tl.HttpRequest,
        on_charge: Callable[[int], None] | None,
    ) -> None:
        self._node = node
        self._args = (options, http_request, on_charge)
        self._events: AsyncGenerator[Event, None] | None = None

    async def __aenter__(self) -> AsyncIterator[Event]:
        events = self._node._events(*self._args)
        self._events = events  # type: ignore[assignment]
        return events

    async def __aexit__(self, *exc_info: object) -> None:
        if self._events is not None:
            await self._events.aclose()


NO_WORKER_REFUSALS = ("unknown model ", "no workers for model ", "no ready workers for model")


def _refusal_rank(event: Failed) -> int:
    """How much a refusal tells the caller: a proxy that knows the model (its workers are
    busy or away) says more than one that has never seen it."""
    return 0 if event.message.startswith("unknown model ") else 1


def _served_elsewhere(event: Event) -> bool:
    """A proxy's refusal, before any answer, of a request it has no worker for (another
    proxy may have one), with nothing billed."""
    return (
        type(event) is Failed
        and not event.answered
        and (event.final is None or event.final.tokens_used.total_tokens_used == 0)
        and event.message.startswith(NO_WORKER_REFUSALS)
    )


async def _single(event: Event) -> AsyncIterator[Event]:
    yield event
