"""The failure of one request, with the TON error code it travels with (spec 10 section 9.1)."""

from __future__ import annotations

from cocoon.errors import CocoonError


class RequestError(CocoonError):
    """A request failed: `code` is the TON error code, `message` the text peers see."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"[{code}] {message}")
        self.code = code
        self.message = message
