"""Failures a request causes itself (its input, its deadline) fail that request only: they
never exclude the worker that reported them, never end the worker's session, and come back
as 400/504 in OpenAI's shape, without the worker's inference address. All in one process
(`cocoon.network`), at the TL level and through the client's HTTP API."""

from __future__ import annotations

import json

import httpx
import pytest
import trio

from cocoon import tl
from cocoon.backends.fake import FakeInferenceConfig
from cocoon.network import NetworkConfig, open_network
from cocoon.openai.validation import parse_client_request
from cocoon.roles.client.events import Done, Failed

from .netutil import MODEL, Outcome, answered, chat_body, run_request

pytestmark = pytest.mark.e2e


def _only_worker(net):
    [conn] = net.proxies[0].node.registry.connections.values()
    return conn


async def test_requests_a_worker_cannot_send_on_do_not_exclude_it():
    """`X-Note: €` reaching a worker (a reference client forwards it) used to be a 601
    "http failed" naming the inference server's address, and three of them excluded the
    only worker for 30 s."""
    async with open_network(NetworkConfig(client_http=False)) as net:
        node = net.clients[0].node
        req = parse_client_request(chat_body())
        request = tl.HttpRequest(
            method="POST",
            url="/v1/chat/completions",
            http_version="HTTP/1.1",
            headers=[
                tl.HttpHeader(name="x-note", value="\u20ac"),
                tl.HttpHeader(name="Content-Length", value=str(len(req.body))),
            ],
            payload=req.body,
        )
        backend_port = str(net.backends[0].port)
        for _ in range(3):
            out = await _collect(node, req.options, request)
            assert out.failed is not None and out.failed.code == 621
            assert out.failed.message == (
                "worker: invalid http request: header 'x-note' cannot be sent"
            )
            assert backend_port not in out.failed.message
        assert _only_worker(net).consecutive_failures == 0
        await answered(node)  # at once: the worker was not excluded


async def test_requests_timing_out_on_their_own_deadline_do_not_exclude_the_worker():
    async with open_network(NetworkConfig()) as net:
        async with httpx.AsyncClient(base_url=net.client_url, timeout=20) as http:
            body = {"model": MODEL, "messages": [{"role": "user", "content": "a"}]}
            for _ in range(3):
                r = await http.post("/v1/chat/completions", json=body | {"timeout": 1e-6})
                assert r.status_code == 504 and r.json()["error"]["code"] == "timeout"
            assert _only_worker(net).consecutive_failures == 0
            r = await http.post("/v1/chat/completions", json=body | {"max_tokens": 2})
            assert r.status_code == 200, r.text
        stats = net.proxies[0].node.stats
        assert (stats["failed"].total, stats["success"].total) == (3, 1)  # each counted once


async def test_a_query_that_fails_fails_alone_and_its_session_goes_on():
    """Nested JSON around 1e400 sent to the worker (past the client's checks, as a
    reference client would) used to raise RecursionError in the worker's serialiser, which
    closed the proxy's session: the other stream on it ended with "worker disconnected"."""
    slow = NetworkConfig(client_http=False, inference=FakeInferenceConfig(token_delay=0.02))
    async with open_network(slow) as net:
        node = net.clients[0].node
        depth = 490
        bad = parse_client_request(chat_body())
        payload = bad.body[:-1] + b',"response_format":' + b"[" * depth + b"1e400"
        payload += b"]" * depth + b"}"
        bad_request = tl.HttpRequest(
            method="POST",
            url="/v1/chat/completions",
            http_version="HTTP/1.1",
            headers=[tl.HttpHeader(name="Content-Length", value=str(len(payload)))],
            payload=payload,
        )
        sessions = len(net.proxies[0].node.worker_sessions)
        results = {}

        async def stream() -> None:
            results["stream"] = await run_request(node, chat_body(stream=True, max_tokens=40))

        async def poison() -> None:
            await trio.sleep(0.1)  # while the stream is under way
            results["bad"] = await _collect(node, bad.options, bad_request)

        async with trio.open_nursery() as nursery:
            nursery.start_soon(stream)
            nursery.start_soon(poison)
        failed = results["bad"].failed
        assert failed is not None and failed.code == 621
        assert failed.message == "worker: invalid http request: number 1e400 is beyond double range"
        out = results["stream"]
        assert out.failed is None and out.done is not None
        assert out.body.decode().rstrip().endswith("data: [DONE]")
        assert len(net.proxies[0].node.worker_sessions) == sessions
        assert _only_worker(net).consecutive_failures == 0


