"""The client's OpenAI-compatible API end to end: client -> proxy -> worker -> fake inference
server, all in this process (`cocoon.network`), driven over HTTP by httpx and the OpenAI SDK."""

from __future__ import annotations

import json

import httpx
import openai
import pytest
import trio

from cocoon.backends.fake import FakeInferenceConfig
from cocoon.network import Network, NetworkConfig, open_network

pytestmark = pytest.mark.e2e

MODEL = "Qwen/Qwen3-8B"
PRICE = 2  # NetworkConfig's default price per token
KEY = "sk-cocoon-test"
HEADERS = {"Authorization": f"Bearer {KEY}"}


def chat(**fields) -> dict:
    return {"model": MODEL, "messages": [{"role": "user", "content": "one two three"}], **fields}


def sse_events(text: str) -> list[str]:
    return [line[6:] for line in text.split("\n") if line.startswith("data: ")]


@pytest.fixture
async def net():
    async with open_network(NetworkConfig()) as network:
        yield network


@pytest.fixture
async def http(net: Network):
    token = {"X-Access-Hash": net.clients[0].web.access_hash}  # for /jsonstats
    async with httpx.AsyncClient(base_url=net.client_url, timeout=10, headers=token) as client:
        yield client


async def test_chat_answer_has_usage_cost_and_cocoon_headers(http):
    r = await http.post("/v1/chat/completions", json=chat(max_tokens=4))
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert int(r.headers["content-length"]) == len(r.content)
    answer = r.json()
    assert answer["choices"][0]["message"]["content"] == "one two three one"
    usage = answer["usage"]
    assert usage["completion_tokens"] == 4
    assert usage["total_cost"] == usage["cocoon_adjusted_tokens"] * PRICE > 0
    assert len(r.headers["x-request-id"]) == 64
    names = [k.lower() for k in r.headers if k.lower().startswith("x-cocoon-")]
    assert names == [
        "x-cocoon-worker-start",
        "x-cocoon-worker-end",
        "x-cocoon-proxy-start",
        "x-cocoon-proxy-end",
        "x-cocoon-client-start",
        "x-cocoon-client-end",
    ]
    start, end = float(r.headers["x-cocoon-client-start"]), float(r.headers["x-cocoon-client-end"])
    assert start <= float(r.headers["x-cocoon-proxy-start"]) <= end
    assert "access-control-allow-origin" not in r.headers  # no CORS unless cors_origins
    assert r.headers.get_list("date") and len(r.headers.get_list("date")) == 1


async def test_completions_non_streamed_and_streamed(http):
    body = {"model": MODEL, "prompt": "alpha beta", "max_tokens": 3}
    r = await http.post("/v1/completions", json=body)
    assert r.status_code == 200
    assert r.json()["choices"][0]["text"] == "alpha beta alpha"
    assert r.json()["usage"]["total_cost"] > 0
    r = await http.post("/v1/completions", json=body | {"stream": True})
    events = sse_events(r.text)
    assert events[-1] == "[DONE]"
    usage = json.loads(events[-2])["usage"]
    assert usage["total_cost"] == usage["cocoon_adjusted_tokens"] * PRICE


async def test_chat_streamed_is_sse_with_usage_last(http):
    r = await http.post("/v1/chat/completions", json=chat(max_tokens=5, stream=True))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/event-stream")
    assert "content-length" not in r.headers
    events = sse_events(r.text)
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == "one two three one two"
    usage = chunks[-1]["usage"]
    assert usage["completion_tokens"] == 5
    assert usage["total_cost"] == usage["cocoon_adjusted_tokens"] * PRICE > 0


async def test_streaming_is_incremental():
    slow = NetworkConfig(inference=FakeInferenceConfig(token_delay=0.05))
    async with open_network(slow) as net, httpx.AsyncClient(base_url=net.client_url) as http:
        arrivals: list[float] = []
        t0 = trio.current_time()
        body = chat(max_tokens=12, stream=True)
        async with http.stream("POST", "/v1/chat/completions", json=body) as r:
            async for chunk in r.aiter_raw():
                if b"data: " in chunk:
                    arrivals.append(trio.current_time() - t0)
        total = arrivals[-1]
        assert total >= 0.5  # 12 tokens, 50 ms apart
        assert arrivals[0] < total / 3  # the first event did not wait for the last
        assert len(arrivals) >= 6  # parts came one by one, not as one buffer


