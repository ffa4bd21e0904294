"""LiteClient against the in-process liteserver: over loopback TCP, and over memory streams with
a MockClock where time matters (pings, timeouts, the rate limit)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
import trio
import trio.testing

from cocoon.ton.lite import tl
from cocoon.ton.lite.adnl import public_key_of
from cocoon.ton.lite.client import ClientOptions, LiteClient, TokenBucket, open_lite_client
from cocoon.ton.lite.errors import (
    LiteHandshakeError,
    LiteServerError,
    LiteTimeoutError,
    LiteTransportError,
)
from cocoon.ton.lite.server import LiteServer, serve_lite
from cocoon.ton.lite.types import BlockId, BlockIdExt

from .helpers import OTHER_KEY, SERVER_KEY, ZERO_STATE, ToyHandler, block, memory_connector

SERVER_PUB = public_key_of(SERVER_KEY)


@asynccontextmanager
async def tcp_pair(
    handler: ToyHandler, options: ClientOptions | None = None
) -> AsyncIterator[tuple[LiteServer, LiteClient]]:
    async with trio.open_nursery() as nursery:
        server = await nursery.start(serve_lite, handler, 0, SERVER_KEY)
        async with open_lite_client("127.0.0.1", server.port, SERVER_PUB, options=options) as c:
            yield server, c
        nursery.cancel_scope.cancel()


@asynccontextmanager
async def memory_pair(
    handler: ToyHandler, options: ClientOptions | None = None
) -> AsyncIterator[tuple[LiteServer, LiteClient]]:
    server = LiteServer(handler, SERVER_KEY)
    async with trio.open_nursery() as nursery:
        connect = memory_connector(server, nursery)
        async with open_lite_client(None, None, SERVER_PUB, options=options, connect=connect) as c:
            yield server, c
        nursery.cancel_scope.cancel()


async def test_typed_calls_over_loopback_tcp() -> None:
    handler = ToyHandler(seqno=321)
    async with tcp_pair(handler) as (server, client):
        assert await client.get_time() == handler.now
        info = await client.get_masterchain_info()
        assert info.last == BlockIdExt.from_tl(block(321))
        assert info.init.root_hash == ZERO_STATE["root_hash"]
        ext = await client.get_masterchain_info_ext()
        assert (ext.last.seqno, ext.now, ext.last_utime) == (321, handler.now, handler.now - 3)
        header = await client.lookup_block(BlockId(-1, -(2**63), 300))
        assert header.id.seqno == 300
        assert header.header_proof == b"header of 300"
        assert header.mode == 1  # by seqno
        assert await client.send_message(b"\xb5\xee\x9c\x72external") == 1
        assert handler.sent == [b"\xb5\xee\x9c\x72external"]
        rtt = await client.ping()
        assert rtt >= 0
        assert server.connections_accepted == 1
        assert client.stats.connects == 1


async def test_proof_bearing_calls_carry_their_fields(autojump_clock: object) -> None:
    handler = ToyHandler(seqno=90)
    account = (0, bytes(range(32)))
    mc = BlockIdExt.from_tl(block(90))
    async with memory_pair(handler) as (_, client):
        header = await client.get_block_header(mc, mode=1)
        assert (header.id, header.mode, header.header_proof) == (mc, 1, b"proof")

        state = await client.get_account_state(mc, account)
        assert handler.last_query["account"] == {
            "@type": "liteServer.accountId",
            "workchain": 0,
            "id": bytes(range(32)),
        }
        assert state.id == mc
        assert state.shardblk.workchain == 0
        assert (state.shard_proof, state.proof, state.state) == (
            b"shard proof",
            b"account proof",
            b"state boc",
        )

        txs = await client.get_transactions(account, lt=123456, hash_=b"\x07" * 32, count=3)
        assert (handler.last_query["lt"], handler.last_query["hash"]) == (123456, b"\x07" * 32)
        assert len(txs.ids) == 3
        assert txs.transactions == b"transactions boc"

        known = BlockIdExt.from_tl(block(80))
        proof = await client.get_block_proof(known, mc)
        assert handler.last_query["mode"] == 1
        assert (proof.complete, proof.from_, proof.to) == (True, known, mc)
        step = proof.steps[0]
        assert step["@type"] == "liteServer.blockLinkForward"
        assert step["signatures"]["signatures"][0]["signature"] == b"sig"
        open_ended = await client.get_block_proof(known)
        assert handler.last_query["target_block"] is None
        assert open_ended.to.seqno == 90

        config = await client.get_config_params(mc, [34, 36])
        assert handler.last_query["param_list"] == [34, 36]
        assert config.id == mc


async def test_two_hundred_concurrent_queries_on_one_connection() -> None:
    handler = ToyHandler(seqno=1000)
    handler.barrier = 200  # no answer until all 200 are at the server together
    options = ClientOptions(max_in_flight=200)
    async with tcp_pair(handler, options) as (server, client):
        results: dict[int, int] = {}

        async def one(seqno: int) -> None:
            header = await client.lookup_block(BlockId(-1, -(2**63), seqno))
            results[seqno] = header.id.seqno

        with trio.fail_after(20):
            async with trio.open_nursery() as nursery:
                for seqno in range(200):
                    nursery.start_soon(one, seqno)
        assert results == {s: s for s in range(200)}
        assert server.connections_accepted == 1
        assert handler.max_active == 200


async def test_server_errors_are_mapped() -> None:
    handler = ToyHandler(seqno=10)
    async with tcp_pair(handler) as (_, client):
        with pytest.raises(LiteServerError) as info:
            await client.lookup_block(BlockId(-1, -(2**63), 11))
        assert (info.value.code, info.value.message) == (651, "block is not applied")
        # A lite_api function the handler lacks.
        with pytest.raises(LiteServerError) as info:
            await client.query("liteServer.getState", {"id": block(1)})
        assert info.value.code == 621
        # The connection survives errors.
        assert await client.get_time() == handler.now
        assert client.stats.server_errors == 2


async def test_wrong_server_key_is_a_handshake_error() -> None:
    async with trio.open_nursery() as nursery:
        server = await nursery.start(serve_lite, ToyHandler(), 0, SERVER_KEY)
        async with open_lite_client("127.0.0.1", server.port, public_key_of(OTHER_KEY)) as client:
            with pytest.raises(LiteHandshakeError):
                await client.get_time()
        nursery.cancel_scope.cancel()


async def test_connection_refused_then_backoff() -> None:
    attempts = 0
    listener = (await trio.open_tcp_listeners(0, host="127.0.0.1"))[0]
    port = listener.socket.getsockname()[1]
    await listener.aclose()  # nobody listens there now

    async with open_lite_client("127.0.0.1", port, SERVER_PUB) as client:
        original = client._connect

        async def counting() -> trio.abc.Stream:
            nonlocal attempts
            attempts += 1
            return await original()

        client._connect = counting
        with pytest.raises(LiteTransportError, match="cannot connect"):
            await client.get_time()
        # Within the backoff a query fails at once, without another connect.
        with pytest.raises(LiteTransportError, match="last attempt"):
            await client.get_time()
        assert attempts == 1


async def test_reconnect_after_the_server_drops() -> None:
    handler = ToyHandler()
    async with tcp_pair(handler) as (server, client):
        assert await client.get_time() == handler.now
        server.drop_connections()
        with trio.fail_after(5):
            await client.wait_disconnected()
        assert not client.connected
        assert await client.get_time() == handler.now
        assert client.stats.connects == 2
        assert server.connections_accepted == 2


async def test_refused_connection_is_a_transport_error(autojump_clock: object) -> None:
    handler = ToyHandler()
    async with memory_pair(handler) as (server, client):
        server.faults.refuse_connections = True
        with pytest.raises(LiteTransportError):
            await client.get_time()
        assert server.connections_accepted == 0
        server.faults.refuse_connections = False
        await trio.sleep(client.options.reconnect_backoff)  # past the backoff
        assert await client.get_time() == handler.now


async def test_query_in_flight_when_the_connection_drops_fails(autojump_clock: object) -> None:
    handler = ToyHandler()
    async with memory_pair(handler) as (server, client):
        server.faults.delay = 30

        async def drop_soon() -> None:
            await trio.sleep(1)
            server.drop_connections()

        async with trio.open_nursery() as nursery:
            nursery.start_soon(drop_soon)
            start = trio.current_time()
            with pytest.raises(LiteTransportError):
                await client.get_time()
            assert trio.current_time() - start == pytest.approx(1)
        server.faults.delay = 0
        assert await client.get_time() == handler.now  # reconnected


async def test_dead_server_is_detected_by_ping(autojump_clock: object) -> None:
    handler = ToyHandler()
    options = ClientOptions(ping_interval=5, ping_timeout=3, query_timeout=60)
    async with memory_pair(handler, options) as (server, client):
        assert await client.get_time() == handler.now
        # The server hangs: no answers, no pongs, the TCP connection still up.
        server.faults.swallow_answers = True
        server.faults.ignore_pings = True
        start = trio.current_time()
        with pytest.raises(LiteTransportError, match="stopped answering"):
            await client.get_time()
        # Found by the pinger (interval + timeout), long before the query's 60 s.
        assert trio.current_time() - start <= 5 + 3
        assert not client.connected


async def test_pings_keep_a_quiet_connection(autojump_clock: object) -> None:
    handler = ToyHandler()
    options = ClientOptions(ping_interval=5, ping_timeout=3)
    async with memory_pair(handler, options) as (server, client):
        await client.get_time()
        await trio.sleep(60)  # a dozen pings, all answered
        assert client.connected
        assert client.stats.rtt is not None
        assert await client.get_time() == handler.now
        assert server.connections_accepted == 1


async def test_query_timeout_keeps_the_connection(autojump_clock: object) -> None:
    handler = ToyHandler()
    options = ClientOptions(query_timeout=4)
    async with memory_pair(handler, options) as (server, client):
        server.faults.swallow_answers = True
        start = trio.current_time()
        with pytest.raises(LiteTimeoutError, match="getTime"):
            await client.get_time()
        assert trio.current_time() - start == pytest.approx(4)
        server.faults.swallow_answers = False
        assert await client.get_time() == handler.now
        assert client.stats.connects == 1
        assert client.stats.timeouts == 1


async def test_late_answer_after_timeout_is_dropped(autojump_clock: object) -> None:
    handler = ToyHandler()
    options = ClientOptions(query_timeout=4)
    async with memory_pair(handler, options) as (server, client):
        server.faults.delay = 6
        with pytest.raises(LiteTimeoutError):
            await client.get_time()
        server.faults.delay = 0
        await trio.sleep(5)  # the late answer arrives and matches no query
        assert client.connected
        assert await client.get_time() == handler.now


async def test_wait_masterchain_seqno_prefix(autojump_clock: object) -> None:
    handler = ToyHandler(seqno=50)
    async with memory_pair(handler) as (_, client):

        async def produce() -> None:
            for _ in range(3):
                await trio.sleep(2)
                handler.advance()

        async with trio.open_nursery() as nursery:
            nursery.start_soon(produce)
            info = await client.wait_masterchain_seqno(53, timeout_ms=10_000)
        assert info.last.seqno == 53
        assert trio.current_time() == pytest.approx(6)
        with pytest.raises(LiteServerError) as err:
            await client.wait_masterchain_seqno(60, timeout_ms=1_000)
        assert err.value.code == 652


async def test_in_flight_cap(autojump_clock: object) -> None:
    handler = ToyHandler(seqno=1000)
    handler.hold = 1
    async with memory_pair(handler, ClientOptions(max_in_flight=5)) as (_, client):
        async with trio.open_nursery() as nursery:
            for seqno in range(20):
                nursery.start_soon(client.lookup_block, BlockId(-1, -(2**63), seqno))
        assert handler.max_active == 5
        assert trio.current_time() == pytest.approx(4)  # 20 queries, 5 at a time, 1 s each


async def test_rate_limit(autojump_clock: object) -> None:
    handler = ToyHandler()
    options = ClientOptions(rate=10, burst=2)
    async with memory_pair(handler, options) as (_, client):
        start = trio.current_time()
        async with trio.open_nursery() as nursery:
            for _ in range(22):
                nursery.start_soon(client.get_time)
        # Two at once from the burst, then ten a second.
        assert trio.current_time() - start == pytest.approx(2.0)


async def test_token_bucket_refills_to_burst_only(autojump_clock: object) -> None:
    bucket = TokenBucket(rate=1, burst=3)
    await trio.sleep(100)  # a long idle spell saves at most `burst` tokens
    start = trio.current_time()
    for _ in range(5):
        await bucket.take()
    assert trio.current_time() - start == pytest.approx(2.0)


async def test_server_answers_malformed_query_with_error() -> None:
    handler = ToyHandler()
    async with tcp_pair(handler) as (_, client):
        answer = await client.raw_query(b"\x01\x02\x03\x04")
        error = tl.decode(answer, "liteServer.error")
        assert error["code"] == 621


async def test_client_closed_refuses_queries() -> None:
    handler = ToyHandler()
    async with tcp_pair(handler) as (_, client):
        await client.get_time()
        await client.aclose()
        with pytest.raises(LiteTransportError, match="closed"):
            await client.get_time()
