"""Property tests over random operation sequences on the embedded ledger.

A small harness plays the proxy runner (token counters, state commits, signing only committed
tokens), the client and the worker (submitting what they were given, repacked), and a stranger
who forges, replays and pokes at everything. After every step:

* TON is conserved: balances + fees + value in flight == minted;
* the client's owner never receives more than the client's balance (plus the step's deposit);
* the proxy never signs above what it committed, and counters stay ordered (section 14.1):
  sc <= committed_to_blockchain <= committed_to_db <= max, on chain and in memory;
* nobody moves money that is not theirs: people and wallets other than the one acting never
  lose balance, and the stranger never gains.
"""

from __future__ import annotations

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cocoon import ton
from cocoon.ton import bodies, flows
from cocoon.ton.cells import cell_hash
from cocoon.ton.keys import sign
from tests.ton.helpers import addr, make_net

T = ton.ONE_TON
STRANGER = addr(70)


class Harness:
    def __init__(self, fees: ton.FeeConfig | None = None) -> None:
        self.net = net = make_net()
        if fees is not None:
            net.chain.fees = fees
        net.chain.create_user(STRANGER, 100 * T)
        for w in (net.proxy_wallet, net.client_wallet, net.worker_wallet):
            net.chain.mint(w.address, 1000 * T)
        net.deploy_all(top_up=5 * T)
        self.client_counters = ton.PaymentCounters()
        self.worker_counters = ton.PaymentCounters()
        self.seqno = 0
        self.held_charge: ton.SignedPayment | None = None  # the latest charge the client got
        self.sent: list[bytes] = []  # externals, for replays
        self.paid_to_client_owner = 0
        self.deposited = 0

    # --- chain views -----------------------------------------------------------------

    @property
    def client(self) -> ton.ClientStorage:
        return self.net.chain.storage(self.net.client.address)

    @property
    def worker(self) -> ton.WorkerStorage:
        return self.net.chain.storage(self.net.worker.address)

    def people(self) -> dict:
        n = self.net
        return {
            a: n.chain.balance(a)
            for a in (
                n.proxy_wallet.address,
                n.client_wallet.address,
                n.worker_wallet.address,
                n.proxy_owner,
                n.client_human,
                n.worker_owner,
                n.governance,
                STRANGER,
            )
        }

    def send(self, wallet, *transfers) -> list[ton.Transaction]:
        boc = wallet.external(*transfers)
        self.sent.append(boc)
        try:
            return self.net.chain.submit_external(boc)
        except ton.ExternalRejectedError:
            return []

    # --- the proxy runner ----------------------------------------------------------------

    def serve(self, tokens: int) -> None:
        self.client_counters.add(tokens)
        self.worker_counters.add(tokens)

    def commit(self, _: int) -> None:
        self.seqno += 1
        for c in (self.client_counters, self.worker_counters):
            c.committed_to_db(self.seqno)
        n = self.net
        self.send(
            n.proxy_wallet, flows.proxy_state_commit(n.proxy.address, self.seqno, b"\x42" * 32)
        )
        for c in (self.client_counters, self.worker_counters):
            c.committed_to_blockchain(self.seqno)

    def _signed(self, counters, kind, contract) -> ton.SignedPayment:
        p = counters.signed_payment(self.net.signer, kind, contract, self.net.proxy_wallet.address)
        assert p.tokens == counters.tokens_committed_to_blockchain
        assert p.tokens <= counters.tokens_committed_to_db <= counters.tokens_max
        return p

    def charge(self, _: int) -> None:
        p = self._signed(
            self.client_counters, ton.PaymentKind.CLIENT_CHARGE, self.net.client.address
        )
        self.held_charge = p
        if p.tokens > self.client.tokens_used:
            self.send(self.net.proxy_wallet, flows.client_charge(p))

    def client_self_charge(self, _: int) -> None:
        if self.held_charge is not None:
            w = self.net.client_wallet
            self.send(w, flows.client_charge(self.held_charge, w.address))

    def payout(self, by_proxy: int) -> None:
        p = self._signed(
            self.worker_counters, ton.PaymentKind.WORKER_PAYOUT, self.net.worker.address
        )
        if by_proxy % 2:
            self.send(self.net.proxy_wallet, flows.worker_payout(p, by_worker=False))
        else:
            self.send(
                self.net.worker_wallet, flows.worker_payout(p, self.net.worker_wallet.address)
            )

    def grant_refund(self, _: int) -> None:
        if self.client.state != ton.ContractState.CLOSING:
            return  # the runner grants the final refund only to a closing client
        p = self._signed(
            self.client_counters, ton.PaymentKind.CLIENT_GRANT_REFUND, self.net.client.address
        )
        self.send(self.net.proxy_wallet, flows.submit_payment(p))

    def withdraw_earnings(self, _: int) -> None:
        self.send(
            self.net.proxy_wallet,
            flows.proxy_withdraw(self.net.proxy.address, self.net.proxy_wallet.address),
        )

    def proxy_stake(self, amount: int) -> None:
        n = self.net
        self.send(
            n.proxy_wallet,
            flows.proxy_increase_stake(n.proxy.address, amount % (3 * T), n.proxy_wallet.address),
        )

    def proxy_close(self, _: int) -> None:
        n = self.net
        s = n.chain.storage(n.proxy.address)
        p = n.signer.proxy_close_request if s.state == 0 else n.signer.proxy_close_complete
        self.send(n.proxy_wallet, flows.submit_payment(p(n.proxy.address, n.proxy_wallet.address)))

    # --- the client and the worker ---------------------------------------------------------

    def top_up(self, amount: int) -> None:
        w = self.net.client_wallet
        self.send(w, flows.client_top_up(self.net.client.address, amount % (5 * T) + 1, w.address))

    def withdraw(self, _: int) -> None:
        w = self.net.client_wallet
        self.send(w, flows.client_withdraw(self.net.client.address, w.address))

    def close(self, _: int) -> None:
        w = self.net.client_wallet
        self.send(w, flows.client_close(self.net.client.address, w.address))

    def raise_stake(self, amount: int) -> None:
        w = self.net.client_wallet
        self.send(
            w,
            flows.client_increase_stake(
                self.net.client.address, self.client.stake + amount % T + 1, w.address
            ),
        )

    def worker_last_payout(self, _: int) -> None:
        p = self._signed(
            self.worker_counters, ton.PaymentKind.WORKER_LAST_PAYOUT, self.net.worker.address
        )
        self.send(self.net.worker_wallet, flows.worker_payout(p, self.net.worker_wallet.address))

    def wait(self, seconds: int) -> None:
        self.net.clock.advance(seconds % 700)

    # --- the stranger --------------------------------------------------------------------

    def stranger(self, choice: int) -> None:
        n, chain = self.net, self.net.chain
        state = bodies.ClientStateCell(
            state=0, balance=0, stake=0, tokens_used=0, secret_hash=bytes(32)
        )
        forged_key = b"\x66" * 32
        payload = bodies.TokensPayload(
            op=ton.Op.EXT_CLIENT_CHARGE_SIGNED, query_id=1, tokens=10**12, address=n.client.address
        ).to_cell()
        forged_charge = bodies.ClientChargeSigned(
            query_id=1,
            send_excesses_to=STRANGER,
            signature=sign(forged_key, cell_hash(payload)),
            payload=payload,
        )
        options = [
            (
                n.proxy.address,
                bodies.ClientProxyRequest(
                    query_id=1,
                    client_owner=STRANGER,
                    state=state,
                    payload=bodies.ClientProxyRefundGranted(coins=5 * T, send_excesses_to=STRANGER),
                ),
            ),
            (
                n.proxy.address,
                bodies.ClientProxyRequest(
                    query_id=1,
                    client_owner=n.client_wallet.address,
                    state=state,
                    payload=bodies.ClientProxyRefundForce(coins=5 * T, send_excesses_to=STRANGER),
                ),
            ),
            (
                n.proxy.address,
                bodies.WorkerProxyRequest(
                    query_id=1,
                    worker_owner=STRANGER,
                    state=0,
                    tokens=0,
                    payload=bodies.WorkerProxyPayoutRequest(
                        coins_to_pay=5 * T, coins_to_save=0, send_excesses_to=STRANGER
                    ),
                ),
            ),
            (n.proxy.address, bodies.OwnerProxyClose(query_id=1, send_excesses_to=STRANGER)),
            (n.proxy.address, bodies.TextCommand.of("w")),
            (n.client.address, forged_charge),
            (n.client.address, bodies.OwnerClientWithdraw(query_id=1, send_excesses_to=STRANGER)),
            (
                n.client.address,
                bodies.OwnerClientRequestRefund(query_id=1, send_excesses_to=STRANGER),
            ),
            (n.worker.address, bodies.OwnerWorkerRegister(query_id=1, send_excesses_to=STRANGER)),
            (n.client_wallet.address, bodies.TextCommand.of("w")),
            (n.root, bodies.RootChangePrice(query_id=1, price_per_token=0, worker_fee_per_token=0)),
            (n.proxy.address, bodies.ExtProxyPayoutRequest(query_id=1, send_excesses_to=STRANGER)),
        ]
        if choice % (len(options) + 1) == len(options):
            if self.sent:  # replay an external
                boc = self.sent[choice % len(self.sent)]
                with pytest.raises(ton.ExternalRejectedError):
                    chain.submit_external(boc)
            return
        dest, body = options[choice % len(options)]
        chain.send_from_user(STRANGER, dest, T, body.to_cell())


