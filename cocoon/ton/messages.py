"""Whole messages (TL-B `Message X`): internal ones a wallet sends, external ones a node submits.

Layouts as the reference writes them (spec 30 section 7.2): an internal message header
`0x18` (ihr_disabled, bounce, no src) or `0x10` (no bounce, used when a StateInit is attached),
dest, value, no extra currencies, zero fees/lt/time, then `init` and `body` as refs. Parsing is
general (inline or ref init/body, any src) but refuses extra currencies and anycast.
"""

from __future__ import annotations

import attrs
from pytoniq_core import Address, Builder, Cell, begin_cell

from cocoon.ton.cells import (
    Reader,
    finish,
    parse_state_init,
    store_address,
    store_coins,
    store_uint,
)
from cocoon.ton.errors import CellDecodeError


def _load_src(r: Reader) -> Address | None:
    tag = r.uint(2)
    if tag == 0b00:
        return None
    if tag == 0b10:
        if r.bit():
            raise CellDecodeError("message: anycast source address")
        wc = r.sint(8)
        return Address((wc, r.bytes_(32)))
    raise CellDecodeError(f"message: unsupported source address tag {tag:02b}")


def _store_maybe_init(b: Builder, init: Cell | None) -> None:
    if init is None:
        b.store_bit(0)
    else:
        b.store_bit(1).store_bit(1).store_ref(init)  # Just (Right ^StateInit)


def _load_maybe_init(r: Reader) -> Cell | None:
    if not r.bit():
        return None
    if r.bit():
        init = r.ref()
        parse_state_init(init)  # validates
        return init
    # Inline StateInit: copy its fields into a cell of their own.
    b = begin_cell()
    split = r.bit()
    b.store_bit(split)
    if split:
        raise CellDecodeError("StateInit: split_depth is not supported")
    special = r.bit()
    if special:
        raise CellDecodeError("StateInit: special (tick/tock) is not supported")
    b.store_bit(0)
    code = r.maybe_ref()
    data = r.maybe_ref()
    b.store_maybe_ref(code).store_maybe_ref(data)
    if r.bit():
        raise CellDecodeError("StateInit: libraries are not supported")
    b.store_bit(0)
    return b.end_cell()


def _load_body(r: Reader) -> Cell | None:
    if r.bit():
        body = r.ref()
        r.end()
        return body
    rest = r.rest()
    return rest if len(rest.bits) or rest.refs else None


@attrs.frozen
class InternalMessage:
    """An internal message: who pays whom, how much, with which body and StateInit."""

    dest: Address
    value: int
    body: Cell | None = attrs.field(default=None, eq=False)
    state_init: Cell | None = attrs.field(default=None, eq=False)
    bounce: bool = True
    bounced: bool = False
    src: Address | None = None
    created_lt: int = 0
    created_at: int = 0

    def to_cell(self) -> Cell:
        b = begin_cell()
        b.store_bit(0)  # int_msg_info$0
        b.store_bit(1)  # ihr_disabled
        b.store_bit(int(self.bounce)).store_bit(int(self.bounced))
        if self.src is None:
            b.store_uint(0, 2)
        else:
            store_address(b, self.src)
        store_address(b, self.dest)
        store_coins(b, self.value)
        b.store_bit(0)  # no extra currencies
        store_coins(b, 0)  # ihr_fee
        store_coins(b, 0)  # fwd_fee
        store_uint(b, self.created_lt, 64)
        store_uint(b, self.created_at, 32)
        _store_maybe_init(b, self.state_init)
        if self.body is None:
            b.store_bit(0)  # empty inline body
        else:
            b.store_bit(1).store_ref(self.body)
        return finish(b)

    @classmethod
    def from_cell(cls, cell: Cell) -> InternalMessage:
        r = Reader(cell, "internal message")
        if r.bit():
            raise CellDecodeError("internal message: not int_msg_info")
        r.bit()  # ihr_disabled
        bounce, bounced = r.bit(), r.bit()
        src = _load_src(r)
        dest = r.address()
        value = r.coins()
        if r.bit():
            raise CellDecodeError("internal message: extra currencies are not supported")
        r.coins()  # ihr_fee
        r.coins()  # fwd_fee
        created_lt, created_at = r.uint(64), r.uint(32)
        init = _load_maybe_init(r)
        body = _load_body(r)
        return cls(
            dest=dest,
            value=value,
            body=body,
            state_init=init,
            bounce=bounce,
            bounced=bounced,
            src=src,
            created_lt=created_lt,
            created_at=created_at,
        )


@attrs.frozen
class ExternalMessage:
    """An inbound external message (`ext_in_msg_info`) to `dest`."""

    dest: Address
    body: Cell = attrs.field(eq=False)
    state_init: Cell | None = attrs.field(default=None, eq=False)

    def to_cell(self) -> Cell:
        b = begin_cell()
        b.store_uint(0b10, 2)  # ext_in_msg_info$10
        b.store_uint(0, 2)  # src addr_none
        store_address(b, self.dest)
        store_coins(b, 0)  # import_fee
        _store_maybe_init(b, self.state_init)
        b.store_bit(1).store_ref(self.body)
        return finish(b)

    @classmethod
    def from_cell(cls, cell: Cell) -> ExternalMessage:
        r = Reader(cell, "external message")
        if r.uint(2) != 0b10:
            raise CellDecodeError("external message: not ext_in_msg_info")
        src_tag = r.uint(2)
        if src_tag == 0b01:  # addr_extern: length then bits, ignored
            r.uint(r.uint(9))
        elif src_tag != 0b00:
            raise CellDecodeError("external message: bad source address")
        dest = r.address()
        r.coins()  # import_fee
        init = _load_maybe_init(r)
        body = _load_body(r)
        if body is None:
            raise CellDecodeError("external message: empty body")
        return cls(dest=dest, body=body, state_init=init)
