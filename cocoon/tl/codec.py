"""TL primitives: a writer and a strict reader (sans-IO), and the object base class.

Everything is little-endian. `string` and `bytes` share one wire form: a length byte (< 254)
or `0xfe` + 3-byte length, the data, then zero padding to a multiple of 4. `Bool` is boxed
(`boolTrue`/`boolFalse` ids). `int128`/`int256` are raw bytes. Vectors here are bare: a u32
count and the elements.

The reader never raises anything but `TLDecodeError` subclasses on bad input, and never
allocates more than the input's size: lengths and counts are checked against what remains.
"""

from __future__ import annotations

import functools
import struct
from typing import Any, ClassVar, TypeVar

from cocoon.tl.errors import (
    TLBadBoolError,
    TLBadFlagsError,
    TLBadLengthError,
    TLDecodeError,
    TLEncodeError,
    TLTrailingDataError,
    TLTruncatedError,
    TLUnknownConstructorError,
    TLWrongConstructorError,
)

BOOL_TRUE = 0x997275B5
BOOL_FALSE = 0xBC799737
_BOOL_TRUE_BYTES = struct.pack("<I", BOOL_TRUE)
_BOOL_FALSE_BYTES = struct.pack("<I", BOOL_FALSE)

_I32 = struct.Struct("<i")
_U32 = struct.Struct("<I")
_I64 = struct.Struct("<q")
_F64 = struct.Struct("<d")
_PAD = (b"", b"\0\0\0", b"\0\0", b"\0")
MAX_BYTES_LENGTH = (1 << 24) - 1  # a frame is at most 2^24 bytes; the 0xff form never occurs

T = TypeVar("T", bound="TLObject")
# (field name, TL type, flags field or None, flag bit or None), in wire order.
FieldSpec = tuple[str, str, str | None, int | None]
# flags field -> ((bit, names of the fields present iff that bit is set), ...)
FlagGroups = dict[str, tuple[tuple[int, tuple[str, ...]], ...]]


class TLObject:
    """Base of every generated TL class (see `cocoon.tl.types`)."""

    __slots__ = ()
    TL_NAME: ClassVar[str]
    TL_ID: ClassVar[int]
    TL_TYPE: ClassVar[str]
    TL_FUNCTION: ClassVar[bool]
    TL_FIELDS: ClassVar[tuple[FieldSpec, ...]]

    def _write(self, w: Writer) -> None:  # pragma: no cover - generated
        raise TypeError(f"{type(self).__name__} is not a TL object")

    # What attrs would generate for a frozen class (`repr=True, eq=True`), written once here
    # rather than compiled for every generated class: the same repr, equality between
    # instances of the same class with equal fields, and a hash that agrees with it.
    def _field_values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, a.name) for a in self.__attrs_attrs__)  # type: ignore[attr-defined]

    def __repr__(self) -> str:
        fields = ", ".join(
            f"{a.name}={getattr(self, a.name)!r}"
            for a in self.__attrs_attrs__  # type: ignore[attr-defined]
        )
        return f"{type(self).__qualname__}({fields})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._field_values() == other._field_values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((self.__class__.TL_ID, self._field_values()))

    @classmethod
    def _read(cls: type[T], r: Reader) -> T:  # pragma: no cover - generated
        raise TypeError(f"{cls.__name__} is not a TL object")


def resolve_flags(obj: TLObject) -> None:
    """Fill each `flags` field left as None from the optional fields present, or check it.

    Fields guarded by the same bit are all present or all absent; a bit that guards no field
    is kept as given (the reference ignores such bits, and round trips must preserve them).
    """
    groups: FlagGroups = obj.TL_FLAG_GROUPS  # type: ignore[attr-defined]
    for flags_field, bits in groups.items():
        given = getattr(obj, flags_field)
        implied = 0
        for bit, names in bits:
            # Plain loops: this runs for every object built, a few per request and role.
            present = 0
            for n in names:
                if getattr(obj, n) is not None:
                    present += 1
            if present == len(names):
                implied |= 1 << bit
            elif present:
                missing = [n for n in names if getattr(obj, n) is None]
                raise TLEncodeError(
                    f"{obj.TL_NAME}: {', '.join(missing)} must be set with bit {bit}"
                )
            elif given is not None and given & (1 << bit):
                raise TLEncodeError(
                    f"{obj.TL_NAME}: {flags_field} bit {bit} set but {names[0]} is None"
                )
        if given is None:
            object.__setattr__(obj, flags_field, implied)
        elif (given & implied) != implied:
            raise TLEncodeError(f"{obj.TL_NAME}: {flags_field}={given} lacks bits {implied:#x}")


