"""Requests waiting for a free worker slot, per model, in the order they came.

A request that finds every worker of its model busy (each at its capacity) waits here instead
of being refused at once: the reference's worker takes 60 requests, and a burst above that
would otherwise see `503 no ready workers` although a slot frees within milliseconds. The
wait is bounded twice: at most `limit` requests wait per model (the next one is refused at
once) and each waits at most its own deadline.

A waiter keeps its place until it leaves (served, timed out or cancelled): a freed slot wakes
the oldest waiter not yet woken, and a woken waiter that still finds no slot (a retry of an
older request took it) waits again at the same place. A newcomer queues behind any waiter
instead of taking the slot a woken waiter is about to take. Each waiter that leaves wakes the
next, so that a free slot is never left unused while others wait.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

import trio


class QueueFull(Exception):
    """`limit` requests already wait for this model."""


class Waiter:
    """One request's place in its model's queue."""

    def __init__(self) -> None:
        self._woken = trio.Event()

    @property
    def woken(self) -> bool:
        return self._woken.is_set()

    async def wait(self, deadline: float) -> bool:
        """Until a slot may be free (True) or `deadline` (trio time) passes (False). The
        caller then tries to take a slot and, if none is free after all, waits again."""
        with trio.move_on_at(deadline):
            await self._woken.wait()
        if not self._woken.is_set():
            return False
        self._woken = trio.Event()  # consumed: the next wait needs a new wake-up
        return True

    def wake(self) -> None:
        self._woken.set()


class SlotQueue:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._queues: dict[str, deque[Waiter]] = {}

    def waiting(self, model: str) -> int:
        queue = self._queues.get(model)
        return len(queue) if queue else 0

    @contextmanager
    def enter(self, model: str) -> Iterator[Waiter]:
        """A place at the end of `model`'s queue for the block. Raises `QueueFull`."""
        queue = self._queues.setdefault(model, deque())
        if len(queue) >= self.limit:
            raise QueueFull(f"{len(queue)} requests already wait")
        waiter = Waiter()
        queue.append(waiter)
        try:
            yield waiter
        finally:
            queue.remove(waiter)
            if not queue:
                del self._queues[model]
            # Whoever leaves (served, refused, gone, with a wake-up unused) lets the next one
            # look: another slot may be free, and no free slot is left while others wait.
            self.wake(model)

    def wake(self, model: str, n: int = 1) -> None:
        """A slot (or `n`) of `model` may have freed: wake the oldest `n` waiters not yet
        woken."""
        for waiter in self._queues.get(model, ()):
            if n <= 0:
                return
            if not waiter.woken:
                waiter.wake()
                n -= 1

    def wake_all(self, model: str) -> None:
        """The model's workers changed (one left): every waiter looks again."""
        self.wake(model, self.waiting(model))
