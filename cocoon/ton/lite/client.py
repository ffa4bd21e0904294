"""A liteserver client over one ADNL connection, in trio.

A query is the lite_api function wrapped in `liteServer.query`, wrapped in
`adnl.message.query` with a random 32-byte query id; the answer comes back as
`adnl.message.answer` with the same id, so many queries share one connection and answers may
come in any order. `tcp.ping`/`tcp.pong` packets (outside the query layer) keep the connection
alive and tell a dead server from a slow one.

The client connects on first use and again after the connection dies (a failed connect backs
off, doubling, so a dead server costs callers little). Queries in flight when the connection
dies fail with `LiteTransportError`: the client never re-sends on its own, since it cannot know
whether the server acted; the pool decides what is safe to retry. Each query has a timeout
(a cancel scope around the whole call), waits for a slot under a per-server cap on queries in
flight, and for a token of a per-server rate limit.

    async with open_lite_client("127.0.0.1", 4924, server_key) as client:
        info = await client.get_masterchain_info()
"""

from __future__ import annotations

import math
import os
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import attrs
import trio

from cocoon.ton.lite import tl
from cocoon.ton.lite.adnl import MAX_PACKET_SIZE
from cocoon.ton.lite.api import LiteApi
from cocoon.ton.lite.connection import AdnlConnection, handshake_client
from cocoon.ton.lite.errors import (
    LiteDecodeError,
    LiteError,
    LiteServerError,
    LiteTimeoutError,
    LiteTransportError,
)

Connector = Callable[[], Awaitable[trio.abc.Stream]]

_PONG_ID = tl.registry().by_name["tcp.pong"].id.to_bytes(4, "little")


@attrs.frozen
class ClientOptions:
    """Per-server limits and timers (seconds)."""

    query_timeout: float = 10.0
    connect_timeout: float = 5.0
    ping_interval: float = 5.0  # a tcp.ping this often
    ping_timeout: float = 5.0  # no pong in this long: the connection is dead
    max_in_flight: int = 64  # queries on the wire at once
    rate: float | None = None  # queries per second, None for no limit
    burst: int = 16  # queries allowed at once after an idle spell
    reconnect_backoff: float = 0.5  # the first wait after a failed connect
    max_reconnect_backoff: float = 10.0
    max_packet_size: int = MAX_PACKET_SIZE


class TokenBucket:
    """A rate limit: `rate` queries a second, up to `burst` at once after an idle spell.

    Kept as the time the next query is due (GCRA), so waits are computed, not polled; waiters
    are served in arrival order.
    """

    def __init__(self, rate: float, burst: int) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self.rate = rate
        self.burst = burst
        self._interval = 1 / rate
        self._tolerance = (burst - 1) * self._interval
        self._due = -math.inf
        self._lock = trio.Lock()  # trio's Lock is fair: first come, first served

    async def take(self) -> None:
        async with self._lock:
            now = trio.current_time()
            due = max(self._due, now)
            wait = due - self._tolerance - now
            if wait > 0:
                await trio.sleep(wait)
            self._due = due + self._interval


@attrs.define
class ClientStats:
    """What the pool reads to pick a server."""

    queries: int = 0
    answers: int = 0
    server_errors: int = 0
    timeouts: int = 0
    transport_errors: int = 0
    connects: int = 0
    rtt: float | None = None  # smoothed round trip of pings and queries


class _Pending:
    __slots__ = ("answer", "error", "event")

    def __init__(self) -> None:
        self.event = trio.Event()
        self.answer: bytes | None = None
        self.error: LiteError | None = None


class _Session:
    """One live connection: the writer, reader and pinger tasks, and the queries waiting."""

    def __init__(self, conn: AdnlConnection) -> None:
        self.conn = conn
        self.pending: dict[bytes, _Pending] = {}
        self.pings: dict[int, trio.Event] = {}
        self.send_channel, self.receive_channel = trio.open_memory_channel[bytes](math.inf)
        self.cancel_scope = trio.CancelScope()
        self.error: LiteTransportError | None = None
        self.closed = trio.Event()

    @property
    def alive(self) -> bool:
        return self.error is None

    def fail(self, error: LiteTransportError) -> None:
        """End the session: every query waiting gets `error`."""
        if self.error is not None:
            return
        self.error = error
        for slot in self.pending.values():
            slot.error = error
            slot.event.set()
        self.pending.clear()
        for event in self.pings.values():
            event.set()
        self.cancel_scope.cancel()

    async def request(self, query_id: bytes, packet: bytes) -> bytes:
        if self.error is not None:
            raise self.error
        slot = _Pending()
        self.pending[query_id] = slot
        try:
            # The writer task sends in order, so a query cancelled here never cuts a packet.
            self.send_channel.send_nowait(packet)
            await slot.event.wait()
        finally:
            self.pending.pop(query_id, None)
        if slot.error is not None:
            raise slot.error
        assert slot.answer is not None
        return slot.answer

    async def ping(self) -> float:
        """Round trip of one tcp.ping (the caller bounds the wait)."""
        if self.error is not None:
            raise self.error
        random_id = secrets.randbits(63)
        event = self.pings[random_id] = trio.Event()
        start = trio.current_time()
        try:
            self.send_channel.send_nowait(tl.encode("tcp.ping", {"random_id": random_id}))
            await event.wait()
        finally:
            self.pings.pop(random_id, None)
        if self.error is not None:
            raise self.error
        return trio.current_time() - start


