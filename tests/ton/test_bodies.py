"""Every message body: build/parse round trips, and malformed bodies refused with specific errors."""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pytoniq_core import Address, Cell, begin_cell

from cocoon import ton
from cocoon.ton import bodies
from cocoon.ton.bodies import _layout as layout
from cocoon.ton.bodies.common import DoNotProcess, ProxySaveState, _Rest
from cocoon.ton.bodies.root import NetAddrCodec
from cocoon.ton.cells import OtherAddress
from cocoon.ton.errors import UnknownOpcodeError

addresses = st.builds(
    lambda wc, h: Address((wc, h)), st.sampled_from([0, -1]), st.binary(min_size=32, max_size=32)
)
bit_strings = st.integers(0, 300).flatmap(
    lambda n: st.builds(lambda v: format(v, f"0{n}b") if n else "", st.integers(0, (1 << n) - 1))
)
anycasts = st.integers(1, 30).flatmap(
    lambda d: st.builds(
        lambda v: "1" + format(d, "05b") + format(v, f"0{d}b"), st.integers(0, (1 << d) - 1)
    )
)
# Every MsgAddress form FunC's load_msg_addr reads: addr_none, extern, std (anycast or not), var.
msg_addresses = st.one_of(
    st.none(),
    addresses,
    bit_strings.map(lambda b: OtherAddress("01" + format(len(b), "09b") + b)),
    st.builds(
        lambda a, wc, h: OtherAddress("10" + a + format(wc % 256, "08b") + format(h, "0256b")),
        anycasts,
        st.integers(-128, 127),
        st.integers(0, (1 << 256) - 1),
    ),
    st.builds(
        lambda a, wc, b: OtherAddress(
            "11" + a + format(len(b), "09b") + format(wc % (1 << 32), "032b") + b
        ),
        st.just("0") | anycasts,
        st.integers(-(2**31), 2**31 - 1),
        bit_strings,
    ),
)
small_cells = st.builds(
    lambda n, v: begin_cell().store_uint(v % (1 << n), n).end_cell(),
    st.integers(1, 64),
    st.integers(0, 2**64),
)


def strategy_for(codec: layout.Codec) -> st.SearchStrategy[Any]:
    if isinstance(codec, layout.UInt):
        return st.integers(0, (1 << codec.bits) - 1)
    if isinstance(codec, layout.SInt):
        half = 1 << (codec.bits - 1)
        return st.integers(-half, half - 1)
    if isinstance(codec, layout.CoinsCodec):
        return st.integers(0, 2**120 - 1)
    if isinstance(codec, layout.AddressCodec):
        return addresses
    if isinstance(codec, layout.MsgAddressCodec):
        return msg_addresses
    if isinstance(codec, layout.BytesCodec):
        return st.binary(min_size=codec.length, max_size=codec.length)
    if isinstance(codec, layout.RefCodec | _Rest):
        return small_cells
    if isinstance(codec, layout.MaybeRefCodec):
        return st.none() | small_cells
    if isinstance(codec, layout.StructRef):
        return strategy_for_class(codec.cls)
    if isinstance(codec, layout.MaybeBodyRef):
        return st.none() | st.one_of(*(strategy_for_class(c) for c in codec._choices().values()))
    if isinstance(codec, NetAddrCodec):
        return st.builds(
            ton.NetAddr,
            st.text(st.characters(max_codepoint=255), max_size=127),
            st.sampled_from([0, 1]),
        )
    raise AssertionError(f"no strategy for {codec!r}")


def strategy_for_class(cls: type) -> st.SearchStrategy[Any]:
    if cls is ProxySaveState:
        return st.builds(
            ProxySaveState,
            query_id=st.integers(0, 2**64 - 1),
            seqno=st.integers(-(2**31), 2**31 - 1),
            session_hash=st.binary(min_size=32, max_size=32),
        )
    fields = {f.name: strategy_for(f.metadata["codec"]) for f in attrs.fields(cls)}
    return st.builds(cls, **fields)


def all_bodies() -> list[tuple[str, type]]:
    seen = []
    for contract in bodies.CONTRACT_BODIES:
        for name in dir(bodies):
            cls = getattr(bodies, name)
            if (
                isinstance(cls, type)
                and issubclass(cls, layout.Body)
                and hasattr(cls, "OP")
                and cls is not bodies.SignedBody
            ):
                if int(cls.OP) in bodies.CONTRACT_BODIES[contract] and (contract, cls) not in seen:
                    seen.append((contract, cls))
    return seen


BODIES = all_bodies()
PAYLOADS = [
    bodies.ClientProxyTopUp,
    bodies.ClientProxyRegister,
    bodies.ClientProxyRefundGranted,
    bodies.ClientProxyRefundForce,
    bodies.WorkerProxyPayoutRequest,
]


