"""A request's inbox: answers pushed by the connection's reader, taken by the one task that
serves the request.

It does what an unbounded trio memory channel did there (the same checkpoints, so the same
cancellation points), without what one request never uses: a channel is two objects and a
shared state with statistics and parking lots (about 4 us to open, on every request in the
client and the proxy), and each send goes through them.
"""

from __future__ import annotations

from collections import deque
from typing import Generic, TypeVar

import trio

T = TypeVar("T")


class Inbox(Generic[T]):
    """Unbounded, one reader. `put` never blocks; `get` waits for the oldest item."""

    __slots__ = ("_items", "_reader")

    def __init__(self) -> None:
        self._items: deque[T] = deque()
        self._reader: trio.lowlevel.Task | None = None

    def __len__(self) -> int:
        """Items waiting to be taken."""
        return len(self._items)

    def put(self, item: T) -> None:
        self._items.append(item)
        reader = self._reader
        if reader is not None:
            self._reader = None
            trio.lowlevel.reschedule(reader)

    async def get(self) -> T:
        # As `MemoryReceiveChannel.receive`: a cancellation point whether or not an item is
        # waiting, and a checkpoint either way.
        await trio.lowlevel.checkpoint_if_cancelled()
        if self._items:
            item = self._items.popleft()
            await trio.lowlevel.cancel_shielded_checkpoint()
            return item
        if self._reader is not None:
            raise trio.BusyResourceError("another task is already waiting on this inbox")
        self._reader = trio.lowlevel.current_task()

        def abort(_: object) -> trio.lowlevel.Abort:
            self._reader = None
            return trio.lowlevel.Abort.SUCCEEDED

        await trio.lowlevel.wait_task_rescheduled(abort)
        return self._items.popleft()
