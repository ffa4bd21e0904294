"""TL codec errors. Every decoding failure is a `TLDecodeError` naming the type and offset."""

from __future__ import annotations

from cocoon.errors import DecodeError, EncodeError


class TLDecodeError(DecodeError):
    """Bytes that are not a valid TL value of the expected type.

    `offset` is the byte position in the buffer being decoded where the problem was found;
    `type_name` is the innermost TL type being read when it happened (filled in on the way up).
    """

    reason = "invalid TL data"

    def __init__(self, detail: str = "", *, offset: int, type_name: str | None = None) -> None:
        self.detail = detail
        self.offset = offset
        self.type_name = type_name
        super().__init__()

    def __str__(self) -> str:
        where = f" in {self.type_name}" if self.type_name else ""
        detail = f": {self.detail}" if self.detail else ""
        return f"{self.reason}{where} at offset {self.offset}{detail}"


class TLTruncatedError(TLDecodeError):
    reason = "not enough data"


class TLTrailingDataError(TLDecodeError):
    reason = "trailing bytes after the object"


class TLUnknownConstructorError(TLDecodeError):
    reason = "unknown constructor"


class TLWrongConstructorError(TLDecodeError):
    reason = "wrong constructor"


class TLBadBoolError(TLDecodeError):
    reason = "Bool expected"


class TLBadLengthError(TLDecodeError):
    reason = "length out of range"


class TLBadFlagsError(TLDecodeError):
    reason = "invalid flags"


class TLEncodeError(EncodeError):
    """A value that does not fit its TL field (range, length, type, flags)."""
