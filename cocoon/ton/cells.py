"""Cell primitives on top of pytoniq-core: a strict reader, addresses, hashes and BOCs.

The reader raises only `CellDecodeError` on bad input: it checks what remains before every read,
so a short or malformed cell never leaks a pytoniq or bitarray exception. Addresses are the
`addr_std` form without anycast (267 bits), the only one the reference accepts; where the
contracts read any `MsgAddress` (FunC's `load_msg_addr`), `Reader.msg_address` does too.

Hashes: `cell_hash` is the level-0 hash. For ordinary cells it is the representation hash; for a
tree that holds a pruned branch (a code cell known only by hash and depth, see `codes`) it is the
hash the full tree would have, which is what addresses are made of.
"""

from __future__ import annotations

import attrs
from pytoniq_core import Address, Builder, Cell, begin_cell
from pytoniq_core.boc.address import AddressError
from pytoniq_core.boc.exotic import CellTypes

from cocoon.ton.errors import CellDecodeError, CellEncodeError

ADDRESS_BITS = 267
MAX_COINS = (1 << 120) - 1

AddressLike = Address | str


def parse_address(value: AddressLike) -> Address:
    """An `Address` from an `Address`, a raw `0:<hex>` string or a user-friendly string."""
    if isinstance(value, Address):
        return Address((value.wc, value.hash_part))
    try:
        addr = Address(value.strip())
    except (AddressError, ValueError, IndexError, UnicodeError) as exc:
        raise CellDecodeError(f"not a TON address: {value!r}") from exc
    if len(addr.hash_part) != 32 or not -128 <= addr.wc <= 127:
        raise CellDecodeError(f"not a TON address: {value!r}")
    return Address((addr.wc, addr.hash_part))


def friendly(addr: Address, *, testnet: bool = False, bounceable: bool = False) -> str:
    """The reference's string form: user-friendly, URL-safe, non-bounceable unless asked."""
    return addr.to_str(
        is_user_friendly=True, is_url_safe=True, is_bounceable=bounceable, is_test_only=testnet
    )


def raw(addr: Address) -> str:
    """`0:<hex>` form."""
    return f"{addr.wc}:{addr.hash_part.hex()}"


def cell_hash(cell: Cell) -> bytes:
    """Level-0 hash (equals the representation hash for trees without pruned branches)."""
    return cell.get_hash(0)


def cell_depth(cell: Cell) -> int:
    return cell.get_depth(0)


def to_boc(cell: Cell) -> bytes:
    """Standard BOC, no index, no CRC (the reference's `std_boc_serialize` default)."""
    return cell.to_boc(has_idx=False, hash_crc32=False)


def from_boc(data: bytes) -> Cell:
    """One root cell from a BOC; anything else is a `CellDecodeError`."""
    try:
        cells = Cell.from_boc(bytes(data))
    except CellDecodeError:
        raise
    except Exception as exc:  # pytoniq raises many kinds on garbage input
        raise CellDecodeError(f"not a valid BOC: {exc}") from exc
    if len(cells) != 1:
        raise CellDecodeError(f"expected one root cell, got {len(cells)}")
    return cells[0]


def store_address(b: Builder, addr: Address) -> Builder:
    if not isinstance(addr, Address):
        raise CellEncodeError(f"expected an Address, got {type(addr).__name__}")
    if not -128 <= addr.wc <= 127 or len(addr.hash_part) != 32:
        raise CellEncodeError(f"bad address {addr!r}")
    return b.store_uint(0b100, 3).store_int(addr.wc, 8).store_bytes(addr.hash_part)


