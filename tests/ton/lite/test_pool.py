"""LitePool: failover, health checks, picking, and sending to several servers."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
import trio
import trio.lowlevel

from cocoon.ton.lite.client import ClientOptions, Connector
from cocoon.ton.lite.config import LiteServerConfig
from cocoon.ton.lite.errors import LiteServerError, LiteUnavailableError
from cocoon.ton.lite.pool import LitePool, PoolOptions, open_lite_pool
from cocoon.ton.lite.server import LiteServer, serve_lite
from cocoon.ton.lite.types import BlockId

from .helpers import ToyHandler, memory_connector

KEYS = [hashlib.sha256(b"pool server %d" % i).digest() for i in range(3)]


@asynccontextmanager
async def memory_pool(
    handlers: list[ToyHandler], options: PoolOptions | None = None, *, health_checks: bool = True
) -> AsyncIterator[tuple[list[LiteServer], LitePool]]:
    """Servers on memory streams (MockClock-safe), named 10.0.0.N:4924."""
    servers = [LiteServer(h, k) for h, k in zip(handlers, KEYS, strict=False)]
    configs = [
        LiteServerConfig(f"10.0.0.{i + 1}", 4924, s.public_key) for i, s in enumerate(servers)
    ]
    by_name = dict(zip((c.name for c in configs), servers, strict=True))
    async with trio.open_nursery() as nursery:

        def connect(config: LiteServerConfig) -> Connector:
            return memory_connector(by_name[config.name], nursery)

        async with open_lite_pool(
            configs, options=options, connect=connect, health_checks=health_checks
        ) as pool:
            yield servers, pool
        nursery.cancel_scope.cancel()


async def test_failover_when_a_server_is_gone() -> None:
    live = ToyHandler()
    async with trio.open_nursery() as nursery:
        async with trio.open_nursery() as dead_nursery:
            dead = await dead_nursery.start(serve_lite, ToyHandler(), 0, KEYS[0])
            dead_nursery.cancel_scope.cancel()
        # Its listener is closed now: its port refuses connections.
        dead_config = LiteServerConfig("127.0.0.1", dead.port, dead.public_key)
        alive = await nursery.start(serve_lite, live, 0, KEYS[1])
        alive_config = LiteServerConfig("127.0.0.1", alive.port, alive.public_key)

        async with open_lite_pool([dead_config, alive_config], health_checks=False) as pool:
            assert await pool.get_time() == live.now
            first, second = pool.members
            assert first.health.failures_in_a_row == 1
            assert "cannot connect" in (first.health.last_error or "")
            # The dead server is now ranked last: the next query goes straight to the live one.
            assert pool.ranked()[0] is second
            assert await pool.get_time() == live.now
            assert first.health.failures_in_a_row == 1
        nursery.cancel_scope.cancel()


async def test_server_error_is_not_retried(autojump_clock: object) -> None:
    handlers = [ToyHandler(seqno=10), ToyHandler(seqno=10)]
    async with memory_pool(handlers, health_checks=False) as (servers, pool):
        with pytest.raises(LiteServerError) as err:
            await pool.lookup_block(BlockId(-1, -(2**63), 99))
        assert err.value.code == 651
        assert servers[0].queries + servers[1].queries == 1


async def test_timeouts_fail_over_and_all_failing_is_unavailable(autojump_clock: object) -> None:
    handlers = [ToyHandler(), ToyHandler()]
    options = PoolOptions(client=ClientOptions(query_timeout=2))
    async with memory_pool(handlers, options, health_checks=False) as (servers, pool):
        servers[0].faults.swallow_answers = True
        assert await pool.get_time() == handlers[1].now
        assert trio.current_time() == pytest.approx(2)  # one timeout, then the other server
        servers[1].faults.swallow_answers = True
        with pytest.raises(LiteUnavailableError, match="every liteserver"):
            await pool.get_time()


async def test_health_checks_take_a_hung_server_out_and_back(autojump_clock: object) -> None:
    handlers = [ToyHandler(), ToyHandler()]
    options = PoolOptions(
        health_interval=10,
        client=ClientOptions(ping_interval=100, ping_timeout=2, query_timeout=2),
    )
    async with memory_pool(handlers, options) as (servers, pool):
        await trio.sleep(1)  # the first round of checks
        assert all(m.health.failures_in_a_row == 0 for m in pool.members)
        servers[0].faults.ignore_pings = True
        servers[0].faults.swallow_answers = True
        await trio.sleep(15)  # the next round (at 10 s) finds it hung
        first, second = pool.members
        assert first.health.failures_in_a_row >= 1
        assert [m.name for m in pool.healthy()] == [second.name]
        before = servers[0].queries
        for _ in range(5):
            assert await pool.get_time() == handlers[1].now
        assert servers[0].queries == before  # none went to the hung server
        # It recovers; a later round brings it back.
        servers[0].faults.ignore_pings = False
        servers[0].faults.swallow_answers = False
        await trio.sleep(40)
        assert first.health.failures_in_a_row == 0
        assert len(pool.healthy()) == 2


async def test_a_lagging_server_is_avoided(autojump_clock: object) -> None:
    handlers = [ToyHandler(seqno=100), ToyHandler(seqno=110)]
    async with memory_pool(handlers) as (servers, pool):
        await trio.sleep(1)
        assert pool.best_head() == 110
        assert pool.ranked()[0].health.last_seqno == 110
        before = servers[0].queries
        for _ in range(5):
            await pool.get_time()
        assert servers[0].queries == before


async def test_load_spreads_over_servers(autojump_clock: object) -> None:
    handlers = [ToyHandler(seqno=1000), ToyHandler(seqno=1000)]
    for h in handlers:
        h.hold = 1
    options = PoolOptions(client=ClientOptions(max_in_flight=4))
    async with memory_pool(handlers, options, health_checks=False) as (_, pool):
        async with trio.open_nursery() as nursery:
            for seqno in range(8):
                nursery.start_soon(pool.lookup_block, BlockId(-1, -(2**63), seqno))
        assert handlers[0].max_active == 4
        assert handlers[1].max_active == 4
        assert trio.current_time() == pytest.approx(1)


async def test_send_message_goes_to_several_servers(autojump_clock: object) -> None:
    handlers = [ToyHandler(), ToyHandler(), ToyHandler()]
    options = PoolOptions(send_fanout=2)
    async with memory_pool(handlers, options, health_checks=False) as (servers, pool):
        assert await pool.send_message(b"external") == 1
        assert sum(h.sent == [b"external"] for h in handlers) == 2
        # The two best hung: the third still takes it, after them.
        servers[0].faults.swallow_answers = True
        servers[1].faults.swallow_answers = True
        assert await pool.send_message(b"again") == 1
        assert handlers[2].sent == [b"again"]
