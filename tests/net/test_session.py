"""TL sessions (spec 10 section 5) over memory streams and real TCP on 127.0.0.1."""

from __future__ import annotations

import gc
import math

import pytest
import trio
import trio.testing

from cocoon import tl
from cocoon.net import (
    QueryError,
    QueryTimeout,
    Role,
    Session,
    SessionClosed,
    SessionConfig,
    encode_preamble,
    open_session,
    serve_session,
)
from cocoon.net.framing import FrameDecoder, FrameEncodeError, FrameEncoder, encode_frame
from cocoon.net.preamble import AttestedPeerInfo
from cocoon.net.session import ERROR_PROTOVIOLATION, WRITE_SLICE


class Recorder:
    """A handler that answers a few queries and records one-way packets."""

    def __init__(self) -> None:
        self.packets: list[tl.TLObject] = []
        self.got_packet = trio.Event()

    async def on_query(self, session, query):
        if isinstance(query, tl.ClientGetWorkerTypesV2):
            return tl.ClientWorkerTypesV2(types=[tl.ClientWorkerTypeV2(name="m", workers=[])])
        if isinstance(query, tl.WorkerUpdatePaymentStatus):
            raise QueryError(602, "refused")
        if isinstance(query, tl.ClientUpdatePaymentStatus):
            raise QueryError(621, "go away", close=True)
        if isinstance(query, tl.TestQuery):
            await trio.sleep(query.id)
            return tl.TestAnswer(id=query.id)
        raise QueryError(0, "Lost promise")

    async def on_packet(self, session, packet):
        self.packets.append(packet)
        self.got_packet.set()


class RawPeer:
    """The other end of a stream, driven frame by frame, to send what a good session never would."""

    def __init__(self, stream: trio.abc.Stream) -> None:
        self.stream = stream
        self.encoder = FrameEncoder()
        self.decoder = FrameDecoder()

    async def send(self, obj: tl.TLObject) -> None:
        await self.stream.send_all(self.encoder.encode(tl.encode(obj)))

    async def receive(self) -> tl.TLObject:
        while (payload := self.decoder.next_frame()) is None:
            data = await self.stream.receive_some()
            if not data:
                raise EOFError
            self.decoder.feed(data)
        return tl.decode(payload, "tcp.Packet")

    async def receive_eof(self) -> bool:
        """True once the session closed its side (drains what comes before)."""
        try:
            while True:
                await self.receive()
        except (EOFError, trio.BrokenResourceError, trio.ClosedResourceError):
            return True

    async def accept(self) -> None:
        connect = await self.receive()
        assert isinstance(connect, tl.TcpConnect)
        await self.send(tl.TcpConnected(id=connect.id))

    async def connect(self) -> None:
        await self.send(tl.TcpConnect(id=42))
        assert isinstance(await self.receive(), tl.TcpConnected)


async def test_queries_and_packets_both_ways(stream_pair):
    async with stream_pair() as (a, b):
        dialer_handler, acceptor_handler = Recorder(), Recorder()
        async with trio.open_nursery() as nursery:
            acceptor_ready = trio.Event()
            results = {}

            async def acceptor():
                async with open_session(b, role=Role.ACCEPTOR, handler=acceptor_handler) as s:
                    acceptor_ready.set()
                    results["from_dialer"] = await s.query(tl.ClientGetWorkerTypesV2(), timeout=5)
                    await s.send_packet(tl.WorkerEnabledDisabled(disabled=1))
                    await s.wait_closed()

            nursery.start_soon(acceptor)
            async with open_session(a, role=Role.DIALER, handler=dialer_handler) as s:
                answer = await s.query(
                    tl.ClientGetWorkerTypesV2(), timeout=5, expect=tl.ClientWorkerTypesV2
                )
                assert answer.types[0].name == "m"
                for i in range(5):
                    await s.send_packet(tl.WorkerNewCoefficient(new_coefficient=i))
                with pytest.raises(QueryError) as e:
                    await s.query(tl.WorkerUpdatePaymentStatus(), timeout=5)
                assert (e.value.code, e.value.message) == (602, "refused")
                with pytest.raises(QueryError) as e:
                    await s.query(tl.ClientGetWorkerTypes(), timeout=5)
                assert e.value.code == 0
                await dialer_handler.got_packet.wait()
                assert s.stats.queries_sent == 3
        assert isinstance(results["from_dialer"], tl.ClientWorkerTypesV2)
        assert [p.new_coefficient for p in acceptor_handler.packets] == [0, 1, 2, 3, 4]
        assert dialer_handler.packets == [tl.WorkerEnabledDisabled(disabled=1)]


