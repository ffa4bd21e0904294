"""TCP for the hot paths (HTTP, and the RA-TLS connections between roles): a
`trio.abc.Stream` over a plain non-blocking socket.

`trio.SocketStream` yields to the scheduler on every send and receive, even when the kernel
could complete it at once; on a request/response path that is several scheduler passes per
request. This stream yields only when it must wait (and on every 16th operation that did
not, so a busy connection cannot starve the other tasks); it still notices cancellation at
the start of every call, before any byte moves, so a cancelled call never loses data.
Everything else keeps trio's semantics: waiting uses trio's I/O manager, `aclose()` wakes a
task blocked on the socket with `ClosedResourceError`, a reset peer gives
`BrokenResourceError`. `from_trio` takes over a connection trio accepted or opened.

`send_nowait` sends without waiting at all, for a caller that has a whole message and no
reason to yield (a session's sender when its writer task is idle): what the kernel does not
take at once is kept, and the next `send_all` sends it before anything else.
"""

from __future__ import annotations

import errno
import socket

import trio
from trio.lowlevel import (
    cancel_shielded_checkpoint,
    checkpoint,
    checkpoint_if_cancelled,
    notify_closing,
    wait_readable,
    wait_writable,
)

RECEIVE_SIZE = 65536
_FAIRNESS = 15  # yield on every 16th operation that completed at once


class SocketStream(trio.abc.HalfCloseableStream):
    """A connected TCP socket (non-blocking, TCP_NODELAY) as a trio stream."""

    def __init__(self, sock: socket.socket) -> None:
        sock.setblocking(False)
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.socket = sock
        self._ops = 0
        self._closed = False
        self._sending = False  # a send_all is under way (maybe waiting for the socket)
        self._unsent: memoryview | None = None  # what send_nowait could not send at once

    @property
    def send_pending(self) -> bool:
        """Bytes taken by `send_nowait` are still waiting for the socket."""
        return self._unsent is not None

    def send_nowait(self, data: bytes | bytearray | memoryview) -> bool:
        """Send `data` without waiting: False (nothing taken) when another send is under way
        or earlier bytes are still pending; else True, and what the socket did not take now
        stays pending for the next `send_all` (which sends it first). Never a scheduler pass."""
        if self._closed:
            raise trio.ClosedResourceError("the stream is closed")
        if self._sending or self._unsent is not None:
            return False
        try:
            sent = self.socket.send(data)
        except BlockingIOError:
            sent = 0
        except OSError as exc:
            raise trio.BrokenResourceError(exc) from exc
        if sent < len(data):
            # Kept as bytes: a caller may reuse a buffer it handed us.
            kept = data if isinstance(data, bytes) else bytes(data)
            self._unsent = memoryview(kept)[sent:]
        return True

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        """Send what `send_nowait` left pending, then `data` (b"": only what is pending).
        A cancellation while the pending bytes wait for the socket keeps the rest of them
        pending, so a frame is never cut."""
        if self._closed:
            raise trio.ClosedResourceError("the stream is closed")
        await checkpoint_if_cancelled()
        sock = self.socket
        self._sending = True
        try:
            if self._unsent is not None:
                await self._send_unsent()
            total = len(data)
            sent = 0
            view = data
            while sent < total:
                try:
                    sent += sock.send(view)
                except BlockingIOError:
                    pass
                except OSError as exc:
                    if self._closed:
                        raise trio.ClosedResourceError("the stream is closed") from None
                    raise trio.BrokenResourceError(exc) from exc
                if sent >= total:
                    break
                view = memoryview(data)[sent:]
                await wait_writable(sock)
        finally:
            self._sending = False
        # The fairness yield, written out here and in `receive_some` (not a coroutine of its
        # own: one less per operation). After the data moved, a cancellation must not be
        # raised (it would lose the data); it is seen by the next call, which checks first.
        self._ops += 1
        if not self._ops & _FAIRNESS:
            await cancel_shielded_checkpoint()

    async def _send_unsent(self) -> None:
        while self._unsent is not None:
            unsent = self._unsent
            try:
                sent = self.socket.send(unsent)
            except BlockingIOError:
                sent = 0
            except OSError as exc:
                if self._closed:
                    raise trio.ClosedResourceError("the stream is closed") from None
                raise trio.BrokenResourceError(exc) from exc
            self._unsent = unsent[sent:] if sent < len(unsent) else None
            if self._unsent is not None:
                await wait_writable(self.socket)

    async def wait_send_all_might_not_block(self) -> None:
        await wait_writable(self.socket)

    async def send_eof(self) -> None:
        if self._closed:
            raise trio.ClosedResourceError("the stream is closed")
        await checkpoint()
        if self._unsent is not None:
            await self._send_unsent()  # the end goes after what send_nowait left
        try:
            self.socket.shutdown(socket.SHUT_WR)
        except OSError as exc:
            raise trio.BrokenResourceError(exc) from exc

    async def receive_some(self, max_bytes: int | None = None) -> bytes:
        if self._closed:
            raise trio.ClosedResourceError("the stream is closed")
        await checkpoint_if_cancelled()
        sock = self.socket
        size = max_bytes or RECEIVE_SIZE
        while True:
            try:
                data = sock.recv(size)
                break
            except BlockingIOError:
                await wait_readable(sock)
            except OSError as exc:
                if self._closed:
                    raise trio.ClosedResourceError("the stream is closed") from None
                raise trio.BrokenResourceError(exc) from exc
        self._ops += 1  # the fairness yield, as in `send_all`
        if not self._ops & _FAIRNESS:
            await cancel_shielded_checkpoint()
        return data

    async def aclose(self) -> None:
        self.close()
        await checkpoint()

    def close(self) -> None:
        """Close now, without waiting (usable where no await is possible)."""
        if not self._closed:
            self._closed = True
            notify_closing(self.socket)
            self.socket.close()


