"""`EmbeddedLedger`: the `Ledger` interface over an in-process `Chain`, for trio.

Messages are processed as soon as an external arrives (there are no blocks), so a wallet's
transfers have run when `send_external` returns; `wait_for_change` wakes every waiter on an
account whenever that account gets a transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import trio
from pytoniq_core import Address, Cell

from cocoon.ton.embedded.chain import Chain, key
from cocoon.ton.embedded.fees import ZERO_FEES, FeeConfig
from cocoon.ton.embedded.store import SqliteStore
from cocoon.ton.ledger import AccountState, Ledger, Transaction


class EmbeddedLedger(Ledger):
    """An in-process chain. Pass `path` to keep it in a sqlite file across restarts."""

    def __init__(
        self,
        chain: Chain | None = None,
        *,
        path: str | Path | None = None,
        clock: Callable[[], float] | None = None,
        fees: FeeConfig | None = None,
    ) -> None:
        if chain is None:
            store = SqliteStore(path) if path is not None else None
            chain = Chain(clock=clock, fees=fees or ZERO_FEES, store=store)
        elif path is not None or clock is not None or fees is not None:
            raise ValueError("give either a chain or the options to build one")
        self.chain = chain
        self._waiters: dict[tuple[int, bytes], list[trio.Event]] = {}
        chain.add_listener(self._on_change)

    def _on_change(self, changed: set[tuple[int, bytes]]) -> None:
        for k in changed:
            for event in self._waiters.pop(k, []):
                event.set()

    async def get_account(self, address: Address) -> AccountState:
        await trio.lowlevel.checkpoint()
        return self.chain.state(address)

    async def get_transactions(
        self, address: Address, *, after_lt: int = 0, limit: int | None = None
    ) -> list[Transaction]:
        await trio.lowlevel.checkpoint()
        return self.chain.transactions(address, after_lt, limit)

    async def send_external(self, boc: bytes) -> None:
        await trio.lowlevel.checkpoint()
        self.chain.submit_external(boc)

    async def run_get_method(
        self, address: Address, method: str, stack: Sequence[Any] = ()
    ) -> list[Any]:
        await trio.lowlevel.checkpoint()
        return self.chain.get_method(address, method, stack)

    async def wait_for_change(self, address: Address, after_lt: int) -> AccountState:
        while True:
            state = self.chain.state(address)
            if state.last_tx_lt > after_lt:
                await trio.lowlevel.checkpoint()
                return state
            event = trio.Event()
            self._waiters.setdefault(key(address), []).append(event)
            await event.wait()

    async def now(self) -> int:
        await trio.lowlevel.checkpoint()
        return self.chain.now()

    async def wallet_code(self) -> Cell:
        await trio.lowlevel.checkpoint()
        return self.chain.wallet_code

    def close(self) -> None:
        """Close the backing file, if any (the chain stays readable in memory)."""
        if self.chain.store is not None:
            self.chain.store.close()

    async def faucet(self, address: Address, amount: int) -> None:
        """Mint `amount` nano onto `address` (local networks only)."""
        await trio.lowlevel.checkpoint()
        self.chain.mint(address, amount)