async def test_concurrent_queries_are_answered_independently(stream_pair):
    async with stream_pair() as (a, b), trio.open_nursery() as nursery:
        nursery.start_soon(_serve_until_closed, b)
        async with open_session(a, role=Role.DIALER) as s:
            answers = {}

            async def ask(delay):
                answers[delay] = await s.query(tl.TestQuery(id=delay), timeout=10)

            async with trio.open_nursery() as inner:
                for delay in (0, 1, 0, 2):
                    inner.start_soon(ask, delay)
            assert {k: v.id for k, v in answers.items()} == {0: 0, 1: 1, 2: 2}


async def _serve_until_closed(stream, **kwargs):
    async with open_session(stream, role=Role.ACCEPTOR, handler=Recorder(), **kwargs) as s:
        await s.wait_closed()


async def test_error_with_close_ends_the_session(stream_pair):
    async with stream_pair() as (a, b), trio.open_nursery() as nursery:
        nursery.start_soon(_serve_until_closed, b)
        async with open_session(a, role=Role.DIALER) as s:
            with pytest.raises(QueryError, match="go away"):
                await s.query(tl.ClientUpdatePaymentStatus(), timeout=5)
            with trio.fail_after(5):
                await s.wait_closed()
            with pytest.raises(SessionClosed):
                await s.query(tl.ClientGetWorkerTypesV2(), timeout=5)


async def test_query_timeout_and_late_answer_is_tolerated(autojump_clock):
    a, b = trio.testing.memory_stream_pair()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(_serve_until_closed, b)
        async with open_session(a, role=Role.DIALER) as s:
            with pytest.raises(QueryTimeout) as e:
                await s.query(tl.TestQuery(id=5), timeout=1)
            assert e.value.code == 652
            await trio.sleep(8)  # the late answer arrives: dropped, not a violation
            assert not s.closed
            assert (await s.query(tl.TestQuery(id=0), timeout=1)).id == 0


async def test_dialer_pings_after_silence_and_stays_alive(autojump_clock):
    a, b = trio.testing.memory_stream_pair()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(_serve_until_closed, b)
        async with open_session(a, role=Role.DIALER) as s:
            await trio.sleep(300)  # far beyond both idle limits: pings keep it up
            assert not s.closed
            assert s.stats.frames_out >= 300 // 10  # connect + one ping per 10 s
            s.close()


async def test_dialer_closes_a_silent_acceptor_after_20s(autojump_clock):
    a, b = trio.testing.memory_stream_pair()
    peer = RawPeer(b)
    async with trio.open_nursery() as nursery:

        async def silent_acceptor():
            await peer.accept()
            ping = await peer.receive()  # after 10 s of silence; never answered
            assert isinstance(ping, tl.TcpPing)
            pinged_at.append(trio.current_time())

        pinged_at: list[float] = []
        nursery.start_soon(silent_acceptor)
        async with open_session(a, role=Role.DIALER) as s:
            start = trio.current_time()
            await s.wait_closed()
            assert "idle timeout" in s.close_reason
            assert trio.current_time() - start == pytest.approx(20, abs=0.01)
            assert pinged_at[0] - start == pytest.approx(10, abs=0.01)


async def test_acceptor_never_pings_and_closes_after_60s(autojump_clock):
    a, b = trio.testing.memory_stream_pair()
    peer = RawPeer(a)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(peer.connect)
        async with open_session(b, role=Role.ACCEPTOR) as s:
            start = trio.current_time()
            await s.wait_closed()
            assert trio.current_time() - start == pytest.approx(60, abs=0.01)
            assert s.stats.frames_out == 1  # tcp.connected only: no pings


