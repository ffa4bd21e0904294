"""A client with two proxies, one of which has no worker for the model (it has just restarted,
or the model's workers do not connect to it): a request the least busy proxy refuses for want
of a worker ("unknown model", "no workers for model") goes to the next proxy instead of
failing. It used to fail with 404 "unknown model X (available: X)"; found by scripts/soak.py,
where a restarted proxy refused every request until its workers were back."""

from __future__ import annotations

import attrs
import pytest
import trio

from cocoon.network import NetworkConfig, open_network
from cocoon.roles.client.events import Done, Failed
from tests.roles.netutil import chat_body, run_request

pytestmark = pytest.mark.e2e


async def test_a_proxy_without_workers_for_the_model_hands_the_request_on():
    async with open_network(NetworkConfig(proxies=2, client_http=False)) as net:
        # The worker serves only through proxy 1; proxy 0 restarts and knows no worker.
        slot = net.worker_slots[0]
        slot.config = attrs.evolve(
            slot.config, proxies=slot.config.proxies[1:], proxy_connections=1
        )
        await slot.restart()
        await net.proxy_slots[0].restart()
        with trio.fail_after(30):
            await net.wait_ready()
            while len(net.clients[0].node.ready_links()) < 2:  # noqa: ASYNC110
                await trio.sleep(0.01)
        assert not net.proxies[0].node.registry.connections
        node = net.clients[0].node
        for _ in range(4):  # both links idle: the first (proxy 0) is asked first every time
            out = await run_request(node, chat_body(max_tokens=3))
            assert out.failed is None, out.failed
            assert isinstance(out.done, Done)
        # A model no proxy serves is still refused, by the last proxy asked.
        out = await run_request(node, chat_body(model="no/such-model"))
        assert isinstance(out.failed, Failed) and out.failed.message.startswith("unknown model")


async def test_when_every_proxy_refuses_the_caller_hears_the_most_telling_refusal():
    """Proxy 0 serves the model but its only worker is disabled ("no ready workers", 503);
    proxy 1 has just started and knows no worker ("unknown model", 404). The caller must not
    be told the model does not exist (seen in scripts/soak.py: 404 "unknown model X
    (available: X)" while a proxy restarted and the other's workers were busy)."""
    async with open_network(NetworkConfig(proxies=2, client_http=False)) as net:
        slot = net.worker_slots[0]
        slot.config = attrs.evolve(
            slot.config, proxies=slot.config.proxies[:1], proxy_connections=1
        )
        await slot.restart()
        await net.proxy_slots[1].restart()
        node = net.clients[0].node
        with trio.fail_after(30):
            await net.wait_ready()
            while len(node.ready_links()) < 2:  # noqa: ASYNC110
                await trio.sleep(0.01)
        await net.workers[0].node.set_manual_disabled(True)
        [conn] = net.proxies[0].node.registry.connections.values()
        with trio.fail_after(10):
            while conn.enabled:  # noqa: ASYNC110
                await trio.sleep(0.01)
        assert not net.proxies[1].node.registry.connections
        out = await run_request(node, chat_body(max_tokens=3))
        assert isinstance(out.failed, Failed)
        assert out.failed.message.startswith("no ready workers for model"), out.failed.message


async def test_a_model_served_before_is_unavailable_not_unknown_after_a_proxy_restart():
    """One proxy, restarted: until its workers are back it has never seen the model and
    says "unknown model" (404, which the OpenAI SDKs do not retry). The client has been
    served that model, so the caller hears 503 "no workers" with Retry-After instead
    (found by a kill -9 test of the proxy: 223 calls got 404 for a model that exists)."""
    async with open_network(NetworkConfig(client_http=False)) as net:
        node = net.clients[0].node
        assert (await run_request(node, chat_body(max_tokens=3))).done is not None
        await net.worker_slots[0].stop()  # its worker does not come back for a while
        await net.proxy_slots[0].restart()
        with trio.fail_after(30):
            while not node.ready_links():  # noqa: ASYNC110
                await trio.sleep(0.01)
        out = await run_request(node, chat_body(max_tokens=3))
        assert isinstance(out.failed, Failed)
        assert out.failed.message.startswith("no workers for model Qwen/Qwen3-8B"), out.failed
        out = await run_request(node, chat_body(model="never/served"))  # still not found
        assert isinstance(out.failed, Failed)
        assert out.failed.message.startswith("unknown model never/served")
