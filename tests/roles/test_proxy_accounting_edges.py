"""The proxy's accounting edges in a one-process network (issues 3 and 4): a request whose
`max_tokens` is out of range is refused before any arithmetic, and a refused request always
gives back its place in the client's `running` count."""

from __future__ import annotations

import attrs
import pytest

from cocoon.network import NetworkConfig, open_network

from .netutil import answered, chat_body, eventually, parsed_request

pytestmark = pytest.mark.e2e


async def send(node, *, max_tokens: int | None = None, max_coefficient: int | None = None):
    """One request through the client's core with the options the proxy sees overridden:
    the TL fields `client.runQueryEx` carries (a hostile or buggy client's values)."""
    options, request = parsed_request(chat_body(max_tokens=4))
    if max_tokens is not None:
        options = attrs.evolve(options, max_tokens=max_tokens)
    if max_coefficient is not None:
        options = attrs.evolve(options, max_coefficient=max_coefficient)
    events = []
    async with node.request(options, request) as stream:
        async for event in stream:
            events.append(event)
    return events[-1]


def client_account(net):
    proxy = net.proxies[0].node
    (acc,) = proxy.clients.values()
    return proxy, acc


@pytest.mark.parametrize("max_tokens", [-(2**31), -1, 0])
async def test_non_positive_max_tokens_is_refused_and_reserves_nothing(max_tokens):
    async with open_network(NetworkConfig(client_http=False)) as net:
        node = net.clients[0].node
        await answered(node)
        proxy, acc = client_account(net)
        reserved_before = acc.reserved

        last = await send(node, max_tokens=max_tokens)
        assert last.code == 621, last
        assert "max_tokens" in last.message and "out of range" in last.message
        assert acc.reserved == reserved_before == 0 and acc.running == 0
        # No worker saw it, nothing was billed, and the connection still serves.
        assert not proxy.requests
        await answered(node)


async def test_a_negative_reservation_cannot_lift_the_balance_check():
    """The issue's sequence: a request for 2^31-1 tokens is refused for the balance, alone
    and after a negative one (which, accepted, made the proxy's reservation negative)."""
    async with open_network(NetworkConfig(client_http=False)) as net:
        node = net.clients[0].node
        await answered(node)
        _, acc = client_account(net)
        alone = await send(node, max_tokens=2**31 - 1)
        assert alone.code == 602 and "balance is too low" in alone.message
        assert (await send(node, max_tokens=-(2**31))).code == 621
        after = await send(node, max_tokens=2**31 - 1)
        assert after.code == 602 and "balance is too low" in after.message
        assert acc.reserved == 0 and acc.running == 0


async def test_requests_refused_for_their_coefficient_release_running():
    async with open_network(NetworkConfig(client_http=False, worker_coefficients=(1000,))) as net:
        node = net.clients[0].node
        await answered(node)
        proxy, acc = client_account(net)
        proxy.config = attrs.evolve(proxy.config, max_requests_per_client=1)
        for max_coefficient in (0, 1, 999):  # each below the only worker's 1000
            last = await send(node, max_coefficient=max_coefficient)
            assert last.code == 651 and "coefficient=1000" in last.message, last
        await eventually(lambda: not node.links[0].requests)
        assert acc.running == 0 and acc.reserved == 0
        await answered(node)  # the cap of one running request does not lock the client out
        assert acc.running == 0
