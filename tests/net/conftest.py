"""Transports for session tests: the same code over memory streams, over real TCP with trio's
stream, and over real TCP with ours (`cocoon.net.tcp`, which lets a session send directly)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
import trio
import trio.testing

from cocoon.net.tcp import from_trio


@asynccontextmanager
async def _tcp_pair() -> AsyncIterator[tuple[trio.abc.Stream, trio.abc.Stream]]:
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    port = listeners[0].socket.getsockname()[1]
    client = await trio.open_tcp_stream("127.0.0.1", port)
    server = await listeners[0].accept()
    await listeners[0].aclose()
    try:
        yield client, server
    finally:
        await client.aclose()
        await server.aclose()


@asynccontextmanager
async def _socket_pair() -> AsyncIterator[tuple[trio.abc.Stream, trio.abc.Stream]]:
    async with _tcp_pair() as (client, server):
        ours = from_trio(client), from_trio(server)
        try:
            yield ours
        finally:
            for stream in ours:
                stream.close()


@asynccontextmanager
async def _memory_pair() -> AsyncIterator[tuple[trio.abc.Stream, trio.abc.Stream]]:
    yield trio.testing.memory_stream_pair()


PAIRS = {"memory": _memory_pair, "tcp": _tcp_pair, "socket": _socket_pair}


@pytest.fixture(params=list(PAIRS))
def stream_pair(request):
    """An async context manager factory giving two connected streams."""
    return PAIRS[request.param]