async def test_openai_sdk_models_chat_and_stream(net: Network):
    client = openai.AsyncOpenAI(base_url=net.client_url + "/v1", api_key="any", max_retries=0)
    try:
        models = await client.models.list()
        assert [m.id for m in models.data] == [MODEL]
        assert models.data[0].owned_by == "cocoon"
        assert (await client.models.retrieve(MODEL)).id == MODEL
        answer = await client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "hi there"}], max_tokens=3
        )
        assert answer.choices[0].message.content == "hi there hi"
        assert answer.usage.completion_tokens == 3
        assert answer.usage.model_extra["total_cost"] > 0
        stream = await client.chat.completions.create(
            model=MODEL,
            messages=[{"role": "user", "content": "hi there"}],
            max_tokens=3,
            stream=True,
        )
        text, usage = "", None
        async for event in stream:
            if event.choices:
                text += event.choices[0].delta.content or ""
            usage = event.usage or usage
        assert text == "hi there hi"
        assert usage is not None and usage.model_extra["total_cost"] > 0
        with pytest.raises(openai.NotFoundError) as info:
            await client.chat.completions.create(
                model="no/such-model", messages=[{"role": "user", "content": "x"}]
            )
        assert info.value.code == "model_not_found"
        assert MODEL in info.value.message  # the error names the models one can use
    finally:
        await client.close()


