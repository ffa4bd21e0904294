"""The proxy's per-client / per-worker token counters (spec 30 sections 9.2 and 11), sans-IO.

    sc  <=  committed_to_blockchain  <=  committed_to_db  <=  max

`max` grows as requests finish; a DB write at seqno `s` records `max` under `s`; when the
state commit of `s` is seen on-chain every value recorded at or below `s` becomes
`committed_to_blockchain`, and only that value is ever signed. `sc` is what the contract on
chain has settled. A signed payment therefore never exceeds what survives a crash.
"""

from __future__ import annotations

import attrs
from pytoniq_core import Address

from cocoon.ton.errors import StalePaymentError
from cocoon.ton.payments import PaymentKind, PaymentSigner, SignedPayment


class CounterOrderError(StalePaymentError):
    """The chain shows more tokens settled than this proxy ever committed (lost or copied DB)."""


@attrs.define
class PaymentCounters:
    tokens_max: int = 0
    tokens_committed_to_blockchain: int = 0
    sc_tokens: int = 0
    exp_sc_tokens: int = 0
    _db: dict[int, int] = attrs.field(factory=dict)  # DB-write seqno -> tokens_max then
    _cached: SignedPayment | None = attrs.field(default=None, repr=False)

    @classmethod
    def restored(cls, tokens: int, sc_tokens: int = 0) -> PaymentCounters:
        """Counters after loading a stored record: everything stored counts as committed."""
        return cls(
            tokens_max=tokens,
            tokens_committed_to_blockchain=tokens,
            sc_tokens=sc_tokens,
            exp_sc_tokens=sc_tokens,
        )

    @property
    def tokens_committed_to_db(self) -> int:
        if self._db:
            return self._db[max(self._db)]
        return self.tokens_committed_to_blockchain

    def add(self, tokens: int) -> None:
        """A request finished with `tokens` adjusted tokens (charged even if it failed)."""
        if tokens < 0:
            raise ValueError("token counts only grow")
        self.tokens_max += tokens

    def committed_to_db(self, seqno: int, tokens: int | None = None) -> None:
        """The DB write numbered `seqno`, which holds `tokens` (default: `tokens_max`), has
        been flushed. Call it only once the write is on disk: `tokens_committed_to_db` is
        told to workers and clients, who hold the proxy to it after a crash."""
        tokens = self.tokens_max if tokens is None else tokens
        if tokens > self.tokens_committed_to_db:
            self._db[seqno] = tokens

    def committed_to_blockchain(self, seqno: int) -> None:
        """The state commit numbered `seqno` is on chain: values written up to it are final."""
        done = [s for s in self._db if s <= seqno]
        if not done:
            return
        value = self._db[max(done)]
        for s in done:
            del self._db[s]
        if value > self.tokens_committed_to_blockchain:
            self.tokens_committed_to_blockchain = value
            self._cached = None

    def observe_chain(self, sc_tokens: int) -> None:
        """The contract on chain reports `sc_tokens` settled."""
        if sc_tokens > self.tokens_committed_to_blockchain:
            raise CounterOrderError(
                f"chain settled {sc_tokens} tokens, only {self.tokens_committed_to_blockchain} "
                "were committed: the proxy's records were lost or copied"
            )
        if sc_tokens > self.sc_tokens:
            self.sc_tokens = sc_tokens
        self.exp_sc_tokens = max(self.exp_sc_tokens, self.sc_tokens)

    def expect_settled(self, tokens: int) -> None:
        """A charge or payout for `tokens` was submitted (optimistic, never decreases)."""
        self.exp_sc_tokens = max(
            self.exp_sc_tokens, min(tokens, self.tokens_committed_to_blockchain)
        )

    @property
    def unsettled(self) -> int:
        """Committed tokens the chain has not settled yet (or is not expected to)."""
        return self.tokens_committed_to_blockchain - self.exp_sc_tokens

    def signed_payment(
        self,
        signer: PaymentSigner,
        kind: PaymentKind,
        contract: Address,
        send_excesses_to: Address,
    ) -> SignedPayment:
        """A payment for exactly `tokens_committed_to_blockchain`, re-signed only when it moved."""
        cached = self._cached
        if (
            cached is not None
            and cached.kind is kind
            and cached.address == contract
            and cached.tokens == self.tokens_committed_to_blockchain
        ):
            if cached.body.send_excesses_to == send_excesses_to:
                return cached  # the very same message, its BOC already made
            return cached.repack(send_excesses_to)
        self._cached = signer.sign(
            kind,
            contract,
            tokens=self.tokens_committed_to_blockchain,
            send_excesses_to=send_excesses_to,
        )
        return self._cached

    def check(self) -> None:
        """Assert the ordering invariant (for tests and paranoid callers)."""
        if not (
            self.sc_tokens
            <= self.tokens_committed_to_blockchain
            <= self.tokens_committed_to_db
            <= self.tokens_max
        ):
            raise CounterOrderError(
                f"counters out of order: sc={self.sc_tokens} "
                f"blockchain={self.tokens_committed_to_blockchain} "
                f"db={self.tokens_committed_to_db} max={self.tokens_max}"
            )
