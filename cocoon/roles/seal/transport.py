"""Seal sockets and frame I/O over any `trio.abc.Stream`.

VSOCK goes through trio's socket layer unchanged (`AF_VSOCK` addresses are `(cid, port)`
tuples, which trio passes through), wrapped in `trio.SocketStream` like TCP.
"""

from __future__ import annotations

import socket

import trio

from cocoon.net.tcp import open_tcp_listeners
from cocoon.roles.seal.config import SealAddress
from cocoon.roles.seal.errors import SealUnavailable
from cocoon.roles.seal.framing import FrameDecoder, encode_frame

RECEIVE_CHUNK = 65536
LISTEN_BACKLOG = 8192  # as the reference's seal-server


async def open_seal_listeners(address: SealAddress) -> list[trio.SocketListener]:
    """Bound, listening sockets for `address` (TCP port 0 picks a free port)."""
    if address.transport == "tcp":
        return await open_tcp_listeners(address.port, host=address.host, backlog=LISTEN_BACKLOG)
    sock = trio.socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)
    try:
        await sock.bind((address.cid, address.port))
        sock.listen(LISTEN_BACKLOG)
    except BaseException:
        sock.close()
        raise
    return [trio.SocketListener(sock)]


def listener_address(listener: trio.SocketListener, requested: SealAddress) -> SealAddress:
    """The address a listener is actually bound to (the port it got for port 0)."""
    name = listener.socket.getsockname()
    if requested.transport == "vsock":
        return SealAddress.vsock(name[0], name[1])
    return SealAddress.tcp(name[0], name[1])


async def open_seal_stream(address: SealAddress) -> trio.SocketStream:
    """Connect to a seal server; `SealUnavailable` if nobody answers there."""
    try:
        if address.transport == "tcp":
            return await trio.open_tcp_stream(address.host, address.port)
        sock = trio.socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)
        try:
            await sock.connect((address.cid, address.port))
        except BaseException:
            sock.close()
            raise
        return trio.SocketStream(sock)
    except OSError as e:
        raise SealUnavailable(f"cannot connect to the seal server at {address}: {e}") from e


async def send_frame(stream: trio.abc.SendStream, payload: bytes) -> None:
    await stream.send_all(encode_frame(payload))


async def receive_frame(stream: trio.abc.ReceiveStream, decoder: FrameDecoder) -> bytes | None:
    """The next frame's payload; None at a clean end of stream (between frames). A frame cut
    short or too long raises `SealFrameError` as soon as that is known."""
    while (frame := decoder.next_frame()) is None:
        data = await stream.receive_some(RECEIVE_CHUNK)
        if not data:
            decoder.check_eof()
            return None
        decoder.feed(data)
    return frame
