"""TL sessions over any `trio.abc.Stream`: the `tcp.*` packet layer of spec 10 sections 4-5.

    async with open_session(stream, role=Role.DIALER, handler=my_handler) as session:
        answer = await session.query(tl.ClientGetWorkerTypesV2(), timeout=10)
        await session.send_packet(tl.ClientRunQueryEx(...))
        await session.wait_closed()

Lifetime: a session lives in the nursery that `open_session` opens. Its tasks are a reader
(frames -> packets, which it hands to the handler's `on_packet` itself, in order), a writer
(the task that waits on the stream's send side, so a cancelled sender can never leave half a
frame behind, and frames queued together go out in one write), a watchdog (ping after
silence, idle timeout) and one task per incoming query. Leaving the `async with` block closes
the session.

Sending without the writer: when the writer is idle (nothing queued, nothing of ours pending
on the stream) and the stream can send without waiting (`send_nowait` and `send_pending`, as
the TCP and TLS streams of `cocoon.net.tcp` and `cocoon.ratls` have), the sending task frames
the message and hands it to the stream itself, with no scheduler pass in between, so it
cannot be cancelled half-way. What the socket does not take at once stays with the stream, and the writer is
woken to send it before anything else. At low load this saves each message a wake-up of the
writer. Under load it would cost more than it saves (a write and a TLS record per message, and
a read on the other side, where the writer puts what several tasks queued in the same
scheduler pass into one write): so a message goes directly only if the session's previous
one is at least `direct_send_gap` old (the rest of a burst is queued), and not for
`batching_hold` after the writer wrote several frames at once (load comes in waves: a direct
send at the head of each wave split it into more writes, reads and scheduler passes on
every hop, and cost some 15 % more CPU per request at 8 requests in flight).

A session ends when the peer closes, on idle timeout, on any protocol violation by the peer
(bad frame, bad seqno, undecodable `tcp.Packet`, a one-way message of a known kind that does
not decode, answer to a query we never sent) or when `close()` is called. A one-way message of
an unknown kind is dropped, as the reference does (spec 10 section 9.2). The body of the
`async with` is not cancelled by that: operations on a closed session raise `SessionClosed`,
and `wait_closed()` returns. The reason is kept in `session.close_reason`.

Backpressure: the reader reads the next frame only once `on_packet` has returned, and
incoming queries are limited in number, so a peer that sends faster than we handle stops being
read (and TCP slows it down) instead of growing our memory. (Handing packets to a dispatcher
task instead cost a scheduler pass per packet, a good share of a request's CPU.) With
`max_frame_before_auth`, a peer's frames are held to that size until the owner calls
`authorize()` (the proxy does once a client or worker has proved who it is): a stranger cannot
make us buffer 16 MiB frames.
"""

from __future__ import annotations

import enum
import logging
import math
import secrets
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, Protocol

import attrs
import trio

from cocoon import tl
from cocoon.errors import ProtocolError
from cocoon.net import codes
from cocoon.net.framing import (
    HEADER_SIZE,
    MAX_PAYLOAD,
    MIN_PAYLOAD,
    PREAUTH_MAX_PAYLOAD,
    FrameDecoder,
    FrameEncodeError,
    FrameEncoder,
    FrameError,
)
from cocoon.net.loglimit import RateLimitedLog
from cocoon.net.preamble import (
    AttestedPeerInfo,
    PreambleError,
    decode_preamble_body,
    parse_preamble_length,
)
from cocoon.tl.codec import BY_ID as KNOWN_IDS

log = logging.getLogger("cocoon.net.session")
peer_log = RateLimitedLog(log)  # for the lines a peer can cause at will

# Kept under these names for the session's own use; the full table is `cocoon.net.codes`.
ERROR_PROTOVIOLATION = codes.PROTOVIOLATION
ERROR_TIMEOUT = codes.TIMEOUT
ERROR_CANCELLED = codes.CANCELLED
# Writes are batched up to this size, and a larger frame goes to the stream in slices of it:
# a TLS stream turns one write into records in a memory buffer that keeps its largest size
# for the connection's life (a 4 MiB prompt left each hop's connection holding 5 MiB).
WRITE_SLICE = 256 * 1024
# Queued for the writer after a direct send that the socket did not take whole: "send what
# the stream still holds" (a payload is never empty).
_FINISH_PENDING = b""


