"""A proxy stops promptly right after a request: its last database write releases the
payment receipts waiting for it (they used to sit out a 10 s shielded wait)."""

from __future__ import annotations

import json

import pytest
import trio

from cocoon import tl
from cocoon.network import NetworkConfig, open_network
from cocoon.openai.validation import parse_client_request
from cocoon.roles.client.events import Done

pytestmark = pytest.mark.e2e


async def test_network_stops_promptly_right_after_a_request():
    async with open_network(NetworkConfig(client_http=False)) as net:
        body = {"model": "Qwen/Qwen3-8B", "messages": [{"role": "user", "content": "hi"}]}
        parsed = parse_client_request(json.dumps(body | {"max_tokens": 2}).encode())
        request = tl.HttpRequest(
            method="POST",
            url="/v1/chat/completions",
            http_version="HTTP/1.1",
            headers=[tl.HttpHeader(name="Content-Length", value=str(len(parsed.body)))],
            payload=parsed.body,
        )
        async with net.clients[0].node.request(parsed.options, request) as events:
            last = [event async for event in events][-1]
        assert isinstance(last, Done)
        stopping = trio.current_time()
    assert trio.current_time() - stopping < 3
