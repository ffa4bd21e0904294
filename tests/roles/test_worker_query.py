"""The worker's request pipeline against the fake inference server, without a proxy: the
answer messages for each protocol version, billing, and every failure answer."""

from __future__ import annotations

import json
from functools import partial

import pytest
import trio

from cocoon import tl
from cocoon.backends.fake import FakeInferenceConfig, serve_fake_inference
from cocoon.http.client import HttpClient
from cocoon.roles.worker.query import Pricing, QueryContext, serve_query
from cocoon.ton.pricing import Multipliers

from .netutil import chat_body, http_request


@pytest.fixture
async def backend(nursery):
    return await nursery.start(
        partial(serve_fake_inference, FakeInferenceConfig(token_delay=0.001))
    )


@pytest.fixture
async def ctx(backend):
    async with HttpClient("127.0.0.1", backend.port) as http:
        yield QueryContext(
            http=http, model="Qwen/Qwen3-8B", max_active=4, pricing=Pricing(3, Multipliers())
        )


def query(
    body: bytes,
    *,
    coefficient: int = 2000,
    timeout: float = 10.0,
    debug: bool | None = None,
    raw: bytes | None = None,
) -> tl.ProxyRunQueryEx:
    return tl.ProxyRunQueryEx(
        query=raw if raw is not None else tl.encode(http_request(body)),
        signed_payment=tl.ProxySignedPaymentEmpty(),
        coefficient=coefficient,
        timeout=timeout,
        request_id=b"\x07" * 32,
        enable_debug=debug,
    )


async def serve(ctx, q: tl.ProxyRunQueryEx, proto: int = 2) -> list[tl.TLObject]:
    sent: list[tl.TLObject] = []

    async def send(obj: tl.TLObject) -> None:
        sent.append(obj)

    await serve_query(ctx, send, proto, q)
    return sent


async def test_small_answer_is_one_message_with_final_info_and_costs(ctx):
    (msg,) = await serve(ctx, query(chat_body(max_tokens=4)))
    assert isinstance(msg, tl.ProxyQueryAnswerEx) and msg.flags == 1
    response = tl.decode(msg.answer, tl.HttpResponse)
    headers = {h.name: h.value for h in response.headers}
    assert headers["Content-Length"] == str(len(response.payload))
    usage = json.loads(response.payload)["usage"]
    tokens = msg.final_info.tokens_used
    # coefficient 2000 doubles every category; price 3 nano per adjusted token
    assert tokens.completion_tokens_used == 2 * usage["completion_tokens"] == 8
    assert tokens.total_tokens_used == 2 * usage["total_tokens"]
    assert (
        usage["total_cost"]
        == 3 * tokens.total_tokens_used
        == usage["prompt_total_cost"] + usage["completion_total_cost"]
    )
    assert (
        msg.final_info.flags == 2
        and msg.final_info.worker_end_time >= msg.final_info.worker_start_time
    )
    assert ctx.active == 0 and ctx.stats["success"].total == 1


async def test_stream_is_headers_then_parts_then_a_final_part(ctx):
    sent = await serve(ctx, query(chat_body(stream=True, max_tokens=5)))
    first, *parts = sent
    assert isinstance(first, tl.ProxyQueryAnswerEx) and first.flags == 0
    assert {h.name: h.value for h in tl.decode(first.answer).headers}[
        "Transfer-Encoding"
    ] == "chunked"
    assert all(isinstance(p, tl.ProxyQueryAnswerPartEx) for p in parts)
    assert [p.flags for p in parts][-1] == 1 and all(p.flags == 0 for p in parts[:-1])
    body = b"".join(p.answer for p in parts).decode()
    assert body.endswith("data: [DONE]\n\n") and '"total_cost"' in body
    assert parts[-1].final_info.tokens_used.total_tokens_used > 0


async def test_protocol_0_gets_the_old_forms_with_running_tokens(ctx):
    sent = await serve(ctx, query(chat_body(stream=True, max_tokens=3)), proto=0)
    assert isinstance(sent[0], tl.ProxyQueryAnswer) and not sent[0].is_completed
    assert all(isinstance(p, tl.ProxyQueryAnswerPart) for p in sent[1:])
    assert sent[-1].is_completed and sent[-1].tokens_used.total_tokens_used > 0


