"""`Wallet`: a node's CocoonWallet driven through a `Ledger` (spec 30 sections 7.2 and 7.5).

    wallet = await open_wallet(ledger, seed=node_wallet_key, owner=operator_address)
    await wallet.send(flows.client_top_up(client_sc, 5 * ONE_TON, wallet.address))

`open_wallet` makes the wallet with the code the ledger's chain uses (`Ledger.wallet_code()`):
our compiled CocoonWallet on a local network, the reference's on mainnet and in fake-TON mode.

One external is in flight at a time; up to 4 transfers ride in each, in order, as many as
the balance allows (value + 0.1 TON each, within min(1000 TON, balance), wallet >= 2.1 TON). `send` returns
the wallet transactions that executed them ("sent" means the wallet ran them, not that the
destination accepted them). An external that is not seen executed is resent every
`resend_every` seconds until its `valid_until` passes; if the seqno moves on without it, it is
rebuilt with the new seqno.
"""

from __future__ import annotations

from typing import Any

import trio
from pytoniq_core import Address, Cell

from cocoon.ton.cells import cell_hash, to_boc
from cocoon.ton.constants import (
    MIN_WALLET_BALANCE,
    WALLET_MAX_BATCH_VALUE,
    WALLET_MAX_MESSAGES,
    WALLET_TRANSFER_RESERVE,
    WALLET_VALID_FOR,
)
from cocoon.ton.contracts import WalletContract
from cocoon.ton.errors import ExternalRejectedError, InsufficientFundsError, WalletTimeoutError
from cocoon.ton.keys import public_key
from cocoon.ton.ledger import AccountState, Ledger, Transaction
from cocoon.ton.storage import WalletStorage
from cocoon.ton.wallet import Transfer, build_wallet_external


def check_funds(
    balance: int,
    transfers: list[Transfer] | tuple[Transfer, ...],
    low_balance: int = MIN_WALLET_BALANCE,
) -> None:
    """One external's rule, with the running total the reference forgets: each transfer needs
    its value plus 0.1 TON, all within min(1000 TON, balance); the wallet needs `low_balance`."""
    if balance < low_balance:
        raise InsufficientFundsError(f"wallet holds {balance} nano, needs {low_balance} to send")
    need = sum(t.value + WALLET_TRANSFER_RESERVE for t in transfers)
    if need > min(WALLET_MAX_BATCH_VALUE, balance):
        raise InsufficientFundsError(f"transfers need {need} nano, wallet holds {balance}")


def plan_batches(
    balance: int,
    transfers: list[Transfer] | tuple[Transfer, ...],
    low_balance: int = MIN_WALLET_BALANCE,
) -> list[tuple[Transfer, ...]]:
    """Split transfers, in order, into externals of at most 4 that each fit (`check_funds`),
    assuming each external spends its values. Refuses up front if any transfer cannot go."""
    batches: list[tuple[Transfer, ...]] = []
    i = 0
    while i < len(transfers):
        batch: list[Transfer] = []
        while i < len(transfers) and len(batch) < WALLET_MAX_MESSAGES:
            try:
                check_funds(balance, [*batch, transfers[i]], low_balance)
            except InsufficientFundsError:
                if not batch:
                    raise
                break
            batch.append(transfers[i])
            i += 1
        batches.append(tuple(batch))
        balance -= sum(t.value for t in batch)
    return batches


async def open_wallet(ledger: Ledger, seed: bytes, owner: Address, **options: Any) -> Wallet:
    """The `Wallet` of `seed` and `owner` made with the ledger's wallet code (`options` are
    `Wallet`'s: subwallet, valid_for, resend_every, low_balance)."""
    return Wallet(ledger, seed, owner, code=await ledger.wallet_code(), **options)


class Wallet:
    """Sends transfers from a CocoonWallet through any `Ledger`. `code` is the wallet code of
    the ledger's chain (`open_wallet` asks it); the address derives from it."""

    def __init__(
        self,
        ledger: Ledger,
        seed: bytes,
        owner: Address,
        *,
        code: Cell,
        subwallet: int = 0,
        valid_for: int = WALLET_VALID_FOR,
        resend_every: float = 30.0,
        low_balance: int = MIN_WALLET_BALANCE,
    ) -> None:
        self.ledger = ledger
        self._seed = seed
        self.contract = WalletContract(
            public_key=public_key(seed), owner=owner, subwallet=subwallet, code=code
        )
        self.address = self.contract.address
        self.valid_for = valid_for
        self.resend_every = resend_every
        self.low_balance = low_balance
        self._lock = trio.Lock()

    @property
    def public_key(self) -> bytes:
        return self.contract.public_key

    async def state(self) -> AccountState:
        return await self.ledger.get_account(self.address)

    async def balance(self) -> int:
        return (await self.state()).balance

    async def seqno(self) -> int:
        """The stored seqno (0 before deployment)."""
        state = await self.state()
        if not state.active or state.data is None:
            return 0
        return WalletStorage.from_cell(state.data).seqno

    async def send(self, *transfers: Transfer) -> list[Transaction]:
        """Send `transfers` in order, at most 4 per external; one wallet transaction per batch.
        Raises `InsufficientFundsError` before sending anything if they cannot all go."""
        done = []
        async with self._lock:
            plan = plan_batches(await self.balance(), transfers, self.low_balance)
            for batch in plan:
                done.append(await self._send_batch(batch))
        return done

    async def _send_batch(self, batch: tuple[Transfer, ...]) -> Transaction:
        while True:
            state = await self.state()
            check_funds(state.balance, batch, self.low_balance)
            seqno = 0
            if state.active and state.data is not None:
                seqno = WalletStorage.from_cell(state.data).seqno
            valid_until = await self.ledger.now() + self.valid_for
            external = build_wallet_external(
                self.contract,
                self._seed,
                seqno=seqno,
                valid_until=valid_until,
                transfers=batch,
                with_state_init=not state.active,
            )
            tx = await self._deliver(
                to_boc(external.to_cell()), cell_hash(external.body), state, seqno, valid_until
            )
            if tx is not None:
                return tx

    async def _deliver(
        self, boc: bytes, body_hash: bytes, state: AccountState, seqno: int, valid_until: int
    ) -> Transaction | None:
        """Send (and resend) until the wallet runs it: the transaction, or None if the seqno
        moved on without it (rebuild)."""
        seen_lt = state.last_tx_lt
        first = True
        while True:
            try:
                await self.ledger.send_external(boc)
            except ExternalRejectedError:
                # A resend refused by a real chain's liteservers may have run meanwhile (its
                # seqno is used): look for it before giving up. A first send refused is final.
                if first:
                    raise
            first = False
            with trio.move_on_after(self.resend_every):
                while True:
                    for tx in await self.ledger.get_transactions(self.address, after_lt=seen_lt):
                        seen_lt = max(seen_lt, tx.lt)
                        if (
                            tx.in_msg is not None
                            and tx.in_msg.src is None
                            and tx.in_msg.body_hash == body_hash
                        ):
                            return tx
                    if await self.seqno() > seqno:
                        return None
                    await self.ledger.wait_for_change(self.address, seen_lt)
            if await self.ledger.now() >= valid_until:
                raise WalletTimeoutError(f"wallet external with seqno {seqno} expired unexecuted")
