"""A small, fast HTTP/1.1 server core on trio (the fake inference server, hot paths).

    async def handler(request: HttpRequest, responder: HttpResponder) -> None:
        if request.path == "/health":
            await responder.respond(200)
            return
        await responder.start(200, [("Content-Type", "text/event-stream")])   # chunked
        await responder.write(b"data: ...\\n\\n")
        await responder.end()

    listeners = await nursery.start(serve_http, handler, 0)   # port 0: any free port

Per connection: requests one after another (keep-alive; no pipelining, bytes that arrive early
wait for their turn), bodies by `Content-Length` or chunked, bounded heads and bodies
(431/413), heads and bodies that must arrive in time (408), idle connections and those of
clients that stopped reading their answer closed, bad requests answered with 400 and what we do not serve (other transfer codings, CONNECT) with
501, each with an OpenAI-shaped JSON error body and the connection closed. Parsing is
llhttp's (`_wire`). A handler that returns
without answering gets a 500; one that fails after `start()` has its connection closed
without the last chunk, so the client sees a truncated body rather than a complete one.

A handler that works for a while (generating, sleeping) wraps that work in
`with responder.cancel_on_disconnect():` — the connection is then watched, and if the
client goes away the block is cancelled (as an inference server stops generating) and
`responder.client_gone` is set (`wait_client_gone()` waits for that instead). The first such
request of a connection starts a reader task that stays for the connection's life: from then
on it reads for the requests, so watching costs no task (and no cancellation) per request.
"""

from __future__ import annotations

import json
import logging
import math
import sys
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from types import TracebackType

import attrs
import trio

from cocoon.http import _wire
from cocoon.http.errors import (
    HttpBodyTooLarge,
    HttpError,
    HttpHeadTooLarge,
    HttpNotImplemented,
    HttpProtocolError,
)
from cocoon.net import tcp

log = logging.getLogger("cocoon.http.server")

RECEIVE_SIZE = 65536
MAX_BODY_SIZE = 16 * 1024 * 1024
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


@attrs.define
class HttpRequest:
    method: str
    target: str  # path and query (an absolute-form target arrives as its path and query)
    http_version: str  # "1.1" or "1.0"
    headers: list[tuple[str, str]]  # as received
    body: bytes

    @property
    def path(self) -> str:
        return self.target.partition("?")[0]

    @property
    def query(self) -> str:
        return self.target.partition("?")[2]

    def header(self, name: str) -> str | None:
        """The first value of a header, by case-insensitive name."""
        name = name.lower()
        for n, v in self.headers:
            if n.lower() == name:
                return v
        return None


class _DisconnectWatch:
    """`with responder.cancel_on_disconnect():` written as a class rather than a generator
    context manager (entered once per request): a cancel scope the connection's reader
    cancels when the client leaves."""

    __slots__ = ("_responder", "_scope")

    def __init__(self, responder: HttpResponder) -> None:
        self._responder = responder
        self._scope = trio.CancelScope()

    def __enter__(self) -> None:
        scope = self._scope
        scope.__enter__()
        try:
            self._responder._conn.watch(scope)
        except BaseException:
            scope.__exit__(*sys.exc_info())
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        responder = self._responder
        conn = responder._conn
        conn.watched = None
        # The scope swallows the cancellation it caused (True); another error propagates.
        swallowed = self._scope.__exit__(exc_type, exc, tb)
        if exc_type is not None and not swallowed:
            return False
        if conn.gone.is_set():
            responder.client_gone = True
        return swallowed


