"""The fake inference server (TEST backend): answers, streaming, timing, failures, CLI."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time

import pytest
import trio
import trio.testing

from cocoon.backends.fake import (
    FakeInferenceConfig,
    FakeInferenceServer,
    serve_fake_inference,
)
from cocoon.backends.fake_cli import add_arguments, config_from_args
from cocoon.http import HttpClient, HttpConnectionClosed, serve_connection
from cocoon.openai.usage import UsageCounter, UsageCounts

MODEL = "Qwen/Qwen3-8B"
CHAT = "/v1/chat/completions"


def chat_body(text: str = "hello brave new world", **fields) -> bytes:
    body = {"model": MODEL, "messages": [{"role": "user", "content": text}], **fields}
    return json.dumps(body).encode()


def sse_payloads(body: bytes) -> list:
    """The JSON payloads of an SSE body, "[DONE]" kept as a string."""
    out = []
    for block in body.decode().split("\n\n"):
        if block:
            assert block.startswith("data: ")
            payload = block[6:]
            out.append(payload if payload == "[DONE]" else json.loads(payload))
    return out


@pytest.fixture
async def fake(nursery):
    """fake(**config) -> (server, client) over loopback TCP."""

    async def start(**config):
        server = await nursery.start(serve_fake_inference, FakeInferenceConfig(**config))
        client = HttpClient("127.0.0.1", server.port)
        return server, client

    return start


async def post(client, path, body):
    async with client.request("POST", path, body=body) as resp:
        return resp.status, resp.header("content-type"), await resp.read()


async def test_chat_answer_is_deterministic_with_real_usage(fake):
    server, client = await fake(cached_tokens=2, reasoning_tokens=1)
    status, ctype, body = await post(client, CHAT, chat_body(max_tokens=6))
    assert (status, ctype) == (200, "application/json")
    doc = json.loads(body)
    assert doc["object"] == "chat.completion" and doc["model"] == MODEL
    choice = doc["choices"][0]
    assert choice["message"] == {
        "role": "assistant",
        "content": "hello brave new world hello brave",
    }
    assert choice["finish_reason"] == "length"
    assert doc["usage"] == {
        "prompt_tokens": 6,  # 4 words + 2 per message
        "completion_tokens": 6,
        "total_tokens": 12,
        "prompt_tokens_details": {"cached_tokens": 2},
        "completion_tokens_details": {"reasoning_tokens": 1},
    }
    assert (await post(client, CHAT, chat_body(max_tokens=6)))[2] == body.replace(
        b"chatcmpl-1", b"chatcmpl-2"
    )
    assert server.stats.requests == server.stats.completed == 2


async def test_token_limits_and_defaults(fake):
    _server, client = await fake(default_max_tokens=3)
    usage = lambda body: json.loads(body)["usage"]["completion_tokens"]  # noqa: E731
    assert usage((await post(client, CHAT, chat_body()))[2]) == 3
    assert usage((await post(client, CHAT, chat_body(max_tokens=5)))[2]) == 5
    got = await post(client, CHAT, chat_body(max_tokens=5, max_completion_tokens=2))
    assert usage(got[2]) == 2
    doc = json.loads((await post(client, CHAT, chat_body("", max_tokens=2)))[2])
    assert doc["choices"][0]["message"]["content"] == "tok0 tok1"
    assert (
        json.loads((await post(client, CHAT, chat_body()))[2])["choices"][0]["finish_reason"]
        == "stop"
    )


async def test_completions(fake):
    _server, client = await fake()
    body = json.dumps({"model": MODEL, "prompt": ["a b", [7, 8]], "max_tokens": 3}).encode()
    doc = json.loads((await post(client, "/v1/completions", body))[2])
    assert doc["object"] == "text_completion"
    # A batch of two prompts: a choice each, answered from its own prompt.
    assert [c["text"] for c in doc["choices"]] == ["a b a", "7 8 7"]
    assert [c["index"] for c in doc["choices"]] == [0, 1]
    assert doc["usage"]["prompt_tokens"] == 4 and doc["usage"]["completion_tokens"] == 6


async def test_n_choices_whole_and_streamed(fake):
    _server, client = await fake()
    body = chat_body(n=3, max_tokens=2)
    doc = json.loads((await post(client, CHAT, body))[2])
    assert [c["index"] for c in doc["choices"]] == [0, 1, 2]
    assert doc["usage"]["completion_tokens"] == 6
    body = chat_body(n=2, max_tokens=2, stream=True, stream_options={"include_usage": True})
    events = [
        json.loads(line[6:])
        for line in (await post(client, CHAT, body))[2].decode().splitlines()
        if line.startswith("data: {")
    ]
    texts: dict[int, str] = {}
    for event in events:
        for choice in event["choices"]:
            texts[choice["index"]] = texts.get(choice["index"], "") + choice["delta"].get(
                "content", ""
            )
    assert sorted(texts) == [0, 1] and all(len(t.split()) == 2 for t in texts.values())
    assert events[-1]["usage"]["completion_tokens"] == 4
    for bad in (0, 17, "2"):
        assert (await post(client, CHAT, chat_body(n=bad)))[0] == 400


@pytest.mark.parametrize("chat", [True, False])
async def test_streamed_answer(fake, chat):
    _server, client = await fake()
    if chat:
        path, body = (
            CHAT,
            chat_body(stream=True, stream_options={"include_usage": True}, max_tokens=4),
        )
    else:
        path = "/v1/completions"
        body = json.dumps(
            {
                "model": MODEL,
                "prompt": "x y",
                "stream": True,
                "max_tokens": 4,
                "stream_options": {"include_usage": True},
            }
        ).encode()
    status, ctype, raw = await post(client, path, body)
    assert (status, ctype) == (200, "text/event-stream")
    events = sse_payloads(raw)
    assert events[-1] == "[DONE]"
    assert events[-2]["choices"] == [] and events[-2]["usage"]["completion_tokens"] == 4
    pieces = events[1:-2]
    assert len(pieces) == 4
    key = (lambda c: c["delta"]["content"]) if chat else (lambda c: c["text"])
    text = "".join(key(e["choices"][0]) for e in pieces)
    whole = json.loads(
        (await post(client, path, body.replace(b'"stream": true', b'"stream": false')))[2]
    )
    expected = whole["choices"][0]["message"]["content"] if chat else whole["choices"][0]["text"]
    assert text == expected
    assert pieces[-1]["choices"][0]["finish_reason"] == "length"
    assert all(e["choices"][0]["finish_reason"] is None for e in pieces[:-1])


async def test_stream_without_include_usage_has_no_usage_event(fake):
    _server, client = await fake()
    events = sse_payloads((await post(client, CHAT, chat_body(stream=True, max_tokens=2)))[2])
    assert all("usage" not in e for e in events if e != "[DONE]")
    assert len(events) == 4  # role, 2 tokens, [DONE]


@pytest.mark.parametrize("chat", [True, False])
async def test_continuous_usage_on_every_chunk_as_vllm_counts_it(fake, chat):
    """`stream_options.continuous_usage_stats` (with include_usage): every chunk carries its
    choice's running usage as its last member (the role chunk 0), the final usage as ever."""
    _server, client = await fake()
    options = {"include_usage": True, "continuous_usage_stats": True}
    if chat:
        path, body = CHAT, chat_body(n=2, stream=True, stream_options=options, max_tokens=3)
    else:
        path = "/v1/completions"
        fields = {"prompt": ["a b", "c"], "stream": True, "stream_options": options}
        body = json.dumps({"model": MODEL, "max_tokens": 3} | fields).encode()
    _status, _ctype, raw = await post(client, path, body)
    events = sse_payloads(raw)
    assert events[-1] == "[DONE]" and events[-2]["choices"] == []
    chunks = events[:-2]
    assert all(list(e)[-1] == "usage" for e in chunks)
    seen: dict[int, int] = {}
    for e in chunks:
        (choice,) = e["choices"]
        k, usage = choice["index"], e["usage"]
        content = choice["delta"].get("content") if chat else choice["text"]
        seen[k] = seen.get(k, 0) + (1 if content else 0)
        assert usage["completion_tokens"] == seen[k]  # that choice's tokens so far
        assert usage["total_tokens"] == usage["prompt_tokens"] + seen[k]
    if chat:
        assert {e["usage"]["prompt_tokens"] for e in chunks} == {6}
    else:  # per prompt: choice 0 is "a b", choice 1 is "c"
        assert [e["usage"]["prompt_tokens"] for e in chunks[:2]] == [2, 1]
    assert events[-2]["usage"]["completion_tokens"] == sum(seen.values()) == 6
    # without include_usage, vLLM ignores it
    body = chat_body(stream=True, stream_options={"continuous_usage_stats": True}, max_tokens=2)
    events = sse_payloads((await post(client, CHAT, body))[2])
    assert all("usage" not in e for e in events if e != "[DONE]")