@attrs.frozen
class OtherAddress:
    """A `MsgAddress` that is not `addr_std` without anycast, kept as its raw bits (a string of
    0 and 1): `addr_extern`, anycast `addr_std`, `addr_var`. FunC's `load_msg_addr` accepts
    them; no contract account has one, so a comparison with a sender never holds."""

    bits: str = attrs.field()

    @bits.validator
    def _check(self, _attr: attrs.Attribute, value: str) -> None:
        if not value or set(value) - {"0", "1"}:
            raise ValueError(f"not a bit string: {value!r}")

    @property
    def kind(self) -> str:
        return {"01": "extern", "10": "std_anycast", "11": "var"}[self.bits[:2]]

    @classmethod
    def extern(cls, value: int, length: int) -> OtherAddress:
        """`addr_extern$01 len:(## 9) external_address:(bits len)`."""
        if not 0 <= length < 512 or not 0 <= value < 1 << length:
            raise ValueError(f"bad addr_extern ({length} bits, value {value})")
        return cls("01" + format(length, "09b") + (format(value, f"0{length}b") if length else ""))

    def as_std(self) -> Address | None:
        """Where TON's action phase delivers a message sent to this address: an `addr_var`
        without anycast, 256 bits long in an 8-bit workchain, is rewritten to `addr_std`;
        every other form cannot be a destination (None)."""
        if self.kind != "var" or self.bits[2] != "0" or int(self.bits[3:12], 2) != 256:
            return None
        wc = int(self.bits[12:44], 2)
        wc -= (1 << 32) if wc >> 31 else 0
        if not -128 <= wc <= 127:
            return None
        return Address((wc, int(self.bits[44:], 2).to_bytes(32, "big")))


# A `MsgAddress` as FunC's `load_msg_addr` reads it: `addr_none` is None.
MsgAddress = Address | OtherAddress | None


def store_msg_address(b: Builder, addr: MsgAddress) -> Builder:
    if addr is None:
        return b.store_uint(0, 2)
    if isinstance(addr, OtherAddress):
        return b.store_bits(addr.bits)
    return store_address(b, addr)


def describe_address(addr: MsgAddress, *, testnet: bool = False, bounceable: bool = False) -> str:
    """An address for people: friendly form for `addr_std`, else its TL-B form."""
    if addr is None:
        return "addr_none"
    if isinstance(addr, OtherAddress):
        return f"{addr.kind}:{addr.bits}"
    return friendly(addr, testnet=testnet, bounceable=bounceable)


def store_coins(b: Builder, value: int) -> Builder:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_COINS:
        raise CellEncodeError(f"coins out of range: {value!r}")
    return b.store_coins(value)


def store_uint(b: Builder, value: int, bits: int) -> Builder:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < (1 << bits):
        raise CellEncodeError(f"u{bits} out of range: {value!r}")
    return b.store_uint(value, bits)


def store_int(b: Builder, value: int, bits: int) -> Builder:
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1))
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value < hi:
        raise CellEncodeError(f"i{bits} out of range: {value!r}")
    return b.store_int(value, bits)


def store_bytes(b: Builder, value: bytes, length: int) -> Builder:
    if not isinstance(value, bytes | bytearray) or len(value) != length:
        raise CellEncodeError(f"expected {length} bytes, got {value!r}")
    return b.store_bytes(bytes(value))


def finish(b: Builder) -> Cell:
    """End a builder, refusing cells over the TVM limits instead of building invalid ones."""
    if len(b.bits) > 1023:
        raise CellEncodeError(f"cell has {len(b.bits)} bits (max 1023)")
    if len(b.refs) > 4:
        raise CellEncodeError(f"cell has {len(b.refs)} refs (max 4)")
    return b.end_cell()


