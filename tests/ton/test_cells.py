"""Cell primitives, params and root storage: round trips and strict refusal of bad cells."""

from __future__ import annotations

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pytoniq_core import Address, begin_cell

from cocoon import ton
from cocoon.ton.cells import Reader, parse_state_init
from cocoon.ton.errors import BadStructVersionError
from tests.ton.helpers import addr

hashes = st.binary(min_size=32, max_size=32)
u32 = st.integers(0, 2**32 - 1)
coins = st.integers(0, 2**120 - 1)


def test_reader_refuses_short_cells_and_leftovers() -> None:
    cell = begin_cell().store_uint(5, 8).end_cell()
    r = Reader(cell)
    with pytest.raises(ton.CellDecodeError):
        r.uint(9)
    assert r.uint(4) == 0
    with pytest.raises(ton.CellDecodeError):
        r.end()
    with pytest.raises(ton.CellDecodeError):
        Reader(cell).ref()


@pytest.mark.parametrize("prefix", ["00", "01", "101", "11"])
def test_only_std_addresses_without_anycast(prefix: str) -> None:
    cell = begin_cell().store_bits(prefix).store_uint(0, 267 - len(prefix)).end_cell()
    with pytest.raises(ton.CellDecodeError):
        Reader(cell).address()


def test_addresses_parse_in_every_form() -> None:
    a = ton.parse_address("0:9d8f8ddb043c9e2657dee85552a562dfb03329e181db9b3e6571ae7eb4dcfe7f")
    assert ton.parse_address(ton.friendly(a)) == a
    assert ton.parse_address(ton.friendly(a, testnet=True, bounceable=True)) == a
    assert ton.friendly(a, testnet=True).startswith("0Q")
    with pytest.raises(ton.CellDecodeError):
        ton.parse_address("not an address")


def test_bad_bocs_are_decode_errors() -> None:
    for data in (b"", b"\x00" * 10, b"\xb5\xee\x9c\x72" + b"\xff" * 20):
        with pytest.raises(ton.CellDecodeError):
            ton.from_boc(data)


def test_state_init_layout() -> None:
    code, data = ton.local_code("proxy"), begin_cell().store_uint(1, 1).end_cell()
    init = ton.state_init(code, data)
    assert init.bits.to01() == "00110"
    assert init.refs == [code, data]
    assert ton.address_of(init) == Address((0, init.hash))


@settings(max_examples=60, deadline=None)
@given(
    version=st.integers(0, 4),
    pv=u32,
    uid=u32,
    test=st.booleans(),
    price=coins,
    fee=coins,
    mults=st.tuples(u32, u32, u32, u32),
    delays=st.tuples(u32, u32),
    stakes=st.tuples(coins, coins),
    with_codes=st.tuples(st.booleans(), st.booleans(), st.booleans()),
)
def test_params_round_trip(
    version, pv, uid, test, price, fee, mults, delays, stakes, with_codes
) -> None:
    codes = [
        ton.local_code(k) if w else None for k, w in zip(("p", "w", "c"), with_codes, strict=True)
    ]
    p = ton.Params(
        struct_version=version,
        params_version=pv,
        unique_id=uid,
        is_test=test,
        price_per_token=price,
        worker_fee_per_token=fee,
        prompt_tokens_price_multiplier=mults[0],
        cached_tokens_price_multiplier=mults[1],
        completion_tokens_price_multiplier=mults[2],
        reasoning_tokens_price_multiplier=mults[3],
        proxy_delay_before_close=delays[0],
        client_delay_before_close=delays[1],
        min_proxy_stake=stakes[0],
        min_client_stake=stakes[1],
        proxy_sc_code=codes[0],
        worker_sc_code=codes[1],
        client_sc_code=codes[2],
    )
    cell = p.to_cell()
    back = ton.Params.from_cell(cell)
    assert back.to_cell().hash == cell.hash
    # Fields absent from older struct versions read back as their defaults.
    if version < 3:
        assert back.prompt_tokens_price_multiplier == 10000
    if version >= 2:
        assert back.cached_tokens_price_multiplier == mults[1]
    if version == 0:
        assert back.min_client_stake == ton.ONE_TON
    assert ton.Params.from_cell(p.to_cell(ton.MASK_NONE)).client_sc_code is None


