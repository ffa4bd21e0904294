"""What the proxy owes workers and is owed by clients, in adjusted tokens (sans-IO).

Spec 30 sections 8.4 and 9.2. The counters (`max`, committed to the database, committed to
the chain, settled on-chain) are `cocoon.ton.PaymentCounters`; this module adds what the proxy
tracks around them: the client's on-chain credit, reservations of running requests, and
whether a charge or payout is in flight.
"""

from __future__ import annotations

import attrs
from pytoniq_core import Address

from cocoon import tl
from cocoon.errors import PaymentError
from cocoon.ton.counters import PaymentCounters
from cocoon.ton.pricing import CreditView


class AccountingError(PaymentError):
    """A peer claims more than this proxy recorded: its database lost writes (or is a copy)."""


@attrs.define(eq=False)
class ClientAccount:
    """A client (keyed by its CocoonWallet address) as the proxy sees it."""

    owner: str  # the client's CocoonWallet, user-friendly non-bounceable (the DB key)
    owner_address: Address
    sc_address: Address  # its client contract at this proxy
    tokens: PaymentCounters = attrs.field(factory=PaymentCounters)
    reserved: int = 0
    running: int = 0
    # The client contract on-chain, from its notifications to the proxy contract.
    known_on_chain: bool = False
    sc_state: int = 0  # 0 normal, 1 closing, 2 closed
    sc_balance: int = 0
    sc_stake: int = 0
    secret_hash: bytes = bytes(32)
    charging: bool = False
    refunding: bool = False
    last_request_at: int = 0
    dirty: bool = False  # changed since the last database write

    def available(self, price: int) -> int:
        """Tokens this client may still reserve (spec 30 section 8.4)."""
        credit = CreditView(self.sc_balance, self.sc_stake, self.tokens.sc_tokens, price)
        return credit.available(self.reserved, self.tokens.tokens_max)

    def on_chain_state(
        self, state: int, balance: int, stake: int, tokens_used: int, secret_hash: bytes
    ) -> bool:
        """A client contract state seen on-chain; ignored (False) if its tokens went backwards.
        Raises `CounterOrderError` if the chain settled more than this proxy committed."""
        if self.known_on_chain and tokens_used < self.tokens.sc_tokens:
            return False
        self.tokens.observe_chain(tokens_used)
        self.sc_state, self.sc_balance, self.sc_stake = state, balance, stake
        self.secret_hash = secret_hash
        self.known_on_chain = True
        return True

    def record(self) -> tl.ProxyDbClientInfoV2:
        return tl.ProxyDbClientInfoV2(
            owner_address=self.owner,
            sc_address=self.sc_address.to_str(is_user_friendly=False),
            status=self.sc_state if self.known_on_chain else -1,
            balance=self.sc_balance,
            stake=self.sc_stake,
            sc_tokens_used=self.tokens.sc_tokens,
            tokens_used=self.tokens.tokens_max,
            secret_hash=self.secret_hash,
            last_request_at=self.last_request_at,
        )


@attrs.define(eq=False)
class WorkerAccount:
    """A worker owner: what the proxy owes it."""

    owner: str
    owner_address: Address
    sc_address: Address
    tokens: PaymentCounters = attrs.field(factory=PaymentCounters)
    running: int = 0
    paying: bool = False
    last_request_at: int = 0
    dirty: bool = False

    def check_claim(self, chain: int, db: int) -> None:
        """`worker.compareBalanceWithProxy`: a worker claiming more than the proxy recorded
        means the proxy lost data (the reference aborts; we refuse the connection)."""
        if (
            chain > self.tokens.tokens_committed_to_blockchain
            or db > self.tokens.tokens_committed_to_db
        ):
            raise AccountingError(
                f"worker {self.owner} claims chain={chain} db={db}, this proxy has "
                f"chain={self.tokens.tokens_committed_to_blockchain} db={self.tokens.tokens_committed_to_db}"
            )

    def record(self) -> tl.ProxyDbWorkerInfo:
        return tl.ProxyDbWorkerInfo(
            owner_address=self.owner,
            sc_address=self.sc_address.to_str(is_user_friendly=False),
            sc_tokens=self.tokens.sc_tokens,
            tokens=self.tokens.tokens_max,
            last_request_at=self.last_request_at,
        )
