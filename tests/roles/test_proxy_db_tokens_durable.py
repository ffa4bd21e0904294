"""`db_tokens` is what the proxy's database holds: a worker (or client) told a figure keeps it
and, after a proxy restart, claims it in `worker.compareBalanceWithProxy`; a proxy whose
database holds less refuses that worker for good ("lost DB data"). The proxy recorded a
write's figures as `tokens_committed_to_db` before the write had reached the disk, so a
payment status answered while the write was under way (its fsync, in a thread) told a figure
that a crash at that moment would lose. Found in a crash test of a network in separate
processes (the proxy killed with SIGKILL under load)."""

from __future__ import annotations

import threading

import pytest
import trio

from cocoon.network import NetworkConfig, open_network
from tests.roles.netutil import answered

pytestmark = pytest.mark.e2e


async def test_db_tokens_told_during_a_write_are_already_on_disk():
    async with open_network(NetworkConfig(client_http=False)) as net:
        await answered(net.clients[0].node)
        node = net.proxies[0].node
        [session] = node.worker_sessions.values()
        [wacc] = node.workers.values()
        [acc] = node.clients.values()
        await node.flushed()
        durable = (acc.tokens.tokens_committed_to_db, wacc.tokens.tokens_committed_to_db)

        # The next write blocks in its thread (as a slow fsync would) until released.
        entered, release = threading.Event(), threading.Event()
        write = node.store.write

        def slow_write(records):
            entered.set()
            release.wait(10)
            write(records)

        node.store.write = slow_write
        try:
            await answered(net.clients[0].node)  # more tokens, not yet written
            assert wacc.tokens.tokens_max > durable[1]
            async with trio.open_nursery() as nursery:
                nursery.start_soon(node.flush)
                await trio.to_thread.run_sync(entered.wait, 10)
                # A crash now loses the write: what the peers are told must not include it.
                status = session._payment_status()
                assert status.db_tokens <= durable[1]
                assert wacc.tokens.tokens_committed_to_db <= durable[1]
                assert acc.tokens.tokens_committed_to_db <= durable[0]
                release.set()
        finally:
            release.set()
            node.store.write = write
        # Once written, the figures move on.
        assert wacc.tokens.tokens_committed_to_db == wacc.tokens.tokens_max
        assert acc.tokens.tokens_committed_to_db == acc.tokens.tokens_max
        assert session._payment_status().db_tokens == wacc.tokens.tokens_max