def test_params_refuses_unknown_versions_and_extra_data() -> None:
    good = ton.Params.reference_fake().to_cell()
    bad_version = begin_cell().store_uint(5, 8).store_bits(good.bits[8:]).end_cell()
    with pytest.raises(BadStructVersionError):
        ton.Params.from_cell(bad_version)
    extra = begin_cell().store_bits(good.bits).store_uint(1, 1).end_cell()
    with pytest.raises(ton.CellDecodeError):
        ton.Params.from_cell(extra)
    with pytest.raises(ton.CellDecodeError):
        ton.Params.from_cell(begin_cell().store_bits(good.bits[:100]).end_cell())


def root_config(**changes: object) -> ton.RootConfig:
    base = ton.RootConfig(
        owner=addr(7),
        params=ton.local_params(),
        version=12,
        last_proxy_seqno=3,
        proxy_hashes={b"\x01" * 32, b"\x02" * 32},
        worker_hashes={b"\x03" * 32},
        model_hashes=(),
        registered_proxies=[
            ton.RegisteredProxy(1, ton.NetAddr("10.0.0.1:8801 10.0.0.1:8802")),
            ton.RegisteredProxy(3, ton.NetAddr("10.0.0.2:9000")),
        ],
    )
    return attrs.evolve(base, **changes)


def test_root_config_round_trip_and_views() -> None:
    config = root_config()
    data = config.to_data()
    back = ton.RootConfig.from_data(data)
    assert back == config
    assert back.to_data().hash == data.hash
    assert back.params_version == 1 and back.price_per_token == 2
    p1 = back.proxy(1)
    assert p1 is not None
    assert p1.workers_endpoint == ("10.0.0.1", 8801)
    assert p1.clients_endpoint == ("10.0.0.1", 8802)
    assert back.proxy(3).clients_endpoint == ("10.0.0.2", 9000)  # type: ignore[union-attr]


def test_root_config_skips_what_the_reference_skips() -> None:
    config = root_config(
        registered_proxies=[
            ton.RegisteredProxy(1, ton.NetAddr("10.0.0.1:1")),
            ton.RegisteredProxy(2, ton.NetAddr("10.0.0.1:1", kind=1)),
            ton.RegisteredProxy(3, ton.NetAddr("proxy.example:1")),
            ton.RegisteredProxy(4, ton.NetAddr("[10.0.0.9:77]")),
            ton.RegisteredProxy(5, ton.NetAddr("[10.0.0.9]:77")),
        ]
    )
    back = ton.RootConfig.from_data(config.to_data())
    assert [p.seqno for p in back.registered_proxies] == [1, 2, 3, 4, 5]
    assert [p.seqno for p in back.proxies] == [1, 4]


def test_root_config_v4_keeps_the_key_manager_ref() -> None:
    key_manager = begin_cell().store_uint(0, 1).store_uint(7, 256).end_cell()
    params = attrs.evolve(ton.local_params(), struct_version=4)
    config = root_config(params=params, key_manager=key_manager)
    back = ton.RootConfig.from_data(config.to_data())
    assert back.struct_version == 4
    assert back.key_manager is not None and back.key_manager.hash == key_manager.hash
    assert back.to_data().hash == config.to_data().hash


def test_root_config_refuses_malformed_data() -> None:
    data = root_config().to_data()
    truncated = begin_cell().store_bits(data.bits[:200]).end_cell()
    with pytest.raises(ton.CellDecodeError):
        ton.RootConfig.from_data(truncated)
    no_refs = begin_cell().store_bits(data.bits).end_cell()
    with pytest.raises(ton.CellDecodeError):
        ton.RootConfig.from_data(no_refs)
    registry = begin_cell().store_uint(0, 3).end_cell()  # too short for last_proxy_seqno
    bad = begin_cell().store_bits(data.bits).store_ref(registry).store_ref(data.refs[1]).end_cell()
    with pytest.raises(ton.CellDecodeError):
        ton.RootConfig.from_data(bad)


