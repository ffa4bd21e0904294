"""CocoonWallet: externals (signature, seqno, valid_until, subwallet, blocking, balance floor),
internal owner commands, batching, and the async `Wallet` over the embedded ledger."""

from __future__ import annotations

import pytest
from pytoniq_core import begin_cell

from cocoon import ton
from cocoon.ton.bodies import Excesses, OwnerWalletSendMessage, TextCommand
from cocoon.ton.messages import ExternalMessage
from cocoon.ton.wallet import WalletOrder, with_signature
from tests.ton.helpers import SyncWallet, addr, make_net

ONE = ton.ONE_TON


def pay(dest, value=ONE, body=None):
    return ton.Transfer(dest=dest, value=value, body=body)


def make_net_with_payees():
    net = make_net()
    for i in range(60, 100):
        if i != 70:
            net.chain.create_user(addr(i))  # bounceable transfers need an active payee
    return net


@pytest.fixture
def net():
    return make_net_with_payees()


def tx_of(txs, address):
    return next(t for t in txs if t.account == address)


def snapshot(net):
    return {k: a.balance for k, a in net.chain.accounts.items()}


def rejected(net, boc, code):
    before = snapshot(net)
    with pytest.raises(ton.ExternalRejectedError) as info:
        net.chain.submit_external(boc)
    assert info.value.exit_code == code
    assert snapshot(net) == before


def test_first_external_deploys_and_sends(net) -> None:
    w = net.proxy_wallet
    assert not net.chain.state(w.address).active
    txs = w.send(pay(addr(60), 2 * ONE), pay(addr(61), 3 * ONE))
    assert net.chain.state(w.address).active and w.seqno == 1
    assert net.chain.balance(addr(60)) == 2 * ONE and net.chain.balance(addr(61)) == 3 * ONE
    assert txs[0].in_msg.src is None and len(txs[0].out_msgs) == 2
    storage = net.chain.storage(w.address)
    assert storage.public_key == w.contract.public_key and storage.owner == net.proxy_owner
    assert net.chain.get_method(w.address, "seqno") == [1]
    assert net.chain.get_method(w.address, "get_owner_address") == [net.proxy_owner]
    assert net.chain.get_method(w.address, "get_public_key") == [
        int.from_bytes(w.contract.public_key, "big")
    ]


def test_unsigned_and_wrongly_signed_externals_are_rejected(net) -> None:
    w = net.proxy_wallet
    w.send(pay(addr(60)))
    order = WalletOrder(
        subwallet=0,
        valid_until=net.chain.now() + 60,
        seqno=1,
        messages=((0, pay(addr(60)).to_message().to_cell()),),
    )
    unsigned = ExternalMessage(
        dest=w.address, body=with_signature(bytes(64), order.unsigned_cell())
    )
    rejected(net, ton.to_boc(unsigned.to_cell()), ton.ExitCode.WALLET_BAD_SIGNATURE)
    rejected(net, w.external(pay(addr(60)), seed=b"\x77" * 32), ton.ExitCode.WALLET_BAD_SIGNATURE)


def test_replayed_seqno_is_rejected(net) -> None:
    w = net.proxy_wallet
    w.send(pay(addr(60)))
    boc = w.external(pay(addr(60)))
    net.chain.submit_external(boc)
    rejected(net, boc, ton.ExitCode.WALLET_BAD_SEQNO)
    rejected(net, w.external(pay(addr(60)), seqno=7), ton.ExitCode.WALLET_BAD_SEQNO)


def test_expired_valid_until_is_rejected(net) -> None:
    w = net.proxy_wallet
    w.send(pay(addr(60)))
    rejected(net, w.external(pay(addr(60)), valid_for=0), ton.ExitCode.WALLET_EXPIRED)
    boc = w.external(pay(addr(60)), valid_for=10)
    net.clock.advance(10)
    rejected(net, boc, ton.ExitCode.WALLET_EXPIRED)


def test_wrong_subwallet_is_rejected(net) -> None:
    w = net.proxy_wallet
    w.send(pay(addr(60)))
    order = WalletOrder(subwallet=5, valid_until=net.chain.now() + 60, seqno=1, messages=())
    ext = ExternalMessage(dest=w.address, body=order.signed_cell(w.seed))
    rejected(net, ton.to_boc(ext.to_cell()), ton.ExitCode.WALLET_BAD_SUBWALLET)


def test_low_balance_is_rejected(net) -> None:
    w = SyncWallet(net.chain, b"\x41" * 32, net.proxy_owner)
    net.chain.mint(w.address, 2 * ONE - 1)
    rejected(net, w.external(pay(addr(60), 1)), ton.ExitCode.WALLET_LOW_BALANCE)
    assert not net.chain.state(w.address).active  # the StateInit did not stick either


