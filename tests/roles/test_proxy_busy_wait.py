"""A burst above the workers' capacity waits for free slots at the proxy instead of being
refused (`503 no ready workers`); past the queue limit, the refusal is a clear 503 with
Retry-After."""

from __future__ import annotations

import attrs
import httpx
import pytest
import trio

from cocoon.backends.fake import FakeInferenceConfig
from cocoon.network import NetworkConfig, open_network

from .netutil import eventually

pytestmark = pytest.mark.e2e

BODY = {"model": "Qwen/Qwen3-8B", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}


def _config(**proxy_options) -> NetworkConfig:
    # Each request holds its slot a while (a second), so that six of them overlap on two
    # slots however slowly they are sent.
    return NetworkConfig(
        max_active_requests=2,
        inference=FakeInferenceConfig(first_token_delay=1.0),
        proxy_options=proxy_options,
    )


async def _burst(url: str, n: int) -> list[httpx.Response]:
    answers: list[httpx.Response] = []
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:

        async def one() -> None:
            answers.append(await http.post("/v1/chat/completions", json=BODY))

        async with trio.open_nursery() as nursery:
            for _ in range(n):
                nursery.start_soon(one)
    return answers


async def test_requests_beyond_the_capacity_wait_for_a_slot():
    async with open_network(_config(busy_wait=60)) as net:
        answers = await _burst(net.client_url, 6)
        assert [r.status_code for r in answers] == [200] * 6, [r.text for r in answers]
        node = net.proxies[0].node
        assert node.stats["busy_waits"].total >= 1  # some did find both slots taken
        assert node.slots.waiting("Qwen/Qwen3-8B") == 0


async def test_past_the_queue_limit_the_refusal_is_a_clear_503():
    async with open_network(_config(busy_wait=60, busy_queue_limit=1)) as net:
        answers = await _burst(net.client_url, 6)
        stats = net.proxies[0].node.stats
    statuses = sorted(r.status_code for r in answers)
    assert statuses.count(200) >= 3  # two slots and one waiter
    refused = [r for r in answers if r.status_code != 200]
    assert refused, "six requests cannot all fit in two slots and one place in the queue"
    for r in refused:
        assert r.status_code == 503 and "retry-after" in r.headers
        message = r.json()["error"]["message"]
        assert message.startswith("no ready workers for model Qwen/Qwen3-8B: all busy"), message
    # Each request is counted once, as it ended (a refusal after admission was counted twice).
    assert stats["success"].total == statuses.count(200)
    assert stats["failed"].total == stats["rejected"].total == len(refused)


async def test_a_request_given_up_while_waiting_leaves_the_queue():
    """Its caller went away: it stops waiting at once and never reaches the worker."""
    config = attrs.evolve(
        _config(busy_wait=60),
        max_active_requests=1,
        inference=FakeInferenceConfig(first_token_delay=3.0),
    )
    async with open_network(config) as net:
        node = net.proxies[0].node
        statuses: list[int] = []
        scopes: list[trio.CancelScope] = []
        async with httpx.AsyncClient(base_url=net.client_url, timeout=30) as http:

            async def holder() -> None:
                statuses.append((await http.post("/v1/chat/completions", json=BODY)).status_code)

            async def given_up() -> None:
                with trio.CancelScope() as scope:
                    scopes.append(scope)
                    await http.post("/v1/chat/completions", json=BODY)

            async with trio.open_nursery() as nursery:
                nursery.start_soon(holder)
                await eventually(lambda: any(c.running for c in node.registry.connections.values()))
                nursery.start_soon(given_up)
                await eventually(lambda: node.slots.waiting("Qwen/Qwen3-8B") == 1)
                scopes[0].cancel()  # the caller gives up (its connection closes)
                await eventually(lambda: node.slots.waiting("Qwen/Qwen3-8B") == 0)
        assert statuses == [200]
        assert net.workers[0].node.ctx.stats["queries"].total == 1  # only the holder's