def from_trio(stream: trio.SocketStream) -> SocketStream:
    """The same connection as a `SocketStream` (`stream` must not be used afterwards)."""
    return SocketStream(socket.socket(fileno=stream.socket.detach()))


async def connect_tcp(host: str, port: int) -> SocketStream:
    """Connect to host:port (first address that answers); OSError when none does."""
    infos = await trio.socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    last: OSError = OSError(f"no address for {host}")
    for family, type_, proto, _name, address in infos:
        sock = socket.socket(family, type_, proto)
        try:
            sock.setblocking(False)
            err = sock.connect_ex(address)
            if err == errno.EINPROGRESS:
                await wait_writable(sock)
                err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                raise OSError(err, f"connect to {address}: {errno.errorcode.get(err, err)}")
        except OSError as exc:
            sock.close()
            last = exc
            continue
        except BaseException:
            sock.close()
            raise
        return SocketStream(sock)
    raise last


def listen_error(host: str | None, port: int, error: OSError) -> OSError:
    """`error` (a port in use, a host that does not resolve) naming the address it is about."""
    named = type(error)(f"cannot listen on {host or '*'}:{port}: {error.strerror or error}")
    named.errno = error.errno
    return named


def listen_tcp(host: str, port: int, backlog: int = 1024) -> socket.socket:
    """A listening, non-blocking socket on host:port (port 0: any free one)."""
    try:
        family, type_, proto, _name, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except OSError as e:
        raise listen_error(host, port, e) from e
    sock = socket.socket(family, type_, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(backlog)
        sock.setblocking(False)
    except OSError as e:
        sock.close()
        raise listen_error(host, port, e) from e
    except BaseException:
        sock.close()
        raise
    return sock


async def open_tcp_listeners(
    port: int, *, host: str | None = None, backlog: int | None = None
) -> list[trio.SocketListener]:
    """`trio.open_tcp_listeners`, its errors naming the address."""
    try:
        return await trio.open_tcp_listeners(port, host=host, backlog=backlog)
    except OSError as e:
        raise listen_error(host, port, e) from e


# Resource shortages that pass: wait and accept again rather than crash the server.
_ACCEPT_RETRY_LATER = {errno.EMFILE, errno.ENFILE, errno.ENOMEM, errno.ENOBUFS}


async def accept(sock: socket.socket) -> SocketStream:
    """The next connection on a listening socket."""
    while True:
        try:
            conn, _addr = sock.accept()
        except BlockingIOError:
            await wait_readable(sock)
            continue
        except OSError as exc:
            if exc.errno in _ACCEPT_RETRY_LATER:
                await trio.sleep(0.1)
                continue
            if exc.errno == errno.ECONNABORTED:
                continue
            raise
        return SocketStream(conn)
