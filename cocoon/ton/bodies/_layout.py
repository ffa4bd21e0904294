"""Declarative cell layouts: an attrs class whose fields name their cell codec, in storage order.

    @attrs.frozen
    class Excesses(Body):
        OP = Op.EXCESSES
        query_id: int = field(U64)

`to_cell()` writes the opcode (for a `Body`) and then each field; `from_cell()` reads them back
and refuses extra bits or refs. Bits and refs are independent streams, so a ref-valued field may
sit anywhere in the order; only the order among refs matters.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar

import attrs
from pytoniq_core import Address, Builder, Cell, begin_cell

from cocoon.ton.cells import (
    MsgAddress,
    OtherAddress,
    Reader,
    finish,
    store_address,
    store_bytes,
    store_coins,
    store_int,
    store_msg_address,
    store_uint,
)
from cocoon.ton.errors import CellDecodeError, CellEncodeError, UnknownOpcodeError

S = TypeVar("S", bound="Struct")


class Codec:
    """How one field is stored in a cell."""

    def store(self, b: Builder, value: Any) -> None:
        raise TypeError(f"{type(self).__name__} cannot store")

    def load(self, r: Reader) -> Any:
        raise TypeError(f"{type(self).__name__} cannot load")

    def validate(self, value: Any) -> None:
        """Raise ValueError when `value` cannot be stored."""


class UInt(Codec):
    def __init__(self, bits: int) -> None:
        self.bits = bits

    def store(self, b: Builder, value: int) -> None:
        store_uint(b, value, self.bits)

    def load(self, r: Reader) -> int:
        return r.uint(self.bits)

    def validate(self, value: Any) -> None:
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 1 << self.bits:
            raise ValueError(f"expected u{self.bits}, got {value!r}")


class SInt(Codec):
    def __init__(self, bits: int) -> None:
        self.bits = bits

    def store(self, b: Builder, value: int) -> None:
        store_int(b, value, self.bits)

    def load(self, r: Reader) -> int:
        return r.sint(self.bits)

    def validate(self, value: Any) -> None:
        half = 1 << (self.bits - 1)
        if not isinstance(value, int) or isinstance(value, bool) or not -half <= value < half:
            raise ValueError(f"expected i{self.bits}, got {value!r}")


class CoinsCodec(Codec):
    def store(self, b: Builder, value: int) -> None:
        store_coins(b, value)

    def load(self, r: Reader) -> int:
        return r.coins()

    def validate(self, value: Any) -> None:
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 1 << 120:
            raise ValueError(f"expected Coins, got {value!r}")


class AddressCodec(Codec):
    def store(self, b: Builder, value: Address) -> None:
        store_address(b, value)

    def load(self, r: Reader) -> Address:
        return r.address()

    def validate(self, value: Any) -> None:
        if not isinstance(value, Address):
            raise ValueError(f"expected an Address, got {value!r}")


class MsgAddressCodec(Codec):
    """Any `MsgAddress` (FunC's `load_msg_addr`): where the contracts accept every form."""

    def store(self, b: Builder, value: MsgAddress) -> None:
        store_msg_address(b, value)

    def load(self, r: Reader) -> MsgAddress:
        return r.msg_address()

    def validate(self, value: Any) -> None:
        if value is not None and not isinstance(value, Address | OtherAddress):
            raise ValueError(f"expected a MsgAddress, got {value!r}")


class BytesCodec(Codec):
    def __init__(self, length: int) -> None:
        self.length = length

    def store(self, b: Builder, value: bytes) -> None:
        store_bytes(b, value, self.length)

    def load(self, r: Reader) -> bytes:
        return r.bytes_(self.length)

    def validate(self, value: Any) -> None:
        if not isinstance(value, bytes) or len(value) != self.length:
            raise ValueError(f"expected {self.length} bytes, got {value!r}")


class RefCodec(Codec):
    """A ref to any cell, kept as is."""

    def store(self, b: Builder, value: Cell) -> None:
        b.store_ref(value)

    def load(self, r: Reader) -> Cell:
        return r.ref()

    def validate(self, value: Any) -> None:
        if not isinstance(value, Cell):
            raise ValueError(f"expected a Cell, got {value!r}")


class MaybeRefCodec(Codec):
    def store(self, b: Builder, value: Cell | None) -> None:
        b.store_maybe_ref(value)

    def load(self, r: Reader) -> Cell | None:
        return r.maybe_ref()

    def validate(self, value: Any) -> None:
        if value is not None and not isinstance(value, Cell):
            raise ValueError(f"expected a Cell or None, got {value!r}")


class StructRef(Codec):
    """A ref to a cell with a known `Struct` layout."""

    def __init__(self, cls: type[Struct]) -> None:
        self.cls = cls

    def store(self, b: Builder, value: Struct) -> None:
        b.store_ref(value.to_cell())

    def load(self, r: Reader) -> Struct:
        return self.cls.from_cell(r.ref())

    def validate(self, value: Any) -> None:
        if not isinstance(value, self.cls):
            raise ValueError(f"expected {self.cls.__name__}, got {value!r}")


class MaybeBodyRef(Codec):
    """`Maybe ^Body` where the body is one of several opcodes."""

    def __init__(self, choices: Callable[[], Mapping[int, type[Body]]], what: str) -> None:
        self._choices = choices
        self.what = what

    def store(self, b: Builder, value: Body | None) -> None:
        b.store_maybe_ref(None if value is None else value.to_cell())

    def load(self, r: Reader) -> Body | None:
        cell = r.maybe_ref()
        if cell is None:
            return None
        return parse_among(cell, self._choices(), self.what)

    def validate(self, value: Any) -> None:
        if value is not None and type(value) not in self._choices().values():
            raise ValueError(f"expected a {self.what} payload, got {value!r}")


U2, U8, U32, U64 = UInt(2), UInt(8), UInt(32), UInt(64)
I32 = SInt(32)
COINS = CoinsCodec()
ADDRESS = AddressCodec()
MSG_ADDRESS = MsgAddressCodec()
BITS256 = BytesCodec(32)
SIGNATURE = BytesCodec(64)
REF = RefCodec()
MAYBE_REF = MaybeRefCodec()


def field(codec: Codec, **kwargs: Any) -> Any:
    """An attrs field stored with `codec`."""

    def check(_inst: object, attr: attrs.Attribute, value: Any) -> None:
        try:
            codec.validate(value)
        except ValueError as exc:
            raise ValueError(f"{attr.name}: {exc}") from None

    return attrs.field(validator=check, metadata={"codec": codec}, **kwargs)


class Struct:
    """A cell whose layout is its attrs fields in order."""

    def write(self, b: Builder) -> None:
        for f in attrs.fields(type(self)):
            f.metadata["codec"].store(b, getattr(self, f.name))

    def to_cell(self) -> Cell:
        b = begin_cell()
        self.write(b)
        return finish(b)

    @classmethod
    def read(cls: type[S], r: Reader) -> S:
        return cls._read_fields(r)  # type: ignore[attr-defined]

    @classmethod
    def _read_fields(cls: type[S], r: Reader) -> S:
        values = {f.name: f.metadata["codec"].load(r) for f in attrs.fields(cls)}
        try:
            return cls(**values)
        except (ValueError, TypeError) as exc:
            raise CellDecodeError(f"{cls.__name__}: {exc}") from exc

    @classmethod
    def from_cell(cls: type[S], cell: Cell) -> S:
        r = Reader(cell, cls.__name__)
        value = cls.read(r)
        r.end()
        return value


class Body(Struct):
    """A message body: `op:u32` followed by the fields."""

    OP: ClassVar[int]

    def write(self, b: Builder) -> None:
        store_uint(b, int(self.OP), 32)
        super().write(b)

    @classmethod
    def read(cls: type[S], r: Reader) -> S:
        op = r.uint(32)
        if op != cls.OP:  # type: ignore[attr-defined]
            raise CellDecodeError(f"{cls.__name__}: opcode 0x{op:08x}, expected 0x{cls.OP:08x}")  # type: ignore[attr-defined]
        return cls._read_fields(r)  # type: ignore[attr-defined]


def peek_op(cell: Cell) -> int:
    r = Reader(cell, "body")
    return r.uint(32)


def parse_among(cell: Cell, choices: Mapping[int, type[Body]], what: str) -> Body:
    op = peek_op(cell)
    cls = choices.get(op)
    if cls is None:
        raise UnknownOpcodeError(op, what)
    return cls.from_cell(cell)


def build(body: Struct) -> Cell:
    """`body.to_cell()`, with attrs/validation problems reported as `CellEncodeError`."""
    try:
        return body.to_cell()
    except (ValueError, TypeError) as exc:
        raise CellEncodeError(str(exc)) from exc
