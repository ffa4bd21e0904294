"""Where the contract ports meet the edges of what FunC stores and reads, as measured against
the real TVM (issue 14, findings 3, 4 and 6): 32-bit counters at 2^32 - 1 fail with exit 5,
a root's owner may be changed to addr_none or addr_extern (locking it), and non-standard
addresses in bodies give what the FunC gives instead of a parse failure."""

from __future__ import annotations

import attrs
import pytest
from pytoniq_core import Address, Cell, begin_cell

from cocoon import ton
from cocoon.roles.common.rootinfo import root_config_json
from cocoon.ton import bodies
from cocoon.ton.cells import OtherAddress, cell_hash, store_msg_address
from cocoon.ton.embedded.chain import key
from cocoon.ton.embedded.local import read_root
from cocoon.ton.keys import sign
from tests.ton.helpers import addr, make_net

ONE = ton.ONE_TON
E = ton.ExitCode
U32_MAX = (1 << 32) - 1
SIGNER_SEED = bytes([20]) * 32  # make_net's PaymentSigner

EXTERN = OtherAddress.extern(0x1234, 16)
# addr_std with an anycast prefix of 2 bits, and addr_var of 100 bits in workchain 0.
ANYCAST = OtherAddress("10" + "1" + "00010" + "01" + "0" * 8 + "1" * 256)
VAR = OtherAddress("11" + "0" + format(100, "09b") + "0" * 32 + "1" * 100)
NON_STANDARD = pytest.mark.parametrize(
    "other", [None, EXTERN, ANYCAST, VAR], ids=["addr_none", "addr_extern", "anycast", "var"]
)


@pytest.fixture
def net():
    n = make_net()
    n.deploy_all()
    n.chain.create_user(addr(70), 50 * ONE)  # a stranger with money
    return n


def tx_of(txs, address):
    return [t for t in txs if t.account == address][-1]


def set_data(net, address: Address, data: Cell) -> None:
    net.chain.accounts[key(address)].data = data


def root_cmd(net, body):
    return tx_of(ton.root_command(net.chain, net.governance, net.root, body), net.root)


def stranger_sends(net, dest, body, value=ONE):
    cell = body.to_cell() if isinstance(body, bodies.Body) else body
    return net.chain.send_from_user(addr(70), dest, value, cell)


# --- finding 3: 32-bit counters -----------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        bodies.RootAddWorkerType(query_id=1, hash=b"\x01" * 32),
        bodies.RootReset(query_id=1),
        bodies.RootChangeOwner(query_id=1, owner=addr(70)),
    ],
    ids=lambda b: type(b).__name__,
)
def test_root_at_the_last_version_fails_with_range_check(net, body) -> None:
    cfg = attrs.evolve(net.chain.storage(net.root), version=U32_MAX)
    set_data(net, net.root, cfg.to_data())
    tx = root_cmd(net, body)
    assert not tx.success and tx.exit_code == E.RANGE_CHECK
    assert net.chain.storage(net.root) == cfg
    # The owner check comes first; an upgrade keeps the version, so it still succeeds.
    tx = tx_of(stranger_sends(net, net.root, body), net.root)
    assert tx.exit_code == E.EXPECTED_MESSAGE_FROM_OWNER
    code = net.chain.accounts[key(net.root)].code
    assert root_cmd(net, bodies.RootUpgrade(query_id=1, code=code)).success
    assert net.chain.storage(net.root).version == U32_MAX


@pytest.mark.parametrize(
    "body",
    [
        bodies.RootChangePrice(query_id=1, price_per_token=5, worker_fee_per_token=3),
        bodies.RootChangeParams(
            query_id=1,
            price_per_token=6,
            worker_fee_per_token=4,
            proxy_delay_before_close=7,
            client_delay_before_close=8,
            min_proxy_stake=9,
            min_client_stake=10,
        ),
    ],
    ids=lambda b: type(b).__name__,
)
def test_root_at_the_last_params_version_fails_with_range_check(net, body) -> None:
    cfg = net.chain.storage(net.root)
    cfg = attrs.evolve(cfg, params=attrs.evolve(cfg.params, params_version=U32_MAX))
    set_data(net, net.root, cfg.to_data())
    tx = root_cmd(net, body)
    assert not tx.success and tx.exit_code == E.RANGE_CHECK
    assert net.chain.storage(net.root) == cfg


def test_register_proxy_at_the_last_seqno_fails_with_range_check(net) -> None:
    cfg = attrs.evolve(net.chain.storage(net.root), last_proxy_seqno=U32_MAX)
    set_data(net, net.root, cfg.to_data())
    # Before: an OverflowError escaped from the chain (a 2^32 dictionary key).
    tx = root_cmd(net, bodies.RootRegisterProxy(query_id=1, address=ton.NetAddr("10.0.0.1:1")))
    assert not tx.success and tx.exit_code == E.RANGE_CHECK
    assert net.chain.storage(net.root) == cfg
    assert net.chain.total() == net.chain.minted


