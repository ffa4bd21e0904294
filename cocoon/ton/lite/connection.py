"""An ADNL session over a `trio.abc.Stream` (TCP or, in tests, memory): the handshake of either
side, then packets, using the sans-IO codec of `cocoon.ton.lite.adnl`."""

from __future__ import annotations

from collections.abc import Sequence

import trio

from cocoon.ton.lite.adnl import (
    HANDSHAKE_SIZE,
    MAX_PACKET_SIZE,
    AdnlCodec,
    client_codec,
    client_hello,
    server_accept,
)
from cocoon.ton.lite.errors import LiteHandshakeError, LiteTransportError

RECEIVE_SIZE = 65536

_STREAM_ERRORS = (trio.BrokenResourceError, trio.ClosedResourceError, OSError)


class AdnlConnection:
    """An established ADNL session over a stream: one reader, any number of senders."""

    def __init__(self, stream: trio.abc.Stream, codec: AdnlCodec) -> None:
        self.stream = stream
        self._codec = codec
        self._send_lock = trio.StrictFIFOLock()
        self._send_broken = False

    async def send(self, payload: bytes) -> None:
        """Send one packet; see `send_many`."""
        await self.send_many((payload,))

    async def send_many(self, payloads: Sequence[bytes]) -> None:
        """Send packets in order, in one write. A send cancelled halfway leaves the stream
        unusable (the peer's decryption would be out of step), so the connection then refuses
        further sends."""
        async with self._send_lock:
            if self._send_broken:
                raise LiteTransportError(
                    "an earlier send was interrupted; the connection is unusable"
                )
            data = b"".join([self._codec.frame(p) for p in payloads])
            self._send_broken = True
            try:
                await self.stream.send_all(data)
            except _STREAM_ERRORS as e:
                raise LiteTransportError(f"send failed: {e or type(e).__name__}") from e
            self._send_broken = False

    async def receive(self) -> bytes:
        """The payload of the next packet (b"" for a keepalive)."""
        while True:
            packet = self._codec.next_packet()
            if packet is not None:
                return packet
            try:
                data = await self.stream.receive_some(RECEIVE_SIZE)
            except _STREAM_ERRORS as e:
                raise LiteTransportError(f"receive failed: {e or type(e).__name__}") from e
            if not data:
                raise LiteTransportError("the peer closed the connection")
            self._codec.feed(data)

    async def aclose(self) -> None:
        with trio.CancelScope(shield=True):
            await self.stream.aclose()


async def handshake_client(
    stream: trio.abc.Stream, server_public_key: bytes, *, max_packet_size: int = MAX_PACKET_SIZE
) -> AdnlConnection:
    """Run the client side of the handshake on an open stream (the caller bounds its time)."""
    hello = client_hello(server_public_key)
    conn = AdnlConnection(stream, client_codec(hello, max_packet_size=max_packet_size))
    try:
        await stream.send_all(hello.packet)
    except _STREAM_ERRORS as e:
        raise LiteTransportError(f"handshake send failed: {e or type(e).__name__}") from e
    try:
        first = await conn.receive()
    except LiteTransportError as e:
        # A server that does not know our key id closes without a word.
        raise LiteHandshakeError(f"no handshake answer: {e}") from e
    if first:
        raise LiteHandshakeError("the server's first packet is not the empty handshake answer")
    return conn


async def handshake_server(
    stream: trio.abc.Stream, private_key: bytes, *, max_packet_size: int = MAX_PACKET_SIZE
) -> AdnlConnection:
    """Run the server side of the handshake on an accepted stream (the caller bounds its time)."""
    buf = bytearray()
    while len(buf) < HANDSHAKE_SIZE:
        try:
            data = await stream.receive_some(RECEIVE_SIZE)
        except _STREAM_ERRORS as e:
            raise LiteTransportError(f"handshake receive failed: {e or type(e).__name__}") from e
        if not data:
            raise LiteHandshakeError("the client closed before finishing the handshake")
        buf += data
    codec = server_accept(bytes(buf[:HANDSHAKE_SIZE]), private_key, max_packet_size=max_packet_size)
    # A client may send its first query right behind the handshake.
    codec.feed(bytes(buf[HANDSHAKE_SIZE:]))
    conn = AdnlConnection(stream, codec)
    await conn.send(b"")
    return conn


async def open_adnl_connection(
    host: str,
    port: int,
    server_public_key: bytes,
    *,
    max_packet_size: int = MAX_PACKET_SIZE,
) -> AdnlConnection:
    """Connect over TCP and run the handshake (the caller bounds its time)."""
    try:
        stream = await trio.open_tcp_stream(host, port)
    except OSError as e:
        raise LiteTransportError(f"cannot connect to {host}:{port}: {e}") from e
    try:
        return await handshake_client(stream, server_public_key, max_packet_size=max_packet_size)
    except BaseException:
        with trio.CancelScope(shield=True):
            await stream.aclose()
        raise
