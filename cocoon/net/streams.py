"""Small `trio.abc.Stream` wrappers shared by the layers above."""

from __future__ import annotations

import trio


class PrefixedStream(trio.abc.Stream):
    """A stream whose first received bytes are `prefix`, then whatever `stream` receives.

    Used when a handshake read past its own end (a SOCKS5 reply followed by the router's
    preamble in one segment): the surplus is handed on instead of being lost.
    """

    def __init__(self, stream: trio.abc.Stream, prefix: bytes) -> None:
        self.stream = stream
        self._prefix = prefix

    async def receive_some(self, max_bytes: int | None = None) -> bytes:
        if self._prefix:
            n = len(self._prefix) if max_bytes is None else max_bytes
            data, self._prefix = self._prefix[:n], self._prefix[n:]
            return data
        return await self.stream.receive_some(max_bytes)

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        await self.stream.send_all(data)

    async def wait_send_all_might_not_block(self) -> None:
        await self.stream.wait_send_all_might_not_block()

    async def aclose(self) -> None:
        self._prefix = b""
        await self.stream.aclose()
