"""The queue of requests waiting for a free worker slot (cocoon.roles.proxy.slots): served in
arrival order, bounded in length and in time, and a free slot never left unused while
others wait (whoever leaves wakes the next)."""

from __future__ import annotations

import pytest
import trio
import trio.testing

from cocoon.roles.proxy.slots import QueueFull, SlotQueue


async def _wait_one(
    queue: SlotQueue, name: str, order: list[str], deadline: float, stay: trio.Event
) -> None:
    """Wait; note being woken (or timing out); keep the place until `stay` is set."""
    with queue.enter("m") as waiter:
        order.append(name if await waiter.wait(deadline) else f"{name} timed out")
        await stay.wait()


async def _take_a_slot(queue: SlotQueue, name: str, free: list[int], served: list[str]) -> None:
    """What a request does: on each wake-up take a free slot if there is one (and leave),
    else wait again at the same place."""
    with queue.enter("m") as waiter:
        while await waiter.wait(trio.current_time() + 100):
            if free[0] > 0:
                free[0] -= 1
                served.append(name)
                return


async def test_each_freed_slot_goes_to_the_oldest_waiter(autojump_clock):
    queue, free, served = SlotQueue(limit=10), [0], []
    async with trio.open_nursery() as nursery:
        for name in "abc":
            nursery.start_soon(_take_a_slot, queue, name, free, served)
            await trio.testing.wait_all_tasks_blocked()
        assert queue.waiting("m") == 3
        for expected in (["a"], ["a", "b"], ["a", "b", "c"]):
            free[0] += 1
            queue.wake("m")
            await trio.testing.wait_all_tasks_blocked()
            assert served == expected
    assert queue.waiting("m") == 0


async def test_two_free_slots_serve_two_waiters_from_one_wake_up(autojump_clock):
    """The served one wakes the next as it leaves: a second free slot is used at once."""
    queue, free, served = SlotQueue(limit=10), [0], []
    async with trio.open_nursery() as nursery:
        for name in "abc":
            nursery.start_soon(_take_a_slot, queue, name, free, served)
            await trio.testing.wait_all_tasks_blocked()
        free[0] = 2
        queue.wake("m")
        await trio.testing.wait_all_tasks_blocked()
        assert served == ["a", "b"] and queue.waiting("m") == 1
        nursery.cancel_scope.cancel()


async def test_a_waiter_is_bounded_in_time(autojump_clock):
    queue, order, stay = SlotQueue(limit=10), [], trio.Event()
    stay.set()
    start = trio.current_time()
    await _wait_one(queue, "a", order, start + 5, stay)
    assert order == ["a timed out"] and trio.current_time() - start == pytest.approx(5)


async def test_the_queue_is_bounded_per_model():
    queue = SlotQueue(limit=2)
    with queue.enter("m"), queue.enter("m"):
        with pytest.raises(QueueFull):
            with queue.enter("m"):
                pass
        with queue.enter("other"):
            pass
    assert queue.waiting("m") == 0


@pytest.mark.parametrize("woken_first", [True, False])
async def test_a_waiter_that_leaves_wakes_the_next(autojump_clock, woken_first):
    """Served, timed out or gone, with or without an unused wake-up: the next one looks."""
    queue, order, stay = SlotQueue(limit=10), [], trio.Event()
    async with trio.open_nursery() as nursery:
        with trio.CancelScope() as first:
            with queue.enter("m"):
                nursery.start_soon(_wait_one, queue, "b", order, trio.current_time() + 100, stay)
                await trio.testing.wait_all_tasks_blocked()
                if woken_first:
                    queue.wake("m")  # goes to the first waiter, which leaves unserved
                first.cancel()
                await trio.lowlevel.checkpoint()
        await trio.testing.wait_all_tasks_blocked()
        assert order == ["b"]
        stay.set()


async def test_wake_all_reaches_every_waiter(autojump_clock):
    queue, order, stay = SlotQueue(limit=10), [], trio.Event()
    async with trio.open_nursery() as nursery:
        for name in "abc":
            nursery.start_soon(_wait_one, queue, name, order, trio.current_time() + 100, stay)
        await trio.testing.wait_all_tasks_blocked()
        queue.wake_all("m")
        await trio.testing.wait_all_tasks_blocked()
        assert sorted(order) == ["a", "b", "c"]
        stay.set()