def test_wallet_at_the_last_seqno_accepts_then_fails_and_sends_nothing(net) -> None:
    w = net.client_wallet
    s = ton.WalletStorage.from_cell(net.chain.state(w.address).data)
    set_data(net, w.address, attrs.evolve(s, seqno=U32_MAX).to_cell())
    dest = net.chain.create_user(addr(71))
    before = net.chain.balance(w.address)
    txs = net.chain.submit_external(w.external(ton.Transfer(dest=dest, value=ONE), seqno=U32_MAX))
    tx = tx_of(txs, w.address)  # accepted: the transaction is on chain
    assert not tx.success and tx.exit_code == E.RANGE_CHECK
    assert tx.out_msgs == () and [t.account for t in txs] == [w.address]
    assert net.chain.balance(dest) == 0
    assert net.chain.balance(w.address) == before - tx.fees
    assert w.seqno == U32_MAX  # the data did not move
    assert net.chain.total() == net.chain.minted


# --- finding 4: root owner changed to addr_none or addr_extern -------------------------------


@pytest.mark.parametrize("owner", [None, EXTERN], ids=["addr_none", "addr_extern"])
def test_root_owner_can_be_locked_away_for_good(net, owner) -> None:
    version = net.chain.storage(net.root).version
    tx = root_cmd(net, bodies.RootChangeOwner(query_id=1, owner=owner))
    assert tx.success
    cfg = read_root(net.chain, net.root)  # the parser reads the stored data
    assert cfg.owner == owner and cfg.version == version + 1
    assert net.chain.get_method(net.root, "get_cocoon_data")[-1] == owner
    assert root_config_json(cfg)["owner_address"] in ("addr_none", f"extern:{EXTERN.bits}")
    assert ton.RootConfig.from_data(cfg.to_data()) == cfg
    for body in (
        bodies.RootAddWorkerType(query_id=2, hash=b"\x01" * 32),
        bodies.RootChangeOwner(query_id=2, owner=net.governance),
        bodies.RootUpgrade(query_id=2, code=net.chain.accounts[key(net.root)].code),
    ):
        assert root_cmd(net, body).exit_code == E.EXPECTED_MESSAGE_FROM_OWNER
        tx = tx_of(stranger_sends(net, net.root, body), net.root)
        assert tx.exit_code == E.EXPECTED_MESSAGE_FROM_OWNER
    assert read_root(net.chain, net.root) == cfg


# --- finding 6: non-standard addresses in bodies --------------------------------------------


def _assert_action_phase_failed(net, tx, address, data) -> None:
    # The compute phase succeeded; sending the excess to that address failed the action phase.
    # (Whether the value then bounces is the chain's action-phase rule, not the port's.)
    assert not tx.success and tx.exit_code == E.INVALID_OUTBOUND_MESSAGE
    assert net.chain.state(address).data == data
    assert net.chain.total() == net.chain.minted


@pytest.mark.parametrize("excess", [None, EXTERN], ids=["addr_none", "addr_extern"])
def test_excess_to_a_non_standard_address_fails_the_action_phase(net, excess) -> None:
    w = net.worker.address
    data = net.chain.state(w).data
    body = bodies.OwnerWorkerRegister(query_id=1, send_excesses_to=excess)
    txs = net.chain.send_from_user(net.worker_owner, w, ONE, body.to_cell())
    _assert_action_phase_failed(net, tx_of(txs, w), w, data)

    p = net.proxy.address
    data = net.chain.state(p).data
    txs = stranger_sends(net, p, bodies.ExtProxyPayoutRequest(query_id=1, send_excesses_to=excess))
    _assert_action_phase_failed(net, tx_of(txs, p), p, data)


@NON_STANDARD
def test_client_top_up_takes_any_excess_address(net, other) -> None:
    excess = other
    c = net.client.address
    balance = net.chain.storage(c).balance
    body = bodies.ExtClientTopUp(query_id=1, amount=ONE, send_excesses_to=excess)
    txs = stranger_sends(net, c, body, value=2 * ONE)
    tx = txs[1]  # the client's (after the stranger's)
    assert tx.account == c and tx.success
    assert net.chain.storage(c).balance == balance + ONE
    # The client forwards the address as it is, for the proxy to send the excess to.
    request = bodies.ClientProxyRequest.from_cell(tx.out_msgs[0].body)
    assert request.payload.send_excesses_to == excess
    if excess is None:
        p = net.proxy.address
        assert tx_of(txs, p).exit_code == E.INVALID_OUTBOUND_MESSAGE