async def test_debug_adds_the_worker_record(ctx):
    (msg,) = await serve(ctx, query(chat_body(), debug=True))
    record = json.loads(msg.final_info.worker_debug)
    assert record["type"] == "worker_stats" and msg.final_info.flags == 3


@pytest.mark.parametrize(
    ("q", "code", "text"),
    [
        (
            query(chat_body(tools=[])),
            621,
            "worker: invalid http request: unknown option 'tools' in request",
        ),
        (query(chat_body(model="other")), 621, "worker: invalid http request: model name mismatch"),
        (query(b"", raw=b"\x01\x02\x03\x04"), 0, "worker: invalid http request:"),
    ],
)
async def test_invalid_requests_are_answered_with_errors(ctx, q, code, text):
    (msg,) = await serve(ctx, q)
    assert isinstance(msg, tl.ProxyQueryAnswerErrorEx) and msg.flags == 1
    assert msg.error_code == code and msg.error.startswith(text)
    assert msg.final_info.tokens_used.total_tokens_used == 0


async def test_too_many_active_queries(ctx):
    ctx.active = ctx.max_active
    (msg,) = await serve(ctx, query(chat_body()))
    assert (msg.error_code, msg.error) == (602, "too many active queries")
    (old,) = await serve(ctx, query(chat_body()), proto=0)
    assert isinstance(old, tl.ProxyQueryAnswerError)


async def test_unreachable_inference_server():
    async with HttpClient("127.0.0.1", 1) as http:
        ctx = QueryContext(http=http, model="Qwen/Qwen3-8B", max_active=1)
        (msg,) = await serve(ctx, query(chat_body()))
        # whoever sent the request learns nothing of where the inference server is
        assert (msg.error_code, msg.error) == (
            601,
            "worker: http failed: cannot connect to the inference server",
        )


async def test_a_header_http_cannot_carry_is_the_requests_fault(ctx, backend):
    request = http_request(chat_body())
    request = tl.HttpRequest(
        method=request.method,
        url=request.url,
        http_version=request.http_version,
        headers=[*request.headers, tl.HttpHeader(name="X-Note", value="\u20ac")],
        payload=request.payload,
    )
    (msg,) = await serve(ctx, query(b"", raw=tl.encode(request)))
    assert (msg.error_code, msg.error) == (
        621,
        "worker: invalid http request: header 'X-Note' cannot be sent",
    )
    assert str(backend.port) not in msg.error


async def test_a_bug_met_by_one_request_fails_that_request_only(ctx, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("cocoon.roles.worker.query.validate_request", broken)
    (msg,) = await serve(ctx, query(chat_body()))  # answered, not raised
    assert (msg.error_code, msg.error) == (602, "worker: internal error")
    assert msg.final_info is not None and ctx.active == 0


@pytest.mark.parametrize(
    ("payload", "text"),
    [
        (
            b'{"model":"Qwen/Qwen3-8B","messages":[],"response_format":[[1e400]]}',
            "number 1e400 is beyond double range",
        ),
        (
            b'{"model":"Qwen/Qwen3-8B","messages":[],"response_format":'
            + b"[" * 490
            + b"]" * 490
            + b"}",
            "JSON nested deeper than 128 levels",
        ),
    ],
)
async def test_json_beyond_the_limits_is_an_invalid_request(ctx, payload, text):
    (msg,) = await serve(ctx, query(payload))
    assert (msg.error_code, msg.error) == (621, f"worker: invalid http request: {text}")


async def test_timeout_answers_652(ctx, backend):
    backend.config = FakeInferenceConfig(first_token_delay=5)
    with trio.fail_after(5):
        (msg,) = await serve(ctx, query(chat_body(), timeout=0.5))
    assert (msg.error_code, msg.error) == (652, "worker: timeout")


async def test_a_stream_already_whole_with_its_head_goes_as_one_message(nursery):
    """A fast server writes the whole SSE answer at once: it goes on as one message (the
    head with the body and the final info), not a head and parts."""
    events = [
        b'data: {"choices":[{"delta":{"content":"a"}}]}\n\n',
        b'data: {"choices":[],"usage":{"prompt_tokens":2,"completion_tokens":1}}\n\n',
        b"data: [DONE]\n\n",
    ]
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(e), e) for e in events) + b"0\r\n\r\n"

    async def whole(stream: trio.SocketStream) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            head += await stream.receive_some(65536)
        await stream.send_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n" + chunked
        )
        await stream.receive_some(65536)  # until the worker leaves

    listeners = await nursery.start(partial(trio.serve_tcp, whole, 0, host="127.0.0.1"))
    port = listeners[0].socket.getsockname()[1]
    async with HttpClient("127.0.0.1", port) as http:
        ctx = QueryContext(http=http, model="Qwen/Qwen3-8B", max_active=4, pricing=Pricing(3))
        (msg,) = await serve(ctx, query(chat_body(stream=True, max_tokens=5)))
    assert isinstance(msg, tl.ProxyQueryAnswerEx) and msg.flags == 1
    response = tl.decode(msg.answer, tl.HttpResponse)
    assert {h.name: h.value for h in response.headers}["Transfer-Encoding"] == "chunked"
    assert response.payload.startswith(events[0]) and response.payload.endswith(events[2])
    assert b'"total_cost"' in response.payload
    assert msg.final_info.tokens_used.completion_tokens_used == 2  # coefficient 2000