class Writer:
    """Appends TL values to a bytearray. Out-of-range values raise `TLEncodeError`."""

    __slots__ = ("buf",)

    def __init__(self) -> None:
        self.buf = bytearray()

    def getvalue(self) -> bytes:
        return bytes(self.buf)

    def int(self, value: int) -> None:
        try:
            self.buf += _I32.pack(value)
        except struct.error as e:
            raise TLEncodeError(f"int out of range: {value!r}") from e

    def uint(self, value: int) -> None:
        try:
            self.buf += _U32.pack(value)
        except struct.error as e:
            raise TLEncodeError(f"u32 out of range: {value!r}") from e

    def flags(self, value: int) -> None:
        if not 0 <= value < 0x80000000:
            raise TLEncodeError(f"flags out of range: {value!r}")
        self.buf += _U32.pack(value)

    def long(self, value: int) -> None:
        try:
            self.buf += _I64.pack(value)
        except struct.error as e:
            raise TLEncodeError(f"long out of range: {value!r}") from e

    def double(self, value: float) -> None:
        try:
            self.buf += _F64.pack(value)
        except struct.error as e:
            raise TLEncodeError(f"double expected, got {value!r}") from e

    def bool(self, value: bool) -> None:
        if value is True:
            self.buf += _BOOL_TRUE_BYTES
        elif value is False:
            self.buf += _BOOL_FALSE_BYTES
        else:
            raise TLEncodeError(f"Bool expected, got {value!r}")

    def raw(self, value: bytes, size: int) -> None:
        if not isinstance(value, bytes | bytearray | memoryview) or len(value) != size:
            raise TLEncodeError(f"{size} raw bytes expected, got {value!r:.60}")
        self.buf += value

    def bytes(self, value: bytes) -> None:
        if not isinstance(value, bytes | bytearray | memoryview):
            raise TLEncodeError(f"bytes expected, got {type(value).__name__}")
        n = len(value)
        buf = self.buf
        if n < 254:
            buf.append(n)
            buf += value
            buf += _PAD[(n + 1) & 3]
        elif n <= MAX_BYTES_LENGTH:
            buf += _U32.pack(0xFE | (n << 8))
            buf += value
            buf += _PAD[n & 3]
        else:
            raise TLEncodeError(f"bytes too long for the wire: {n}")

    def string(self, value: str) -> None:
        if not isinstance(value, str):
            raise TLEncodeError(f"str expected, got {type(value).__name__}")
        try:
            data = value.encode()
        except UnicodeEncodeError as e:
            raise TLEncodeError(f"string is not valid UTF-8: {value!r:.60}") from e
        self.bytes(data)

    def boxed(self, obj: TLObject, allowed: tuple[type, ...] | type) -> None:
        if not isinstance(obj, allowed):
            raise TLEncodeError(f"{_names(allowed)} expected, got {type(obj).__name__}")
        self.buf += _U32.pack(obj.TL_ID)
        obj._write(self)

    def bare(self, obj: TLObject, cls: type) -> None:
        if type(obj) is not cls:
            raise TLEncodeError(f"{cls.__name__} expected, got {type(obj).__name__}")
        obj._write(self)


def _names(allowed: tuple[type, ...] | type) -> str:
    if isinstance(allowed, type):
        return allowed.__name__
    return " or ".join(t.__name__ for t in allowed)


