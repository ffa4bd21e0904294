"""The forwarding rules of TON's transaction phases on the embedded chain with mainnet fees
(crypto/block/transaction.cpp): what a bounce, a contract's excess and an inbound external
pay. Each would differ from the sandbox's balances without its rule
(tests/contracts/test_vector_balances.py measures how far the chain is from a real TVM)."""

from __future__ import annotations

from pytoniq_core import Cell, begin_cell

from cocoon import ton
from cocoon.ton.bodies import Excesses, RootAddWorkerType
from cocoon.ton.embedded.contracts._common import payout_msg, simple_msg
from cocoon.ton.embedded.fees import EXTERNAL, tree_size
from cocoon.ton.messages import ExternalMessage
from tests.ton.helpers import addr, make_net

ONE = ton.ONE_TON
FEES = ton.MAINNET_FEES
GAS, FWD = FEES.gas, FEES.forward
LUMP = FWD.lump_price  # 400,000 nano
OP = int(ton.Op.ROOT_ADD_WORKER_TYPE)
NOT_OWNER = int(ton.ExitCode.EXPECTED_MESSAGE_FROM_OWNER)


def tx_of(txs, address):
    return next(t for t in txs if t.account == address)


def mainnet_net():
    net = make_net()
    net.chain.fees = FEES
    return net


def test_a_bounce_pays_the_lump_price_only() -> None:
    # TON counts only the cells a bounce body refers to: the classic body (32 ones and the
    # first 256 bits) lies in the message cell, so the bounce costs the lump price.
    net = mainnet_net()
    body = RootAddWorkerType(query_id=1, hash=bytes(32)).to_cell()
    held = net.chain.balance(net.root)
    txs = net.chain.send_from_user(net.proxy_owner, net.root, ONE, body)  # not the owner
    tx = tx_of(txs, net.root)
    gas = GAS.fee(FEES.gas_table.gas("root", OP, NOT_OWNER))
    assert not tx.success and tx.exit_code == NOT_OWNER
    (bounce,) = tx.out_msgs
    assert bounce.bounced and bounce.value == ONE - gas - LUMP
    assert tx.fees == gas + LUMP
    assert net.chain.balance(net.root) == held  # all the inbound value went or was spent
    assert net.chain.total() == net.chain.minted


def test_a_bounce_goes_when_what_is_left_just_pays_its_fee() -> None:
    # TON bounces when the value left after gas covers the bounce's fee, even with nothing left
    net = mainnet_net()
    body = RootAddWorkerType(query_id=1, hash=bytes(32)).to_cell()
    gas = GAS.fee(FEES.gas_table.gas("root", OP, NOT_OWNER))
    txs = net.chain.send_from_user(net.proxy_owner, net.root, gas + LUMP, body)
    (bounce,) = tx_of(txs, net.root).out_msgs
    assert bounce.bounced and bounce.value == 0
    txs = net.chain.send_from_user(net.proxy_owner, net.root, gas + LUMP - 1, body)
    assert tx_of(txs, net.root).out_msgs == ()  # one nano short: no bounce, the value stays


def test_a_contracts_excess_carries_its_body_in_the_message_cell() -> None:
    # common.fc's send_simple stores op and query id in the message cell: a forwarding fee of
    # the lump price alone (a body in a ref would add its cell and 96 bits: 78,400 nano)
    excess = simple_msg(0x10, addr(5), 0, Excesses(query_id=7).to_cell())
    assert excess.refs == [] and FWD.fee(excess) == LUMP
    assert payout_msg(addr(5), ONE, 7).refs == []
    net = mainnet_net()
    body = RootAddWorkerType(query_id=1, hash=bytes(32)).to_cell()
    txs = net.chain.send_from_user(net.governance, net.root, ONE, body)  # the owner: accepted
    tx = tx_of(txs, net.root)
    assert tx.success
    (sent,) = tx.out_msgs
    assert sent.dest == net.governance and sent.body_hash == Excesses(query_id=1).to_cell().hash
    assert tx.fees == GAS.fee(FEES.gas_table.gas("root", OP)) + LUMP


def _inline(ext: ExternalMessage) -> Cell:
    """The external as @ton/core builds it: the body inline in the message cell."""
    b = begin_cell().store_uint(0b10, 2).store_uint(0, 2).store_address(ext.dest)
    b.store_coins(0).store_bit(0)
    return b.store_bit(0).store_cell(ext.body).end_cell()


def test_an_inbound_external_pays_its_import_fee() -> None:
    # TON charges an external the forwarding fee of its cells outside the root: the signed
    # body inline is free, the messages it carries are not
    net = mainnet_net()
    chain, w = net.chain, net.proxy_wallet
    chain.create_user(addr(61))
    w.send(ton.Transfer(dest=addr(61), value=ONE))  # deploys the wallet
    ext = ExternalMessage.from_cell(Cell.one_from_boc(w.external(ton.Transfer(addr(61), ONE))))
    cell = _inline(ext)
    imported = FWD.price(*tree_size(cell.refs))
    assert imported == FWD.fee(cell) > LUMP  # the message it carries counts
    held = chain.balance(w.address)
    tx = tx_of(chain.submit_external(cell), w.address)
    sent_fee = FWD.fee(ton.InternalMessage(dest=addr(61), value=ONE, src=w.address).to_cell())
    gas = GAS.fee(FEES.gas_table.gas("wallet", EXTERNAL))
    assert tx.success and tx.fees == imported + gas + sent_fee
    assert chain.balance(w.address) == held - imported - gas - ONE
    # the same external with its body in a ref pays for that cell too
    assert FWD.fee(ext.to_cell()) > imported
    assert chain.total() == chain.minted
