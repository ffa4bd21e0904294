"""A streamed answer that ends before its final `usage` chunk is billed what was produced, the
same figure by the worker, the proxy and the client (spec 40 §3.3 [OURS]).

The worker used to bill only the final usage, so a caller that read a stream and left before
its last chunk paid nothing anywhere; and a request that ended at the client first (the caller
left, the client's own deadline) showed 0 in the client's books while the proxy charged it."""

from __future__ import annotations

import json

import httpx
import pytest
import trio

from cocoon.backends.fake import FakeInferenceConfig
from cocoon.network import Network, NetworkConfig, open_network
from cocoon.roles.client import requests as client_requests
from cocoon.roles.client.events import Chunk, Failed, Head

from .netutil import chat_body, eventually, parsed_request

pytestmark = pytest.mark.e2e

MODEL = "Qwen/Qwen3-8B"
PROMPT_TOKENS = 4  # the fake's count for "hello there": 2 words + 2 per chat message


def content_pieces(body: bytes) -> int:
    """Non-empty content deltas in the SSE events of `body` (complete lines only)."""
    n = 0
    for line in body.split(b"\n"):
        if line.startswith(b"data: {") and line.endswith(b"}"):
            for choice in json.loads(line[6:]).get("choices") or ():
                if (choice.get("delta") or {}).get("content"):
                    n += 1
    return n


def books(net: Network) -> dict[str, int]:
    """Every party's total: the worker's own counter and the proxy's accounts."""
    proxy = net.proxies[0].node
    [client_account] = proxy.clients.values()
    [worker_account] = proxy.workers.values()
    return {
        "worker": int(net.workers[0].node.ctx.stats["total_adjusted_tokens_used"].total),
        "proxy: worker": worker_account.tokens.tokens_max,
        "proxy: client": client_account.tokens.tokens_max,
    }


def settled(net: Network) -> bool:
    proxy = net.proxies[0].node
    return not proxy.requests and net.workers[0].node.ctx.active == 0


SERVERS = {
    # vLLM: usage on every chunk, as the worker asks
    "continuous usage": ({}, {}),
    # a server that reports usage only in the final chunk (the worker does not ask for more)
    "final usage only": ({}, {"continuous_usage_stats": False}),
    # a server that reports no usage in streams at all
    "no usage": ({"stream_usage": False}, {}),
}


@pytest.mark.parametrize("server", list(SERVERS))
async def test_leaving_a_stream_early_is_billed_the_same_by_everyone(server):
    fake, worker_options = SERVERS[server]
    config = NetworkConfig(
        client_http=False,
        inference=FakeInferenceConfig(token_delay=0.02, **fake),
        worker_options=worker_options,
    )
    async with open_network(config) as net:
        options, request = parsed_request(chat_body(stream=True, max_tokens=500))
        charged: list[int] = []
        body = b""
        node = net.clients[0].node
        async with node.request(options, request, on_charge=charged.append) as events:
            async for event in events:
                assert not isinstance(event, Failed), event
                if isinstance(event, Head):
                    body += event.response.payload
                elif isinstance(event, Chunk):
                    body += event.data
                if content_pieces(body) >= 5:
                    break  # the caller leaves, long before the last chunk
        read = content_pieces(body)
        await eventually(lambda: charged and settled(net))  # the proxy's receipt came
        figures = books(net)
        assert set(figures.values()) == {charged[0]}, (figures, charged)
        # at least what the caller read (coefficient and multipliers are x1); the prompt
        # only where the server said it before the end
        prompt = PROMPT_TOKENS if server == "continuous usage" else 0
        assert charged[0] >= read + prompt
        assert charged[0] < 500 + PROMPT_TOKENS  # not the whole answer: it was cut short
        with trio.fail_after(10):  # the worker left the inference server's connection
            await net.backends[0].wait_for(lambda s: s.cancelled == 1)


