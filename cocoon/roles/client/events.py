"""What a request through the network produces, as the client's HTTP layer consumes it."""

from __future__ import annotations

import attrs

from cocoon import tl


@attrs.frozen
class Head:
    """The answer's status line and headers (and the first body bytes, if any). `complete`:
    the whole answer came in one message, so `Done` follows at once."""

    response: tl.HttpResponse
    request_id: bytes
    complete: bool = False


@attrs.frozen
class Chunk:
    data: bytes


@attrs.frozen
class Done:
    """The answer is complete; `final` has the token counts and timings."""

    final: tl.ClientQueryFinalInfo | None
    tokens: int


@attrs.frozen
class Failed:
    """The request failed (before or after the head): a TON error code and its text.
    `request_id`: the id the request went to the proxy with (None if it was never sent)."""

    code: int
    message: str
    final: tl.ClientQueryFinalInfo | None = None
    answered: bool = False
    request_id: bytes | None = None


Event = Head | Chunk | Done | Failed