class Reader:
    """A strict, consuming view of one ordinary cell."""

    __slots__ = ("_bits", "_pos", "_ref_pos", "_refs", "what")

    def __init__(self, cell: Cell, what: str = "cell") -> None:
        if not isinstance(cell, Cell):
            raise CellDecodeError(f"{what}: expected a cell, got {type(cell).__name__}")
        if cell.type_ != CellTypes.ordinary:
            raise CellDecodeError(f"{what}: exotic cell where an ordinary one was expected")
        self._bits = cell.bits
        self._pos = 0
        self._refs = cell.refs
        self._ref_pos = 0
        self.what = what

    @property
    def bits_left(self) -> int:
        return len(self._bits) - self._pos

    @property
    def refs_left(self) -> int:
        return len(self._refs) - self._ref_pos

    def _need(self, n: int) -> None:
        if self.bits_left < n:
            raise CellDecodeError(f"{self.what}: needs {n} more bits, has {self.bits_left}")

    def uint(self, n: int) -> int:
        self._need(n)
        if n == 0:
            return 0
        value = int(self._bits[self._pos : self._pos + n].to01(), 2)
        self._pos += n
        return value

    def sint(self, n: int) -> int:
        value = self.uint(n)
        return value - (1 << n) if value >> (n - 1) else value

    def bit(self) -> bool:
        return bool(self.uint(1))

    def bytes_(self, n: int) -> bytes:
        self._need(8 * n)
        value = self._bits[self._pos : self._pos + 8 * n].tobytes()
        self._pos += 8 * n
        return value

    def coins(self) -> int:
        length = self.uint(4)
        return self.uint(8 * length)

    def address(self) -> Address:
        """`addr_std` without anycast; every other form is refused like the reference does."""
        self._need(ADDRESS_BITS)
        tag = self.uint(3)
        if tag != 0b100:
            raise CellDecodeError(f"{self.what}: not a std address without anycast (tag {tag:03b})")
        wc = self.sint(8)
        return Address((wc, self.bytes_(32)))

    def msg_address(self) -> MsgAddress:
        """Any `MsgAddress`, as FunC's `load_msg_addr` (a malformed one is a cell underflow)."""
        start = self._pos
        tag = self.uint(2)
        if tag == 0b00:
            return None
        if tag == 0b01:
            self.uint(self.uint(9))
        else:
            anycast = self.bit()
            if tag == 0b10 and not anycast:
                wc = self.sint(8)
                return Address((wc, self.bytes_(32)))
            if anycast:  # anycast_info: depth:(#<= 30) with depth >= 1, then that many bits
                depth = self.uint(5)
                if not 1 <= depth <= 30:
                    raise CellDecodeError(f"{self.what}: anycast depth {depth}")
                self.uint(depth)
            if tag == 0b10:
                self.uint(8 + 256)
            else:
                length = self.uint(9)
                self.uint(32 + length)
        return OtherAddress(self._bits[start : self._pos].to01())

    def ref(self) -> Cell:
        if self.refs_left < 1:
            raise CellDecodeError(f"{self.what}: needs one more ref")
        cell = self._refs[self._ref_pos]
        self._ref_pos += 1
        return cell

    def maybe_ref(self) -> Cell | None:
        return self.ref() if self.bit() else None

    def rest(self) -> Cell:
        """Everything not yet read, as a new cell (bits and refs)."""
        b = begin_cell().store_bits(self._bits[self._pos :])
        for r in self._refs[self._ref_pos :]:
            b.store_ref(r)
        self._pos = len(self._bits)
        self._ref_pos = len(self._refs)
        return b.end_cell()

    def end(self) -> None:
        if self.bits_left or self.refs_left:
            raise CellDecodeError(
                f"{self.what}: {self.bits_left} extra bits and {self.refs_left} extra refs"
            )


def state_init(code: Cell, data: Cell) -> Cell:
    """`StateInit` with code and data only: bits 0 0 1 1 0, refs [code, data] (spec 30 section 1.2)."""
    return finish(begin_cell().store_uint(0b00110, 5).store_ref(code).store_ref(data))


def address_of(init: Cell, workchain: int = 0) -> Address:
    """The address a StateInit deploys to."""
    return Address((workchain, cell_hash(init)))


def address_from_code(code: Cell, data: Cell, workchain: int = 0) -> Address:
    return address_of(state_init(code, data), workchain)


def parse_state_init(cell: Cell) -> tuple[Cell | None, Cell | None]:
    """(code, data) of a StateInit; split_depth, special and libraries must be absent."""
    r = Reader(cell, "StateInit")
    if r.bit():
        raise CellDecodeError("StateInit: split_depth is not supported")
    if r.bit():
        raise CellDecodeError("StateInit: special (tick/tock) is not supported")
    code = r.maybe_ref()
    data = r.maybe_ref()
    if r.bit():
        raise CellDecodeError("StateInit: libraries are not supported")
    r.end()
    return code, data
