"""What a peer that has not authorized can make a session hold or log (hardening item 7):
frames capped until `Session.authorize()`, no memory kept after a large frame, a malformed
message ends the session, and repeated lines are written a few times only."""

from __future__ import annotations

import logging
import struct

import pytest
import trio
import trio.testing

from cocoon import tl
from cocoon.net import Role, SessionConfig, serve_session
from cocoon.net.framing import (
    MAX_PAYLOAD,
    PREAUTH_MAX_PAYLOAD,
    FrameDecoder,
    FrameEncoder,
    encode_frame,
)
from cocoon.net.loglimit import RateLimitedLog

MiB = 1 << 20


class Peer:
    """The other end, frame by frame."""

    def __init__(self, stream: trio.abc.Stream) -> None:
        self.stream = stream
        self.encoder = FrameEncoder()
        self.decoder = FrameDecoder()

    async def send_raw(self, payload: bytes) -> None:
        await self.stream.send_all(self.encoder.encode(payload))

    async def send(self, obj: tl.TLObject) -> None:
        await self.send_raw(tl.encode(obj))

    async def receive(self) -> tl.TLObject | None:
        while (payload := self.decoder.next_frame()) is None:
            try:
                data = await self.stream.receive_some()
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                return None
            if not data:
                return None
            self.decoder.feed(data)
        return tl.decode(payload, "tcp.Packet")

    async def connect(self) -> None:
        await self.send(tl.TcpConnect(id=1))
        assert isinstance(await self.receive(), tl.TcpConnected)


class Handler:
    def __init__(self) -> None:
        self.packets: list[tl.TLObject] = []
        self.session = None

    async def on_query(self, session, query):
        if isinstance(query, tl.TestQuery):  # stands for the last step of a handshake
            session.authorize()
            return tl.TestAnswer(id=query.id)
        raise AssertionError(query)

    async def on_packet(self, session, packet):
        self.packets.append(packet)


async def _serve(stream, handler, results, **kwargs):
    results.append(
        await serve_session(
            stream,
            role=Role.ACCEPTOR,
            handler=handler,
            config=SessionConfig.for_acceptor_of_strangers(),
            **kwargs,
        )
    )


def big_packet(size: int) -> tl.TLObject:
    return tl.TcpPacket(data=tl.encode(tl.WorkerNewCoefficient(new_coefficient=1)) + bytes(size))


async def test_a_large_frame_before_authorization_closes_the_session():
    a, b = trio.testing.memory_stream_pair()
    peer, results = Peer(a), []
    async with trio.open_nursery() as nursery:
        nursery.start_soon(_serve, b, Handler(), results)
        await peer.connect()
        # Only the header of a 1 MiB frame: refused on its announced length, nothing buffered.
        await peer.stream.send_all(struct.pack("<Ii", MiB, 1))
        assert await peer.receive() is None
    assert "frame length 1048576 outside 4..65536" in results[0].close_reason


async def test_after_authorize_frames_up_to_16_mib_are_taken():
    a, b = trio.testing.memory_stream_pair()
    peer, results, handler, authorized = Peer(a), [], Handler(), []
    async with trio.open_nursery() as nursery:
        nursery.start_soon(
            lambda: _serve(b, handler, results, on_authorized=lambda: authorized.append(1))
        )
        await peer.connect()
        await peer.send(tl.TcpQuery(id=7, data=tl.encode(tl.TestQuery(id=0))))
        assert isinstance(await peer.receive(), tl.TcpQueryAnswer)
        assert authorized == [1]
        # The last 8 bytes are trailing data for WorkerNewCoefficient: the packet arrives whole
        # and only then fails to decode, which closes the session (see below).
        await peer.send(big_packet(MiB))
        assert await peer.receive() is None
    assert "frame length" not in results[0].close_reason
    assert "trailing bytes" in results[0].close_reason


async def test_a_malformed_message_closes_the_session_at_the_first():
    """20,000 such packets used to write 20,000 WARNING lines and keep the session."""
    a, b = trio.testing.memory_stream_pair()
    peer, results, handler = Peer(a), [], Handler()
    good = tl.encode(tl.WorkerNewCoefficient(new_coefficient=3))
    async with trio.open_nursery() as nursery:
        nursery.start_soon(_serve, b, handler, results)
        await peer.connect()
        await peer.send(tl.TcpPacket(data=good[:6]))  # a known kind, cut short
        await peer.send(tl.TcpPacket(data=good))
        assert await peer.receive() is None
    assert handler.packets == []
    assert "protocol violation" in results[0].close_reason
    assert "not enough data" in results[0].close_reason


