"""The queue of requests waiting for a free worker slot (cocoon.roles.proxy.slots): served in
arrival order, bounded in length and in time, a wake-up never lost."""

from __future__ import annotations

import pytest
import trio
import trio.lowlevel
import trio.testing

from cocoon.roles.proxy.slots import QueueFull, SlotQueue


async def _wait_one(queue: SlotQueue, name: str, order: list[str], deadline: float) -> None:
    with queue.enter("m") as waiter:
        if await waiter.wait(deadline):
            order.append(name)
        else:
            order.append(f"{name} timed out")


async def test_freed_slots_go_to_the_oldest_waiter(autojump_clock):
    queue, order = SlotQueue(limit=10), []
    async with trio.open_nursery() as nursery:
        for name in "abc":
            nursery.start_soon(_wait_one, queue, name, order, trio.current_time() + 100)
            await trio.testing.wait_all_tasks_blocked()
        assert queue.waiting("m") == 3
        for _ in range(3):
            queue.wake("m")
            await trio.testing.wait_all_tasks_blocked()
    assert order == ["a", "b", "c"]
    assert queue.waiting("m") == 0


async def test_a_wake_up_goes_to_one_waiter_only(autojump_clock):
    queue, order = SlotQueue(limit=10), []
    async with trio.open_nursery() as nursery:
        for name in "ab":
            nursery.start_soon(_wait_one, queue, name, order, trio.current_time() + 5)
            await trio.testing.wait_all_tasks_blocked()
        queue.wake("m")
        queue.wake("m", 0)
        await trio.testing.wait_all_tasks_blocked()
        assert order == ["a"]
    assert order == ["a", "b timed out"]  # bounded in time; autojump: no real wait


async def test_the_queue_is_bounded():
    queue = SlotQueue(limit=2)
    with queue.enter("m"), queue.enter("m"):
        with pytest.raises(QueueFull):
            with queue.enter("m"):
                pass
        with queue.enter("other"):  # per model
            pass
    assert queue.waiting("m") == 0


async def test_a_waiter_leaving_with_an_unused_wake_up_passes_it_on(autojump_clock):
    queue, order = SlotQueue(limit=10), []
    async with trio.open_nursery() as nursery:
        with trio.CancelScope() as first:
            with queue.enter("m"):
                nursery.start_soon(_wait_one, queue, "b", order, trio.current_time() + 100)
                await trio.testing.wait_all_tasks_blocked()
                queue.wake("m")  # goes to the first waiter, which leaves without using it
                first.cancel()
                await trio.lowlevel.checkpoint()
        await trio.testing.wait_all_tasks_blocked()
    assert order == ["b"]


async def test_wake_all_reaches_every_waiter(autojump_clock):
    queue, order = SlotQueue(limit=10), []
    async with trio.open_nursery() as nursery:
        for name in "abc":
            nursery.start_soon(_wait_one, queue, name, order, trio.current_time() + 100)
        await trio.testing.wait_all_tasks_blocked()
        queue.wake_all("m")
    assert sorted(order) == ["a", "b", "c"]