def _signed_payload(op: int, qid: int, tokens: int | None, expected) -> Cell:
    b = begin_cell().store_uint(op, 32).store_uint(qid, 64)
    if tokens is not None:
        b.store_uint(tokens, 64)
    store_msg_address(b, expected)
    return b.end_cell()


@NON_STANDARD
def test_non_standard_expected_address_is_not_mine(net, other) -> None:
    cases = [
        (bodies.ClientChargeSigned, net.client.address, 100),
        (bodies.WorkerPayoutSigned, net.worker.address, 100),
        (bodies.ProxyCloseRequestSigned, net.proxy.address, None),
    ]
    for cls, dest, tokens in cases:
        payload = _signed_payload(cls.OP, 9, tokens, other)
        body = cls(
            query_id=9,
            send_excesses_to=addr(70),
            signature=sign(SIGNER_SEED, cell_hash(payload)),
            payload=payload,
        )
        data = net.chain.state(dest).data
        tx = tx_of(stranger_sends(net, dest, body), dest)
        assert tx.exit_code == E.EXPECTED_MY_ADDRESS, cls.__name__
        assert net.chain.state(dest).data == data


@NON_STANDARD
def test_non_standard_owner_in_a_request_matches_no_sender(net, other) -> None:
    p = net.proxy.address
    state = bodies.ClientStateCell(
        state=0, balance=0, stake=0, tokens_used=0, secret_hash=bytes(32)
    )
    top_up = bodies.ClientProxyTopUp(coins=1, send_excesses_to=addr(70))
    b = begin_cell().store_uint(ton.Op.CLIENT_PROXY_REQUEST, 32).store_uint(1, 64)
    store_msg_address(b, other)
    b.store_ref(state.to_cell()).store_bit(1).store_ref(top_up.to_cell())
    data = net.chain.state(p).data
    assert tx_of(stranger_sends(net, p, b.end_cell()), p).exit_code == E.CONTRACT_ADDRESS_MISMATCH
    payout = bodies.WorkerProxyPayoutRequest(coins_to_pay=1, coins_to_save=1, send_excesses_to=None)
    b = begin_cell().store_uint(ton.Op.WORKER_PROXY_REQUEST, 32).store_uint(1, 64)
    store_msg_address(b, other)
    b.store_uint(0, 2).store_uint(0, 64).store_bit(1).store_ref(payout.to_cell())
    assert tx_of(stranger_sends(net, p, b.end_cell()), p).exit_code == E.CONTRACT_ADDRESS_MISMATCH
    assert net.chain.state(p).data == data


def test_other_stored_fields_out_of_range_fail_with_range_check(net) -> None:
    # The audit of every other field the ports store: u32 times and Coins fail their store
    # with exit 5 (already so before issue 14; kept here so no port starts wrapping them).
    p = net.proxy.address
    s = net.chain.storage(p)
    data = attrs.evolve(s, params=attrs.evolve(s.params, proxy_delay_before_close=U32_MAX))
    set_data(net, p, data.to_cell())
    body = bodies.OwnerProxyClose(query_id=1, send_excesses_to=net.proxy_owner)
    tx = tx_of(net.chain.send_from_user(net.proxy_owner, p, ONE, body.to_cell()), p)
    assert tx.exit_code == E.RANGE_CHECK and net.chain.storage(p) == data

    c = net.client.address
    s = net.chain.storage(c)
    data = attrs.evolve(s, balance=(1 << 120) - 1)
    set_data(net, c, data.to_cell())
    body = bodies.ExtClientTopUp(query_id=1, amount=1, send_excesses_to=addr(70))
    tx = tx_of(stranger_sends(net, c, body), c)
    assert tx.exit_code == E.RANGE_CHECK and net.chain.storage(c) == data
    assert net.chain.total() == net.chain.minted


def test_excess_to_a_256_bit_addr_var_is_delivered_as_addr_std(net) -> None:
    # Not one of the measured cases: TON's action phase rewrites such a destination to addr_std.
    stranger = addr(70)
    hash_bits = "".join(format(x, "08b") for x in stranger.hash_part)
    var = OtherAddress("11" + "0" + format(256, "09b") + "0" * 32 + hash_bits)
    assert var.as_std() == stranger
    w = net.worker.address
    body = bodies.OwnerWorkerRegister(query_id=1, send_excesses_to=var)
    before = net.chain.balance(stranger)
    txs = net.chain.send_from_user(net.worker_owner, w, ONE, body.to_cell())
    assert tx_of(txs, w).success
    assert net.chain.balance(stranger) > before
