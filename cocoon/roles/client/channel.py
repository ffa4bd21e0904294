"""The client's payment channel with one proxy: its client contract and money life cycle.

Spec 30 section 10.2, checked every `payments_interval`: deploy the client contract on first
contact; set the secret hash so later connections can use short authorization; keep the
prepaid balance at least half a stake ahead of what was used (top up one stake); when the
proxy's signed receipts run more than half a stake ahead of what the contract settled, submit
the charge ourselves; close (refund) and withdraw on request. One on-chain request at a time.
"""

from __future__ import annotations

import hashlib
import logging
from typing import TYPE_CHECKING

import attrs
import trio
from pytoniq_core import Address

from cocoon.errors import PaymentError
from cocoon.ton import flows
from cocoon.ton.contracts import ProxyContract
from cocoon.ton.errors import LedgerError
from cocoon.ton.ledger import read_contract
from cocoon.ton.storage import ClientStorage

if TYPE_CHECKING:
    from cocoon.roles.client.core import ClientNode
    from cocoon.roles.client.link import ProxyLink

log = logging.getLogger("cocoon.client.channel")


@attrs.define(eq=False)
class Channel:
    node: ClientNode
    contract: ProxyContract
    link: ProxyLink | None = None
    storage: ClientStorage | None = None  # the client contract as last read
    busy: bool = False  # an on-chain request is in flight
    last_error: str | None = None
    closing_requested: bool = False
    top_ups: int = 0
    charges: int = 0
    retired_since: float | None = None  # when we saw the root's params move past ours

    @property
    def retired(self) -> bool:
        """The root's params changed since this contract was made: the proxy has moved to a
        new contract, and this one only waits to be closed (spec 30 section 10.5)."""
        root = self.node.root.config
        return root is not None and root.params_version > self.contract.params.params_version

    @property
    def proxy_sc(self) -> Address:
        return self.contract.address

    @property
    def address(self) -> Address:
        return self.contract.client(self.node.wallet.address).address

    @property
    def price(self) -> int:
        return self.contract.params.price_per_token

    @property
    def stake(self) -> int:
        return (
            self.storage.stake
            if self.storage is not None
            else self.contract.params.min_client_stake
        )

    async def refresh(self) -> ClientStorage | None:
        try:
            self.storage = await read_contract(self.node.ledger, self.address, "client")
        except LedgerError:
            self.storage = None
        return self.storage

    def deploy_transfers(self, nonce: int | None) -> list:
        """What the first contact sends: deploy the contract (and register `nonce`)."""
        wallet = self.node.wallet.address
        out = [flows.deploy(self.contract.client(wallet))]
        if nonce is not None:
            out.append(flows.client_register(self.address, nonce, wallet))
        return out

    async def _send(self, what: str, *transfers: object) -> bool:
        self.busy = True
        try:
            await self.node.wallet.send(*transfers)
            return True
        except (LedgerError, PaymentError) as e:
            self.last_error = f"{what}: {e}"
            log.warning("client channel with %s: %s failed: %s", self.proxy_sc.to_str(), what, e)
            return False
        finally:
            self.busy = False
            await self.refresh()

    async def check(self) -> None:
        """One pass of the life cycle (the reference's `ClientProxyInfo::check`; none in
        fake-TON mode, as in the reference)."""
        if self.busy or self.node.ledger is None or self.node.ledger.fake_ton:
            return
        s = await self.refresh()
        wallet = self.node.wallet.address
        if s is None:
            return  # not deployed yet: the first handshake deploys it
        if s.state == 2:
            return
        if self.retired:
            await self._close_retired(s)
            return
        self.retired_since = None  # a stale read of the root may have said so for a moment
        if self.closing_requested or s.state == 1:
            return
        secret_hash = hashlib.sha256(self.node.config.secret_string.encode()).digest()
        if s.secret_hash != secret_hash:
            await self._send(
                "change secret", flows.client_change_secret(self.address, secret_hash, wallet)
            )
            return
        price = self.price
        if price <= 0 or not self.node.config.pay:
            return
        stake_tokens = s.stake // price
        used = max(s.tokens_used, self.link.max_tokens if self.link else 0)
        prepaid = s.balance // price + s.tokens_used
        if prepaid - used < stake_tokens // 2:
            amount = self.node.config.top_up_amount or (s.stake - s.stake % price)
            if await self._send("top up", flows.client_top_up(self.address, amount, wallet)):
                self.top_ups += 1
            return
        link = self.link
        if link is not None and link.signed is not None:
            signed = link.signed_tokens
            if link.max_tokens > s.tokens_used + stake_tokens // 2 and signed > s.tokens_used:
                if await self._send("charge", flows.client_charge(link.signed, wallet)):
                    self.charges += 1

    async def _close_retired(self, s: ClientStorage) -> None:
        """The proxy grants a retired contract its refund; if that has not happened after
        half the time the proxy has over us, ask for the refund ourselves, and once the
        contract's unlock time has passed, force it."""
        now = trio.current_time()
        if self.retired_since is None:
            self.retired_since = now
        params = self.contract.params
        grace = max(params.proxy_delay_before_close - params.client_delay_before_close, 0) / 2
        if now - self.retired_since < grace:
            return
        ledger = self.node.ledger
        if s.state == 0 or (s.state == 1 and await ledger.now() > s.unlock_ts):
            what = "refund request" if s.state == 0 else "forced refund"
            await self._send(what, flows.client_close(self.address, self.node.wallet.address))

    async def close(self) -> str:
        s = await self.refresh()
        if s is None:
            return "proxy is not inited"
        if s.state == 2:
            return "proxy is closed"
        if self.busy:
            return "request is already running"
        self.closing_requested = True
        ok = await self._send("close", flows.client_close(self.address, self.node.wallet.address))
        return "request sent" if ok else f"failed: {self.last_error}"

    async def withdraw(self) -> str:
        s = await self.refresh()
        if s is None:
            return "proxy is not inited"
        if self.busy:
            return "request is already running"
        if s.balance <= s.stake:
            return "nothing to withdraw"
        ok = await self._send(
            "withdraw", flows.client_withdraw(self.address, self.node.wallet.address)
        )
        return "request sent" if ok else f"failed: {self.last_error}"

    async def top_up(self, amount: int | None = None) -> str:
        if self.busy:
            return "request is already running"
        amount = amount or self.stake
        ok = await self._send(
            "top up", flows.client_top_up(self.address, amount, self.node.wallet.address)
        )
        return "request sent" if ok else f"failed: {self.last_error}"

    async def charge(self) -> str:
        link = self.link
        if link is None or link.signed is None:
            return "nothing to charge"
        s = await self.refresh()
        if s is not None and link.signed_tokens <= s.tokens_used:
            return "nothing to charge"
        ok = await self._send("charge", flows.client_charge(link.signed, self.node.wallet.address))
        return "request sent" if ok else f"failed: {self.last_error}"


async def channel_loop(node: ClientNode) -> None:
    while True:
        await trio.sleep(node.config.payments_interval)
        for channel in list(node.channels.values()):
            try:
                await channel.check()
            except LedgerError as e:
                channel.last_error = str(e)
