"""Contract behaviour on the embedded ledger: each check and its exit code, bounces that leave
balances unchanged, and nobody moving money that is not theirs."""

from __future__ import annotations

import attrs
import pytest
from pytoniq_core import begin_cell

from cocoon import ton
from cocoon.ton import bodies, flows
from cocoon.ton.cells import cell_hash
from cocoon.ton.keys import sign
from tests.ton.helpers import addr, make_net

ONE = ton.ONE_TON
E = ton.ExitCode


@pytest.fixture
def net():
    n = make_net()
    n.deploy_all()
    n.chain.create_user(addr(70), 50 * ONE)  # a stranger with money
    return n


def tx_of(txs, address):
    return [t for t in txs if t.account == address][-1]


def balances(net):
    return {k: a.balance for k, a in net.chain.accounts.items()}


def stranger_sends(net, dest, body, value=ONE):
    """A third party sends `body`; returns the destination's transaction."""
    before = balances(net)
    txs = net.chain.send_from_user(
        addr(70), dest, value, body if not isinstance(body, bodies.Body) else body.to_cell()
    )
    return tx_of(txs, dest), before


def assert_bounced(net, tx, code, before):
    assert not tx.success and tx.exit_code == code
    assert tx.out_msgs and tx.out_msgs[0].bounced
    assert balances(net) == before  # zero fees: the bounce returns everything
    assert net.chain.total() == net.chain.minted


# --- client -------------------------------------------------------------------------------


