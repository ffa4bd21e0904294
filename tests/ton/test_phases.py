"""The embedded chain's transaction phases as TON runs them (issue 14, findings 1, 2, 5, 7):
compute skipped for a value that buys no gas, an action phase that fails without bouncing
unless +16, the wallet's raw send modes, and fees from a blockchain config."""

from __future__ import annotations

import attrs
import pytest
from pytoniq_core import Cell

from cocoon import ton
from cocoon.ton.bodies import OwnerWalletSendMessage, TextCommand
from cocoon.ton.embedded.fees import EXTERNAL, account_storage_used, tree_size
from tests.ton.helpers import addr, make_net

ONE = ton.ONE_TON
GAS = ton.MAINNET_FEES.gas
FWD = ton.MAINNET_FEES.forward


def tx_of(txs, address):
    return next(t for t in txs if t.account == address)


def wallet_net(fees: ton.FeeConfig = ton.ZERO_FEES):
    net = make_net()
    net.chain.fees = fees
    for i in (60, 61):
        net.chain.create_user(addr(i))
    net.proxy_wallet.send(ton.Transfer(dest=addr(60), value=ONE))  # deploys the wallet
    return net


def owner_send(net, raw: ton.InternalMessage, mode: int, value: int = ONE // 10):
    body = OwnerWalletSendMessage(query_id=1, mode=mode, message=raw.to_cell()).to_cell()
    return net.chain.send_from_user(net.proxy_owner, net.proxy_wallet.address, value, body)


# --- finding 1: no gas, no compute ------------------------------------------------------


@pytest.mark.parametrize("value", [0, 1, 39_999])
def test_a_message_that_buys_no_gas_is_on_chain_but_not_computed(value) -> None:
    net = wallet_net(ton.MAINNET_FLOOR)
    w, chain = net.proxy_wallet.address, net.chain
    data, balance = chain.state(w).data, chain.balance(w)
    command = TextCommand.of("b").to_cell()  # would block the wallet if it ran
    txs = chain.send_from_user(net.proxy_owner, w, value, command)
    tx = tx_of(txs, w)
    assert not tx.success and tx.bought_no_gas and tx.exit_code == ton.ExitCode.NO_GAS
    assert tx.in_msg.body_hash == ton.cell_hash(command) and tx.in_msg.value == value
    assert tx.out_msgs == ()  # the bounce cannot pay its forwarding fee
    assert chain.state(w).data.hash == data.hash and not chain.storage(w).blocked
    assert chain.balance(w) == balance + value  # the value stays
    assert chain.total() == chain.minted


def test_a_message_to_an_account_without_code_is_no_log_of_a_contract() -> None:
    """Skipped too, but for want of code: a proxy watching an address it has not deployed
    yet must not read a state commit that reached it as its own (the proxy took one for a
    commit its database never wrote, and disabled itself, during a params-change move)."""
    net = wallet_net(ton.MAINNET_FLOOR)
    nowhere = addr(77)
    txs = net.chain.send_from_user(net.proxy_owner, nowhere, ONE, TextCommand.of("b").to_cell())
    tx = tx_of(txs, nowhere)
    assert not tx.success and tx.compute_skipped and not tx.bought_no_gas
    assert tx.exit_code == ton.ExitCode.COMPUTE_SKIPPED


def test_the_flat_gas_price_buys_a_compute_phase() -> None:
    net = wallet_net(ton.MAINNET_FLOOR)
    w, chain = net.proxy_wallet.address, net.chain
    balance = chain.balance(w)
    txs = chain.send_from_user(net.proxy_owner, w, 40_000, TextCommand.of("b").to_cell())
    tx = tx_of(txs, w)
    assert tx.success and not tx.compute_skipped and chain.storage(w).blocked
    assert tx.fees == 40_000 and chain.balance(w) == balance  # the value paid the flat gas


def test_zero_fees_compute_every_message() -> None:
    net = wallet_net()
    w = net.proxy_wallet.address
    txs = net.chain.send_from_user(net.proxy_owner, w, 0, TextCommand.of("b").to_cell())
    assert tx_of(txs, w).success and net.chain.storage(w).blocked


# --- finding 2: a failed action phase aborts without a bounce ---------------------------


def test_a_failed_action_phase_keeps_the_value_and_does_not_bounce() -> None:
    net = wallet_net()
    w, chain = net.proxy_wallet.address, net.chain
    owner_before, wallet_before = chain.balance(net.proxy_owner), chain.balance(w)
    raw = ton.InternalMessage(dest=addr(61), value=1000 * ONE, bounce=False)
    txs = owner_send(net, raw, mode=0, value=ONE)
    assert [t.account for t in txs] == [net.proxy_owner, w]  # no bounce went back
    tx = tx_of(txs, w)
    assert not tx.success and tx.exit_code == ton.ExitCode.NOT_ENOUGH_BALANCE
    assert tx.out_msgs == ()
    assert chain.balance(w) == wallet_before + ONE
    assert chain.balance(net.proxy_owner) == owner_before - ONE


def test_a_failed_action_phase_bounces_with_mode_16() -> None:
    net = wallet_net()
    w, chain = net.proxy_wallet.address, net.chain
    owner_before, wallet_before = chain.balance(net.proxy_owner), chain.balance(w)
    raw = ton.InternalMessage(dest=addr(61), value=1000 * ONE, bounce=False)
    txs = owner_send(net, raw, mode=16, value=ONE)
    tx = tx_of(txs, w)
    assert not tx.success and tx.exit_code == ton.ExitCode.NOT_ENOUGH_BALANCE
    assert len(tx.out_msgs) == 1 and tx.out_msgs[0].bounced and tx.out_msgs[0].value == ONE
    assert chain.balance(w) == wallet_before
    assert chain.balance(net.proxy_owner) == owner_before


# --- finding 5: the wallet's raw send modes ---------------------------------------------


def test_mode_128_plus_32_destroys_the_wallet() -> None:
    net = wallet_net()
    w, chain = net.proxy_wallet, net.chain
    held = chain.balance(w.address)
    txs = w.send(ton.Transfer(dest=addr(61), value=0, mode=128 + 32))
    assert txs[0].success
    state = chain.state(w.address)
    assert not state.active and state.balance == 0 and state.data is None
    assert chain.balance(addr(61)) == held
    assert chain.total() == chain.minted


def test_mode_128_alone_keeps_the_empty_wallet() -> None:
    net = wallet_net()
    w = net.proxy_wallet
    w.send(ton.Transfer(dest=addr(61), value=0, mode=128))
    assert net.chain.state(w.address).active and net.chain.balance(w.address) == 0


@pytest.mark.parametrize("mode", [4, 8, 4 + 1, 8 + 2])
def test_send_modes_4_and_8_fail_the_action_phase(mode) -> None:
    net = wallet_net()
    w, chain = net.proxy_wallet, net.chain
    before = chain.balance(addr(61))
    txs = w.send(ton.Transfer(dest=addr(61), value=ONE, mode=mode))
    assert not txs[0].success and txs[0].exit_code == ton.ExitCode.INVALID_OUTBOUND_MESSAGE
    assert txs[0].out_msgs == () and chain.balance(addr(61)) == before
    assert w.seqno == 1  # the aborted transaction moved nothing, the seqno included


def test_a_raw_message_from_another_source_fails_with_35() -> None:
    net = wallet_net()
    w, chain = net.proxy_wallet.address, net.chain
    forged = ton.InternalMessage(dest=addr(61), value=ONE, bounce=False, src=addr(99))
    tx = tx_of(owner_send(net, forged, mode=0), w)
    assert not tx.success and tx.exit_code == ton.ExitCode.INVALID_SOURCE
    assert chain.balance(addr(61)) == 0
    # +2 ignores the bad message; its own source is fine.
    assert tx_of(owner_send(net, forged, mode=2), w).success and chain.balance(addr(61)) == 0
    own = attrs.evolve(forged, src=w)
    assert tx_of(owner_send(net, own, mode=0), w).success and chain.balance(addr(61)) == ONE


# --- finding 7: fee arithmetic ----------------------------------------------------------


def test_gas_prices() -> None:
    assert GAS.bought_for(0) == GAS.bought_for(39_999) == 0
    assert GAS.bought_for(40_000) == 100 and GAS.bought_for(40_399) == 100
    assert GAS.bought_for(40_400) == 101
    assert GAS.bought_for(ONE) == 1_000_000  # the gas limit
    assert GAS.fee(0) == GAS.fee(100) == 40_000
    assert GAS.fee(101) == 40_400 and GAS.fee(12_000) == 4_800_000
    zero = ton.ZERO_FEES.gas
    assert zero.bought_for(0) == zero.gas_limit and zero.fee(10**6) == 0


def test_forward_and_storage_prices() -> None:
    empty = ton.InternalMessage(dest=addr(61), value=ONE).to_cell()
    assert FWD.fee(empty) == 400_000  # the header cell is not counted
    with_body = ton.InternalMessage(dest=addr(61), value=ONE, body=TextCommand.of("b").to_cell())
    assert FWD.fee(with_body.to_cell()) == 400_000 + 40 * 400 + 40_000  # 40 bits, 1 cell
    storage = ton.MAINNET_FEES.storage
    assert storage.fee(1000, 10, 3600) == 330  # (1000 + 500 * 10) * 3600 / 2^16, rounded up
    assert storage.fee(1000, 10, 0) == 0


def mainnet_with(**gas: int) -> ton.FeeConfig:
    table = {("wallet", int(op)): units for op, units in gas.items()}
    table[("wallet", EXTERNAL)] = 5_000
    return attrs.evolve(ton.MAINNET_FEES, gas_table=ton.GasTable(table))


def test_a_computed_message_pays_gas_by_the_table_and_forwarding() -> None:
    fees = attrs.evolve(
        ton.MAINNET_FEES,
        gas_table=ton.GasTable({("wallet", 0): 3_000, ("wallet", EXTERNAL): 5_000}),
    )
    net = make_net()
    net.chain.fees = fees
    net.chain.create_user(addr(61))
    chain, w = net.chain, net.proxy_wallet
    held = chain.balance(w.address)
    external = w.external(ton.Transfer(dest=addr(61), value=ONE))
    txs = chain.submit_external(external)  # deploy + send: import fee and external gas
    imported = FWD.fee(Cell.one_from_boc(external))  # the signed body and StateInit count
    sent = ton.InternalMessage(dest=addr(61), value=ONE, src=w.address).to_cell()
    assert txs[0].fees == imported + GAS.fee(5_000) + FWD.fee(sent)
    assert GAS.fee(5_000) + FWD.fee(sent) == 2_000_000 + 400_000 and imported > 400_000
    assert chain.balance(w.address) == held - ONE - imported - GAS.fee(5_000)
    assert chain.balance(addr(61)) == ONE - FWD.fee(sent)  # mode 0: the value pays forwarding

    owner_before, held = chain.balance(net.proxy_owner), chain.balance(w.address)
    command = TextCommand.of("b").to_cell()
    msg = ton.InternalMessage(dest=w.address, value=ONE // 10, body=command, src=net.proxy_owner)
    txs = chain.send_from_user(net.proxy_owner, w.address, ONE // 10, command)
    assert chain.balance(net.proxy_owner) == owner_before - ONE // 10 - FWD.fee(msg.to_cell())
    assert tx_of(txs, w.address).fees == GAS.fee(3_000) == 1_200_000
    assert chain.balance(w.address) == held + ONE // 10 - 1_200_000
    assert chain.total() == chain.minted


def test_a_handler_that_needs_more_gas_than_bought_runs_out_of_gas() -> None:
    net = wallet_net(mainnet_with(**{"0": 200}))
    w, chain = net.proxy_wallet.address, net.chain
    txs = chain.send_from_user(net.proxy_owner, w, 40_000, TextCommand.of("b").to_cell())
    tx = tx_of(txs, w)
    assert not tx.success and tx.exit_code == ton.ExitCode.OUT_OF_GAS and tx.fees == 40_000
    assert not chain.storage(w).blocked


def test_a_handler_missing_from_the_table_is_an_error() -> None:
    net = wallet_net()
    net.chain.fees = attrs.evolve(ton.MAINNET_FEES, gas_table=ton.GasTable())  # no gas table
    with pytest.raises(ton.LedgerError, match="no gas measured"):
        net.chain.send_from_user(net.proxy_owner, net.proxy_wallet.address, ONE, b_command())


def b_command():
    return TextCommand.of("b").to_cell()


def test_storage_is_charged_for_the_time_since_the_last_transaction() -> None:
    net = wallet_net(mainnet_with(**{"0": 1_000}))
    w, chain = net.proxy_wallet.address, net.chain
    state = chain.state(w)
    held = chain.balance(w)
    bits, cells = account_storage_used(state.code, state.data, held)
    # the AccountStorage root counts too: 75 bits and the balance's bytes
    tree_bits, tree_cells = tree_size([state.code, state.data])
    assert 2**32 <= held < 2**40  # a 5-byte balance
    assert (bits, cells) == (tree_bits + 75 + 8 * 5, tree_cells + 1)
    net.clock.advance(86_400)
    tx = tx_of(chain.send_from_user(net.proxy_owner, w, ONE, b_command()), w)
    storage = ton.MAINNET_FEES.storage.fee(bits, cells, 86_400)
    assert storage > 0 and tx.fees == storage + GAS.fee(1_000)
    assert chain.balance(w) == held + ONE - tx.fees
    assert chain.total() == chain.minted
