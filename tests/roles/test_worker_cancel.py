"""A request its client gives up on is cancelled all the way down: the client tells the proxy,
the proxy tells the worker (`cocoonExt.cancelQuery`), the worker leaves the inference server,
and the tokens counted so far are still settled."""

from __future__ import annotations

import json

import pytest
import trio

from cocoon import tl
from cocoon.backends.fake import FakeInferenceConfig
from cocoon.network import NetworkConfig, open_network
from cocoon.openai.validation import parse_client_request
from cocoon.roles.client.events import Chunk, Head

pytestmark = pytest.mark.e2e


async def test_leaving_a_streamed_request_stops_the_inference_server():
    slow = NetworkConfig(client_http=False, inference=FakeInferenceConfig(token_delay=0.05))
    async with open_network(slow) as net:
        body = {
            "model": "Qwen/Qwen3-8B",
            "messages": [{"role": "user", "content": "a b"}],
            "max_tokens": 200,  # 10 s if left to run
            "stream": True,
        }
        parsed = parse_client_request(json.dumps(body).encode())
        request = tl.HttpRequest(
            method="POST",
            url="/v1/chat/completions",
            http_version="HTTP/1.1",
            headers=[tl.HttpHeader(name="Content-Length", value=str(len(parsed.body)))],
            payload=parsed.body,
        )
        seen = []
        async with net.clients[0].node.request(parsed.options, request) as events:
            async for event in events:
                seen.append(event)
                if sum(isinstance(e, Chunk) for e in seen) >= 2:
                    break
        assert isinstance(seen[0], Head)
        backend = net.backends[0]
        with trio.fail_after(3):
            await backend.wait_for(lambda s: s.cancelled == 1)
        assert backend.stats.completed == 0
        proxy = net.proxies[0].node
        with trio.fail_after(3):  # the worker's error answer settles the request at the proxy
            while proxy.requests or any(a.running for a in proxy.clients.values()):  # noqa: ASYNC110
                await trio.sleep(0.01)
        assert net.workers[0].node.ctx.active == 0


async def test_requests_their_clients_leave_do_not_exclude_the_worker():
    """wrk ending a run leaves its requests at once; those cancellations used to count as
    worker failures, so three of them excluded the only worker for 30 s ("no ready
    workers")."""
    slow = NetworkConfig(client_http=False, inference=FakeInferenceConfig(token_delay=0.05))
    async with open_network(slow) as net:
        body = {
            "model": "Qwen/Qwen3-8B",
            "messages": [{"role": "user", "content": "a b"}],
            "max_tokens": 200,
            "stream": True,
        }
        parsed = parse_client_request(json.dumps(body).encode())
        request = tl.HttpRequest(
            method="POST",
            url="/v1/chat/completions",
            http_version="HTTP/1.1",
            headers=[tl.HttpHeader(name="Content-Length", value=str(len(parsed.body)))],
            payload=parsed.body,
        )
        proxy = net.proxies[0].node
        [conn] = proxy.registry.connections.values()

        async def leave_after_the_head() -> None:
            async with net.clients[0].node.request(parsed.options, request) as events:
                async for event in events:
                    assert isinstance(event, Head)
                    break

        async with trio.open_nursery() as nursery:
            for _ in range(proxy.registry.policy.exclude_after_failures + 2):
                nursery.start_soon(leave_after_the_head)
        with trio.fail_after(5):
            while proxy.requests:  # noqa: ASYNC110 - the cancelled attempts end
                await trio.sleep(0.01)
        assert conn.consecutive_failures == 0
        assert proxy.registry.eligible(conn, trio.current_time())