class HttpResponder:
    """Sends the one response to a request: `respond()` whole, or `start()`/`write()`/`end()`.

    Content-Length, Transfer-Encoding and Connection are set here; headers given with those
    names are dropped.
    """

    __slots__ = (
        "_chunked",
        "_conn",
        "_no_body",
        "_stream",
        "_version",
        "aborted",
        "client_gone",
        "finished",
        "keep_alive",
        "started",
    )

    def __init__(
        self, conn: _Connection, version: str, keep_alive: bool, *, head_request: bool = False
    ) -> None:
        self._conn = conn
        self._no_body = head_request  # a HEAD request, or a status that has no body
        self._stream = conn.stream
        self._version = version
        self.client_gone = False
        self._chunked = False
        self.keep_alive = keep_alive
        self.started = False
        self.finished = False
        self.aborted = False

    def _head(self, status: int, headers: Sequence[tuple[str, str]], extra: list) -> bytes:
        reason = _wire.REASONS.get(status, "Unknown")
        out = [h for h in headers if h[0].lower() not in _FRAMING]
        out += extra
        if self._version == "1.0" and self.keep_alive:
            out.append(("Connection", "keep-alive"))
        elif not self.keep_alive:
            out.append(("Connection", "close"))
        return _wire.encode_head(f"HTTP/1.1 {status} {reason}", out)

    async def respond(
        self, status: int, headers: Sequence[tuple[str, str]] = (), body: bytes = b""
    ) -> None:
        """Send a whole response with `Content-Length` (none for 1xx, 204 and 304; the body
        is not sent in answer to HEAD)."""
        self._check_unstarted()
        self.started = self.finished = True
        if status < 200 or status in _NO_BODY_STATUS:
            head = self._head(status, headers, [])
            body = b""
        else:
            head = self._head(status, headers, [("Content-Length", str(len(body)))])
        if self._no_body:
            body = b""
        await self._conn.send(head + body if body else head)

    async def start(
        self,
        status: int,
        headers: Sequence[tuple[str, str]] = (),
        data: bytes = b"",
        *,
        last: bool = False,
    ) -> None:
        """Send the head of a streamed response: chunked, or until close for HTTP/1.0; with
        the first body bytes (`data`) in the same write, and, with `last`, the end too."""
        self._check_unstarted()
        self.started = True
        if status < 200 or status in _NO_BODY_STATUS:
            self._no_body = True
        if self._no_body:
            head = self._head(status, headers, [])  # writes are dropped
            data = b""
        elif self._version == "1.1":
            self._chunked = True
            head = self._head(status, headers, [("Transfer-Encoding", "chunked")])
            if data:
                data = _wire.encode_chunk(data)
            if last:
                data += _wire.LAST_CHUNK
        else:
            self.keep_alive = False
            head = self._head(status, headers, [])
        if last:
            self.finished = True
        await self._conn.send(head + data if data else head)

    async def write(self, data: bytes) -> None:
        if not self.started or self.finished:
            raise HttpError("write() needs start() first and end() not yet called")
        if data and not self._no_body:
            await self._conn.send(_wire.encode_chunk(data) if self._chunked else data)

    async def end(self, data: bytes = b"") -> None:
        """Send `data` (optional) and finish the streamed body."""
        if not self.started or self.finished:
            raise HttpError("end() needs start() first and end() not yet called")
        self.finished = True
        if self._no_body:
            await trio.lowlevel.checkpoint()
        elif self._chunked:
            tail = (_wire.encode_chunk(data) if data else b"") + _wire.LAST_CHUNK
            await self._conn.send(tail)
        elif data:
            await self._conn.send(data)

    async def abort(self) -> None:
        """Close the connection at once (the client sees a reset or a truncated body)."""
        self.aborted = self.finished = True
        self.keep_alive = False
        await trio.aclose_forcefully(self._stream)

    def cancel_on_disconnect(self) -> _DisconnectWatch:
        """Cancel the body of this `with` if the client disconnects meanwhile (then
        `client_gone` is true after it)."""
        return _DisconnectWatch(self)

    async def wait_client_gone(self) -> None:
        """Return once the client has closed the connection (`client_gone` is then true).
        Bytes of its next request that arrive meanwhile are kept for their turn."""
        conn = self._conn
        conn.watch(None)
        await conn.gone.wait()
        self.client_gone = True

    def _check_unstarted(self) -> None:
        if self.started:
            raise HttpError("the response was already started")


_FRAMING = frozenset({"content-length", "transfer-encoding", "connection"})
# What a wait for the next request is waiting for (the idle scope's deadline depends on it).
_NONE, _IDLE, _HEAD, _BODY = range(4)
_NO_BODY_STATUS = frozenset({204, 304})

Handler = Callable[[HttpRequest, HttpResponder], Awaitable[None]]
# The headers and body of the server's own refusal with this status (400, 408, 413, 431,
# 501), or None for the default: an OpenAI-shaped JSON error.
Refusal = Callable[[int], tuple[list[tuple[str, str]], bytes] | None]


@attrs.frozen
class ServerLimits:
    max_head_size: int = _wire.MAX_HEAD_SIZE
    max_body_size: int = MAX_BODY_SIZE
    keepalive_timeout: float = 75.0  # idle time between requests before we hang up
    # A request head must arrive within this long of its first byte, and the first request
    # within this long of the connection opening (else 408, or a silent close if nothing came).
    head_timeout: float = 20.0
    body_timeout: float = 60.0  # a request body must arrive within this long (else 408)
    # A client that takes nothing of an answer for this long (one send stuck between two
    # checks, so 1-2x this) has its connection closed: it holds no buffers indefinitely.
    send_timeout: float = 60.0
    refusal: Refusal | None = None  # what a request beyond these limits is answered


_REFUSAL_CODES = {
    400: "bad_request",
    408: "request_timeout",
    413: "request_too_large",
    431: "request_header_fields_too_large",
    501: "not_implemented",
}