@pytest.mark.parametrize(
    "cls,cell",
    [
        (
            ton.ProxyStorage,
            lambda: (
                ton.ProxyContract(addr(1), b"\x05" * 32, addr(2), ton.local_params())
                .initial_storage()
                .to_cell()
            ),
        ),
        (
            ton.ClientStorage,
            lambda: ton.ClientStorage(
                addr(1),
                addr(2),
                b"\x05" * 32,
                ton.local_params().without_codes(),
                state=1,
                balance=5,
                stake=7,
                tokens_used=9,
                unlock_ts=11,
                secret_hash=b"\x06" * 32,
            ).to_cell(),
        ),
        (
            ton.WorkerStorage,
            lambda: ton.WorkerStorage(
                addr(1),
                addr(2),
                b"\x05" * 32,
                ton.local_params().without_codes(),
                state=2,
                tokens=99,
            ).to_cell(),
        ),
        (
            ton.WalletStorage,
            lambda: ton.WalletStorage(
                b"\x05" * 32, addr(3), seqno=4, subwallet=5, status=1
            ).to_cell(),
        ),
    ],
)
def test_storage_round_trips_and_refuses_truncation(cls, cell) -> None:
    c = cell()
    assert cls.from_cell(c).to_cell().hash == c.hash
    with pytest.raises(ton.CellDecodeError):
        cls.from_cell(begin_cell().store_bits(c.bits[:-1]).end_cell())


def test_internal_message_round_trip_and_reference_header() -> None:
    body = begin_cell().store_uint(7, 32).end_cell()
    init = ton.state_init(ton.local_code("client"), begin_cell().store_uint(1, 8).end_cell())
    msg = ton.InternalMessage(dest=addr(5), value=123, body=body, state_init=init, bounce=False)
    cell = msg.to_cell()
    assert cell.bits[:6].to01() == "010000"  # 0x10: ihr_disabled, no bounce, no src
    back = ton.InternalMessage.from_cell(cell)
    assert (back.dest, back.value, back.bounce, back.src) == (addr(5), 123, False, None)
    assert back.body.hash == body.hash and back.state_init.hash == init.hash
    plain = ton.InternalMessage(dest=addr(5), value=1).to_cell()
    assert plain.bits[:6].to01() == "011000"  # 0x18: bounceable
    assert ton.InternalMessage.from_cell(plain).body is None
    # Inline body and inline StateInit parse too.
    inline = (
        begin_cell()
        .store_bits(plain.bits[:-2])
        .store_bit(1).store_bit(0)  # init: Just (Left StateInit) inline
        .store_bits("00").store_maybe_ref(ton.local_code("client")).store_maybe_ref(body).store_bit(0)
        .store_bit(0).store_uint(9, 16)  # body inline
        .end_cell()
    )  # fmt: skip
    parsed = ton.InternalMessage.from_cell(inline)
    assert parsed.body.bits.to01() == format(9, "016b")
    code, data = parse_state_init(parsed.state_init)
    assert code.hash == ton.local_code("client").hash and data.hash == body.hash


def test_external_message_and_wallet_body_round_trip() -> None:
    from cocoon.ton.wallet import WalletOrder, parse_wallet_body

    wallet = ton.WalletContract(public_key=bytes(32), owner=addr(3), code=ton.LOCAL_CODES.wallet)
    transfers = [ton.Transfer(dest=addr(4), value=5), ton.Transfer(dest=addr(6), value=1)]
    ext = ton.build_wallet_external(
        wallet, b"\x01" * 32, seqno=0, valid_until=99, transfers=transfers
    )
    back = ton.ExternalMessage.from_cell(ext.to_cell())
    assert back.dest == wallet.address and back.state_init.hash == wallet.state_init().hash
    signed = parse_wallet_body(back.body)
    assert (signed.order.seqno, signed.order.valid_until, signed.order.subwallet) == (0, 99, 0)
    assert [m for m, _ in signed.order.messages] == [0, 1]  # value 1 nano: pay fees separately
    assert len(signed.signature) == 64
    later = ton.build_wallet_external(
        wallet, b"\x01" * 32, seqno=3, valid_until=99, transfers=transfers
    )
    assert later.state_init is None
    with pytest.raises(ton.CellEncodeError):
        WalletOrder(0, 0, 0, [(0, begin_cell().end_cell())] * 5)
    with pytest.raises(ton.CellDecodeError):
        ton.ExternalMessage.from_cell(ton.InternalMessage(dest=addr(1), value=1).to_cell())