def test_every_opcode_has_a_body() -> None:
    ops = {int(cls.OP) for _, cls in BODIES} | {int(c.OP) for c in PAYLOADS}
    missing = [op for op in ton.Op if int(op) not in ops and op is not ton.Op.PROXY_SAVE_STATE]
    assert missing == []


@pytest.mark.parametrize(("contract", "cls"), BODIES, ids=lambda x: getattr(x, "__name__", x))
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_round_trip(contract: str, cls: type, data: st.DataObject) -> None:
    body = data.draw(strategy_for_class(cls))
    cell = body.to_cell()
    back = bodies.parse_body(cell, contract)
    if cls is DoNotProcess and isinstance(back, ProxySaveState):
        return  # an opaque do_not_process that happens to have the commit layout
    assert back == body
    assert back.to_cell().hash == cell.hash


@pytest.mark.parametrize("cls", PAYLOADS, ids=lambda c: c.__name__)
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_payload_round_trip(cls: type, data: st.DataObject) -> None:
    body = data.draw(strategy_for_class(cls))
    assert cls.from_cell(body.to_cell()) == body


def _variants(cell: Cell) -> list[Cell]:
    cut = begin_cell().store_bits(cell.bits[:-1])
    for r in cell.refs:
        cut.store_ref(r)
    extra_bit = begin_cell().store_bits(cell.bits).store_uint(1, 1)
    extra_ref = begin_cell().store_bits(cell.bits)
    for r in cell.refs:
        extra_bit.store_ref(r)
        extra_ref.store_ref(r)
    out = [cut.end_cell(), extra_bit.end_cell()]
    if len(cell.refs) < 4:
        out.append(extra_ref.store_ref(Cell.empty()).end_cell())
    if cell.refs:
        out.append(begin_cell().store_bits(cell.bits).end_cell())  # refs missing
    return out


@pytest.mark.parametrize(
    ("contract", "cls"),
    [b for b in BODIES if b[1] not in (DoNotProcess, ProxySaveState)],
    ids=lambda x: getattr(x, "__name__", x),
)
@settings(max_examples=5, deadline=None)
@given(data=st.data())
def test_malformed_bodies_are_refused(contract: str, cls: type, data: st.DataObject) -> None:
    body = data.draw(strategy_for_class(cls))
    for bad in _variants(body.to_cell()):
        with pytest.raises(ton.CellDecodeError):
            bodies.parse_body(bad, contract)


def test_unknown_opcodes() -> None:
    cell = begin_cell().store_uint(0xDEADBEEF, 32).store_uint(0, 64).end_cell()
    for contract in bodies.CONTRACT_BODIES:
        with pytest.raises(UnknownOpcodeError) as info:
            bodies.parse_body(cell, contract)
        assert info.value.op == 0xDEADBEEF
    with pytest.raises(ton.CellDecodeError):
        bodies.parse_body(begin_cell().store_uint(1, 16).end_cell(), "client")


def test_values_out_of_range_are_encode_errors() -> None:
    with pytest.raises(ValueError):
        bodies.ExtClientTopUp(query_id=2**64, amount=1, send_excesses_to=Address((0, bytes(32))))
    with pytest.raises(ValueError):
        bodies.ExtClientTopUp(query_id=1, amount=-1, send_excesses_to=Address((0, bytes(32))))
    with pytest.raises(ValueError):
        ton.NetAddr("x" * 128)


@settings(max_examples=200, deadline=None)
@given(
    contract=st.sampled_from(sorted(bodies.CONTRACT_BODIES)),
    op=st.sampled_from([int(op) for op in ton.Op]),
    bits=st.binary(max_size=120),
    refs=st.lists(small_cells, max_size=3),
)
def test_fuzz_never_raises_anything_but_decode_errors(contract, op, bits, refs) -> None:
    b = begin_cell().store_uint(op, 32).store_bytes(bits[:123])
    for r in refs:
        b.store_ref(r)
    try:
        bodies.parse_body(b.end_cell(), contract)
    except ton.CellDecodeError:
        pass


def test_text_commands_and_state_commit() -> None:
    assert bodies.parse_body(bodies.TextCommand.of("w").to_cell(), "proxy").char == "w"
    commit = ProxySaveState(query_id=7, seqno=-1, session_hash=b"\x09" * 32)
    cell = commit.to_cell()
    assert cell.bits[:32].to01() == format(ton.Op.DO_NOT_PROCESS, "032b")
    assert cell.bits[96:128].to01() == format(ton.Op.PROXY_SAVE_STATE, "032b")
    assert bodies.parse_body(cell, "proxy") == commit
    opaque = begin_cell().store_uint(ton.Op.DO_NOT_PROCESS, 32).store_uint(3, 5).end_cell()
    assert isinstance(bodies.parse_body(opaque, "client"), DoNotProcess)