class Reader:
    """Strict reader over a buffer; `pos` is the offset of the next byte to read."""

    __slots__ = ("data", "end", "pos")

    def __init__(self, data: bytes | bytearray | memoryview, pos: int = 0) -> None:
        self.data = data if isinstance(data, bytes) else bytes(data)
        self.pos = pos
        self.end = len(self.data)

    @property
    def remaining(self) -> int:
        return self.end - self.pos

    def _need(self, n: int) -> int:
        pos = self.pos
        if self.end - pos < n:
            raise TLTruncatedError(f"need {n} bytes, {self.end - pos} left", offset=pos)
        self.pos = pos + n
        return pos

    def int(self) -> int:
        return _I32.unpack_from(self.data, self._need(4))[0]

    def uint(self) -> int:
        return _U32.unpack_from(self.data, self._need(4))[0]

    def flags(self) -> int:
        pos = self._need(4)
        value = _U32.unpack_from(self.data, pos)[0]
        if value & 0x80000000:
            raise TLBadFlagsError("bit 31 set", offset=pos)
        return value

    def long(self) -> int:
        return _I64.unpack_from(self.data, self._need(8))[0]

    def double(self) -> float:
        return _F64.unpack_from(self.data, self._need(8))[0]

    def bool(self) -> bool:
        pos = self._need(4)
        value = _U32.unpack_from(self.data, pos)[0]
        if value == BOOL_TRUE:
            return True
        if value == BOOL_FALSE:
            return False
        raise TLBadBoolError(f"got {value:08x}", offset=pos)

    def raw(self, size: int) -> bytes:
        pos = self._need(size)
        return self.data[pos : pos + size]

    def bytes(self) -> bytes:
        start = self.pos
        data = self.data
        if start >= self.end:
            raise TLTruncatedError("need a length byte", offset=start)
        n = data[start]
        if n < 254:
            head, total = 1, (n + 4) & ~3
        elif n == 254:
            if self.end - start < 4:
                raise TLTruncatedError("need a 4-byte length", offset=start)
            n = int.from_bytes(data[start + 1 : start + 4], "little")
            head, total = 4, (n + 7) & ~3
        else:
            raise TLBadLengthError("the 0xff length form never occurs on this wire", offset=start)
        if self.end - start < total:
            raise TLTruncatedError(f"length {n} runs past the end", offset=start)
        self.pos = start + total
        return data[start + head : start + head + n]

    def string(self) -> str:
        # The reference receiver never fails on bad UTF-8 (it sanitises); neither do we.
        return self.bytes().decode("utf-8", "replace")

    def vector_count(self, min_item_size: int) -> int:
        pos = self.pos
        count = self.uint()
        if count * min_item_size > self.end - self.pos:
            raise TLBadLengthError(f"vector of {count} cannot fit", offset=pos)
        return count

    def boxed(self, allowed: dict[int, type[T]], type_name: str) -> T:
        pos = self._need(4)
        cid = _U32.unpack_from(self.data, pos)[0]
        cls = allowed.get(cid)
        if cls is None:
            if cid in BY_ID:
                raise TLWrongConstructorError(
                    f"{BY_ID[cid].TL_NAME} where {type_name} was expected", offset=pos
                )
            raise TLUnknownConstructorError(f"{cid:08x}", offset=pos)
        return cls._read(self)

    def bare(self, cls: type[T]) -> T:
        return cls._read(self)

    def finish(self) -> None:
        if self.pos != self.end:
            raise TLTrailingDataError(f"{self.end - self.pos} bytes left", offset=self.pos)


# Filled by cocoon.tl.types at import: constructor id -> class.
BY_ID: dict[int, type[TLObject]] = {}


def encode(obj: TLObject) -> bytes:
    """The boxed encoding of a TL object (constructor id, then its fields)."""
    w = Writer()
    try:
        # `Writer.boxed(obj, TLObject)` written out: a dozen encodes per request and role.
        if not isinstance(obj, TLObject):
            raise TLEncodeError(f"TLObject expected, got {type(obj).__name__}")
        w.buf += _U32.pack(obj.TL_ID)
        obj._write(w)
    except TLEncodeError as e:
        raise TLEncodeError(f"{getattr(obj, 'TL_NAME', type(obj).__name__)}: {e}") from None
    return bytes(w.buf)


def encode_bare(obj: TLObject) -> bytes:
    """The fields of a TL object without its constructor id."""
    w = Writer()
    obj._write(w)
    return bytes(w.buf)


def decode(
    data: bytes | bytearray | memoryview,
    expect: type[T] | tuple[type[T], ...] | str | None = None,
) -> Any:
    """Decode exactly one boxed object from `data`: all bytes must be consumed.

    `expect` restricts the result: a class, a tuple of classes, or a TL type name such as
    `"tcp.Packet"`; any other known constructor raises `TLWrongConstructorError`.
    """
    r = Reader(data)
    if expect is None:
        allowed: dict[int, type[TLObject]] = BY_ID
        what = "a TL object"
    else:
        allowed, what = _allowed(expect)
    # `Reader.boxed` written out for a known constructor (a dozen decodes per request and
    # role); anything else goes through it for its error.
    cls = allowed.get(_U32.unpack_from(r.data)[0]) if r.end >= 4 else None
    if cls is not None:
        r.pos = 4
        obj = cls._read(r)
    else:
        obj = r.boxed(allowed, what)
    r.finish()
    return obj


@functools.lru_cache(maxsize=512)
def _allowed(expect: type | tuple[type, ...] | str) -> tuple[dict[int, type[TLObject]], str]:
    """The constructors `expect` admits, by id, and how to name them (made once per `expect`:
    sessions decode every frame as "tcp.Packet")."""
    if isinstance(expect, str):
        allowed = {cid: c for cid, c in BY_ID.items() if c.TL_TYPE == expect}
        if not allowed:
            raise ValueError(f"unknown TL type {expect!r}")
        return allowed, expect
    classes = expect if isinstance(expect, tuple) else (expect,)
    return {c.TL_ID: c for c in classes}, " or ".join(c.TL_NAME for c in classes)


def decode_bare(cls: type[T], data: bytes | bytearray | memoryview) -> T:
    """Decode the fields of `cls` (no constructor id) from exactly `data`."""
    r = Reader(data)
    obj = cls._read(r)
    r.finish()
    return obj


__all__ = [
    "BY_ID",
    "Reader",
    "TLDecodeError",
    "TLEncodeError",
    "TLObject",
    "Writer",
    "decode",
    "decode_bare",
    "encode",
    "encode_bare",
]
