"""Running a long-lived command (a role, the chain service, a seal server, a router, a fake
inference server) until it is told to stop.

SIGTERM (what systemd, docker and supervisors send) and SIGINT (Ctrl-C) cancel the command's
nursery like the end of a `with` block: its cleanup runs (the proxy writes its last records,
connections are closed, the ledger service saves its chain). After SIGTERM the command exits
with status 0; after SIGINT `KeyboardInterrupt` is raised once the cleanup is done, which
`cocoon.cli` turns into status 130. Both are handled explicitly, whatever the process
inherited: a service started in the background by a shell (which starts it with SIGINT
ignored) still stops on SIGINT. A second signal meets the inherited disposition again (by
default: Ctrl-C interrupts the cleanup, SIGTERM ends the process).
"""

from __future__ import annotations

import functools
import logging
import signal
from collections.abc import Awaitable, Callable
from typing import TypeVar

import trio

from cocoon.net.memory import return_large_blocks_on_free, trim_periodically

log = logging.getLogger("cocoon")
T = TypeVar("T")

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


async def _stop_on_signal(scope: trio.CancelScope, received: list[int]) -> None:
    # Leaving the `with` puts the inherited handlers back, for a second signal.
    with trio.open_signal_receiver(*STOP_SIGNALS) as signals:
        async for signum in signals:
            log.info("%s: stopping", signal.Signals(signum).name)
            received.append(signum)
            scope.cancel()
            return


async def until_stopped(
    fn: Callable[[], Awaitable[T]], received: list[int] | None = None, *, trim_heap: bool = False
) -> T | None:
    """Run `fn()` until it returns (its result) or SIGINT or SIGTERM arrives (None; the
    signal is appended to `received`). With `trim_heap`, free heap memory goes back to the
    system every 10 seconds meanwhile (what a burst of requests left, see `net.memory`)."""
    received = [] if received is None else received
    result: T | None = None
    async with trio.open_nursery() as nursery:
        nursery.start_soon(_stop_on_signal, nursery.cancel_scope, received)
        if trim_heap:
            nursery.start_soon(trim_periodically)
        result = await fn()
        nursery.cancel_scope.cancel()
    return result


def run_service(fn: Callable[[], Awaitable[T]]) -> T | None:
    """`trio.run(fn)`, stopped cleanly by SIGTERM (then None) or SIGINT (then
    `KeyboardInterrupt`, once the cleanup is done)."""
    # A service's large buffers (a 16 MiB frame, a long answer) go back to the system when
    # freed, instead of staying in the process for good.
    return_large_blocks_on_free()
    received: list[int] = []
    result = trio.run(functools.partial(until_stopped, fn, received, trim_heap=True))
    if signal.SIGINT in received:
        raise KeyboardInterrupt
    return result
