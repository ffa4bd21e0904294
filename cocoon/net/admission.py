"""How many connections may wait for their peer to authorize, in all and per remote address.

A connection that has not proved who it is costs memory (its session, its buffers) and, in a
long authorization, minutes; a stranger could open thousands. A listener asks `enter(address)`
for each new connection and closes it at once when refused; the ticket is given back when the
peer authorizes or the connection ends, whichever comes first.

    gate = AuthGate(max_waiting=512, max_waiting_per_address=32)
    ticket = gate.enter(address)
    if ticket is None: ...close...
    try: ... serve, calling ticket.leave() once authorized ...
    finally: ticket.leave()
"""

from __future__ import annotations

import socket
from collections import Counter

import trio


class AuthTicket:
    """One connection's place in the gate; `leave()` is idempotent."""

    __slots__ = ("_address", "_gate")

    def __init__(self, gate: AuthGate, address: str | None) -> None:
        self._gate: AuthGate | None = gate
        self._address = address

    def leave(self) -> None:
        if self._gate is not None:
            self._gate._leave(self._address)
            self._gate = None


class AuthGate:
    """Counts connections waiting to authorize; 0 as a limit means no limit."""

    def __init__(self, max_waiting: int, max_waiting_per_address: int) -> None:
        self.max_waiting = max_waiting
        self.max_waiting_per_address = max_waiting_per_address
        self.waiting = 0
        self.refused = 0
        self._by_address: Counter[str] = Counter()

    def enter(self, address: str | None) -> AuthTicket | None:
        """A ticket for a new connection from `address` (None: unknown, counted only in all),
        or None when the connection must be refused."""
        if self.max_waiting and self.waiting >= self.max_waiting:
            self.refused += 1
            return None
        if (
            address is not None
            and self.max_waiting_per_address
            and self._by_address[address] >= self.max_waiting_per_address
        ):
            self.refused += 1
            return None
        self.waiting += 1
        if address is not None:
            self._by_address[address] += 1
        return AuthTicket(self, address)

    def waiting_from(self, address: str) -> int:
        return self._by_address[address]

    def _leave(self, address: str | None) -> None:
        self.waiting -= 1
        if address is not None:
            self._by_address[address] -= 1
            if not self._by_address[address]:
                del self._by_address[address]


def remote_address(stream: trio.abc.Stream) -> str | None:
    """The IP address of the other end of a TCP connection, also under TLS (`transport`);
    None when there is no socket to ask."""
    seen = 0
    while stream is not None and seen < 8:
        sock = getattr(stream, "socket", None)
        if sock is not None:
            try:
                name = sock.getpeername()
            except OSError:
                return None
            if sock.family in (socket.AF_INET, socket.AF_INET6):
                return str(name[0])
            return None
        stream = getattr(stream, "transport", None)
        seen += 1
    return None
