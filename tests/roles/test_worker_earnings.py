"""What each proxy owes the worker: accepting payouts and counters, and keeping them saved."""

from __future__ import annotations

import json
import secrets

import pytest
import trio
from pytoniq_core import Address

from cocoon import tl
from cocoon.errors import PaymentError
from cocoon.roles.worker.earnings import Advance, Earnings
from cocoon.ton.payments import PaymentSigner

SIGNER = PaymentSigner(b"\x31" * 32)
PROXY_SC = Address((0, b"\x01" * 32))
WORKER_SC = Address((0, b"\x02" * 32))
EXCESS = Address((0, b"\x03" * 32))


def payout(tokens: int) -> tl.ProxySignedPayment:
    return tl.ProxySignedPayment(data=SIGNER.worker_payout(WORKER_SC, tokens, EXCESS).to_boc())


def test_accept_says_what_advanced():
    entry = Earnings().for_proxy(PROXY_SC, WORKER_SC, SIGNER.public_key)
    assert entry.accept(payout(10), 10, 20) is Advance.PAYMENT
    assert entry.accept(payout(10), 10, 25) is Advance.COUNTERS
    assert entry.accept(tl.ProxySignedPaymentEmpty(), 10, 25) is Advance.NOTHING
    assert not Advance.NOTHING
    with pytest.raises(PaymentError):
        entry.accept(payout(9), 10, 25)  # lower than the payout already held
    assert entry.chain_tokens == 10


def test_an_answer_to_a_poll_may_be_older_than_the_receipts_already_handled():
    """The answer to `worker.updatePaymentStatus` is read by the polling task after the
    receipts that arrived behind it were handled: lower figures in it are old news. Taken
    as a regression, they closed the link and failed its requests (found by scripts/soak.py)."""
    entry = Earnings().for_proxy(PROXY_SC, WORKER_SC, SIGNER.public_key)
    assert entry.accept(payout(30), 40, 50) is Advance.PAYMENT
    with pytest.raises(PaymentError):
        entry.accept(payout(20), 35, 45)  # from a receipt: a regression
    assert entry.accept(payout(20), 35, 45, may_be_stale=True) is Advance.NOTHING
    assert (entry.chain_tokens, entry.db_tokens, entry.max_tokens) == (30, 40, 50)
    # What is newer in it is still taken.
    assert entry.accept(payout(20), 35, 60, may_be_stale=True) is Advance.COUNTERS
    assert entry.accept(payout(45), 45, 60, may_be_stale=True) is Advance.PAYMENT
    assert (entry.chain_tokens, entry.db_tokens, entry.max_tokens) == (45, 45, 60)
    # A payment that is not the proxy's is refused, stale or not.
    forged = PaymentSigner(b"\x32" * 32).worker_payout(WORKER_SC, 90, EXCESS).to_boc()
    with pytest.raises(PaymentError):
        entry.accept(tl.ProxySignedPayment(data=forged), 45, 60, may_be_stale=True)
    assert entry.chain_tokens == 45


def _file(path) -> dict:
    return json.loads(path.read_text()) if path.exists() else {}


async def test_a_payout_is_saved_at_once_counters_with_the_next_periodic_save(tmp_path):
    path = tmp_path / "earnings.json"
    earnings = Earnings(path)
    entry = earnings.for_proxy(PROXY_SC, WORKER_SC, SIGNER.public_key)
    key = PROXY_SC.to_str(is_user_friendly=False)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(earnings.keep_saved, 1.0)
        earnings.note(entry.accept(payout(10), 10, 20))
        await trio.sleep(0.3)  # the write runs in a worker thread, in real time
        assert _file(path)[key]["max_tokens"] == 20
        earnings.note(entry.accept(payout(10), 15, 30))
        await trio.sleep(0.3)
        assert _file(path)[key]["max_tokens"] == 20  # not yet
        await trio.sleep(1.0)
        assert _file(path)[key]["max_tokens"] == 30
        earnings.note(entry.accept(payout(10), 15, 40))
        nursery.cancel_scope.cancel()  # stopping saves what is left
    assert _file(path)[key]["max_tokens"] == 40
    restored = Earnings(path).for_proxy(PROXY_SC, WORKER_SC, SIGNER.public_key)
    assert (restored.chain_tokens, restored.db_tokens, restored.max_tokens) == (10, 15, 40)


async def test_saves_from_another_proxy_key_are_not_trusted(tmp_path):
    path = tmp_path / "earnings.json"
    earnings = Earnings(path)
    entry = earnings.for_proxy(PROXY_SC, WORKER_SC, SIGNER.public_key)
    entry.accept(payout(10), 10, 20)
    earnings.save()
    other = PaymentSigner(secrets.token_bytes(32)).public_key
    fresh = Earnings(path).for_proxy(PROXY_SC, WORKER_SC, other)
    assert (fresh.chain_tokens, fresh.max_tokens) == (0, 0)


async def test_every_saved_claim_is_back_at_start_with_its_params(tmp_path):
    """A restarted worker holds the claims of proxies it will not see again (one that moved
    to a new contract, or never came back), and the params their contracts were made under."""
    from cocoon.ton.embedded.local import local_params

    path = tmp_path / "earnings.json"
    earnings = Earnings(path)
    params = local_params(price_per_token=5)
    entry = earnings.for_proxy(PROXY_SC, WORKER_SC, SIGNER.public_key, params=params)
    entry.accept(payout(10), 10, 20)
    earnings.save()
    back = Earnings(path).by_proxy[PROXY_SC.to_str(is_user_friendly=False)]
    assert back.worker_sc == WORKER_SC and back.chain_tokens == 10 and back.max_tokens == 20
    assert back.params is not None and back.params.price_per_token == 5


async def test_a_self_payout_deploys_a_contract_only_under_the_params_it_was_made_under():
    """A worker contract under earlier root params (its proxy has moved since) cannot be
    derived from the current root: without those params the worker does not deploy one at
    the wrong address; with them (kept since its handshake) it does."""
    from types import SimpleNamespace

    from cocoon.roles.worker.earnings import ProxyEarnings
    from cocoon.roles.worker.payouts import cash_out
    from cocoon.ton.contracts import WorkerContract
    from cocoon.ton.embedded.local import local_params
    from cocoon.ton.errors import LedgerError

    owner, proxy = Address("0:" + "11" * 32), Address("0:" + "22" * 32)
    signer = PaymentSigner(secrets.token_bytes(32))
    old = WorkerContract(owner=owner, proxy=proxy, proxy_public_key=signer.public_key,
                         params=local_params(price_per_token=2))  # fmt: skip
    earnings = ProxyEarnings(proxy.to_str(is_user_friendly=False), old.address, signer.public_key)
    earnings.signed = signer.worker_payout(old.address, 100, owner)
    sent = []

    class Ledger:  # the old worker contract was never deployed
        async def get_account(self, address):
            raise LedgerError("no such account")

    class Wallet:
        address = owner

        async def send(self, *transfers):
            sent.extend(transfers)

    root = SimpleNamespace(worker_fee_per_token=1, params=local_params(price_per_token=3))
    node = SimpleNamespace(
        root=SimpleNamespace(config=root), owner=owner, config=SimpleNamespace(min_self_payout=1)
    )
    assert not await cash_out(node, Ledger(), Wallet(), earnings)
    assert sent == []
    earnings.params = local_params(price_per_token=2)  # the params it was made under
    assert await cash_out(node, Ledger(), Wallet(), earnings)
    assert sent and sent[0].state_init == old.state_init()