@pytest.mark.parametrize(
    ("body", "status", "code", "param"),
    [
        (b"{not json", 400, "invalid_request", None),
        (b"[1, 2]", 400, "invalid_request", None),
        (json.dumps({"messages": []}).encode(), 400, "invalid_request", "model"),
        (json.dumps(chat(max_tokens=-1)).encode(), 400, "invalid_request", "max_tokens"),
        (json.dumps(chat(bogus=1)).encode(), 400, "invalid_request", "bogus"),
        (json.dumps(chat(timeout="soon")).encode(), 400, "invalid_request", "timeout"),
        (json.dumps(chat(model="x/unknown")).encode(), 404, "model_not_found", "model"),
        (json.dumps(chat(max_coefficient=500)).encode(), 503, "max_coefficient_too_low", None),
    ],
)
async def test_bad_requests_get_openai_errors(http, body, status, code, param):
    r = await http.post(
        "/v1/chat/completions", content=body, headers={"Content-Type": "application/json"}
    )
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/json"
    error = r.json()["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    if param is not None:
        assert error["param"] == param
    if status == 503:
        assert r.headers["retry-after"]
        assert "coefficient=1000" in error["message"]
    # Refused by the network (not by our own checks): the request id went to the proxy.
    assert ("x-request-id" in r.headers) == (status != 400)


async def test_other_paths_and_methods(http):
    r = await http.post("/v1/embeddings", json={"model": MODEL, "input": "x"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_url"
    r = await http.get("/v1/chat/completions")
    assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed"
    r = await http.delete(f"/v1/models/{MODEL}")
    assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed"
    for path in ("/v1/models/", "/v1/models//x"):  # no model id: JSON, not Quart's HTML 404
        r = await http.get(path)
        assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_url"
    r = await http.options("/v1/chat/completions")
    assert r.status_code == 204 and "POST" in r.headers["allow"]
    assert "access-control-allow-origin" not in r.headers


async def test_api_keys_and_body_limit():
    options = {"api_keys": [KEY], "max_body_bytes": 2000}
    async with open_network(NetworkConfig(client_options=options)) as net:
        async with httpx.AsyncClient(base_url=net.client_url, timeout=10) as http:
            r = await http.post("/v1/chat/completions", json=chat(max_tokens=2))
            assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_api_key"
            bad = {"Authorization": "Bearer sk-wrong"}
            r = await http.post("/v1/chat/completions", json=chat(max_tokens=2), headers=bad)
            assert r.status_code == 401
            assert (await http.get("/v1/models", headers=bad)).status_code == 401
            r = await http.post("/v1/chat/completions", json=chat(max_tokens=2), headers=HEADERS)
            assert r.status_code == 200
            big = chat(messages=[{"role": "user", "content": "x" * 5000}])
            r = await http.post("/v1/chat/completions", json=big, headers=HEADERS)
            assert r.status_code == 413 and r.json()["error"]["code"] == "request_too_large"

            async def chunks():  # no Content-Length: the limit is enforced while reading
                yield json.dumps(big).encode()[:1500]
                yield json.dumps(big).encode()[1500:]

            r = await http.post("/v1/chat/completions", content=chunks(), headers=HEADERS)
            assert r.status_code == 413
            token = {"X-Access-Hash": net.clients[0].web.access_hash}
            r = await http.get("/stats", headers=token)
            assert r.status_code == 200  # pages: access hash only


async def test_a_body_beyond_the_servers_own_bound_gets_the_same_413(net: Network):
    url = httpx.URL(net.client_url)
    stream = await trio.open_tcp_stream(url.host, url.port)
    head = b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n\r\n"
    await stream.send_all(head)  # refused before any of the body is read
    data = b""
    with trio.fail_after(5):
        while chunk := await stream.receive_some():
            data += chunk
    status, _, body = data.partition(b"\r\n\r\n")
    assert status.startswith(b"HTTP/1.1 413")
    assert json.loads(body)["error"]["code"] == "request_too_large"


async def test_disconnect_mid_stream_cancels_and_bills_only_what_was_made():
    slow = NetworkConfig(inference=FakeInferenceConfig(token_delay=0.05))
    async with open_network(slow) as net, httpx.AsyncClient(base_url=net.client_url) as http:
        backend = net.backends[0]
        body = chat(max_tokens=200, stream=True)  # 10 s if left to run
        seen = 0
        async with http.stream("POST", "/v1/chat/completions", json=body) as r:
            async for chunk in r.aiter_raw():
                seen += chunk.count(b"data: ")
                if seen >= 3:
                    break
        with trio.fail_after(5):
            await backend.wait_for(lambda s: s.cancelled == 1)
        assert backend.stats.completed == 0
        proxy = net.proxies[0].node
        with trio.fail_after(5):  # settled: nothing running at the proxy any more
            while any(a.running for a in proxy.clients.values()):  # noqa: ASYNC110
                await trio.sleep(0.02)
        billed = sum(a.tokens.tokens_max for a in proxy.clients.values())
        assert billed < 200  # the whole answer would have been 200 completion tokens and more
        token = {"X-Access-Hash": net.clients[0].web.access_hash}
        last = (await http.get("/jsonstats", headers=token)).json()["requests"][-1]
        assert last["error"] == "the caller disconnected"
        assert last["stream"] is True


async def test_tools_pass_through_to_the_inference_server(net: Network):
    """Function calling: `tools` travel client -> proxy -> worker (extended profile) -> server,
    and the server's `tool_calls` come back to the SDK."""
    client = openai.AsyncOpenAI(base_url=net.client_url + "/v1", api_key="any", max_retries=0)
    try:
        answer = await client.chat.completions.create(
            model=MODEL,
            messages=[{"role": "user", "content": "what is the weather in Dubai?"}],
            tools=[
                {
                    "type": "function",
                    "function": {
                        "name": "get_weather",
                        "description": "weather of a city",
                        "parameters": {
                            "type": "object",
                            "properties": {"city": {"type": "string"}},
                        },
                    },
                }
            ],
            tool_choice="auto",
            max_tokens=8,
        )
        choice = answer.choices[0]
        assert choice.finish_reason == "tool_calls"
        assert choice.message.tool_calls[0].function.name == "get_weather"
        assert answer.usage.model_extra["total_cost"] > 0
    finally:
        await client.close()


async def test_a_json_answer_that_breaks_off_is_an_error_answer_not_a_cut_connection():
    """The inference server sends half a chunked JSON answer and closes. The caller, who did
    not ask to stream, gets an OpenAI error (the answer goes out whole or not at all), not
    a 200 cut mid-body (seen in scripts/soak.py as httpx RemoteProtocolError)."""
    broken = NetworkConfig(inference=FakeInferenceConfig(fail_mode="close"))
    async with open_network(broken) as net, httpx.AsyncClient(base_url=net.client_url) as http:
        r = await http.post("/v1/chat/completions", json=chat(max_tokens=20))
        assert r.status_code == 502, r.text
        assert "failed to get payload" in r.json()["error"]["message"]
        assert r.headers["x-request-id"]
        r = await http.post("/v1/chat/completions", json=chat(max_tokens=20, stream=True))
        assert r.status_code == 200  # a stream has begun: its end says what happened
        events = sse_events(r.text)
        assert "failed to get payload" in json.loads(events[-2])["error"]["message"]
        assert events[-1] == "[DONE]"
        token = {"X-Access-Hash": net.clients[0].web.access_hash}
        stats = (await http.get("/jsonstats", headers=token)).json()
        assert [q["error"] is not None for q in stats["requests"][-2:]] == [True, True]