async def answered_stream_usage(http: httpx.AsyncClient) -> int:
    """A clean streamed request to the end: the adjusted tokens its usage chunk reports."""
    body = {
        "model": MODEL,
        "messages": [{"role": "user", "content": "hello there"}],
        "max_tokens": 3,
        "stream": True,
    }
    r = await http.post("/v1/chat/completions", json=body)
    usages = [
        json.loads(line[6:])["usage"]
        for line in r.text.split("\n")
        if line.startswith("data: {") and '"usage"' in line
    ]
    assert len(usages) == 1  # only the final chunk: the running usage stays inside
    return usages[0]["cocoon_adjusted_tokens"]


async def jsonstats(http: httpx.AsyncClient) -> dict:
    return (await http.get("/jsonstats")).json()


async def last_record_shows(http: httpx.AsyncClient, tokens: int) -> None:
    """Wait until the client's last request record shows `tokens` (the receipt follows the
    proxy's database write)."""
    with trio.fail_after(10):
        while (await jsonstats(http))["requests"][-1]["tokens"] != tokens:  # noqa: ASYNC110
            await trio.sleep(0.05)


async def test_client_books_show_the_charge_of_a_stream_its_caller_left():
    config = NetworkConfig(inference=FakeInferenceConfig(token_delay=0.02))
    async with (
        open_network(config) as net,
        httpx.AsyncClient(
            base_url=net.client_url,
            timeout=30,
            headers={"X-Access-Hash": net.clients[0].web.access_hash},  # for /jsonstats
        ) as http,
    ):
        whole = await answered_stream_usage(http)
        body = chat_body(stream=True, max_tokens=500)
        async with http.stream("POST", "/v1/chat/completions", content=body) as r:
            seen = b""
            async for data in r.aiter_raw():
                seen += data
                if content_pieces(seen) >= 5:
                    break  # leaving the block closes the connection mid-stream
        await eventually(lambda: settled(net) and books(net)["proxy: client"] > whole)
        charged = books(net)["proxy: client"] - whole

        async def recorded() -> tuple[dict, int]:
            stats = await jsonstats(http)
            return stats["requests"][-1], stats["stats"]["tokens"][0]

        await last_record_shows(http, charged)
        record, total = await recorded()
        assert record["error"] == "the caller disconnected" and record["stream"]
        assert charged > 5 and record["cost"] == charged * config.price_per_token
        assert total == whole + charged == books(net)["worker"]


async def test_client_books_show_the_charge_of_a_request_its_own_deadline_ended(monkeypatch):
    """The client's deadline (the request's `timeout` plus a grace) ends a stream before the
    proxy answers: the caller gets the client's timeout error, and the proxy still charges
    what the worker produced until its cancel arrived. Here the grace is made negative so
    that the client's deadline comes first (otherwise only a stuck proxy lets it)."""
    monkeypatch.setattr(client_requests, "DEADLINE_GRACE", -27.0)  # 30 s timeout -> 3 s
    config = NetworkConfig(inference=FakeInferenceConfig(token_delay=0.01))
    async with (
        open_network(config) as net,
        httpx.AsyncClient(
            base_url=net.client_url,
            timeout=30,
            headers={"X-Access-Hash": net.clients[0].web.access_hash},  # for /jsonstats
        ) as http,
    ):
        body = json.loads(chat_body(stream=True, max_tokens=2000)) | {"timeout": 30}
        r = await http.post("/v1/chat/completions", json=body)
        assert "timeout in client" in r.text  # an SSE error event (a 504 if before the head)
        await eventually(lambda: settled(net) and books(net)["proxy: client"] > 0)
        charged = books(net)["proxy: client"]
        await last_record_shows(http, charged)
        stats = await jsonstats(http)
        record = stats["requests"][-1]
        assert record["error"] == "timeout in client"
        assert record["cost"] == charged * config.price_per_token
        assert stats["stats"]["tokens"][0] == charged == books(net)["worker"]
        assert charged >= content_pieces(r.content)