async def test_messages_of_unknown_kind_are_dropped_with_a_few_lines(caplog):
    """The reference drops them (spec 10 section 9.2); a stream of them writes a few lines."""
    caplog.set_level(logging.INFO, "cocoon.net.session")
    a, b = trio.testing.memory_stream_pair()
    peer, results, handler = Peer(a), [], Handler()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(_serve, b, handler, results)
        await peer.connect()
        for i in range(200):
            await peer.send(tl.TcpPacket(data=b"\x01\x02\x03\x04" + i.to_bytes(4, "little")))
        await peer.send(tl.TcpPacket(data=tl.encode(tl.WorkerNewCoefficient(new_coefficient=3))))
        await peer.send(tl.TcpPing(id=5))
        assert await peer.receive() == tl.TcpPong(id=5)
        await peer.stream.aclose()
    assert handler.packets == [tl.WorkerNewCoefficient(new_coefficient=3)]
    assert len(caplog.records) <= 6  # at most 5 lines and one saying more were left out


def test_a_partial_frame_holds_what_arrived_not_what_it_announces():
    decoder = FrameDecoder()
    decoder.feed(struct.pack("<Ii", MAX_PAYLOAD, 0) + bytes(1000))
    assert decoder.next_frame() is None
    assert decoder.buffered == 1008
    assert decoder.allocated < 64 * 1024


def test_a_large_frame_taken_out_leaves_no_large_buffer():
    """The buffer that grew for a 4 MiB frame used to stay until the next bytes arrived
    (an idle connection kept it for good), and a compaction kept its allocation too."""
    decoder = FrameDecoder()
    frame = encode_frame(0, bytes(4 * MiB))
    chunk = 65536
    for i in range(0, len(frame), chunk):
        decoder.feed(frame[i : i + chunk])
    assert len(decoder.next_frame()) == 4 * MiB
    assert decoder.allocated < 64 * 1024
    # Also when the next frame's first bytes came in the same chunk.
    decoder = FrameDecoder()
    decoder.feed(frame + encode_frame(1, b"abcd")[:5])
    assert len(decoder.next_frame()) == 4 * MiB
    assert decoder.allocated < 64 * 1024
    decoder.feed(encode_frame(1, b"abcd")[5:])
    assert decoder.next_frame() == b"abcd"


def test_the_preauth_limit_fits_every_handshake_message():
    # The largest message before authorization in the captures is ~200 bytes.
    assert PREAUTH_MAX_PAYLOAD >= 16 * 1024


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_rate_limited_log_writes_a_few_lines_per_key_and_counts_the_rest(caplog):
    caplog.set_level(logging.INFO, "test.limited")
    clock = FakeClock()
    limited = RateLimitedLog(logging.getLogger("test.limited"), burst=3, interval=60, clock=clock)
    written = [limited.warning("bad frame", "bad frame %d", i) for i in range(100)]
    assert written == [True] * 3 + [False] * 97
    assert limited.warning("other", "another kind")  # keys are counted apart
    messages = [r.getMessage() for r in caplog.records]
    assert messages == [
        "bad frame 0",
        "bad frame 1",
        "bad frame 2",
        "(more lines like the last are not written for 60 s)",
        "another kind",
    ]
    caplog.clear()
    clock.now = 61
    assert limited.warning("bad frame", "bad frame %d", 100)
    assert [r.getMessage() for r in caplog.records] == [
        "(97 more lines like the next were not written in 61 s)",
        "bad frame 100",
    ]
    assert all(r.levelno == logging.WARNING for r in caplog.records)


def test_rate_limited_log_keeps_a_bounded_number_of_keys():
    limited = RateLimitedLog(logging.getLogger("test.limited"), max_keys=10)
    for i in range(1000):
        limited.warning(i, "line")
    assert len(limited._windows) == 10


@pytest.mark.parametrize("size", [PREAUTH_MAX_PAYLOAD])
def test_a_frame_at_the_preauth_limit_is_taken(size):
    decoder = FrameDecoder(PREAUTH_MAX_PAYLOAD)
    decoder.feed(encode_frame(0, bytes(size)))
    assert len(decoder.next_frame()) == size
