"""A scripted raw TCP server for the client tests: each test says byte for byte what it answers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import trio


class RawServer:
    """Accepts connections and runs `script(stream, index)` on each; records what it saw."""

    def __init__(self, script: Callable[[trio.SocketStream, int], Awaitable[None]]) -> None:
        self.script = script
        self.port = 0
        self.connections = 0
        self.closed_by_peer = 0  # connections on which the client closed first
        self.peer_closed = trio.Event()

    async def serve(self, task_status=trio.TASK_STATUS_IGNORED) -> None:
        listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
        self.port = listeners[0].socket.getsockname()[1]
        await trio.serve_listeners(self._handle, listeners, task_status=task_status)

    async def _handle(self, stream: trio.SocketStream) -> None:
        index = self.connections
        self.connections += 1
        try:
            await self.script(stream, index)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            pass
        finally:
            await stream.aclose()

    async def wait_peer_close(self, stream: trio.abc.Stream) -> None:
        """Read until the client closes (what an inference server notices as a disconnect)."""
        try:
            while await stream.receive_some(65536):
                pass
        except trio.BrokenResourceError:
            pass
        self.closed_by_peer += 1
        self.peer_closed.set()


async def read_request(stream: trio.abc.Stream, buf: bytearray) -> bytes:
    """One request head (and a Content-Length body) from the stream; b"" at EOF."""
    while b"\r\n\r\n" not in buf:
        data = await stream.receive_some(65536)
        if not data:
            return b""
        buf += data
    end = buf.index(b"\r\n\r\n") + 4
    head = bytes(buf[:end])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    while len(buf) < end + length:
        buf += await stream.receive_some(65536)
    request = bytes(buf[: end + length])
    del buf[: end + length]
    return request
