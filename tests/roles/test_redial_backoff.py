"""A connection that was made resets the redial backoff. `ProxyLinkBase.connect` never returns
normally (it raises `ProtocolError` when its connection closes), so the reset never happened:
after a few failures over a process's life every redial waited the 10 s cap, and a client or
worker came back to a restarted proxy ~10 s after it was up instead of ~1 s (seen in a crash
test: the proxy killed with SIGKILL and restarted under load, callers answered 503 "no working
proxy connections" for 8-11 s per restart)."""

from __future__ import annotations

import logging

import trio

from cocoon.errors import ProtocolError
from cocoon.roles.common.redial import RECONNECT_DELAY, keep_connected


class FlakyLink:
    """Connects, serves a while, loses the connection; every other attempt is refused."""

    slot = 0

    def __init__(self) -> None:
        self.target = None
        self.last_error = None
        self.ready = False
        self.session = None
        self.connections = 0
        self.attempts: list[float] = []
        self.closed_at: list[float] = []

    def pick(self):
        return ("127.0.0.1", 1)

    async def connect(self, host: str, port: int) -> None:
        self.attempts.append(trio.current_time())
        if len(self.attempts) % 2:
            raise OSError("connection refused")  # the proxy is restarting
        self.ready = True
        self.connections += 1
        await trio.sleep(30)  # serving
        self.closed_at.append(trio.current_time())
        raise ProtocolError("connection closed: closed by peer")


async def test_a_connection_that_was_made_resets_the_backoff(autojump_clock):
    link = FlakyLink()
    with trio.move_on_after(300):
        await keep_connected(link, logging.getLogger("test"), "test")
    assert len(link.closed_at) >= 5
    # After each lost connection: one quick retry (refused), then one twice as slow, which
    # connects: never the cap.
    first, cap = RECONNECT_DELAY
    for closed in link.closed_at:
        retries = [t - closed for t in link.attempts if t > closed][:2]
        assert retries[0] <= first * 1.2 + 1e-6, retries
        assert retries[1] <= first * 1.2 + 2 * first * 1.2 + 1e-6 < cap, retries
