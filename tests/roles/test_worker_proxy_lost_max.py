"""A proxy that crashed loses the tokens it had counted but not yet written (its `max_tokens`
goes back to its database's figure). The handshake allows that (`error_code` 1, then the
extended comparison), but the worker kept its old, higher `max_tokens`: every receipt after
the reconnect looked lower, so the worker dropped the link again (failing the requests running
on it), and again, until the proxy's count caught up. Found by scripts/soak.py (a proxy
restarted under load)."""

from __future__ import annotations

import pytest
import trio

from cocoon.network import NetworkConfig, open_network
from tests.roles.netutil import answered

pytestmark = pytest.mark.e2e

LOST = 100  # tokens the proxy had reported to the worker, then lost


async def test_after_a_proxy_lost_unwritten_tokens_the_worker_link_stays_up():
    async with open_network(NetworkConfig(client_http=False)) as net:
        await answered(net.clients[0].node)
        [link] = net.workers[0].node.all_links
        proxy_tokens = next(iter(net.proxies[0].node.workers.values())).tokens
        with trio.fail_after(10):  # the request's receipt reached the worker
            while link.earnings is None or link.earnings.max_tokens < proxy_tokens.tokens_max:  # noqa: ASYNC110
                await trio.sleep(0.01)
        # The worker was told of LOST more tokens than the proxy now has: as after a crash of
        # the proxy between counting them and writing them. It reconnects to compare.
        link.earnings.max_tokens = proxy_tokens.tokens_max + LOST
        old = link.session
        old.close("test: as if the proxy had restarted")
        with trio.fail_after(20):
            while not link.ready or link.session is old:  # noqa: ASYNC110
                await trio.sleep(0.01)
        session = link.session
        for _ in range(3):
            await answered(net.clients[0].node)
        with trio.fail_after(10):  # their receipts reached the worker (or it dropped the link)
            while not session.closed and link.earnings.db_tokens < proxy_tokens.tokens_max:  # noqa: ASYNC110
                await trio.sleep(0.01)
        assert link.session is session and not session.closed and link.ready
        assert link.earnings.max_tokens == proxy_tokens.tokens_max  # the proxy's figure
