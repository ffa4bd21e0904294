"""`SocketStream.send_nowait`: what the socket does not take waits, and goes first."""

from __future__ import annotations

import socket

import pytest
import trio
import trio.testing

from cocoon.net.tcp import SocketStream


def small_pair() -> tuple[SocketStream, SocketStream]:
    a, b = socket.socketpair()
    for sock in (a, b):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    return SocketStream(a), SocketStream(b)


async def read_to_eof(stream: SocketStream) -> bytes:
    data = bytearray()
    while chunk := await stream.receive_some():
        data += chunk
    return bytes(data)


async def test_a_rest_goes_before_the_next_send_and_nothing_is_taken_meanwhile() -> None:
    ours, theirs = small_pair()
    big, small = bytes(range(256)) * 400, b"after"
    assert ours.send_nowait(b"first")
    assert not ours.send_pending
    assert ours.send_nowait(bytearray(big))  # a buffer the caller may reuse: copied
    assert ours.send_pending
    assert not ours.send_nowait(b"refused")  # nothing taken while the rest waits
    async with trio.open_nursery() as nursery:
        got = []

        async def reader() -> None:
            got.append(await read_to_eof(theirs))

        nursery.start_soon(reader)
        await ours.send_all(small)
        assert not ours.send_pending
        await ours.send_eof()
    assert got == [b"first" + big + small]
    ours.close()
    theirs.close()


async def test_a_cancelled_send_all_keeps_the_rest_pending(autojump_clock) -> None:
    ours, theirs = small_pair()
    big = bytes(range(256)) * 400
    assert ours.send_nowait(big)
    with trio.move_on_after(1):  # nobody reads: it waits for the socket, then is cancelled
        await ours.send_all(b"next")
    assert ours.send_pending  # what is left of `big` is kept, not lost
    async with trio.open_nursery() as nursery:
        got = []

        async def reader() -> None:
            got.append(await read_to_eof(theirs))

        nursery.start_soon(reader)
        await ours.send_eof()  # sends the rest first
    # "next" never started (cancelled before its first byte); `big` arrived whole.
    assert got == [big]
    ours.close()
    theirs.close()


async def test_send_nowait_on_a_closed_stream_raises() -> None:
    ours, theirs = small_pair()
    ours.close()
    with pytest.raises(trio.ClosedResourceError):
        ours.send_nowait(b"x")
    theirs.close()