async def test_stream_usage_off_plays_a_server_that_reports_none(fake):
    _server, client = await fake(stream_usage=False)
    options = {"include_usage": True, "continuous_usage_stats": True}
    body = chat_body(stream=True, stream_options=options, max_tokens=3)
    events = sse_payloads((await post(client, CHAT, body))[2])
    assert len(events) == 5 and all("usage" not in e for e in events if e != "[DONE]")
    whole = json.loads((await post(client, CHAT, chat_body(max_tokens=3)))[2])
    assert whole["usage"]["completion_tokens"] == 3  # whole answers keep theirs


async def test_ndjson_streams_like_the_reference_benchmark_server(fake):
    _server, client = await fake(stream_format="ndjson", reasoning_tokens=1)
    async with client.request("POST", CHAT, body=chat_body(stream=True, max_tokens=3)) as resp:
        assert resp.header("content-type") == "application/json"
        counter = UsageCounter(resp.header("content-type"))
        raw = b"".join([c async for c in resp.iter_body()])
    lines = [json.loads(line) for line in raw.splitlines()]
    assert lines[:3] == [{"delta": "hello", "i": 0}, {"delta": "brave", "i": 1},
                         {"delta": "new", "i": 2}]  # fmt: skip
    assert lines[3]["usage"]["completion_tokens"] == 3 and len(lines) == 4
    counter.feed(raw)
    counter.finish()
    assert counter.counts == UsageCounts(prompt=6, completion=3, reasoning=1)


