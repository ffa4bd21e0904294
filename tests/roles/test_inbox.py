"""A request's inbox: the checkpoints and the order of an unbounded memory channel."""

from __future__ import annotations

import pytest
import trio
import trio.testing

from cocoon.roles.common.inbox import Inbox


async def test_items_come_out_in_order_and_a_waiting_reader_is_woken():
    box: Inbox[int] = Inbox()
    box.put(1)
    box.put(2)
    assert len(box) == 2
    assert await box.get() == 1
    assert await box.get() == 2
    got: list[int] = []

    async def reader() -> None:
        got.append(await box.get())

    async with trio.open_nursery() as nursery:
        nursery.start_soon(reader)
        await trio.testing.wait_all_tasks_blocked()
        assert got == []
        box.put(3)
        box.put(4)  # a second item while the reader has not run yet stays queued
    assert got == [3] and len(box) == 1


async def test_get_is_a_checkpoint_even_with_an_item_waiting():
    box: Inbox[int] = Inbox()
    box.put(1)
    with trio.CancelScope() as scope:
        scope.cancel()
        await box.get()  # cancelled before taking anything
    assert len(box) == 1
    with trio.testing.assert_checkpoints():
        assert await box.get() == 1


async def test_a_cancelled_wait_leaves_the_inbox_usable():
    box: Inbox[str] = Inbox()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(box.get)
        await trio.testing.wait_all_tasks_blocked()
        nursery.cancel_scope.cancel()
    box.put("later")
    assert await box.get() == "later"


async def test_one_reader_only():
    box: Inbox[int] = Inbox()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(box.get)
        await trio.testing.wait_all_tasks_blocked()
        with pytest.raises(trio.BusyResourceError):
            await box.get()
        box.put(1)