@pytest.mark.parametrize(
    ("stream_usage", "billed"),
    [
        (True, 2 * (4 + 5)),  # the server's latest usage: prompt 4, 5 tokens so far
        (False, 2 * 5),  # no usage at all: one token per piece delivered
    ],
)
async def test_a_stream_the_server_cuts_short_bills_what_it_produced(nursery, stream_usage, billed):
    """The server closes halfway (after 5 of 10 tokens), before its final usage: the error
    answer carries what was produced; it used to carry 0."""
    config = FakeInferenceConfig(fail_mode="close", stream_usage=stream_usage)
    backend = await nursery.start(partial(serve_fake_inference, config))
    async with HttpClient("127.0.0.1", backend.port) as http:
        ctx = QueryContext(http=http, model="Qwen/Qwen3-8B", max_active=4, pricing=Pricing(3))
        sent = await serve(ctx, query(chat_body(stream=True, max_tokens=10)))
    error = sent[-1]
    assert isinstance(error, tl.ProxyQueryAnswerErrorEx) and error.error_code == 601
    assert error.final_info.tokens_used.total_tokens_used == billed  # coefficient 2000
    assert ctx.stats["total_adjusted_tokens_used"].total == billed
    body = tl.decode(sent[0].answer, tl.HttpResponse).payload
    body += b"".join(m.answer for m in sent[1:-1])
    assert body.count(b"content") == 6 and b"usage" not in body  # role + 5 tokens, as sent


async def test_a_stream_asks_for_running_usage_and_shows_only_the_final_one(ctx, backend):
    seen: list[bytes] = []
    inference = backend._inference

    async def spy(chat, request, responder):
        seen.append(request.body)
        await inference(chat, request, responder)

    backend._inference = spy
    sent = await serve(ctx, query(chat_body(stream=True, max_tokens=4)))
    assert json.loads(seen[0])["stream_options"] == {
        "continuous_usage_stats": True,
        "include_usage": True,
    }
    body = tl.decode(sent[0].answer, tl.HttpResponse).payload + b"".join(m.answer for m in sent[1:])
    usage_lines = [line for line in body.split(b"\n") if b'"usage"' in line]
    assert len(usage_lines) == 1 and b'"choices":[]' in usage_lines[0]
    assert sent[-1].final_info.tokens_used.total_tokens_used == 2 * (4 + 4)
    ctx.continuous_usage = False
    await serve(ctx, query(chat_body(stream=True, max_tokens=4)))
    assert json.loads(seen[1])["stream_options"] == {"include_usage": True}


def test_a_meter_and_its_counter_need_no_garbage_collector():
    """The meter holds its usage counter; the counter's callback must not hold the meter
    (a cycle per request, freed only by the garbage collector, issue 17)."""
    import gc

    from cocoon.openai.usage import UsageCounter
    from cocoon.roles.worker.query import _Meter

    def make():
        meter = _Meter(1500, Pricing(price_per_token=3))
        meter.counter = UsageCounter("application/json", on_usage=meter.cost_fields())
        assert meter.counter._on_usage is not None

    gc.collect()
    gc.disable()
    try:
        make()
        assert gc.collect() == 0
    finally:
        gc.enable()