async def test_acceptor_answers_pings(autojump_clock):
    a, b = trio.testing.memory_stream_pair()
    peer = RawPeer(a)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(_serve_until_closed, b)
        await peer.connect()
        await peer.send(tl.TcpPing(id=77))
        assert await peer.receive() == tl.TcpPong(id=77)
        await peer.stream.aclose()


async def test_nothing_received_fails_the_setup(autojump_clock):
    a, _b = trio.testing.memory_stream_pair()
    start = trio.current_time()
    with pytest.raises(SessionClosed, match="set-up timeout"):
        async with open_session(a, role=Role.ACCEPTOR):
            pytest.fail("a session that never received tcp.connect is not ready")
    assert trio.current_time() - start == pytest.approx(60)


BAD_INPUT = {
    "oversized frame": (b"\x01\x00\x00\x02" + b"\x00" * 4, "frame length"),
    "undersized frame": (b"\x02\x00\x00\x00\x01\x00\x00\x00xx", "frame length"),
    "wrong seqno": (encode_frame(5, tl.encode(tl.TcpPing(id=1))), "seqno"),
    "not a tcp.Packet": (
        encode_frame(1, tl.encode(tl.ClientGetWorkerTypes())),
        "wrong constructor",
    ),
    "garbage payload": (encode_frame(1, b"\xde\xad\xbe\xef"), "unknown constructor"),
    "trailing bytes": (encode_frame(1, tl.encode(tl.TcpPing(id=1)) + b"\0\0\0\0"), "trailing"),
    "answer to no query": (
        encode_frame(1, tl.encode(tl.TcpQueryAnswer(id=9, data=b"abcd"))),
        "unknown query",
    ),
}


@pytest.mark.parametrize("case", BAD_INPUT, ids=list(BAD_INPUT))
async def test_bad_input_closes_only_that_connection(stream_pair, case):
    data, reason = BAD_INPUT[case]
    async with stream_pair() as (a, b), stream_pair() as (c, d):
        peer = RawPeer(a)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(_serve_until_closed, d)
            async with open_session(c, role=Role.DIALER) as healthy:
                connected = trio.Event()

                async def connect():
                    await peer.connect()
                    connected.set()

                nursery.start_soon(connect)
                async with open_session(b, role=Role.ACCEPTOR) as victim:
                    await connected.wait()  # one reader at a time on the raw stream
                    await peer.stream.send_all(data)
                    with trio.fail_after(5):
                        await victim.wait_closed()
                    assert reason in victim.close_reason
                    assert "protocol violation" in victim.close_reason
                    with trio.fail_after(5):
                        assert await peer.receive_eof()
                # The other connection is untouched.
                assert (await healthy.query(tl.TestQuery(id=0), timeout=5)).id == 0


async def test_first_packet_must_be_connect():
    a, b = trio.testing.memory_stream_pair()
    peer = RawPeer(a)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(peer.send, tl.TcpPing(id=1))
        with pytest.raises(SessionClosed, match=r"expected tcp\.connect"):
            async with open_session(b, role=Role.ACCEPTOR):
                pass


async def test_one_way_message_of_unknown_kind_is_dropped_not_fatal():
    a, b = trio.testing.memory_stream_pair()
    peer = RawPeer(a)
    handler = Recorder()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(peer.connect)
        async with open_session(b, role=Role.ACCEPTOR, handler=handler) as s:
            await peer.send(tl.TcpPacket(data=b"\x01\x02\x03\x04"))
            await peer.send(
                tl.TcpPacket(data=tl.encode(tl.WorkerNewCoefficient(new_coefficient=3)))
            )
            with trio.fail_after(5):
                await handler.got_packet.wait()
            assert handler.packets == [tl.WorkerNewCoefficient(new_coefficient=3)]
            assert not s.closed


