"""What the proxy owes workers and is owed by clients, in adjusted tokens (sans-IO).

Spec 30 sections 8.4 and 9.2. Each client and worker has three counters:
`max` (every token accounted in memory), `db` (as of the newest database write that changed
it) and `chain` (as of the newest database write whose seqno has been anchored on-chain by a
state commit). Signed payments are only ever issued for `chain`, which is durable by
construction; `sc` is what the contract on-chain has settled. Invariant:
`sc <= chain <= db <= max`.
"""

from __future__ import annotations

import attrs

from cocoon.errors import PaymentError

NO_PRICE_TOKENS = 10**12  # the reference's safe_div when the price is not positive


class AccountingError(PaymentError):
    """A counter would go backwards, or a peer claims more than the proxy recorded."""


def tokens_for(nano: int, price: int) -> int:
    return nano // price if price > 0 else NO_PRICE_TOKENS


@attrs.define
class Counters:
    max: int = 0
    db: int = 0
    chain: int = 0
    pending: dict[int, int] = attrs.field(factory=dict)  # db seqno -> value written then

    @classmethod
    def loaded(cls, tokens: int) -> Counters:
        """A record read back from the database: everything up to it is durable and anchored."""
        return cls(max=tokens, db=tokens, chain=tokens)

    def add(self, tokens: int) -> None:
        if tokens < 0:
            raise AccountingError(f"negative token count {tokens}")
        self.max += tokens

    def written(self, seqno: int) -> bool:
        """The database write `seqno` holds `max`. True if that changed anything."""
        if self.max <= self.db:
            return False
        self.db = self.max
        self.pending[seqno] = self.max
        return True

    def anchored(self, seqno: int) -> bool:
        """The state commit for `seqno` was seen on-chain. True if `chain` advanced."""
        done = [s for s in self.pending if s <= seqno]
        if not done:
            return False
        value = self.pending[max(done)]
        for s in done:
            del self.pending[s]
        if value > self.chain:
            self.chain = value
            return True
        return False


@attrs.define
class ClientAccount:
    """A client (keyed by its CocoonWallet address) as the proxy sees it."""

    owner: str
    sc_address: str
    tokens: Counters = attrs.field(factory=Counters)
    reserved: int = 0
    running: int = 0
    # The client contract on-chain, from its notifications to the proxy contract.
    sc_state: int = 0  # 0 normal, 1 closing, 2 closed
    sc_balance: int = 0
    sc_stake: int = 0
    sc_tokens_used: int = 0
    secret_hash: bytes = bytes(32)
    exp_sc_tokens_used: int = 0  # after the charge in flight
    charging: bool = False
    refund_granted: bool = False
    last_request_at: int = 0

    def available(self, price: int) -> int:
        """Tokens this client may still reserve (spec 30 section 8.4)."""
        payed = tokens_for(self.sc_balance, price) + self.sc_tokens_used
        stake = tokens_for(self.sc_stake, price)
        return min(payed, self.sc_tokens_used + stake) - self.reserved - self.tokens.max

    def on_chain_state(
        self, state: int, balance: int, stake: int, tokens_used: int, secret_hash: bytes
    ) -> bool:
        """A newer client contract state. Ignored (False) if its tokens went backwards."""
        if tokens_used < self.sc_tokens_used:
            return False
        if tokens_used > self.tokens.max:
            # The chain settled more than we ever counted: our database lost writes.
            raise AccountingError(
                f"client {self.owner}: contract settled {tokens_used} tokens, proxy counted {self.tokens.max}"
            )
        self.sc_state, self.sc_balance, self.sc_stake = state, balance, stake
        self.sc_tokens_used = tokens_used
        self.exp_sc_tokens_used = max(self.exp_sc_tokens_used, tokens_used)
        self.secret_hash = secret_hash
        return True


@attrs.define
class WorkerAccount:
    """A worker owner: what the proxy owes it."""

    owner: str
    sc_address: str
    tokens: Counters = attrs.field(factory=Counters)
    running: int = 0
    sc_tokens: int = 0
    exp_sc_tokens: int = 0
    paying: bool = False
    last_request_at: int = 0

    def on_chain_tokens(self, tokens: int) -> bool:
        if tokens < self.sc_tokens:
            return False
        if tokens > self.tokens.max:
            raise AccountingError(
                f"worker {self.owner}: contract paid out {tokens} tokens, proxy counted {self.tokens.max}"
            )
        self.sc_tokens = tokens
        self.exp_sc_tokens = max(self.exp_sc_tokens, tokens)
        return True

    def check_claim(self, chain: int, db: int) -> None:
        """`worker.compareBalanceWithProxy`: a worker claiming more than the proxy recorded means
        the proxy lost data (the reference aborts; we refuse the connection)."""
        if chain > self.tokens.chain or db > self.tokens.db:
            raise AccountingError(
                f"worker {self.owner} claims chain={chain} db={db}, "
                f"proxy has chain={self.tokens.chain} db={self.tokens.db}"
            )