# Weighted: the paying paths often, the closing ones now and then.
OPS = [
    *["serve", "commit", "charge", "payout", "stranger"] * 3,
    *["top_up", "client_self_charge", "wait"] * 2,
    "grant_refund", "withdraw_earnings", "proxy_stake", "proxy_close", "withdraw", "close",
    "raise_stake", "worker_last_payout",
]  # fmt: skip
ACTOR = {
    "commit": "proxy", "charge": "proxy", "payout": "any", "grant_refund": "proxy",
    "withdraw_earnings": "proxy", "proxy_stake": "proxy", "proxy_close": "proxy",
    "client_self_charge": "client", "top_up": "client", "withdraw": "client", "close": "client",
    "raise_stake": "client", "worker_last_payout": "worker", "stranger": "stranger",
}  # fmt: skip

steps = st.lists(st.tuples(st.sampled_from(OPS), st.integers(0, 10**10)), min_size=1, max_size=25)


def payouts_to(net, address, txs) -> int:
    total = 0
    for tx in txs:
        if (
            tx.account == address
            and tx.in_msg is not None
            and tx.in_msg.src == net.proxy.address
            and tx.in_msg.op == ton.Op.PAYOUT
        ):
            total += tx.in_msg.value
    return total


def run_and_check(h: Harness, ops) -> None:
    n, chain = h.net, h.net.chain
    for op, arg in ops:
        people_before = h.people()
        client_balance_before = h.client.balance
        mark = {k: len(a.transactions) for k, a in chain.accounts.items()}
        getattr(h, op)(arg)
        new_txs = [t for k, a in chain.accounts.items() for t in a.transactions[mark.get(k, 0) :]]

        # Conservation.
        assert chain.total() == chain.minted

        # The client's owner never gets back more than the client's balance (plus a deposit
        # bounced back by a closing proxy in the same step).
        paid = payouts_to(n, n.client_wallet.address, new_txs)
        deposit = (arg % (5 * T) + 1) if op == "top_up" else 0
        assert paid <= client_balance_before + deposit

        # Counters: ordered in memory, and the chain never ahead of what was committed.
        for counters, on_chain in (
            (h.client_counters, h.client.tokens_used),
            (h.worker_counters, h.worker.tokens),
        ):
            counters.observe_chain(on_chain)
            counters.check()
            assert on_chain <= counters.tokens_committed_to_blockchain

        # Nobody moves money that is not theirs.
        after = h.people()
        actor = ACTOR.get(op)
        own = {
            "proxy": {n.proxy_wallet.address},
            "client": {n.client_wallet.address},
            "worker": {n.worker_wallet.address},
            "stranger": {STRANGER},
            "any": {n.proxy_wallet.address, n.worker_wallet.address},
        }.get(actor, set())
        for a, before in people_before.items():
            if a not in own:
                assert after[a] >= before, f"{op} took money from {a.to_str(False)}"
        if actor != "stranger":
            assert after[STRANGER] == people_before[STRANGER]
        else:
            assert after[STRANGER] <= people_before[STRANGER]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps)
def test_random_operation_sequences_keep_the_invariants(ops) -> None:
    run_and_check(Harness(), ops)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps)
def test_invariants_hold_with_fees(ops) -> None:
    # Mainnet's prices, every handler charged 12,000 gas (4.8 million nano).
    fees = attrs.evolve(ton.MAINNET_FEES, gas_table=ton.GasTable(default=12_000))
    run_and_check(Harness(fees), ops)