def _default_refusal(status: int, message: str) -> tuple[list[tuple[str, str]], bytes]:
    error = {
        "message": message,
        "type": "invalid_request_error",
        "param": None,
        "code": _REFUSAL_CODES.get(status),
    }
    body = json.dumps({"error": error}, separators=(",", ":")).encode()
    return [("Content-Type", "application/json")], body


async def _error(
    stream: trio.abc.Stream, status: int, refusal: Refusal | None = None, message: str = ""
) -> None:
    answer = refusal(status) if refusal is not None else None
    if answer is None:
        answer = _default_refusal(status, message or _wire.REASONS[status])
    headers, body = answer
    lines = [f"HTTP/1.1 {status} {_wire.REASONS[status]}"]
    lines += [f"{name}: {value}" for name, value in headers]
    lines += [f"Content-Length: {len(body)}", "Connection: close", "", ""]
    data = "\r\n".join(lines).encode("latin-1") + body
    with trio.move_on_after(1):
        try:
            await stream.send_all(data)
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
            pass


class _Connection:
    """One client connection: a loop of request, handler, response."""

    __slots__ = (
        "_arrived",
        "_consumed",
        "_incoming",
        "_nursery",
        "_reading",
        "_send_seq",
        "_sending",
        "gone",
        "handler",
        "idle_scope",
        "limits",
        "reader",
        "served",
        "stream",
        "waiting",
        "watched",
    )

    def __init__(self, stream: trio.abc.Stream, handler: Handler, limits: ServerLimits) -> None:
        self.stream = stream
        self.handler = handler
        self.limits = limits
        self.reader = _wire.RequestReader(limits.max_head_size, limits.max_body_size)
        self._send_seq = 0  # sends started
        self._sending = False
        self.served = 0  # requests read on this connection
        self.waiting = _NONE  # what a wait for the next request is waiting for
        self.gone = trio.Event()  # the client closed (or reset) the connection
        self.watched: trio.CancelScope | None = None
        self._nursery: trio.Nursery | None = None
        self._reading = False  # a reader task reads for us (see `watch`)
        self._incoming: list[bytes] = []
        self._arrived = trio.Event()
        self._consumed = trio.Event()

    async def run(self) -> None:
        try:
            async with trio.open_nursery() as self._nursery:
                self._nursery.start_soon(self._watch_sends)
                await self._serve()
                self._nursery.cancel_scope.cancel()  # the watchdog, the reader if started
        finally:
            self.reader.close()
            await trio.aclose_forcefully(self.stream)

    async def send(self, data: bytes) -> None:
        self._send_seq += 1
        self._sending = True
        try:
            await self.stream.send_all(data)
        finally:
            self._sending = False

    async def _watch_sends(self) -> None:
        """Close the connection of a client that stopped reading (its answer's sends block):
        the same send still under way at two checks `send_timeout` apart. The blocked send
        then fails as if the client had gone, and the handler ends as for one that left.
        (A check, not a deadline per send: sends are the hot path of streamed answers.)"""
        timeout = self.limits.send_timeout
        seen = -1
        while True:
            await trio.sleep(timeout)
            if self._sending and self._send_seq == seen:
                log.info("closing a connection whose client has not read for %.0f s", timeout)
                await trio.aclose_forcefully(self.stream)
                return
            seen = self._send_seq

    async def _serve(self) -> None:
        try:
            # One scope for the connection's life; its deadline is armed only while we wait
            # for the next request (cheaper than a new scope per request).
            with trio.CancelScope() as self.idle_scope:
                while await self._one_request():
                    pass
            if self.idle_scope.cancelled_caught and (
                self.waiting == _BODY or (self.waiting == _HEAD and self.reader.started)
            ):
                part = "body" if self.waiting == _BODY else "head"
                await _error(
                    self.stream, 408, self.limits.refusal, f"the request {part} came too slowly"
                )
        except HttpProtocolError as exc:
            log.debug("bad request: %s", exc)
            if isinstance(exc, HttpHeadTooLarge):
                status = 431
            elif isinstance(exc, HttpBodyTooLarge):
                status = 413
            elif isinstance(exc, HttpNotImplemented):
                status = 501
            else:
                status = 400
            await _error(self.stream, status, self.limits.refusal, str(exc))
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
            pass  # the client went away
        except Exception:
            log.exception("HTTP connection failed")

    def watch(self, scope: trio.CancelScope | None) -> None:
        """Notice the client leaving from now on (cancelling `scope` then, if given)."""
        self.watched = scope
        if self.gone.is_set():
            if scope is not None:
                scope.cancel()
        elif not self._reading:
            assert self._nursery is not None
            self._reading = True
            self._nursery.start_soon(self._reader)

    async def _reader(self) -> None:
        """Read for the connection from now on: EOF or a reset means the client left."""
        limit = self.limits.max_head_size
        while True:
            try:
                data = await self.stream.receive_some(RECEIVE_SIZE)
            except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
                data = b""
            if not data:
                self.gone.set()
                self._arrived.set()
                if self.watched is not None:
                    self.watched.cancel()
                return
            self._incoming.append(data)
            self._arrived.set()
            if sum(map(len, self._incoming)) > limit:  # the next request, early: enough
                await self._consumed.wait()
                self._consumed = trio.Event()

    async def _receive(self) -> bytes:
        if not self._reading:
            return await self.stream.receive_some(RECEIVE_SIZE)
        while not self._incoming:
            if self.gone.is_set():
                return b""
            await self._arrived.wait()
            self._arrived = trio.Event()
        data = b"".join(self._incoming)
        self._incoming.clear()
        self._consumed.set()
        return data

    async def _one_request(self) -> bool:
        """Serve one request; whether the connection stays open for another."""
        item = self.reader.next_request()
        if item is None:
            item = await self._receive_request()
            if item is None:
                return False
        head, body = item
        self.served += 1
        request = HttpRequest(head.method, head.target, head.http_version, head.headers, body)
        responder = HttpResponder(
            self, head.http_version, head.keep_alive, head_request=head.method == "HEAD"
        )
        await self._run_handler(request, responder)
        if responder.aborted or responder.client_gone:
            return False
        if not responder.started:
            responder.keep_alive = False
            await responder.respond(500)
        elif not responder.finished:
            await responder.end()
        return responder.keep_alive

    async def _receive_request(self) -> tuple[_wire.RequestHead, bytes] | None:
        """Read until the next request is complete; None when the client closed first.

        The connection's idle scope bounds each wait: for the first byte of a request
        (`keepalive_timeout` between requests, `head_timeout` on a new connection), for the
        rest of its head (`head_timeout` from its first byte) and for its body
        (`body_timeout` from the end of its head)."""
        reader = self.reader
        scope = self.idle_scope
        if not reader.started:
            self.waiting = _IDLE if self.served else _HEAD  # a new connection: its head's time
            scope.deadline = trio.current_time() + (
                self.limits.keepalive_timeout if self.served else self.limits.head_timeout
            )
        await self._arm()  # part of the request may have come with the one before
        while True:
            data = await self._receive()
            if not data:
                if reader.started:
                    raise HttpProtocolError("connection closed inside a request")
                return None
            reader.feed(data)
            item = reader.next_request()
            if item is not None:
                self.waiting = _NONE
                scope.deadline = math.inf
                return item
            await self._arm()

    async def _arm(self) -> None:
        """Time what the wait is for now: the rest of a head from its first byte, a body from
        the end of its head (asking for it with 100 Continue if the client waits for that)."""
        reader = self.reader
        current = reader.current
        if current is not None:
            if self.waiting != _BODY:
                self.waiting = _BODY
                self.idle_scope.deadline = trio.current_time() + self.limits.body_timeout
                if current.expect_continue:
                    await self.stream.send_all(_CONTINUE)
        elif reader.started and self.waiting != _HEAD:
            self.waiting = _HEAD
            self.idle_scope.deadline = trio.current_time() + self.limits.head_timeout

    async def _run_handler(self, request: HttpRequest, responder: HttpResponder) -> None:
        try:
            await self.handler(request, responder)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            responder.aborted = True  # the client went away while we answered
        except Exception:
            log.exception("HTTP handler failed on %s %s", request.method, request.target)
            if responder.started:
                # Never end a failed body normally: the client must see it was cut short.
                await responder.abort()
            # else: the caller answers 500


async def serve_http(
    handler: Handler,
    port: int,
    *,
    host: str = "127.0.0.1",
    limits: ServerLimits = ServerLimits(),
    task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve `handler` on host:port until cancelled. `task_status.started(port)` once
    listening, with the bound port (port 0 picks a free one)."""
    sock = tcp.listen_tcp(host, port)
    try:
        async with trio.open_nursery() as nursery:
            task_status.started(sock.getsockname()[1])
            while True:
                stream = await tcp.accept(sock)
                nursery.start_soon(
                    partial(serve_connection, stream, handler=handler, limits=limits)
                )
    finally:
        sock.close()


async def serve_connection(
    stream: trio.abc.Stream, *, handler: Handler, limits: ServerLimits = ServerLimits()
) -> None:
    """Serve requests on one connected stream until either side closes it (any Stream:
    tests use in-memory pairs)."""
    await _Connection(stream, handler, limits).run()
