"""A proxy stops promptly right after a request: its last database write releases the
payment receipts waiting for it (they used to sit out a 10 s shielded wait)."""

from __future__ import annotations

import pytest
import trio

from cocoon.network import NetworkConfig, open_network
from tests.roles.netutil import answered

pytestmark = pytest.mark.e2e


async def test_network_stops_promptly_right_after_a_request():
    async with open_network(NetworkConfig(client_http=False)) as net:
        await answered(net.clients[0].node, max_tokens=2)
        stopping = trio.current_time()
    assert trio.current_time() - stopping < 3