async def test_usage_counter_reads_the_fake(fake):
    """The two halves of the worker's path agree: the counter finds what the fake reports."""
    _server, client = await fake(cached_tokens=1, reasoning_tokens=2)
    body = chat_body(stream=True, stream_options={"include_usage": True}, max_tokens=5)
    async with client.request("POST", CHAT, body=body) as resp:
        counter = UsageCounter(resp.header("content-type"), lambda c: {"total_cost": 1})
        out = b"".join([counter.feed(c) async for c in resp.iter_body()]) + counter.finish()
    assert counter.counts == UsageCounts(prompt=6, cached=1, completion=5, reasoning=2)
    assert sse_payloads(out)[-2]["usage"]["total_cost"] == 1


async def test_models_health_and_errors(fake):
    _server, client = await fake()
    async with client.request("GET", "/v1/models") as resp:
        models = json.loads(await resp.read())
    assert models["data"][0]["id"] == MODEL and models["data"][0]["owned_by"] == "cocoon-fake"
    async with client.request("GET", "/health") as resp:
        assert resp.status == 200 and await resp.read() == b""
    async with client.request("GET", "/nope") as resp:
        assert resp.status == 404 and await resp.read()
    async with client.request("GET", CHAT) as resp:
        assert resp.status == 405 and await resp.read()
    for body, status in [
        (b"not json", 400),
        (b"[]", 400),
        (json.dumps({"model": "other", "messages": []}).encode(), 404),
        (json.dumps({"model": MODEL, "messages": "x"}).encode(), 400),
        (json.dumps({"model": MODEL}).encode(), 400),
    ]:
        got_status, _, got = await post(client, CHAT, body)
        assert got_status == status and json.loads(got)["object"] == "error"


async def test_injected_errors_and_garbage(fake):
    server, client = await fake(fail_mode="error", fail_every=2)
    assert [(await post(client, CHAT, chat_body()))[0] for _ in range(4)] == [200, 500, 200, 500]
    assert server.stats.failed == 2
    server, client = await fake(fail_mode="garbage")
    status, _, body = await post(client, CHAT, chat_body())
    assert status == 200
    with pytest.raises(ValueError):
        json.loads(body)