async def test_http_api_answers_request_faults_in_openais_shape():
    async with open_network(NetworkConfig()) as net:
        async with httpx.AsyncClient(base_url=net.client_url, timeout=20) as http:
            base = {"model": MODEL, "messages": [{"role": "user", "content": "a"}]}
            # a header the client will not forward: 400, and the worker is not involved
            for value in ("\u20ac".encode(), b"\xff\xfe"):
                r = await http.post("/v1/chat/completions", json=base, headers={"X-Note": value})
                assert r.status_code == 400
                error = r.json()["error"]
                assert error["type"] == "invalid_request_error"
                assert error["code"] == "invalid_header" and "'X-Note'" in error["message"]
            # deep JSON (with and without a number beyond range): 400, not an empty 500
            for inner in (b"1", b"1e400"):
                deep = b"[" * 490 + inner + b"]" * 490
                body = json.dumps(base).encode()[:-1] + b',"response_format":' + deep + b"}"
                r = await http.post(
                    "/v1/chat/completions",
                    content=body,
                    headers={"Content-Type": "application/json"},
                )
                assert r.status_code == 400, r.text
                assert r.json()["error"]["type"] == "invalid_request_error"
            # the inference server's own error (vLLM's shape) comes wrapped in OpenAI's
            r = await http.post("/v1/chat/completions", json=base | {"n": 17})
            assert r.status_code == 400
            assert r.headers["content-type"] == "application/json"
            assert set(r.json()) == {"error"}
            assert r.json()["error"]["type"] == "invalid_request_error"
            assert "n must be" in r.json()["error"]["message"]
            # OpenAI's ranges
            for fields, param in (
                ({"max_tokens": 2**63}, "max_tokens"),
                ({"top_p": -5}, "top_p"),
                ({"timeout": -1}, "timeout"),
                ({"messages": []}, "messages"),
            ):
                r = await http.post("/v1/chat/completions", json=base | fields)
                assert r.status_code == 400, (fields, r.text)
                assert r.json()["error"]["param"] == param
                assert "non-negative" not in r.json()["error"]["message"]
            # a caller's model name is echoed bounded and escaped
            r = await http.post(
                "/v1/chat/completions", json=base | {"model": "m" * 1_000_000 + "\u202e"}
            )
            assert r.status_code == 404
            message = r.json()["error"]["message"]
            assert message.startswith("unknown model " + "m" * 64 + "...") and len(message) < 200
            assert "\u202e" not in message
            # /health tells no other caller's data
            r = await http.get("/health")
            assert "mmmm" not in r.text and "X-Note" not in r.text
            r = await http.post("/v1/chat/completions", json=base | {"max_tokens": 2})
            assert r.status_code == 200


async def _collect(node, options, request) -> Outcome:
    """How one request (already in its wire form) ended."""
    out = Outcome()
    async with node.request(options, request) as events:
        async for event in events:
            if isinstance(event, Failed):
                out.failed = event
            elif isinstance(event, Done):
                out.done = event
    return out


async def test_a_bug_met_by_one_request_at_the_proxy_fails_that_request_only(monkeypatch):
    from cocoon.roles.proxy import requests

    real = requests.reserve_for_query
    calls = []

    def broken_once(*args):
        calls.append(args)
        if len(calls) == 1:
            raise RuntimeError("a bug")
        return real(*args)

    monkeypatch.setattr(requests, "reserve_for_query", broken_once)
    async with open_network(NetworkConfig(client_http=False)) as net:
        node = net.clients[0].node
        out = await run_request(node, chat_body())
        assert out.failed is not None and out.failed.message == "proxy: internal error"
        await answered(node)  # the proxy (and the client's session to it) went on