async def test_unknown_function_is_answered_with_an_error():
    a, b = trio.testing.memory_stream_pair()
    peer = RawPeer(a)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(_serve_until_closed, b)
        await peer.connect()
        await peer.send(tl.TcpQuery(id=5, data=b"\x11\x22\x33\x44"))
        answer = await peer.receive()
        assert isinstance(answer, tl.TcpQueryError) and answer.id == 5 and answer.code == 0
        await peer.send(tl.TcpQuery(id=6, data=tl.encode(tl.ClientRequestRefund())))
        answer = await peer.receive()
        assert answer == tl.TcpQueryError(id=6, code=0, message="Lost promise")
        await peer.stream.aclose()


async def test_close_fails_pending_queries_and_tells_the_peer():
    a, b = trio.testing.memory_stream_pair()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(_serve_until_closed, b)
        async with open_session(a, role=Role.DIALER) as s:
            failures = []

            async def ask():
                try:
                    await s.query(tl.TestQuery(id=100))
                except SessionClosed as e:
                    failures.append(e)

            async with trio.open_nursery() as inner:
                inner.start_soon(ask)
                await trio.testing.wait_all_tasks_blocked()
                s.close("done here")
            assert len(failures) == 1 and failures[0].reason == "done here"


async def test_session_tasks_are_cancelled_with_the_session():
    a, b = trio.testing.memory_stream_pair()
    cancelled = trio.Event()

    async def long_job():
        try:
            await trio.sleep_forever()
        finally:
            cancelled.set()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(_serve_until_closed, b)
        async with open_session(a, role=Role.DIALER) as s:
            s.start_soon(long_job)
            await trio.testing.wait_all_tasks_blocked()
            s.close()
            with trio.fail_after(5):
                await cancelled.wait()


async def test_a_failing_session_task_closes_the_session_only():
    a, b = trio.testing.memory_stream_pair()

    async def broken():
        raise RuntimeError("bug")

    async with trio.open_nursery() as nursery:
        nursery.start_soon(_serve_until_closed, b)
        async with open_session(a, role=Role.DIALER) as s:
            s.start_soon(broken)
            with trio.fail_after(5):
                await s.wait_closed()
            assert "internal error" in s.close_reason


async def test_slow_handler_applies_backpressure(autojump_clock):
    a, b = trio.testing.lockstep_stream_pair()
    peer = RawPeer(a)
    release = trio.Event()

    class Slow(Recorder):
        async def on_packet(self, session, packet):
            await release.wait()

    config = SessionConfig.for_role(Role.ACCEPTOR, idle_timeout=math.inf)
    sent = 0
    connected = trio.Event()

    async def connect():
        await peer.connect()
        connected.set()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(connect)
        async with open_session(b, role=Role.ACCEPTOR, handler=Slow(), config=config):
            await connected.wait()  # one sender at a time on the raw stream
            with trio.move_on_after(30):
                for sent in range(1, 10_000):  # noqa: B007 - `sent` is read after the loop
                    await peer.send(
                        tl.TcpPacket(data=tl.encode(tl.WorkerEnabledDisabled(disabled=0)))
                    )
            # The session stopped reading: one packet in the handler, one being read.
            assert sent <= 3
            release.set()


async def test_preamble_is_read_before_the_first_frame():
    a, b = trio.testing.memory_stream_pair()
    info = AttestedPeerInfo(
        attestation=None,
        public_key=bytes(range(32)),
        source_ip="127.0.0.1",
        source_port=1,
        destination_ip="127.0.0.1",
        destination_port=2,
    )
    peer = RawPeer(a)

    async def router_then_dialer():
        await a.send_all(encode_preamble(info))
        await peer.connect()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(router_then_dialer)
        async with open_session(b, role=Role.ACCEPTOR, read_preamble=True) as s:
            assert s.peer_info == info
            s.close()


async def test_oversized_preamble_is_refused():
    a, b = trio.testing.memory_stream_pair()
    await a.send_all((1 << 20).to_bytes(4, "little"))
    with pytest.raises(SessionClosed, match="preamble length"):
        async with open_session(b, role=Role.ACCEPTOR, read_preamble=True):
            pass