class Role(enum.Enum):
    DIALER = "dialer"  # sends tcp.connect, pings, 20 s idle limit (clients, workers)
    ACCEPTOR = "acceptor"  # answers tcp.connected, never pings, 60 s idle limit (proxy)


class SessionClosed(ProtocolError):
    """The session is closed (or closed while waiting); `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class QueryError(ProtocolError):
    """A query answered with `tcp.queryError`, or raised by a handler to answer with one.

    A handler raising it with `close=True` closes the session once the error is sent (the
    proxy does this for every failed handshake step).
    """

    def __init__(self, code: int, message: str, *, close: bool = False) -> None:
        super().__init__(f"[{code}] {message}")
        self.code = code
        self.message = message
        self.close = close


class QueryTimeout(QueryError, TimeoutError):
    def __init__(self, message: str = "Timeout") -> None:
        super().__init__(ERROR_TIMEOUT, message)


class SessionHandler(Protocol):
    """What a role plugs into a session. Both methods run in the session's nursery."""

    async def on_query(self, session: Session, query: tl.TLObject) -> tl.TLObject:
        """Answer an incoming query; raise `QueryError` to answer with an error."""
        ...

    async def on_packet(self, session: Session, packet: tl.TLObject) -> None:
        """Handle a one-way message. Packets are handled one at a time, in arrival order, by
        the session's reader: nothing more is read until this returns, so it must not wait
        for this session (an answer to a query, say); longer work goes to a task
        (`session.start_soon`)."""
        ...


class NoHandler:
    """Default handler: answers every query with an error, drops one-way packets."""

    async def on_query(self, session: Session, query: tl.TLObject) -> tl.TLObject:
        raise QueryError(ERROR_PROTOVIOLATION, f"unsupported query {query.TL_NAME}")

    async def on_packet(self, session: Session, packet: tl.TLObject) -> None:
        peer_log.info(
            "unexpected", "%s: dropping unexpected packet %s", session.name, packet.TL_NAME
        )


@attrs.frozen
class SessionConfig:
    """Timings and limits; the defaults are the reference's (spec 10 section 5.4)."""

    idle_timeout: float = attrs.field(validator=attrs.validators.gt(0))
    ping_after: float | None = None  # only dialers ping
    connect_timeout: float = 20.0  # until the first frame (and the preamble) has arrived
    max_incoming_queries: int = 64
    outgoing_backlog: int = 256
    flush_timeout: float = 5.0  # how long a closing session tries to deliver queued frames
    read_size: int = 65536
    remembered_query_ids: int = 1024  # late answers to these are dropped, not a violation
    # The largest frame taken from the peer until `Session.authorize()`; None: 2^24 at once.
    max_frame_before_auth: int | None = None
    # A message goes directly (see the module's doc) only this long after the previous one;
    # messages closer together go through the writer, which puts them in one write (under
    # load that saves more than the writer's wake-up costs). 0: no such limit.
    direct_send_gap: float = 0.0002
    # ...and not for this long after the writer put several frames in one write: at 8
    # requests in flight waves come every millisecond or two and stay batched, where the
    # proxy's periodic bursts of payment requests hold a connection at 1 in flight back
    # for a small share of its time (50 ms halved the direct sends there).
    batching_hold: float = 0.01

    @classmethod
    def for_acceptor_of_strangers(cls, **changes: Any) -> SessionConfig:
        """An acceptor whose peers must authorize first (the proxy's ports)."""
        return cls.for_role(Role.ACCEPTOR, max_frame_before_auth=PREAUTH_MAX_PAYLOAD, **changes)

    @classmethod
    def for_role(cls, role: Role, **changes: Any) -> SessionConfig:
        if role is Role.DIALER:
            base = cls(idle_timeout=20.0, ping_after=10.0, connect_timeout=20.0)
        else:
            base = cls(idle_timeout=60.0, ping_after=None, connect_timeout=60.0)
        return attrs.evolve(base, **changes)


@attrs.define
class SessionStats:
    frames_in: int = 0
    frames_out: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    queries_sent: int = 0
    queries_received: int = 0
    packets_sent: int = 0
    packets_received: int = 0


class _Pending:
    __slots__ = ("error", "event", "result")

    def __init__(self) -> None:
        self.event = trio.Event()
        self.result: bytes | None = None
        self.error: Exception | None = None


