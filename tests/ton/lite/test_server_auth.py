"""The liteserver front end takes a client's `tcp.authentificate` as TON's server does (tonlib
authenticates every connection): a nonce back, the client's signature of both nonces checked,
queries answered after; a wrong signature closes the connection."""

from __future__ import annotations

import os

import pytest
import trio
import trio.testing
from nacl.signing import SigningKey

from cocoon.ton.lite import tl
from cocoon.ton.lite.connection import handshake_client
from cocoon.ton.lite.errors import LiteTransportError
from cocoon.ton.lite.server import LiteServer

from .helpers import SERVER_KEY, ToyHandler


@pytest.mark.parametrize("good", [True, False])
async def test_an_authenticating_client_is_served_or_dropped(
    autojump_clock: trio.abc.Clock, good: bool
) -> None:
    server = LiteServer(ToyHandler(), SERVER_KEY)
    client_end, server_end = trio.testing.memory_stream_pair()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(server.serve_stream, server_end)
        conn = await handshake_client(client_end, server.public_key)
        ours = os.urandom(32)
        await conn.send(tl.encode("tcp.authentificate", {"nonce": ours}))
        theirs = tl.decode(await conn.receive(), "tcp.authentificationNonce")["nonce"]
        assert len(theirs) == 256
        key = SigningKey.generate()
        signature = key.sign(ours + theirs if good else theirs + ours).signature
        complete = {
            "key": {"@type": "pub.ed25519", "key": bytes(key.verify_key)},
            "signature": signature,
        }
        await conn.send(tl.encode("tcp.authentificationComplete", complete))
        query = tl.encode("liteServer.query", {"data": tl.encode("liteServer.getTime", {})})
        packet = tl.encode("adnl.message.query", {"query_id": bytes(32), "query": query})
        if good:
            await conn.send(packet)
            answer = tl.decode(await conn.receive(), "adnl.message.answer")
            assert tl.decode(answer["answer"], "liteServer.CurrentTime")["now"] > 0
        else:
            with pytest.raises(LiteTransportError):  # closed: the send or the receive fails
                await conn.send(packet)
                await conn.receive()
        await conn.aclose()
        nursery.cancel_scope.cancel()