@pytest.mark.parametrize("stream", [True, False])
async def test_close_mid_answer(fake, stream):
    server, client = await fake(fail_mode="close")
    with pytest.raises(HttpConnectionClosed):
        await post(client, CHAT, chat_body(stream=stream, max_tokens=8))
    assert server.stats.failed == 1 and server.stats.completed == 0


async def test_hang_until_the_client_leaves(fake):
    server, client = await fake(fail_mode="hang")
    with trio.move_on_after(0.1):
        await post(client, CHAT, chat_body())
    with trio.fail_after(5):
        await server.wait_for(lambda s: s.cancelled == 1)
    assert server.stats.active == 0


async def test_client_cancelling_a_stream_cancels_generation(fake):
    server, client = await fake(token_delay=0.02)
    with trio.move_on_after(0.1):
        async with client.request("POST", CHAT, body=chat_body(stream=True, max_tokens=1000)) as r:
            async for _chunk in r.iter_body():
                pass
    with trio.fail_after(5):
        await server.wait_for(lambda s: s.cancelled == 1)
    assert server.stats.completed == 0 and server.stats.active == 0


# -- timing, in memory with the autojump clock --------------------------------------------


async def memory_client(nursery, server: FakeInferenceServer) -> HttpClient:
    async def connect(host, port):
        client_side, server_side = trio.testing.memory_stream_pair()
        nursery.start_soon(lambda: serve_connection(server_side, handler=server.handle))
        return client_side

    return HttpClient("fake", 0, connect=connect)


async def test_time_to_first_token_and_token_rate(nursery, autojump_clock):
    server = FakeInferenceServer(FakeInferenceConfig(first_token_delay=0.5, token_delay=0.1))
    client = await memory_client(nursery, server)
    start = trio.current_time()
    arrivals = []
    body = chat_body(stream=True, max_tokens=5)
    async with client.request("POST", CHAT, body=body) as resp:
        assert trio.current_time() == start  # the head leaves at once
        async for chunk in resp.iter_body():
            for payload in sse_payloads(chunk):
                if payload != "[DONE]" and "content" in payload["choices"][0]["delta"]:
                    if payload["choices"][0]["delta"]["content"]:
                        arrivals.append(round(trio.current_time() - start, 6))
    assert arrivals == [0.5, 0.6, 0.7, 0.8, 0.9]

    start = trio.current_time()
    status, _, _ = await post(client, CHAT, chat_body(max_tokens=5))
    assert status == 200 and trio.current_time() - start == pytest.approx(0.9)


async def test_cancel_during_first_token_delay(nursery, autojump_clock):
    server = FakeInferenceServer(FakeInferenceConfig(first_token_delay=60))
    client = await memory_client(nursery, server)
    with trio.move_on_after(1):
        await post(client, CHAT, chat_body())
    with trio.fail_after(1):
        await server.wait_for(lambda s: s.cancelled == 1)


def test_config_validation():
    with pytest.raises(ValueError):
        FakeInferenceConfig(token_delay=-1)
    with pytest.raises(ValueError):
        FakeInferenceConfig(fail_mode="explode")
    with pytest.raises(ValueError):
        FakeInferenceConfig(fail_every=0)


def test_cli_arguments():
    import argparse

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(
        ["--port", "9", "--token-delay", "0.5", "--fail-mode", "hang", "--stream-format", "ndjson"]
    )
    config = config_from_args(args)
    assert (args.port, config.token_delay, config.fail_mode) == (9, 0.5, "hang")
    assert config.stream_format == "ndjson"


def test_cli_serves_and_says_it_is_a_test_backend():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "cocoon", "fake-inference", "--port", str(port)],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                    conn.sendall(b"GET /v1/models HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    answer = b""
                    while data := conn.recv(65536):
                        answer += data
                break
            except OSError:
                assert time.monotonic() < deadline, "the fake server did not start"
                time.sleep(0.1)
        assert answer.startswith(b"HTTP/1.1 200 OK") and b'"owned_by":"cocoon-fake"' in answer
    finally:
        proc.terminate()
        _out, err = proc.communicate(timeout=10)
    assert "TEST BACKEND" in err
