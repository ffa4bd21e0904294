"""Transports for session tests: the same code over memory streams and over real TCP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
import trio
import trio.testing


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
async def _memory_pair() -> AsyncIterator[tuple[trio.abc.Stream, trio.abc.Stream]]:
    yield trio.testing.memory_stream_pair()


@pytest.fixture(params=["memory", "tcp"])
def stream_pair(request):
    """An async context manager factory giving two connected streams."""
    return _memory_pair if request.param == "memory" else _tcp_pair