def test_owner_blocks_and_unblocks(net) -> None:
    w = net.proxy_wallet
    w.send(pay(addr(60)))
    net.chain.send_from_user(net.proxy_owner, w.address, ONE // 10, TextCommand.of("b").to_cell())
    assert net.chain.storage(w.address).blocked
    rejected(net, w.external(pay(addr(60))), ton.ExitCode.WALLET_BLOCKED)
    net.chain.send_from_user(net.proxy_owner, w.address, ONE // 10, TextCommand.of("u").to_cell())
    w.send(pay(addr(60)))
    assert w.seqno == 2


def test_unaffordable_transfer_fails_after_accept_without_moving_money(net) -> None:
    w = net.worker_wallet  # 10 TON
    w.send(pay(addr(60)))
    before = snapshot(net)
    txs = w.send(pay(addr(61), 50 * ONE))
    assert not txs[0].success and txs[0].exit_code == ton.ExitCode.NOT_ENOUGH_BALANCE
    assert snapshot(net) == before and w.seqno == 1


def test_more_than_four_messages_cannot_be_built(net) -> None:
    with pytest.raises(ton.CellEncodeError):
        net.proxy_wallet.external(*[pay(addr(60))] * 5)


def test_internal_commands(net) -> None:
    w = net.proxy_wallet
    w.send(pay(addr(60)))
    chain = net.chain
    # Not from the owner: 1040, bounced back in full.
    chain.create_user(addr(70), 5 * ONE)
    txs = chain.send_from_user(addr(70), w.address, ONE, TextCommand.of("w").to_cell())
    assert tx_of(txs, w.address).exit_code == ton.ExitCode.WALLET_NOT_FROM_OWNER
    assert chain.balance(addr(70)) == 5 * ONE
    # Excesses and payouts are kept from anyone.
    kept = chain.balance(w.address)
    chain.send_from_user(addr(70), w.address, ONE, Excesses(query_id=1).to_cell())
    assert chain.balance(w.address) == kept + ONE
    # Unknown text op: 1041.
    txs = chain.send_from_user(net.proxy_owner, w.address, ONE // 10, TextCommand.of("x").to_cell())
    assert tx_of(txs, w.address).exit_code == ton.ExitCode.WALLET_BAD_OP
    # Send a raw message on the owner's behalf.
    msg = ton.InternalMessage(dest=addr(71), value=2 * ONE, bounce=False).to_cell()
    body = OwnerWalletSendMessage(query_id=1, mode=0, message=msg).to_cell()
    chain.send_from_user(net.proxy_owner, w.address, ONE // 10, body)
    assert chain.balance(addr(71)) == 2 * ONE
    # Withdraw: everything but 0.01 TON to the owner.
    owner_before = chain.balance(net.proxy_owner)
    wallet_before = chain.balance(w.address)
    chain.send_from_user(net.proxy_owner, w.address, ONE // 10, TextCommand.of("w").to_cell())
    assert chain.balance(w.address) == ONE // 100
    assert chain.balance(net.proxy_owner) == owner_before + wallet_before - ONE // 100
    assert chain.total() == chain.minted


async def test_async_wallet_batches_and_checks_funds() -> None:
    net = make_net_with_payees()
    ledger = ton.EmbeddedLedger(net.chain)
    wallet = await ton.open_wallet(ledger, net.proxy_wallet.seed, net.proxy_owner)
    assert wallet.address == net.proxy_wallet.address
    assert await wallet.seqno() == 0
    txs = await wallet.send(*[pay(addr(80 + i), ONE) for i in range(6)])
    assert len(txs) == 2 and [len(t.out_msgs) for t in txs] == [4, 2]
    assert await wallet.seqno() == 2
    assert all(net.chain.balance(addr(80 + i)) == ONE for i in range(6))
    with pytest.raises(ton.InsufficientFundsError):
        await wallet.send(pay(addr(90), await wallet.balance()))
    # Running total: each fits alone, together they do not; nothing is sent.
    half = (await wallet.balance()) // 2
    with pytest.raises(ton.InsufficientFundsError):
        await wallet.send(pay(addr(90), half), pay(addr(91), half))
    assert await wallet.seqno() == 2


def test_batches_are_planned_by_count_and_money() -> None:
    from cocoon.ton.wallet_client import plan_batches

    t = [pay(addr(60), ONE) for _ in range(9)]
    assert [len(b) for b in plan_batches(100 * ONE, t)] == [4, 4, 1]
    # 4 TON: three transfers of 1 TON (+0.1 each) fit, a fourth would not, before or after.
    assert [len(b) for b in plan_batches(4 * ONE, t[:3])] == [3]
    with pytest.raises(ton.InsufficientFundsError):
        plan_batches(4 * ONE, t[:4])
    with pytest.raises(ton.InsufficientFundsError):
        plan_batches(2 * ONE, t[:1])


async def test_state_commit_mode_is_pay_fees_separately() -> None:
    t = ton.flows.proxy_state_commit(addr(1), 5, b"\x01" * 32)
    assert t.value == 1 and t.send_mode == 1
    assert ton.flows.client_withdraw(addr(1), addr(2)).send_mode == 0
    deploy = ton.Transfer(dest=addr(1), value=5, state_init=begin_cell().end_cell())
    assert deploy.to_message().bounce is False and pay(addr(1)).to_message().bounce is True
