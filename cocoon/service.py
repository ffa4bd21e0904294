"""Running a long-lived command (a role, the chain service, a seal server, a router, a fake
inference server) until it is told to stop.

SIGTERM, what systemd, docker and supervisors send, cancels the command's nursery like the
end of a `with` block: its cleanup runs (the proxy writes its last records, connections are
closed, the ledger service saves its chain) and the command exits with status 0. Ctrl-C
(SIGINT) keeps trio's behaviour: `KeyboardInterrupt`, which `cocoon.cli` turns into status 130.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Awaitable, Callable
from typing import TypeVar

import trio

log = logging.getLogger("cocoon")
T = TypeVar("T")


async def _stop_on_sigterm(scope: trio.CancelScope) -> None:
    with trio.open_signal_receiver(signal.SIGTERM) as signals:
        async for _ in signals:
            log.info("SIGTERM: stopping")
            scope.cancel()
            return


async def until_stopped(fn: Callable[[], Awaitable[T]]) -> T | None:
    """Run `fn()` until it returns (its result) or SIGTERM arrives (None)."""
    result: T | None = None
    async with trio.open_nursery() as nursery:
        nursery.start_soon(_stop_on_sigterm, nursery.cancel_scope)
        result = await fn()
        nursery.cancel_scope.cancel()
    return result


def run_service(fn: Callable[[], Awaitable[T]]) -> T | None:
    """`trio.run(fn)`, stopped cleanly by SIGTERM (then None)."""
    return trio.run(until_stopped, fn)