class Session:
    """One framed TL connection. Create it with `open_session`."""

    def __init__(
        self,
        stream: trio.abc.Stream,
        role: Role,
        handler: SessionHandler | None,
        config: SessionConfig,
        name: str,
        read_preamble: bool,
        on_authorized: Callable[[], None] | None = None,
    ) -> None:
        self.stream = stream
        self.role = role
        self.handler: SessionHandler = handler or NoHandler()
        self.config = config
        self.name = name
        self.read_preamble = read_preamble
        self.peer_info: AttestedPeerInfo | None = None
        self.stats = SessionStats()
        self.close_reason: str | None = None
        self.close_error: BaseException | None = None
        self.ready = False
        self.authorized = False
        self._on_authorized = on_authorized
        self._decoder = FrameDecoder(config.max_frame_before_auth or MAX_PAYLOAD)
        self._ready_event = trio.Event()
        self._closed_event = trio.Event()
        self._pending: dict[int, _Pending] = {}
        self._abandoned: OrderedDict[int, None] = OrderedDict()
        self._out_send, self._out_recv = trio.open_memory_channel[bytes](config.outgoing_backlog)
        self._encoder = FrameEncoder()
        self._queued = 0  # payloads in the channel, or handed to the writer not yet taken
        # True while the writer waits with nothing queued: a sender may send itself.
        self._writer_idle = False
        self._direct_send_gap = config.direct_send_gap
        self._next_direct_send = 0.0  # time.monotonic() from which a direct send may go
        self._stream_send_nowait: Callable[[bytes], bool] | None = getattr(
            stream, "send_nowait", None
        )
        self._query_slots = trio.CapacityLimiter(config.max_incoming_queries)
        self._work_scope = trio.CancelScope()
        self._writer_scope = trio.CancelScope()
        self._nursery: trio.Nursery | None = None
        self._last_recv = trio.current_time()
        self._pinged = False
        self._connect_id = 0

    # ----------------------------------------------------------------- public API

    @property
    def closed(self) -> bool:
        return self.close_reason is not None

    async def query(
        self,
        obj: tl.TLObject,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - maps to the protocol's 652 "Timeout"
        expect: type | tuple[type, ...] | str | None = None,
    ) -> Any:
        """Send `obj` as `tcp.query` and return the decoded answer.

        Raises `QueryError` if the peer answers with an error, `QueryTimeout` after
        `timeout` seconds, `SessionClosed` if the session ends first, `TLDecodeError` if the
        answer does not decode (as `expect`, when given).
        """
        data = tl.encode(obj)
        return tl.decode(await self.query_raw(data, timeout=timeout), expect)

    async def query_raw(
        self,
        data: bytes,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - see `query`
    ) -> bytes:
        """`query` on already-encoded bytes; returns the raw answer bytes."""
        self._check_open()
        qid = self._new_query_id()
        pending = self._pending[qid] = _Pending()
        completed = False
        try:
            with trio.fail_after(math.inf if timeout is None else timeout):
                await self._enqueue(tl.encode(tl.TcpQuery(id=qid, data=data)))
                self.stats.queries_sent += 1
                await pending.event.wait()
            completed = True
        except trio.TooSlowError:
            raise QueryTimeout() from None
        finally:
            self._pending.pop(qid, None)
            if not completed:
                self._remember_abandoned(qid)
        if pending.error is not None:
            raise pending.error
        assert pending.result is not None
        return pending.result

    async def send_packet(self, obj: tl.TLObject) -> None:
        """Send a one-way message (`tcp.packet`)."""
        await self.send_packet_raw(tl.encode(obj))

    async def send_packet_raw(self, data: bytes) -> None:
        self._check_open()
        await self._enqueue(tl.encode(tl.TcpPacket(data=data)))
        self.stats.packets_sent += 1

    def start_soon(
        self, fn: Callable[..., Awaitable[object]], *args: object, name: str | None = None
    ) -> None:
        """Run a task scoped to this session: it is cancelled when the session closes.

        Handlers use it for work that must not hold up the next packet (a request being
        served), so that nothing a connection started outlives the connection.
        """
        if self._nursery is None or self.closed:
            raise SessionClosed(self.close_reason or "not running")
        self._nursery.start_soon(self._guarded, fn, *args, name=name or fn)

    def authorize(self) -> None:
        """The peer has proved who it is: take frames up to 2^24 bytes from now on, and tell
        whoever opened the session (`on_authorized`). Call it before sending the answer that
        tells the peer, so that its next frames are read with the new limit."""
        if self.authorized:
            return
        self.authorized = True
        self._decoder.max_payload = MAX_PAYLOAD
        if self._on_authorized is not None:
            self._on_authorized()

    async def wait_ready(self) -> None:
        """Return once the connection handshake is done, or once the session closed."""
        await self._ready_event.wait()

    async def wait_closed(self) -> None:
        await self._closed_event.wait()

    def close(self, reason: str = "closed locally", *, error: BaseException | None = None) -> None:
        """Close the session (idempotent, synchronous). Queued frames are still flushed,
        for at most `config.flush_timeout` seconds; pending queries fail at once."""
        if self.close_reason is not None:
            return
        self.close_reason = reason
        self.close_error = error
        if error is not None:
            peer_log.warning(("closing", type(error)), "%s: closing: %s", self.name, reason)
        else:
            log.debug("%s: closing: %s", self.name, reason)
        for pending in self._pending.values():
            pending.error = SessionClosed(reason)
            pending.event.set()
        self._pending.clear()
        self._ready_event.set()  # wakes `open_session` if we never got ready
        self._work_scope.cancel()
        self._writer_idle = False  # what is sent from now on fails as a closed channel
        self._out_send.close()
        self._writer_scope.deadline = trio.current_time() + self.config.flush_timeout
        self._closed_event.set()

    # ----------------------------------------------------------------- internals

    def _check_open(self) -> None:
        if self.close_reason is not None:
            raise SessionClosed(self.close_reason)

    def _new_query_id(self) -> int:
        while True:
            qid = secrets.randbits(64) - (1 << 63)
            if qid not in self._pending:
                return qid

    def _remember_abandoned(self, qid: int) -> None:
        self._abandoned[qid] = None
        while len(self._abandoned) > self.config.remembered_query_ids:
            self._abandoned.popitem(last=False)

    async def _enqueue(self, payload: bytes) -> None:
        if not MIN_PAYLOAD <= len(payload) <= MAX_PAYLOAD:
            raise FrameEncodeError(f"a {len(payload)}-byte payload does not fit in one frame")
        now = time.monotonic()
        quiet = now >= self._next_direct_send
        if now + self._direct_send_gap > self._next_direct_send:  # (keeps a batching hold)
            self._next_direct_send = now + self._direct_send_gap
        if (
            quiet
            and self._writer_idle
            and len(payload) <= WRITE_SLICE - HEADER_SIZE
            and self._stream_send_nowait is not None
            and self._send_now(payload)
        ):
            return
        self._writer_idle = False
        self._queued += 1
        try:
            try:
                self._out_send.send_nowait(payload)  # no scheduler pass unless the queue is full
            except trio.WouldBlock:
                await self._out_send.send(payload)
        except BaseException as e:
            self._queued -= 1
            if isinstance(e, (trio.ClosedResourceError, trio.BrokenResourceError)):
                raise SessionClosed(self.close_reason or "closed") from None
            raise

    def _send_now(self, payload: bytes) -> bool:
        """Frame `payload` and hand it to the stream in this task, without waiting (the
        writer is idle, so this frame is next). False when the stream cannot take it now."""
        encoder = self._encoder
        seqno = encoder.seqno
        frame = encoder.encode(payload)
        assert self._stream_send_nowait is not None
        try:
            if not self._stream_send_nowait(frame):
                encoder.seqno = seqno  # the writer frames it, with the same number
                return False
        except (trio.BrokenResourceError, trio.ClosedResourceError) as e:
            # As when the writer fails: the session closes, the sender learns it next.
            self.close(f"connection lost while sending: {e!r}")
            return True
        self.stats.frames_out += 1
        self.stats.bytes_out += len(frame)
        if self.stream.send_pending:  # type: ignore[attr-defined]
            # The rest must go before anything else, and not from a sender that may be
            # cancelled half-way: the writer sends it.
            self._writer_idle = False
            self._queued += 1
            try:
                self._out_send.send_nowait(_FINISH_PENDING)  # the idle writer takes it
            except trio.WouldBlock:
                # Only with no backlog, while the writer is being cancelled with the whole
                # session (it closes the stream next).
                self._queued -= 1
        return True

    def _violation(self, reason: str, error: BaseException | None = None) -> None:
        self.close(f"protocol violation: {reason}", error=error or ProtocolError(reason))

    async def _writer(self) -> None:
        """The task that waits to send on the stream; batches what is queued into one write."""
        encoder = self._encoder
        receive = self._out_recv
        graceful = False
        try:
            with self._writer_scope:
                try:
                    while True:
                        if not self._queued:
                            self._writer_idle = True
                        try:
                            payload = await receive.receive()
                        except trio.EndOfChannel:
                            break
                        finally:
                            self._writer_idle = False
                        self._queued -= 1
                        # _FINISH_PENDING adds no frame: the write below sends what the
                        # stream holds first.
                        chunks = [encoder.encode(payload)] if payload else []
                        size = len(chunks[0]) if payload else 0
                        while size < WRITE_SLICE:
                            try:
                                payload = receive.receive_nowait()
                            except (trio.WouldBlock, trio.EndOfChannel):
                                break
                            self._queued -= 1
                            if payload:
                                chunks.append(encoder.encode(payload))
                                size += len(chunks[-1])
                        frames = len(chunks)
                        data = chunks[0] if frames == 1 else b"".join(chunks)
                        # Not kept while waiting for the next payload (a prompt of megabytes
                        # stayed alive in this frame until the next write).
                        del payload, chunks
                        if size <= WRITE_SLICE:
                            await self.stream.send_all(data)
                        else:
                            await self._send_sliced(data)
                        del data
                        self.stats.frames_out += frames
                        self.stats.bytes_out += size
                        if frames > 1:  # a burst: batch what follows for a while
                            self._next_direct_send = max(
                                self._next_direct_send,
                                time.monotonic() + self.config.batching_hold,
                            )
                except (trio.BrokenResourceError, trio.ClosedResourceError) as e:
                    self.close(f"connection lost while sending: {e!r}")
            graceful = True
        finally:
            # Flushed, or gave up, or cancelled with everything else: the stream is closed in
            # every case (a peer must see the connection end, not a silent half-dead socket).
            closed = False
            if graceful:
                with trio.move_on_after(1):
                    try:
                        await self.stream.aclose()
                        closed = True
                    except (trio.BrokenResourceError, trio.ClosedResourceError):
                        pass
            if not closed:
                await trio.aclose_forcefully(self.stream)

    async def _send_sliced(self, data: bytes) -> None:
        view = memoryview(data)
        for start in range(0, len(data), WRITE_SLICE):
            await self.stream.send_all(view[start : start + WRITE_SLICE])

    async def _run(self, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """The reader (in this task) and the session's child tasks, until the session closes."""
        with self._work_scope:
            async with trio.open_nursery() as nursery:
                self._nursery = nursery
                task_status.started()
                nursery.start_soon(self._guarded, self._watchdog)
                await self._guarded(self._read_loop)
                self.close(self.close_reason or "closed by peer")

    async def _guarded(self, fn: Callable[..., Awaitable[object]], *args: object) -> None:
        """Run `fn`, turning any failure into a closed session with a specific reason, so that
        nothing a peer sends (and no bug in one connection's handler) escapes the session."""
        try:
            await fn(*args)
        except (ProtocolError, tl.TLDecodeError) as e:
            self._violation(str(e), e)
        except (trio.BrokenResourceError, trio.ClosedResourceError) as e:
            self.close(f"connection lost: {e!r}")
        except Exception as e:
            log.exception("%s: session task failed", self.name)
            self.close(f"internal error: {e!r}", error=e)

    async def _receive_exactly(self, n: int, buf: bytearray) -> bytes:
        while len(buf) < n:
            chunk = await self.stream.receive_some(max(n - len(buf), 4096))
            if not chunk:
                raise SessionClosed("peer closed before sending the router preamble")
            buf += chunk
        data = bytes(buf[:n])
        del buf[:n]
        return data

    async def _read_loop(self) -> None:
        decoder = self._decoder
        # The watchdog bounds this whole set-up phase (preamble included) by connect_timeout.
        if self.read_preamble:
            buf = bytearray()
            try:
                n = parse_preamble_length(await self._receive_exactly(4, buf))
                self.peer_info = decode_preamble_body(await self._receive_exactly(n, buf))
            except PreambleError as e:
                raise ProtocolError(str(e)) from e
            decoder.feed(bytes(buf))
        if self.role is Role.DIALER:
            self._connect_id = secrets.randbits(64) - (1 << 63)
            await self._enqueue(tl.encode(tl.TcpConnect(id=self._connect_id)))
        while True:
            while (payload := decoder.next_frame()) is not None:
                self.stats.frames_in += 1
                self._last_recv = trio.current_time()
                self._pinged = False
                await self._on_frame(payload)
            chunk = await self.stream.receive_some(self.config.read_size)
            if not chunk:
                if decoder.buffered:
                    raise FrameError(
                        f"peer closed in the middle of a frame ({decoder.buffered} bytes)"
                    )
                self.close("closed by peer")
                return
            self.stats.bytes_in += len(chunk)
            decoder.feed(chunk)

    async def _on_frame(self, payload: bytes) -> None:
        packet = tl.decode(payload, "tcp.Packet")
        if not self.ready:
            await self._on_init_packet(packet)
            return
        kind = type(packet)
        if kind is tl.TcpPacket:
            self.stats.packets_received += 1
            data = packet.data
            if len(data) >= 4 and int.from_bytes(data[:4], "little") not in KNOWN_IDS:
                # A kind of message we do not know: the reference logs and drops it (spec 10
                # section 9.2), and so do we, a newer peer's extra message is no violation.
                peer_log.info(
                    "unknown message",
                    "%s: dropping a message of unknown kind %08x",
                    self.name,
                    int.from_bytes(data[:4], "little"),
                )
                return
            # A known kind that does not decode raises: the session closes (the reference
            # aborts), so a peer cannot send a stream of them, each costing a log line.
            await self._handle_packet(tl.decode(data))
        elif kind is tl.TcpQueryAnswer or kind is tl.TcpQueryError:
            pending = self._pending.pop(packet.id, None)
            if pending is None:
                if packet.id in self._abandoned:
                    log.debug("%s: late answer to abandoned query %d", self.name, packet.id)
                    return
                raise ProtocolError(f"answer to unknown query id {packet.id}")
            if kind is tl.TcpQueryAnswer:
                pending.result = packet.data
            else:
                pending.error = QueryError(packet.code, packet.message)
            pending.event.set()
        elif kind is tl.TcpQuery:
            self.stats.queries_received += 1
            await self._query_slots.acquire_on_behalf_of(packet.id)
            assert self._nursery is not None
            self._nursery.start_soon(self._guarded, self._serve_query, packet.id, packet.data)
        elif kind is tl.TcpPing:
            await self._enqueue(tl.encode(tl.TcpPong(id=packet.id)))
        elif kind is tl.TcpPong:
            pass  # receiving it already re-armed the idle timer
        else:
            log.debug("%s: ignoring stray %s", self.name, packet.TL_NAME)

    async def _on_init_packet(self, packet: tl.TLObject) -> None:
        if self.role is Role.ACCEPTOR:
            if not isinstance(packet, tl.TcpConnect):
                raise ProtocolError(f"expected tcp.connect first, got {packet.TL_NAME}")
            await self._enqueue(tl.encode(tl.TcpConnected(id=packet.id)))
        else:
            if not isinstance(packet, tl.TcpConnected):
                raise ProtocolError(f"expected tcp.connected first, got {packet.TL_NAME}")
            if packet.id != self._connect_id:
                raise ProtocolError("tcp.connected answers another connection id")
        self.ready = True
        self._ready_event.set()

    async def _serve_query(self, qid: int, data: bytes) -> None:
        close_after = False
        try:
            try:
                query = tl.decode(data)
                answer = await self.handler.on_query(self, query)
                reply: tl.TLObject = tl.TcpQueryAnswer(id=qid, data=tl.encode(answer))
            except tl.TLDecodeError as e:
                reply = tl.TcpQueryError(id=qid, code=0, message=str(e))
            except QueryError as e:
                reply = tl.TcpQueryError(id=qid, code=e.code, message=e.message)
                close_after = e.close
            except ProtocolError as e:
                reply = tl.TcpQueryError(id=qid, code=ERROR_PROTOVIOLATION, message=str(e))
                close_after = True
            except Exception:
                log.exception("%s: query handler failed", self.name)
                reply = tl.TcpQueryError(id=qid, code=0, message="internal error")
            try:
                await self._enqueue(tl.encode(reply))
            except SessionClosed:
                return
            if close_after:
                self.close(f"closed after answering {reply.TL_NAME} with an error")
        finally:
            self._query_slots.release_on_behalf_of(qid)

    async def _handle_packet(self, packet: tl.TLObject) -> None:
        try:
            await self.handler.on_packet(self, packet)
        except ProtocolError as e:
            self._violation(f"{packet.TL_NAME}: {e}", e)
        except Exception as e:
            log.exception("%s: packet handler failed on %s", self.name, packet.TL_NAME)
            self.close(f"internal error handling {packet.TL_NAME}: {e!r}", error=e)

    async def _watchdog(self) -> None:
        """Set-up deadline, then idle timeout and (dialers) one ping after each silence."""
        cfg = self.config
        with trio.move_on_at(self._last_recv + cfg.connect_timeout):
            await self._ready_event.wait()
        if not self.ready:
            limit = cfg.connect_timeout
            self.close(f"set-up timeout: not ready after {limit:g} s", error=TimeoutError())
            return
        while True:
            now = trio.current_time()
            idle_deadline = self._last_recv + cfg.idle_timeout
            if now >= idle_deadline:
                limit = cfg.idle_timeout
                self.close(f"idle timeout: nothing received for {limit:g} s", error=TimeoutError())
                return
            wake = idle_deadline
            if cfg.ping_after is not None and not self._pinged:
                ping_at = self._last_recv + cfg.ping_after
                if now >= ping_at:
                    self._pinged = True
                    await self._enqueue(tl.encode(tl.TcpPing(id=secrets.randbits(63))))
                    continue
                wake = min(wake, ping_at)
            await trio.sleep_until(wake)


@asynccontextmanager
async def open_session(
    stream: trio.abc.Stream,
    *,
    role: Role,
    handler: SessionHandler | None = None,
    config: SessionConfig | None = None,
    read_preamble: bool = False,
    name: str | None = None,
    on_authorized: Callable[[], None] | None = None,
) -> AsyncIterator[Session]:
    """Run a session over `stream` for the duration of the block; yields once it is ready.

    The dialer sends `tcp.connect` and waits for `tcp.connected`; the acceptor waits for
    `tcp.connect` and answers. With `read_preamble`, the router's `AttestedPeerInfo` is read
    first and kept in `session.peer_info`. Raises `SessionClosed` if the connection fails
    before it is ready. The stream is closed when the block exits.
    """
    session = Session(
        stream,
        role,
        handler,
        config or SessionConfig.for_role(role),
        name or f"{role.value}-session",
        read_preamble,
        on_authorized,
    )
    try:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(session._writer)
            await nursery.start(session._run)
            await session.wait_ready()  # also returns when the session closes first
            if session.ready:
                try:
                    yield session
                finally:
                    session.close()
    except BaseExceptionGroup as group:
        # The session's own tasks never raise (see `_guarded`): what arrives here comes from
        # the caller's block, and the caller should see it as it raised it.
        if len(group.exceptions) == 1:
            raise group.exceptions[0] from None
        raise
    if not session.ready:
        raise SessionClosed(session.close_reason or "closed before ready")


async def serve_session(
    stream: trio.abc.Stream,
    *,
    role: Role,
    handler: SessionHandler | None = None,
    config: SessionConfig | None = None,
    read_preamble: bool = False,
    name: str | None = None,
    on_authorized: Callable[[], None] | None = None,
) -> Session:
    """Run a session over `stream` in this task until it closes, and return it (its
    `close_reason` says why; `ready` whether it ever got ready). For the accepting side,
    whose connection task has nothing to do but serve: the reader runs in this task, so a
    connection costs one task fewer than with `open_session`. The stream is closed on return.
    """
    session = Session(
        stream,
        role,
        handler,
        config or SessionConfig.for_role(role),
        name or f"{role.value}-session",
        read_preamble,
        on_authorized,
    )
    async with trio.open_nursery() as nursery:
        nursery.start_soon(session._writer)
        await session._run()
    return session
