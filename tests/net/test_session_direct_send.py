"""A session's sender frames and sends its message itself while the writer is idle (over
`cocoon.net.tcp.SocketStream`); what the socket does not take is finished by the writer.

The other end is a raw socket read only when the test says so, with small buffers, so that
a message of 100 kB is taken only in part. Every test checks the exact bytes on the wire.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import trio
import trio.testing

from cocoon import tl
from cocoon.net import Role, Session, SessionConfig, open_session
from cocoon.net.framing import HEADER_SIZE, FrameDecoder, FrameEncoder, encode_frame
from cocoon.net.session import WRITE_SLICE
from cocoon.net.tcp import SocketStream

CONNECT_FRAME = HEADER_SIZE + len(tl.encode(tl.TcpConnect(id=0)))


def message(i: int, size: int) -> bytes:
    return i.to_bytes(4, "little") * (size // 4)


def frames(messages: list[bytes], first_seqno: int = 1) -> bytes:
    """The bytes a session sends for `messages` as one-way packets, after tcp.connect."""
    return b"".join(
        encode_frame(seqno, tl.encode(tl.TcpPacket(data=data)))
        for seqno, data in enumerate(messages, start=first_seqno)
    )


def small_socket_pair() -> tuple[SocketStream, SocketStream]:
    a, b = socket.socketpair()
    for sock in (a, b):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    return SocketStream(a), SocketStream(b)


class RawPeer:
    def __init__(self, stream: SocketStream) -> None:
        self.stream = stream

    async def accept(self) -> None:
        """Take tcp.connect, answer tcp.connected."""
        decoder = FrameDecoder()
        while (payload := decoder.next_frame()) is None:
            decoder.feed(await self.stream.receive_some(CONNECT_FRAME - decoder.buffered))
        connect = tl.decode(payload, "tcp.Packet")
        await self.stream.send_all(FrameEncoder().encode(tl.encode(tl.TcpConnected(id=connect.id))))

    async def read(self, n: int) -> bytes:
        data = bytearray()
        while len(data) < n:
            chunk = await self.stream.receive_some(n - len(data))
            assert chunk, f"EOF after {len(data)} of {n} bytes"
            data += chunk
        return bytes(data)

    async def read_to_eof(self) -> bytes:
        data = bytearray()
        while chunk := await self.stream.receive_some():
            data += chunk
        return bytes(data)


@asynccontextmanager
async def session_and_peer(**config: object) -> AsyncIterator[tuple[Session, RawPeer]]:
    async with raw_pair() as (ours, peer), session_over(ours, peer, **config) as session:
        yield session, peer


@asynccontextmanager
async def raw_pair() -> AsyncIterator[tuple[SocketStream, RawPeer]]:
    ours, theirs = small_socket_pair()
    try:
        yield ours, RawPeer(theirs)
    finally:
        ours.close()
        theirs.close()


@asynccontextmanager
async def session_over(
    ours: SocketStream, peer: RawPeer, **config: object
) -> AsyncIterator[Session]:
    async with trio.open_nursery() as nursery:
        nursery.start_soon(peer.accept)
        # Direct whenever the writer is idle, unless a test says otherwise.
        config = {"direct_send_gap": 0.0, "batching_hold": 0.0, **config}
        cfg = SessionConfig.for_role(Role.DIALER, ping_after=None, **config)
        async with open_session(ours, role=Role.DIALER, config=cfg) as session:
            await trio.testing.wait_all_tasks_blocked()  # the writer is idle now
            yield session


def sent_directly(session: Session, before: int) -> bool:
    # A direct send counts its frame at once; a queued one only once the writer has run,
    # and nothing here gave it a chance to.
    return session.stats.frames_out == before + 1


async def test_direct_and_queued_sends_keep_order_and_bytes() -> None:
    sizes = [16, 100_000, 16, WRITE_SLICE + 50_000, 40, 60_000, 16]
    messages = [message(i, size) for i, size in enumerate(sizes)]
    async with session_and_peer() as (session, peer):
        before = session.stats.frames_out
        await session.send_packet_raw(messages[0])
        assert sent_directly(session, before)
        await session.send_packet_raw(messages[1])  # direct, and the socket takes only part
        assert sent_directly(session, before + 1)
        assert session.stream.send_pending
        for data in messages[2:]:  # behind the rest of it, through the writer
            frames_out = session.stats.frames_out
            await session.send_packet_raw(data)
            assert session.stats.frames_out == frames_out
        expected = frames(messages)
        assert await peer.read(len(expected)) == expected
        await trio.testing.wait_all_tasks_blocked()
        assert not session.stream.send_pending
        # The writer is idle again: the next message goes directly.
        before = session.stats.frames_out
        last = message(99, 16)
        await session.send_packet_raw(last)
        assert sent_directly(session, before)
        assert await peer.read(len(frames([last]))) == frames([last], len(messages) + 1)
        assert session.stats.frames_out == 2 + len(messages)
        assert session.stats.packets_sent == 1 + len(messages)
        assert session.stats.bytes_out == CONNECT_FRAME + len(expected) + len(frames([last]))


async def test_after_a_write_of_several_frames_messages_go_through_the_writer() -> None:
    messages = [message(i, 16) for i in range(6)]
    async with session_and_peer(batching_hold=3600.0) as (session, peer):
        await session.send_packet_raw(messages[0])  # direct
        # Queue two behind a rest the socket did not take: the writer writes them together.
        await session.send_packet_raw(message(7, 100_000))
        assert session.stream.send_pending
        await session.send_packet_raw(messages[1])
        await session.send_packet_raw(messages[2])
        sent = [messages[0], message(7, 100_000), messages[1], messages[2]]
        assert await peer.read(len(frames(sent))) == frames(sent)
        await trio.testing.wait_all_tasks_blocked()
        # From now on (for batching_hold) messages go through the writer, one at a time too.
        for data in messages[3:]:
            before = session.stats.frames_out
            await session.send_packet_raw(data)
            assert not sent_directly(session, before)
            await trio.testing.wait_all_tasks_blocked()
            assert session.stats.frames_out == before + 1
        assert await peer.read(len(frames(messages[3:]))) == frames(messages[3:], len(sent) + 1)


async def test_a_burst_goes_through_the_writer_in_one_write() -> None:
    messages = [message(i, 16) for i in range(5)]
    async with session_and_peer(direct_send_gap=3600.0) as (session, peer):
        writes = []
        send_all = session.stream.send_all

        async def counting_send_all(data: bytes) -> None:
            writes.append(bytes(data))
            await send_all(data)

        session.stream.send_all = counting_send_all
        before = session.stats.frames_out
        await session.send_packet_raw(messages[0])
        # Direct unless tcp.connect went directly (it may, when the writer started first).
        direct = 1 if sent_directly(session, before) else 0
        for data in messages[1:]:  # within the gap: queued, and written together
            await session.send_packet_raw(data)
        assert session.stats.frames_out == before + direct
        assert await peer.read(len(frames(messages))) == frames(messages)
        assert writes == [frames(messages[direct:], first_seqno=1 + direct)]


async def test_concurrent_senders_keep_the_order_they_called_in() -> None:
    messages = [message(i, 16 if i % 3 else 30_000) for i in range(40)]
    called: list[bytes] = []

    async def send(data: bytes) -> None:
        called.append(data)  # no checkpoint from here to the message's place in line
        await session.send_packet_raw(data)

    async with session_and_peer() as (session, peer):
        async with trio.open_nursery() as nursery:
            for data in messages:
                nursery.start_soon(send, data)
            await trio.testing.wait_all_tasks_blocked()
            assert sorted(called) == sorted(messages)
            assert await peer.read(len(frames(called))) == frames(called)


async def test_cancelled_senders_leave_no_partial_frame() -> None:
    big, a, b, c = message(1, 100_000), message(2, 16), message(3, 16), message(4, 16)
    async with session_and_peer(outgoing_backlog=1) as (session, peer):
        with trio.CancelScope() as scope:
            scope.cancel()
            # Sent directly, no checkpoint: it goes out whole although its sender is
            # cancelled; the rest waits in the stream for the writer.
            await session.send_packet_raw(big)
            assert session.stream.send_pending
            await session.send_packet_raw(a)  # queued (the one place in the backlog)
            await session.send_packet_raw(b)  # the backlog is full: cancelled, not sent
        assert scope.cancelled_caught
        await session.send_packet_raw(c)  # waits for room, then goes
        assert await peer.read(len(frames([big, a, c]))) == frames([big, a, c])
        await trio.testing.wait_all_tasks_blocked()
        assert session.stats.packets_sent == 3


async def test_close_flushes_a_pending_rest_and_what_is_queued() -> None:
    big, small = message(1, 100_000), message(2, 16)
    received = b""
    start_reading = trio.Event()

    async def read_after_close(peer: RawPeer) -> None:
        nonlocal received
        await start_reading.wait()
        received = await peer.read_to_eof()

    async with trio.open_nursery() as nursery, session_and_peer() as (session, peer):
        nursery.start_soon(read_after_close, peer)
        await session.send_packet_raw(big)
        assert session.stream.send_pending
        await session.send_packet_raw(small)
        session.close()
        start_reading.set()
    assert received == frames([big, small])


async def test_close_gives_up_on_a_rest_the_peer_never_takes(autojump_clock) -> None:
    big = message(1, 100_000)
    async with raw_pair() as (ours, peer):
        async with session_over(ours, peer, flush_timeout=5.0) as session:
            await session.send_packet_raw(big)
            assert session.stream.send_pending
            closed_at = trio.current_time()
            session.close()
        # Gave up after flush_timeout and closed the socket: the peer sees the frame cut,
        # then the end of the connection (as when the writer gives up inside a write).
        assert trio.current_time() - closed_at >= 5.0
        received = await peer.read_to_eof()
    assert 0 < len(received) < len(frames([big]))
    assert frames([big]).startswith(received)