def test_anyone_may_top_up_a_client_but_not_below_value(net) -> None:
    c = net.client.address
    body = bodies.ExtClientTopUp(query_id=1, amount=ONE, send_excesses_to=addr(70))
    tx, before = stranger_sends(net, c, body, value=ONE + ONE // 10)
    assert tx.success and net.chain.storage(c).balance == 21 * ONE
    tx, before = stranger_sends(net, c, body, value=ONE + ONE // 10 - 1)
    assert_bounced(net, tx, E.LOW_MSG_VALUE, before)


def test_owner_ops_refuse_strangers(net) -> None:
    c = net.client.address
    tx, before = stranger_sends(
        net,
        c,
        bodies.OwnerClientChangeSecretHash(
            query_id=1, secret_hash=b"\x01" * 32, send_excesses_to=addr(70)
        ),
    )
    assert_bounced(net, tx, E.EXPECTED_MESSAGE_FROM_OWNER, before)
    tx, before = stranger_sends(
        net, c, bodies.OwnerClientWithdraw(query_id=1, send_excesses_to=addr(70))
    )
    assert_bounced(net, tx, E.EXPECTED_OWNER, before)
    tx, before = stranger_sends(
        net, c, bodies.OwnerClientRequestRefund(query_id=1, send_excesses_to=addr(70))
    )
    assert_bounced(net, tx, E.EXPECTED_OWNER, before)
    tx, before = stranger_sends(
        net, c, bodies.OwnerClientRegister(query_id=1, nonce=5, send_excesses_to=addr(70))
    )
    assert_bounced(net, tx, E.EXPECTED_MESSAGE_FROM_OWNER, before)


def _charge_body(
    net,
    tokens,
    *,
    op=ton.Op.EXT_CLIENT_CHARGE_SIGNED,
    payload_op=None,
    address=None,
    seed=bytes([20]) * 32,
    qid=9,
):
    payload = bodies.TokensPayload(
        op=payload_op or op, query_id=qid, tokens=tokens, address=address or net.client.address
    ).to_cell()
    sig = sign(seed, cell_hash(payload))
    cls = (
        bodies.ClientChargeSigned
        if op == ton.Op.EXT_CLIENT_CHARGE_SIGNED
        else bodies.ClientGrantRefundSigned
    )
    return cls(query_id=qid, send_excesses_to=addr(70), signature=sig, payload=payload)


def test_charge_checks(net) -> None:
    c = net.client.address
    tx, before = stranger_sends(net, c, _charge_body(net, 100, seed=b"\x99" * 32))
    assert_bounced(net, tx, E.BAD_SIGNATURE, before)
    tx, before = stranger_sends(net, c, _charge_body(net, 100, address=net.worker.address))
    assert_bounced(net, tx, E.EXPECTED_MY_ADDRESS, before)
    tx, before = stranger_sends(
        net, c, _charge_body(net, 100, payload_op=ton.Op.EXT_CLIENT_GRANT_REFUND_SIGNED)
    )
    assert_bounced(net, tx, E.SIGNED_MSG_FORMAT_MISMATCH, before)
    tx, before = stranger_sends(net, c, _charge_body(net, 100), value=ONE // 10 - 1)
    assert_bounced(net, tx, E.LOW_MSG_VALUE, before)
    # A valid charge, submitted by anyone holding it; the excess goes where the envelope says.
    tx, before = stranger_sends(net, c, _charge_body(net, 100))
    assert tx.success
    s = net.chain.storage(c)
    assert (s.tokens_used, s.balance) == (100, 20 * ONE - 200)
    # The same tokens again: old message.
    tx, before = stranger_sends(net, c, _charge_body(net, 100, qid=10))
    assert_bounced(net, tx, E.OLD_MESSAGE, before)
    # Truncated envelope: cell underflow.
    bad = begin_cell().store_bits(_charge_body(net, 200).to_cell().bits[:200]).end_cell()
    tx, before = stranger_sends(net, c, bad)
    assert_bounced(net, tx, E.CELL_UNDERFLOW, before)


def test_charge_beyond_balance_zeroes_it(net) -> None:
    c = net.client.address
    stranger_sends(net, c, _charge_body(net, 10**12))  # costs 2000 TON, balance is 20
    s = net.chain.storage(c)
    assert (s.tokens_used, s.balance) == (10**12, 0)


def test_withdraw_and_stake(net) -> None:
    c, w = net.client.address, net.client_wallet
    before = net.chain.balance(w.address)
    w.send(flows.client_withdraw(c, w.address))
    assert net.chain.storage(c).balance == net.chain.storage(c).stake == ONE
    assert net.chain.balance(w.address) > before + 18 * ONE  # 19 TON refunded, minus gas money kept
    txs = w.send(flows.client_increase_stake(c, ONE, w.address))
    assert tx_of(txs, c).exit_code == E.LOW_MSG_VALUE  # new stake must be larger
    w.send(flows.client_increase_stake(c, 2 * ONE, w.address))
    assert net.chain.storage(c).stake == 2 * ONE
    txs = w.send(flows.client_withdraw(c, w.address))  # balance 1 < stake 2
    assert tx_of(txs, c).exit_code == E.LOW_SMC_BALANCE


def test_register_forwards_the_nonce_to_the_proxy(net) -> None:
    w = net.client_wallet
    w.send(flows.client_register(net.client.address, 0xABCDEF, w.address))
    last = net.chain.transactions(net.proxy.address)[-1]
    msg = bodies.parse_body(last.in_msg.body, "proxy")
    assert isinstance(msg, bodies.ClientProxyRequest)
    assert msg.payload == bodies.ClientProxyRegister(nonce=0xABCDEF)
    assert msg.client_owner == w.address and msg.state.balance == 20 * ONE


def test_unhandled_top_up_reopen_is_unknown(net) -> None:
    body = bodies.OwnerClientTopUpReopen(query_id=1, amount=1, send_excesses_to=addr(70))
    tx, before = stranger_sends(net, net.client.address, body)
    assert_bounced(net, tx, E.UNKNOWN_OP, before)


def test_close_with_force_refund_paid_from_proxy_stake(net) -> None:
    c, w = net.client.address, net.client_wallet
    net.proxy_wallet.send(
        flows.proxy_increase_stake(net.proxy.address, ONE // 2, net.proxy_wallet.address)
    )
    assert net.chain.storage(net.proxy.address).stake == ONE // 2
    w.send(flows.client_close(c, w.address))
    s = net.chain.storage(c)
    assert s.state == ton.ContractState.CLOSING and s.balance == s.stake == ONE
    txs = w.send(flows.client_close(c, w.address))
    assert tx_of(txs, c).exit_code == E.NOT_UNLOCKED_YET
    net.clock.advance(301)
    before = net.chain.balance(w.address)
    w.send(flows.client_close(c, w.address))
    assert net.chain.storage(c).state == ton.ContractState.CLOSED
    assert net.chain.storage(net.proxy.address).stake == 0  # min(1 TON, stake 0.5 TON) paid out
    gained = net.chain.balance(w.address) - before
    assert ONE // 2 - ONE < gained  # the half TON came back (the op itself costs < 1 TON)
    txs = w.send(flows.client_top_up(c, ONE, w.address))
    assert tx_of(txs, c).exit_code == E.CLOSED
    assert net.chain.total() == net.chain.minted


# --- proxy --------------------------------------------------------------------------------


def test_forged_notifications_cannot_take_the_proxys_money(net) -> None:
    p = net.proxy.address
    state = bodies.ClientStateCell(
        state=0, balance=0, stake=0, tokens_used=0, secret_hash=bytes(32)
    )
    steal = bodies.ClientProxyRequest(
        query_id=1,
        client_owner=addr(70),
        state=state,
        payload=bodies.ClientProxyRefundGranted(coins=10 * ONE, send_excesses_to=addr(70)),
    )
    tx, before = stranger_sends(net, p, steal)
    assert_bounced(net, tx, E.CONTRACT_ADDRESS_MISMATCH, before)
    pay_me = bodies.WorkerProxyRequest(
        query_id=1,
        worker_owner=addr(70),
        state=0,
        tokens=0,
        payload=bodies.WorkerProxyPayoutRequest(
            coins_to_pay=10 * ONE, coins_to_save=0, send_excesses_to=addr(70)
        ),
    )
    tx, before = stranger_sends(net, p, pay_me)
    assert_bounced(net, tx, E.CONTRACT_ADDRESS_MISMATCH, before)
    # A notification without payload is accepted and changes nothing but the balance.
    tx, before = stranger_sends(net, p, attrs.evolve(steal, payload=None), value=1)
    assert tx.success and net.chain.storage(p).balance == 0


def test_payout_request_pays_only_the_owner(net) -> None:
    p = net.proxy.address
    payout = net.signer.worker_payout(net.worker.address, 10**9, addr(70))
    net.worker_wallet.send(flows.worker_payout(payout, net.worker_wallet.address))
    assert net.chain.storage(p).balance == ONE  # proxy part of 10^9 tokens at 2/1
    owner_before = net.chain.balance(net.proxy_owner)
    tx, _ = stranger_sends(
        net, p, bodies.ExtProxyPayoutRequest(query_id=1, send_excesses_to=addr(70))
    )
    assert tx.success
    assert net.chain.balance(net.proxy_owner) == owner_before + ONE
    assert net.chain.storage(p).balance == 0
    tx, before = stranger_sends(
        net,
        p,
        bodies.ExtProxyPayoutRequest(query_id=1, send_excesses_to=addr(70)),
        value=ONE // 10 - 1,
    )
    assert_bounced(net, tx, E.LOW_MSG_VALUE, before)


def test_owner_only_proxy_ops(net) -> None:
    p = net.proxy.address
    tx, before = stranger_sends(
        net, p, bodies.OwnerProxyClose(query_id=1, send_excesses_to=addr(70))
    )
    assert_bounced(net, tx, E.EXPECTED_MESSAGE_FROM_OWNER, before)
    tx, before = stranger_sends(net, p, bodies.TextCommand.of("c"))
    assert_bounced(net, tx, E.EXPECTED_MESSAGE_FROM_OWNER, before)
    tx, before = stranger_sends(net, p, bodies.TextCommand.of("w"))
    assert_bounced(net, tx, E.EXPECTED_MESSAGE_FROM_OWNER, before)
    tx, before = stranger_sends(net, p, bodies.TextCommand.of("z"))
    assert_bounced(net, tx, E.UNKNOWN_TEXT_OP, before)
    tx, before = stranger_sends(
        net, p, begin_cell().store_uint(0x12345678, 32).store_uint(0, 64).end_cell()
    )
    assert_bounced(net, tx, E.UNKNOWN_OP, before)
    tx, before = stranger_sends(
        net,
        p,
        bodies.ExtProxyIncreaseStake(query_id=1, grams=ONE, send_excesses_to=addr(70)),
        value=ONE,
    )
    assert_bounced(net, tx, E.LOW_MSG_VALUE, before)
    # The owner may close with `c`.
    net.chain.send_from_user(net.proxy_owner, p, ONE // 5, bodies.TextCommand.of("c").to_cell())
    assert net.chain.storage(p).state == ton.ContractState.CLOSING


def test_signed_close_checks_and_delay(net) -> None:
    p, pw = net.proxy.address, net.proxy_wallet
    other = ton.PaymentSigner(b"\x55" * 32)
    txs = pw.send(flows.submit_payment(other.proxy_close_request(p, pw.address)))
    assert tx_of(txs, p).exit_code == E.BAD_SIGNATURE
    txs = pw.send(flows.submit_payment(net.signer.proxy_close_request(addr(70), pw.address)))
    assert tx_of(txs, addr(70)).success  # sent to the stranger, who simply keeps it
    txs = pw.send(flows.submit_payment(net.signer.proxy_close_complete(p, pw.address)))
    assert tx_of(txs, p).exit_code == E.CLOSED  # not closing yet
    pw.send(flows.submit_payment(net.signer.proxy_close_request(p, pw.address)))
    s = net.chain.storage(p)
    assert s.state == ton.ContractState.CLOSING and s.unlock_ts == net.chain.now() + 600
    txs = pw.send(flows.submit_payment(net.signer.proxy_close_complete(p, pw.address)))
    assert tx_of(txs, p).exit_code == E.NOT_UNLOCKED_YET
    net.clock.advance(600)
    held = net.chain.balance(p)
    owner_before = net.chain.balance(net.proxy_owner)
    pw.send(flows.submit_payment(net.signer.proxy_close_complete(p, pw.address)))
    assert net.chain.storage(p).state == ton.ContractState.CLOSED
    assert net.chain.balance(p) == ONE // 100
    assert net.chain.balance(net.proxy_owner) == owner_before + held + ONE - ONE // 100
    # A closed proxy refuses payouts; the worker's payout bounces back to the worker contract.
    payout = net.signer.worker_payout(net.worker.address, 10, pw.address)
    txs = net.worker_wallet.send(flows.worker_payout(payout, net.worker_wallet.address))
    assert tx_of(txs, p).exit_code == E.CLOSED
    assert net.chain.total() == net.chain.minted


# --- worker -------------------------------------------------------------------------------


def test_worker_payout_checks(net) -> None:
    wk, ww = net.worker.address, net.worker_wallet
    bad = ton.PaymentSigner(b"\x56" * 32).worker_payout(wk, 10, ww.address)
    txs = ww.send(flows.worker_payout(bad))
    assert tx_of(txs, wk).exit_code == E.BAD_SIGNATURE
    good = net.signer.worker_payout(wk, 10, ww.address)
    txs = ww.send(flows.submit_payment(good, value=ONE // 10))
    assert tx_of(txs, wk).exit_code == E.LOW_MSG_VALUE  # strictly more than 0.1 TON
    elsewhere = net.signer.worker_payout(net.proxy.worker(addr(70)).address, 10, ww.address)
    txs = ww.send(ton.Transfer(dest=wk, value=ONE // 2, body=elsewhere.body.to_cell()))
    assert tx_of(txs, wk).exit_code == E.EXPECTED_MY_ADDRESS  # signed for another worker
    txs = ww.send(ton.Transfer(dest=net.client.address, value=ONE // 2, body=good.body.to_cell()))
    assert tx_of(txs, net.client.address).exit_code == E.UNKNOWN_OP  # a client has no such op
    owner_before = net.chain.balance(net.worker_owner)
    ww.send(flows.worker_payout(good))
    assert net.chain.storage(wk).tokens == 10
    assert net.chain.balance(net.worker_owner) == owner_before + 10  # fee 1 nano per token
    txs = ww.send(flows.worker_payout(good.repack(ww.address)))
    assert tx_of(txs, wk).exit_code == E.OLD_MESSAGE
    last = net.signer.worker_last_payout(wk, 10, ww.address)
    ww.send(flows.worker_payout(last))  # same tokens are fine for the last payout
    assert net.chain.storage(wk).state == ton.ContractState.CLOSED
    txs = ww.send(flows.worker_payout(net.signer.worker_payout(wk, 20, ww.address)))
    assert tx_of(txs, wk).exit_code == E.CLOSED


def test_worker_register(net) -> None:
    wk = net.worker.address
    tx, before = stranger_sends(
        net, wk, bodies.OwnerWorkerRegister(query_id=1, send_excesses_to=addr(70))
    )
    assert_bounced(net, tx, E.EXPECTED_MESSAGE_FROM_OWNER, before)
    txs = net.chain.send_from_user(
        net.worker_owner,
        wk,
        ONE // 2,
        bodies.OwnerWorkerRegister(query_id=1, send_excesses_to=net.worker_owner).to_cell(),
    )
    assert tx_of(txs, net.proxy.address).success
    assert net.chain.get_method(wk, "get_cocoon_worker_data")[4] == 0


# --- root ---------------------------------------------------------------------------------


def test_root_governance(net) -> None:
    r, gov = net.root, net.governance
    cfg = net.chain.storage(r)
    tx, before = stranger_sends(net, r, bodies.RootAddWorkerType(query_id=1, hash=b"\x01" * 32))
    assert_bounced(net, tx, E.EXPECTED_MESSAGE_FROM_OWNER, before)

    def cmd(body):
        return tx_of(ton.root_command(net.chain, gov, r, body), r)

    assert cmd(bodies.RootAddWorkerType(query_id=1, hash=b"\x01" * 32)).success
    assert cmd(bodies.RootAddModelType(query_id=1, hash=b"\x02" * 32)).success
    assert cmd(bodies.RootAddProxyType(query_id=1, hash=b"\x03" * 32)).success
    assert cmd(bodies.RootRegisterProxy(query_id=1, address=ton.NetAddr("10.1.1.1:1"))).success
    assert cmd(
        bodies.RootUpdateProxy(query_id=1, seqno=2, address=ton.NetAddr("10.1.1.2:2"))
    ).success
    assert (
        cmd(bodies.RootUpdateProxy(query_id=1, seqno=9, address=ton.NetAddr("x"))).exit_code
        == E.UNKNOWN_PROXY_TYPE
    )
    assert (
        cmd(bodies.RootRegisterProxy(query_id=1, address=ton.NetAddr("x", kind=1))).exit_code
        == E.MSG_FORMAT_MISMATCH
    )
    new = net.chain.storage(r)
    assert new.version == cfg.version + 5 and new.params_version == cfg.params_version
    assert new.worker_hashes == {b"\x01" * 32} and new.last_proxy_seqno == 2
    assert new.proxy(2).address.address == "10.1.1.2:2"
    assert net.chain.get_method(
        r, "worker_hash_is_valid", [int.from_bytes(b"\x01" * 32, "big")]
    ) == [-1]
    assert net.chain.get_method(r, "model_hash_is_valid", [0]) == [0]
    assert cmd(
        bodies.RootChangePrice(query_id=1, price_per_token=5, worker_fee_per_token=3)
    ).success
    p = net.chain.storage(r).params
    assert (p.price_per_token, p.worker_fee_per_token, p.params_version) == (5, 3, 2)
    assert cmd(
        bodies.RootChangeParams(
            query_id=1,
            price_per_token=6,
            worker_fee_per_token=4,
            proxy_delay_before_close=7,
            client_delay_before_close=8,
            min_proxy_stake=9,
            min_client_stake=10,
        )
    ).success
    p = net.chain.storage(r).params
    assert (p.proxy_delay_before_close, p.min_client_stake, p.params_version) == (7, 10, 3)
    codes = [ton.local_code(k) for k in ("proxy", "worker", "client")]
    assert cmd(
        bodies.RootUpgradeContracts(
            query_id=1, proxy_sc_code=codes[0], worker_sc_code=codes[1], client_sc_code=codes[2]
        )
    ).success
    assert cmd(bodies.RootUnregisterProxy(query_id=1, seqno=1)).success
    assert [x.seqno for x in net.chain.storage(r).registered_proxies] == [2]
    assert cmd(bodies.RootReset(query_id=1)).success
    after = net.chain.storage(r)
    assert not after.worker_hashes and not after.registered_proxies and after.last_proxy_seqno == 2
    assert cmd(bodies.RootChangeOwner(query_id=1, owner=addr(70))).success
    assert net.chain.storage(r).owner == addr(70)
    data = net.chain.get_method(r, "get_cocoon_data")
    assert data[0] == net.chain.storage(r).version and data[-1] == addr(70)
    cur = net.chain.get_method(r, "get_cur_params")
    assert cur[11] == int.from_bytes(cell_hash(codes[0]), "big")
    with pytest.raises(ton.errors.UnknownGetMethodError):
        net.chain.get_method(r, "no_such_method")
    assert net.chain.total() == net.chain.minted


def test_contracts_refuse_params_of_another_struct_version() -> None:
    # Mainnet code unpacks params only at struct_version 3: a v1 network (the reference's fake
    # values) derives addresses fine but every money path that reads params fails with 1008.
    n = make_net(struct_version=1)
    n.proxy_wallet.send(flows.deploy(n.proxy))
    txs = n.client_wallet.send(
        flows.deploy(n.client), flows.client_top_up(n.client.address, ONE, n.client_wallet.address)
    )
    assert tx_of(txs, n.proxy.address).exit_code == E.STORED_DATA_DAMAGED
    assert n.chain.total() == n.chain.minted
