"""The failure of one request, with the TON error code it travels with (spec 10 section 9.1),
and a peer's integer out of its field's range."""

from __future__ import annotations

from cocoon.errors import CocoonError, ProtocolError


class RequestError(CocoonError):
    """A request failed: `code` is the TON error code, `message` the text peers see."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"[{code}] {message}")
        self.code = code
        self.message = message


class OutOfRangeError(ProtocolError):
    """A peer sent an integer outside the range its field allows (a negative token count,
    a coefficient of a billion): a protocol violation, refused before it reaches accounting."""

    def __init__(self, type_name: str, field: str, value: int, low: int, high: int) -> None:
        super().__init__(f"{type_name}.{field} = {value} is out of range {low}..{high}")
        self.type_name = type_name
        self.field = field
        self.value = value
