"""A lean HTTP/1.1 client on trio, for talking to inference servers (vLLM, SGLang, the fake).

    async with HttpClient("127.0.0.1", 8000) as client:
        async with client.request("POST", "/v1/chat/completions", headers=hdrs, body=b"{...}") as resp:
            forward_head(resp.status, resp.reason, resp.headers)      # before any body byte
            async for chunk in resp.iter_body():                       # de-chunked, as it arrives
                forward(chunk)

Connections are kept alive in one bounded pool per (host, port); a request waits for a free
slot when `max_connections` are busy. A connection goes back to the pool only when its
response was read to the end and both sides allow keep-alive. Leaving the `async with` early
(cancellation, an exception, or simply not reading the body) closes the connection, so the
server sees the disconnect and can stop generating. A pooled connection that the server has
closed in the meantime is replaced transparently, once, when it fails before any byte of the
response arrived. Timeouts are the caller's cancel scopes.

Failures: `HttpConnectError` (could not connect), `HttpConnectionClosed` (closed or reset
mid-message), `HttpProtocolError` (not HTTP), `HttpRequestError` (what we were asked to send
is invalid), all `HttpError`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from urllib.parse import urlsplit

import trio

from cocoon.http import _wire
from cocoon.http.errors import (
    HttpConnectError,
    HttpConnectionClosed,
    HttpError,
    HttpRequestError,
)
from cocoon.net import tcp

Connector = Callable[[str, int], Awaitable[trio.abc.Stream]]

RECEIVE_SIZE = 65536
_FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding", "connection", "host"})


async def open_tcp(host: str, port: int) -> trio.abc.Stream:
    """The default connector: TCP with Nagle off (small SSE events must not wait)."""
    try:
        return await tcp.connect_tcp(host, port)
    except OSError as exc:
        raise HttpConnectError(f"cannot connect to {host}:{port}: {exc}") from exc


class _Connection:
    __slots__ = ("idle_since", "reused", "stream")

    def __init__(self, stream: trio.abc.Stream) -> None:
        self.stream = stream
        self.reused = False
        self.idle_since = 0.0


class _Pool:
    """Connections to one (host, port): at most `limit` in use or idle at once."""

    __slots__ = ("_connect", "_expiry", "_idle", "_slots", "closed", "host", "port")

    def __init__(self, host: str, port: int, limit: int, expiry: float, connect: Connector):
        self.closed = False
        self.host = host
        self.port = port
        self._slots = trio.Semaphore(limit)
        self._idle: list[_Connection] = []
        self._expiry = expiry
        self._connect = connect

    async def acquire(self, *, fresh: bool = False) -> _Connection:
        """A connection for one request: the most recently used idle one, or (always, with
        `fresh`) a new one."""
        try:
            self._slots.acquire_nowait()
        except trio.WouldBlock:
            await self._slots.acquire()
        try:
            now = trio.current_time()
            while self._idle and not fresh:
                conn = self._idle.pop()
                if now - conn.idle_since < self._expiry:
                    conn.reused = True
                    return conn
                await trio.aclose_forcefully(conn.stream)
            return _Connection(await self._connect(self.host, self.port))
        except BaseException:
            self._slots.release()
            raise

    def put_back(self, conn: _Connection) -> None:
        conn.idle_since = trio.current_time()
        self._idle.append(conn)
        self._slots.release()

    async def discard(self, conn: _Connection) -> None:
        self._slots.release()
        await trio.aclose_forcefully(conn.stream)

    async def aclose(self) -> None:
        self.closed = True  # connections still in use are closed when they come back
        idle, self._idle = self._idle, []
        for conn in idle:
            await trio.aclose_forcefully(conn.stream)


class _Stale(Exception):
    """A connection failed before any byte of the response: safe to retry on a fresh one."""

    reused = False


class HttpResponse:
    """Status line and headers of a response; the body is read with `iter_body()`/`read()`."""

    __slots__ = (
        "_conn",
        "_keep_alive",
        "_pool",
        "_reader",
        "headers",
        "http_version",
        "reason",
        "status",
    )

    def __init__(self, reader: _wire.ResponseReader) -> None:
        head = reader.head
        assert head is not None
        self.status = head.status
        self.reason = head.reason
        self.http_version = head.http_version
        self.headers = head.headers  # (name, value) as received, in order
        self._reader = reader
        self._conn: _Connection | None = None
        self._pool: _Pool | None = None
        self._keep_alive = head.keep_alive

    def header(self, name: str) -> str | None:
        """The first value of a header, by case-insensitive name."""
        name = name.lower()
        for n, v in self.headers:
            if n.lower() == name:
                return v
        return None

    @property
    def complete(self) -> bool:
        """The whole body has been read."""
        return self._conn is None

    async def read_available(self) -> bytes:
        """The body bytes that have already arrived (de-chunked), without waiting for more;
        `complete` then tells whether that was the whole body."""
        if self._conn is None:
            return b""
        data = self._reader.take_body()
        if self._reader.complete:
            await self._finish()
        return data

    def iter_body(self) -> _BodyIterator:
        """The body, de-chunked, in pieces as they arrive (never empty pieces)."""
        return _BodyIterator(self)

    async def read(self) -> bytes:
        parts = [chunk async for chunk in self.iter_body()]
        return b"".join(parts)

    async def _next(self) -> bytes:
        """The next piece of the body, or b"" at its end."""
        conn = self._conn
        if conn is None:
            return b""
        reader = self._reader
        try:
            while True:
                data = reader.take_body()
                if reader.complete:
                    await self._finish()
                    return data
                if data:
                    return data
                try:
                    received = await conn.stream.receive_some(RECEIVE_SIZE)
                except (trio.BrokenResourceError, OSError) as exc:
                    raise HttpConnectionClosed(
                        f"connection lost in the response body: {exc}"
                    ) from exc
                if received:
                    reader.feed(received)
                else:
                    reader.eof()  # ends a body delimited by the close, else raises
        except BaseException:
            await self._abort()
            raise

    async def _finish(self) -> None:
        conn, pool = self._conn, self._pool
        self._conn = self._pool = None
        if conn is None or pool is None:
            return
        if self._keep_alive and not self._reader.extra and not pool.closed:
            pool.put_back(conn)
        else:
            await pool.discard(conn)

    async def _abort(self) -> None:
        conn, pool = self._conn, self._pool
        self._conn = self._pool = None
        self._reader.close()
        if conn is not None and pool is not None:
            await pool.discard(conn)

    def _start_body(self, pool: _Pool, conn: _Connection, sent_close: bool) -> None:
        self._keep_alive = self._keep_alive and not sent_close
        self._conn, self._pool = conn, pool


class _BodyIterator:
    __slots__ = ("_response",)

    def __init__(self, response: HttpResponse) -> None:
        self._response = response

    def __aiter__(self) -> _BodyIterator:
        return self

    async def __anext__(self) -> bytes:
        while True:
            if self._response._conn is None:
                raise StopAsyncIteration
            data = await self._response._next()
            if data:
                return data


class _RequestContext:
    __slots__ = ("_body", "_client", "_head", "_method", "_pool", "_response", "_sent_close")

    def __init__(
        self, client: HttpClient, pool: _Pool, method: str, head: bytes, body: bytes, close: bool
    ) -> None:
        self._client = client
        self._pool = pool
        self._method = method
        self._head = head
        self._body = body
        self._sent_close = close
        self._response: HttpResponse | None = None

    async def __aenter__(self) -> HttpResponse:
        data = self._head + self._body if len(self._body) < 65536 else None
        try:
            conn, response = await self._attempt(data, fresh=False)
        except _Stale as exc:
            if not exc.reused:
                raise HttpConnectionClosed(str(exc)) from None
            # The server had closed that idle connection (so maybe the other idle ones
            # too): once more, on a new connection.
            try:
                conn, response = await self._attempt(data, fresh=True)
            except _Stale as again:
                raise HttpConnectionClosed(str(again)) from None
        response._start_body(self._pool, conn, self._sent_close)
        reader = response._reader
        if reader.complete and not reader._body:
            await response._finish()  # no body: the connection is free at once
        self._response = response
        return response

    async def _attempt(
        self, data: bytes | None, *, fresh: bool
    ) -> tuple[_Connection, HttpResponse]:
        conn = await self._pool.acquire(fresh=fresh)
        try:
            return conn, await self._exchange(conn, data)
        except _Stale as exc:
            exc.reused = conn.reused
            await self._pool.discard(conn)
            raise
        except BaseException:
            await self._pool.discard(conn)
            raise

    async def _exchange(self, conn: _Connection, data: bytes | None) -> HttpResponse:
        stream = conn.stream
        try:
            if data is not None:
                await stream.send_all(data)
            else:
                await stream.send_all(self._head)
                await stream.send_all(self._body)
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError) as exc:
            raise _Stale(f"connection lost while sending the request: {exc}") from exc
        reader = _wire.ResponseReader(self._method, self._client.max_head_size)
        got_any = False
        try:
            while reader.head is None:
                try:
                    chunk = await stream.receive_some(RECEIVE_SIZE)
                except (trio.BrokenResourceError, OSError) as exc:
                    if got_any:
                        raise HttpConnectionClosed(f"connection lost: {exc}") from exc
                    raise _Stale(f"connection lost before the response: {exc}") from exc
                if not chunk:
                    if got_any:
                        raise HttpConnectionClosed("connection closed inside the response head")
                    raise _Stale("connection closed before the response")
                got_any = True
                reader.feed(chunk)  # interim answers (100 Continue, 103 Early Hints) are skipped
        except BaseException:
            reader.close()
            raise
        return HttpResponse(reader)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        response = self._response
        if response is None or response._conn is None:
            return
        if exc_type is None and response._reader.complete:
            await response._finish()  # the body is all here: the connection can be reused
        else:
            await response._abort()


class HttpClient:
    """Keep-alive HTTP/1.1 client; see the module docstring.

    `host`/`port` are the default server for targets given as a path; an absolute
    `http://host:port/path` target picks its own pool. `keepalive_expiry` drops idle
    connections older than that (inference servers close theirs after ~5 s).
    """

    def __init__(
        self,
        host: str | None = None,
        port: int | None = None,
        *,
        max_connections: int = 100,
        keepalive_expiry: float = 4.0,
        max_head_size: int = _wire.MAX_HEAD_SIZE,
        connect: Connector = open_tcp,
    ) -> None:
        if max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        self.host = host
        self.port = port
        self.max_connections = max_connections
        self.keepalive_expiry = keepalive_expiry
        self.max_head_size = max_head_size
        self._connect = connect
        self._pools: dict[tuple[str, int], _Pool] = {}
        self._closed = False

    def _pool(self, host: str, port: int) -> _Pool:
        pool = self._pools.get((host, port))
        if pool is None:
            if self._closed:
                raise HttpError("the HTTP client is closed")
            pool = _Pool(host, port, self.max_connections, self.keepalive_expiry, self._connect)
            self._pools[host, port] = pool
        return pool

    def request(
        self,
        method: str,
        target: str,
        *,
        headers: Sequence[tuple[str, str]] = (),
        body: bytes = b"",
        http_version: str = "1.1",
    ) -> _RequestContext:
        """An `async with` giving the `HttpResponse` once its head arrived.

        `headers` are sent as given, except the framing ones (`Content-Length`,
        `Transfer-Encoding`, `Connection`), which the client sets itself; `Host` is added when
        missing. `http_version` is "1.1" or "1.0" (1.0 closes the connection afterwards).
        """
        if target.startswith("http://"):
            parts = urlsplit(target)
            host, port = parts.hostname or "", parts.port or 80
            target = parts.path or "/"
            if parts.query:
                target += "?" + parts.query
        else:
            if self.host is None or self.port is None:
                raise HttpRequestError(f"no server to send {target!r} to")
            host, port = self.host, self.port
        if http_version not in ("1.1", "1.0"):
            raise HttpRequestError(f"unsupported HTTP version {http_version!r}")
        _wire.check_request_line(method, target)
        out: list[tuple[str, str]] = []
        has_host = False
        for name, value in headers:
            lname = name.lower()
            if lname in _FRAMING_HEADERS:
                if lname != "host":
                    continue
                has_host = True
            out.append((name, value))
        if not has_host:
            out.insert(0, ("Host", f"{host}:{port}"))
        if body or method in ("POST", "PUT", "PATCH"):
            out.append(("Content-Length", str(len(body))))
        close = http_version == "1.0"
        head = _wire.encode_head(f"{method} {target} HTTP/{http_version}", out)
        return _RequestContext(self, self._pool(host, port), method, head, bytes(body), close)

    async def aclose(self) -> None:
        """Close the idle connections; requests in flight finish on theirs."""
        self._closed = True
        pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            await pool.aclose()

    async def __aenter__(self) -> HttpClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