async def test_oversized_outgoing_payload_is_refused_to_the_sender():
    a, b = trio.testing.memory_stream_pair()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(_serve_until_closed, b)
        async with open_session(a, role=Role.DIALER) as s:
            with pytest.raises(FrameEncodeError, match="does not fit in one frame"):
                await s.send_packet_raw(b"x" * ((1 << 24) - 4))
            assert not s.closed
            s.close()


async def test_exceptions_from_the_block_are_not_wrapped():
    a, b = trio.testing.memory_stream_pair()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(_serve_until_closed, b)
        with pytest.raises(KeyError):
            async with open_session(a, role=Role.DIALER):
                raise KeyError("mine")


def test_protoviolation_code_is_the_reference_value():
    assert ERROR_PROTOVIOLATION == 621


async def test_serve_session_serves_in_this_task_until_the_peer_leaves(autojump_clock):
    a, b = trio.testing.memory_stream_pair()
    peer = RawPeer(a)
    handler = Recorder()
    async with trio.open_nursery() as nursery:
        done: list[Session] = []

        async def serve() -> None:
            done.append(await serve_session(b, role=Role.ACCEPTOR, handler=handler))

        nursery.start_soon(serve)
        await peer.connect()
        await peer.send(tl.TcpPacket(data=tl.encode(tl.WorkerEnabledDisabled(disabled=1))))
        await handler.got_packet.wait()
        await peer.send(tl.TcpQuery(id=7, data=tl.encode(tl.ClientGetWorkerTypesV2())))
        answer = await peer.receive()
        assert isinstance(answer, tl.TcpQueryAnswer) and answer.id == 7
        await a.aclose()
    [session] = done
    assert session.ready and session.close_reason == "closed by peer"
    assert handler.packets == [tl.WorkerEnabledDisabled(disabled=1)]


async def test_serve_session_returns_a_session_that_never_got_ready(autojump_clock):
    a, b = trio.testing.memory_stream_pair()
    session = await serve_session(b, role=Role.ACCEPTOR)
    assert not session.ready and "set-up timeout" in (session.close_reason or "")
    await a.aclose()


class SizeRecorder(trio.abc.Stream):
    """A stream that records the size of each write it passes on."""

    def __init__(self, inner: trio.abc.Stream) -> None:
        self.inner = inner
        self.writes: list[int] = []

    async def send_all(self, data) -> None:
        self.writes.append(len(data))
        await self.inner.send_all(data)

    async def wait_send_all_might_not_block(self) -> None:
        await self.inner.wait_send_all_might_not_block()

    async def receive_some(self, max_bytes=None):
        return await self.inner.receive_some(max_bytes)

    async def aclose(self) -> None:
        await self.inner.aclose()


def _alive_bytes_of_length(n: int) -> int:
    gc.collect()
    return sum(
        1
        for o in gc.get_objects()
        for r in gc.get_referents(o)
        if isinstance(r, bytes | bytearray) and len(r) == n
    )


async def test_a_large_frame_leaves_in_slices_and_is_not_kept_after_the_write():
    """A TLS stream keeps its record buffer at the largest write it was given, and the writer
    used to hold its last batch until the next one: a large frame goes out in WRITE_SLICE
    pieces and is dropped once written."""
    a, b = trio.testing.memory_stream_pair()
    recorder = SizeRecorder(a)
    peer = RawPeer(b)
    data = b"\x5a" * (3 * WRITE_SLICE + 1000)
    packet = tl.encode(tl.TcpPacket(data=data))
    frame_size = len(encode_frame(0, packet))
    async with trio.open_nursery() as nursery:
        nursery.start_soon(peer.accept)
        async with open_session(recorder, role=Role.DIALER) as s:
            await s.send_packet_raw(data)
            got = await peer.receive()
            assert isinstance(got, tl.TcpPacket) and got.data == data
            del got
            assert frame_size in {sum(recorder.writes[i:]) for i in range(len(recorder.writes))}
            assert max(recorder.writes) <= WRITE_SLICE
            assert _alive_bytes_of_length(frame_size) == 0
            s.close()
