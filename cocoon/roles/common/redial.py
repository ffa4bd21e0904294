"""Keeping a dialer's connection slot connected: pick a proxy, connect, and when the connection
ends or fails, wait (exponential backoff with jitter, reset by a successful connection) and
try again. The reference redials every 10 s; we start faster and back off to that."""

from __future__ import annotations

import logging
import random
from typing import Protocol

import trio

from cocoon.errors import CocoonError

RECONNECT_DELAY = (1.0, 10.0)  # first retry, cap
CONNECTION_ERRORS = (CocoonError, OSError, trio.TooSlowError, trio.BrokenResourceError)


class Link(Protocol):
    slot: int
    target: tuple[str, int] | None
    last_error: str | None
    ready: bool
    session: object
    connections: int  # connections made (handshake done) so far

    def pick(self) -> tuple[str, int] | None: ...

    async def connect(self, host: str, port: int) -> None: ...


async def keep_connected(link: Link, log: logging.Logger, what: str) -> None:
    """Run forever (until cancelled): `link.connect` returns or raises when its connection
    ends; a connection that was made resets the backoff."""
    delay = RECONNECT_DELAY[0]
    while True:
        target = link.pick()
        if target is None:
            link.last_error = "no proxy to connect to (the root contract lists none)"
        else:
            link.target = target
            made = link.connections
            try:
                await link.connect(*target)
            except CONNECTION_ERRORS as e:
                link.last_error = f"{type(e).__name__}: {e}"
                log.info("%s link %d to %s:%d: %s", what, link.slot, *target, link.last_error)
            # A connection that was made (its end is an error too: `connect` raises when it
            # closes) starts the backoff afresh: a proxy that restarts is back in a second,
            # not after the cap earned by failures long ago.
            if link.connections != made:
                delay = RECONNECT_DELAY[0]
        link.ready = False
        link.session = None
        await trio.sleep(delay * random.uniform(0.8, 1.2))
        delay = min(delay * 2, RECONNECT_DELAY[1])