class LiteClient(LiteApi):
    """Queries to one liteserver; see the module docstring. Make it with `open_lite_client`."""

    def __init__(
        self,
        nursery: trio.Nursery,
        connect: Connector,
        server_public_key: bytes,
        *,
        options: ClientOptions | None = None,
        name: str = "liteserver",
    ) -> None:
        self.name = name
        self.options = options or ClientOptions()
        self.stats = ClientStats()
        self._nursery = nursery
        self._connect = connect
        self._server_public_key = server_public_key
        self._session: _Session | None = None
        self._connect_lock = trio.Lock()
        self._slots = trio.Semaphore(self.options.max_in_flight)
        self._bucket = (
            TokenBucket(self.options.rate, self.options.burst) if self.options.rate else None
        )
        self._backoff = 0.0
        self._retry_at = -math.inf
        self._connect_error: LiteError | None = None
        self._waiting = 0
        self._closed = False

    @property
    def connected(self) -> bool:
        return self._session is not None and self._session.alive

    @property
    def in_flight(self) -> int:
        """Queries started and not yet answered (waiting for a slot or a token included)."""
        return self._waiting

    # --- queries -----------------------------------------------------------------------------

    async def query(
        self,
        function: str,
        fields: dict[str, Any] | None = None,
        *,
        wait_seqno: tuple[int, int] | None = None,
    ) -> dict[str, Any]:
        data = tl.encode(function, fields)
        server_wait = 0.0
        if wait_seqno is not None:
            seqno, timeout_ms = wait_seqno
            prefix = {"seqno": seqno, "timeout_ms": timeout_ms}
            data = tl.encode("liteServer.waitMasterchainSeqno", prefix) + data
            server_wait = timeout_ms / 1000
        answer = await self.raw_query(data, what=function, server_wait=server_wait)
        result_type = tl.registry().result_type(function)
        value = tl.decode(answer, (result_type, "liteServer.Error"))
        if value["@type"] == "liteServer.error":
            self.stats.server_errors += 1
            raise LiteServerError(value["code"], value["message"])
        return value

    async def raw_query(
        self, data: bytes, *, what: str = "query", server_wait: float = 0.0
    ) -> bytes:
        """Send TL-encoded lite_api bytes (prefixes and function); the answer's bytes.

        The query times out after `options.query_timeout`, plus `server_wait` (the time the
        server was asked to wait for a block)."""
        if self._closed:
            raise LiteTransportError(f"{self.name}: the client is closed")
        timeout = self.options.query_timeout + server_wait
        query_id = os.urandom(32)
        inner = tl.encode("liteServer.query", {"data": data})
        packet = tl.encode("adnl.message.query", {"query_id": query_id, "query": inner})
        self.stats.queries += 1
        self._waiting += 1
        try:
            with trio.move_on_after(timeout) as scope:
                if self._bucket is not None:
                    await self._bucket.take()
                async with self._slots:
                    session = await self._ready_session()
                    start = trio.current_time()
                    answer = await session.request(query_id, packet)
                    self._note_rtt(trio.current_time() - start)
        except LiteTransportError:
            self.stats.transport_errors += 1
            raise
        finally:
            self._waiting -= 1
        if scope.cancelled_caught:
            self.stats.timeouts += 1
            raise LiteTimeoutError(f"{self.name}: no answer to {what} in {timeout:g}s")
        self.stats.answers += 1
        return answer

    async def ping(self) -> float:
        """Round trip of a tcp.ping in seconds (connecting first if needed);
        `LiteTimeoutError` after `options.ping_timeout`."""
        with trio.move_on_after(self.options.ping_timeout):
            session = await self._ready_session()
            rtt = await session.ping()
            self._note_rtt(rtt)
            return rtt
        raise LiteTimeoutError(f"{self.name}: no pong in {self.options.ping_timeout:g}s")

    def _note_rtt(self, rtt: float) -> None:
        old = self.stats.rtt
        self.stats.rtt = rtt if old is None else 0.8 * old + 0.2 * rtt

    # --- the connection ----------------------------------------------------------------------

    async def _ready_session(self) -> _Session:
        while True:
            session = self._session
            if session is not None and session.alive:
                return session
            if self._closed:
                raise LiteTransportError(f"{self.name}: the client is closed")
            if trio.current_time() < self._retry_at and self._connect_error is not None:
                raise LiteTransportError(
                    f"{self.name}: not connected (last attempt: {self._connect_error})"
                )
            async with self._connect_lock:
                session = self._session
                if session is not None and session.alive:
                    return session
                if trio.current_time() < self._retry_at:
                    continue  # another task just failed; report its error
                await self._open_session()

    async def _open_session(self) -> None:
        try:
            with trio.move_on_after(self.options.connect_timeout) as scope:
                stream = await self._connect()
                try:
                    conn = await handshake_client(
                        stream,
                        self._server_public_key,
                        max_packet_size=self.options.max_packet_size,
                    )
                except BaseException:
                    with trio.CancelScope(shield=True):
                        await stream.aclose()
                    raise
            if scope.cancelled_caught:
                raise LiteTimeoutError(
                    f"{self.name}: connect timed out after {self.options.connect_timeout:g}s"
                )
        except (LiteError, OSError) as e:
            error = e if isinstance(e, LiteError) else LiteTransportError(str(e))
            self._connect_error = error
            self._backoff = min(
                max(self._backoff * 2, self.options.reconnect_backoff),
                self.options.max_reconnect_backoff,
            )
            self._retry_at = trio.current_time() + self._backoff
            if isinstance(error, LiteTransportError):
                raise error from None
            raise LiteTransportError(f"{self.name}: {error}") from None
        self._backoff = 0.0
        self._retry_at = -math.inf
        self._connect_error = None
        self.stats.connects += 1
        session = _Session(conn)
        self._session = session
        self._nursery.start_soon(self._run_session, session)

    async def _run_session(self, session: _Session) -> None:
        try:
            with session.cancel_scope:
                async with trio.open_nursery() as nursery:
                    for task in (self._writer, self._reader, self._pinger):
                        nursery.start_soon(self._guard, session, task)
        finally:
            session.fail(LiteTransportError(f"{self.name}: the connection closed"))
            await session.conn.aclose()
            if self._session is session:
                self._session = None
            session.closed.set()

    async def _guard(self, session: _Session, task: Callable[[_Session], Awaitable[None]]) -> None:
        """Run a session task; its failure ends the session (and the other two tasks)."""
        try:
            await task(session)
        except LiteTransportError as e:
            session.fail(e)
        except LiteError as e:
            session.fail(LiteTransportError(f"{self.name}: {e}"))

    async def _writer(self, session: _Session) -> None:
        async for packet in session.receive_channel:
            # Under load many queries wait here at once: one write for all of them.
            batch = [packet]
            while len(batch) < 256:
                try:
                    batch.append(session.receive_channel.receive_nowait())
                except trio.WouldBlock:
                    break
            await session.conn.send_many(batch)

    async def _reader(self, session: _Session) -> None:
        while True:
            payload = await session.conn.receive()
            if not payload:
                continue  # keepalive
            if len(payload) == 12 and payload[:4] == _PONG_ID:
                event = session.pings.get(int.from_bytes(payload[4:], "little", signed=True))
                if event is not None:
                    event.set()
                continue
            try:
                message = tl.decode(payload, "adnl.message.answer")
            except LiteDecodeError as e:
                raise LiteTransportError(f"{self.name}: a packet that is no answer: {e}") from e
            slot = session.pending.get(message["query_id"])
            if slot is not None:  # else the query gave up (timed out) before its answer came
                slot.answer = message["answer"]
                slot.event.set()

    async def _pinger(self, session: _Session) -> None:
        while True:
            await trio.sleep(self.options.ping_interval)
            with trio.move_on_after(self.options.ping_timeout):
                self._note_rtt(await session.ping())
                continue
            raise LiteTransportError(
                f"{self.name}: the server stopped answering (no pong in"
                f" {self.options.ping_timeout:g}s)"
            )

    async def wait_disconnected(self) -> None:
        """Return once the current connection, if any, has closed."""
        session = self._session
        if session is not None:
            await session.closed.wait()

    async def disconnect(self) -> None:
        """Close the current connection (queries in flight fail); the next query reconnects."""
        session = self._session
        if session is not None:
            session.fail(LiteTransportError(f"{self.name}: disconnected"))
            await session.closed.wait()

    async def aclose(self) -> None:
        self._closed = True
        await self.disconnect()


async def _tcp_connector(host: str, port: int) -> trio.abc.Stream:
    try:
        return await trio.open_tcp_stream(host, port)
    except OSError as e:
        raise LiteTransportError(f"cannot connect to {host}:{port}: {e.strerror or e}") from e


def tcp_connector(host: str, port: int) -> Connector:
    async def connect() -> trio.abc.Stream:
        return await _tcp_connector(host, port)

    return connect


@asynccontextmanager
async def open_lite_client(
    host: str | None,
    port: int | None,
    server_public_key: bytes,
    *,
    options: ClientOptions | None = None,
    connect: Connector | None = None,
    name: str | None = None,
) -> AsyncIterator[LiteClient]:
    """A client for the liteserver at host:port (or reached by `connect`, e.g. a memory
    stream in tests), its tasks bound to this block."""
    if connect is None:
        if host is None or port is None:
            raise ValueError("host and port, or connect, are needed")
        connect = tcp_connector(host, port)
    async with trio.open_nursery() as nursery:
        client = LiteClient(
            nursery,
            connect,
            server_public_key,
            options=options,
            name=name or (f"{host}:{port}" if host is not None else "liteserver"),
        )
        try:
            yield client
        finally:
            await client.aclose()
            nursery.cancel_scope.cancel()
