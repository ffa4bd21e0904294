"""How the client's API answers every way a request can end, driven by a scripted node (the
events `ClientNode.request` yields), so each failure is exact and instant: statuses and
OpenAI error bodies before the head, SSE error events and aborted JSON bodies after it, and
what is forwarded to the network."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import aclosing, asynccontextmanager, contextmanager

import attrs
import httpx
import pytest
import trio
from pytoniq_core import Address

from cocoon import tl
from cocoon.http.server import HttpRequest
from cocoon.roles.client.api import client_app
from cocoon.roles.client.config import ClientConfig
from cocoon.roles.client.core import ModelInfo
from cocoon.roles.client.events import Chunk, Done, Event, Failed, Head
from cocoon.roles.client.inference import InferenceApi
from cocoon.roles.client.journal import Journal
from cocoon.roles.common.counters import CounterSet
from cocoon.roles.common.root import RootView
from cocoon.roles.common.web import serve_web
from cocoon.ton.cells import friendly

MODEL = "Qwen/Qwen3-8B"
RID = bytes(range(32))
BODY = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}]}


class ScriptedNode:
    """What the API uses of a `ClientNode`, answering every request with `script` (events,
    and floats meaning "sleep this long")."""

    def __init__(self, script: list[Event | float], **config: object) -> None:
        self.config = ClientConfig(owner_address=friendly(Address((0, bytes(32)))), **config)
        self.stats = CounterSet()
        self.root = RootView(None)
        self.script = script
        self.seen: list[tuple[object, tl.HttpRequest]] = []
        self.links: list[object] = []
        self.channels: dict[str, object] = {}
        self.models_seen: dict[str, int] = {}  # the models `/metrics` may name
        self.on_charge = None  # what the API gave the last request for the proxy's receipt

    def ready_links(self) -> list[object]:
        return [object()]

    async def models(self) -> list[ModelInfo]:
        return [ModelInfo(MODEL, 0, [{"coefficient": 1000, "running_requests": 0, "max_running_requests": 8}])]  # fmt: skip

    @asynccontextmanager
    async def request(
        self, options, http_request, *, on_charge=None
    ) -> AsyncIterator[AsyncIterator[Event]]:
        self.seen.append((options, http_request))
        self.on_charge = on_charge

        async def events() -> AsyncIterator[Event]:
            for item in self.script:
                if isinstance(item, float):
                    await trio.sleep(item)
                else:
                    yield item

        async with aclosing(events()) as stream:
            yield stream


def head(content_type: str, *, length: int | None = None, payload: bytes = b"") -> Head:
    headers = [tl.HttpHeader(name="Content-Type", value=content_type)]
    if length is not None:
        headers.append(tl.HttpHeader(name="Content-Length", value=str(length)))
    else:
        headers.append(tl.HttpHeader(name="Transfer-Encoding", value="chunked"))
    response = tl.HttpResponse(
        http_version="HTTP/1.1", status_code=200, reason="OK", headers=headers, payload=payload
    )
    return Head(response, RID)


@pytest.fixture
def serve(nursery):
    async def start(node: ScriptedNode) -> httpx.AsyncClient:
        web = await nursery.start(serve_web, client_app(node), "127.0.0.1", 0)
        token = {"X-Access-Hash": web.access_hash}  # for the pages (/request/debuglogentry)
        return httpx.AsyncClient(base_url=web.url, timeout=5, headers=token)

    return start


@pytest.mark.parametrize(
    ("code", "message", "status", "slug"),
    [
        (651, "no working proxy connections", 503, "no_proxy"),
        (651, "no workers for model Qwen/Qwen3-8B", 503, "no_workers"),
        (651, "can run this query with coefficient=3000", 503, "max_coefficient_too_low"),
        (
            602,
            "client balance is too low: max_tokens=1000 tokens_payed=5",
            402,
            "insufficient_quota",
        ),
        (651, "balance is too low", 402, "insufficient_quota"),
        (652, "timeout in client", 504, "timeout"),
        (652, "worker: timeout", 504, "timeout"),
        (602, "too many active queries", 503, "server_overloaded"),
        (651, "too many running requests for this client (limit 2)", 429, "rate_limit_exceeded"),
        (
            621,
            "worker: invalid http request: unknown option 'x' in request",
            400,
            "invalid_request",
        ),
        (601, "worker: http failed: connection refused", 502, "upstream_error"),
    ],
)
async def test_failures_before_the_head(serve, code, message, status, slug):
    async with await serve(ScriptedNode([Failed(code, message)])) as http:
        r = await http.post("/v1/chat/completions", json=BODY)
    assert r.status_code == status
    assert r.headers["content-type"] == "application/json"
    assert "access-control-allow-origin" not in r.headers  # CORS only for cors_origins
    body = r.json()
    assert body["error"]["code"] == slug
    assert body["error"]["message"].startswith(message)
    assert body["error_code"] == code
    assert ("retry-after" in r.headers) == (status in (503, 429))


async def test_a_failure_before_the_head_names_the_request_it_ended(serve):
    node = ScriptedNode([Failed(652, "timeout in client", request_id=RID)])
    async with await serve(node) as http:
        r = await http.post("/v1/chat/completions", json=BODY | {"request_guid": "g"})
        assert r.status_code == 504 and r.headers["x-request-id"] == RID.hex()
        entry = (await http.get("/request/debuglogentry?request_guid=g")).json()
    assert entry["request"]["request_id"] == RID.hex()  # the answer matches its record


async def test_sse_failure_after_the_head_is_an_error_event_then_done(serve):
    script = [head("text/event-stream"), Chunk(b'data: {"n":1}\n\n'), Failed(652, "worker: timeout", answered=True)]  # fmt: skip
    async with await serve(ScriptedNode(script)) as http:
        r = await http.post("/v1/chat/completions", json=BODY | {"stream": True})
    assert r.status_code == 200
    events = [line[6:] for line in r.text.split("\n") if line.startswith("data: ")]
    assert events[0] == '{"n":1}'
    assert json.loads(events[1])["error"]["code"] == "timeout"
    assert events[2] == "[DONE]"
    assert len(events) == 3


async def test_json_failure_after_the_head(serve):
    script = [head("application/json"), Chunk(b'{"choices": ['), Failed(602, "worker: failed to get payload: eof", answered=True)]  # fmt: skip
    # Not asked to stream: the answer was held back until its end, so the error is clean.
    async with await serve(ScriptedNode(script)) as http:
        r = await http.post("/v1/chat/completions", json=BODY)
    assert r.status_code == 502 and "failed to get payload" in r.json()["error"]["message"]
    # Asked to stream, answered with JSON in parts (NDJSON, say): the parts went out as
    # they came, so the body is cut, and the caller sees a transport error, not a
    # well-formed but truncated answer.
    async with await serve(ScriptedNode(script)) as http:
        with pytest.raises(httpx.RemoteProtocolError):
            await http.post("/v1/chat/completions", json=BODY | {"stream": True})


async def test_a_whole_answer_is_sent_whole_and_a_failure_before_its_end_is_clean(serve):
    payload = b'{"ok":true}\n'
    done = Done(None, 0)
    async with await serve(ScriptedNode([head("application/json", length=12, payload=payload), done])) as http:  # fmt: skip
        r = await http.post("/v1/chat/completions", json=BODY)
    assert r.status_code == 200 and r.content == payload
    assert r.headers["content-length"] == "12"
    script = [head("application/json", length=12), Failed(651, "connection to the proxy lost", answered=True)]  # fmt: skip
    async with await serve(ScriptedNode(script)) as http:
        r = await http.post("/v1/chat/completions", json=BODY)
    assert r.status_code == 502  # the head was held back, so the error can still be honest
    assert r.headers["x-request-id"] == RID.hex()


async def test_a_stream_that_came_whole_goes_out_chunked_with_the_debug_event(serve):
    payload = b'data: {"n":1}\n\ndata: [DONE]\n\n'
    complete = attrs.evolve(head("text/event-stream", payload=payload), complete=True)
    async with await serve(ScriptedNode([complete, Done(None, 0)])) as http:
        r = await http.post("/v1/chat/completions", json=BODY | {"stream": True})
        assert r.headers["transfer-encoding"] == "chunked" and r.content == payload
        r = await http.post(
            "/v1/chat/completions", json=BODY | {"stream": True, "enable_debug": True}
        )
    events = [line[6:] for line in r.text.split("\n") if line.startswith("data: ")]
    assert events[0] == '{"n":1}' and "debug" in json.loads(events[1]) and events[2] == "[DONE]"


async def test_an_answer_that_stops_without_an_end_is_an_error(serve):
    async with await serve(ScriptedNode([])) as http:
        r = await http.post("/v1/chat/completions", json=BODY)
    assert r.status_code == 502 and r.json()["error"]["message"] == "the answer ended early"


@pytest.mark.parametrize(
    "body",
    [b"\xff\xfe{}", b"[" * 100_000, b'{"model": 5}', b'{"model": "m", "messages": "hi"}', b""],
)
async def test_bad_bodies_never_reach_the_network(serve, body):
    node = ScriptedNode([Failed(602, "must not be asked")])
    async with await serve(node) as http:
        r = await http.post("/v1/chat/completions", content=body)
    assert r.status_code == 400
    assert r.json()["error"]["type"] == "invalid_request_error"
    assert node.seen == []
    assert node.stats["failed"].total == 1


async def test_what_is_forwarded(serve):
    node = ScriptedNode([head("application/json", length=2, payload=b"{}"), Done(None, 0)])
    headers = {
        "Authorization": "Bearer sk-secret",
        "Cookie": "a=b",
        "Proxy-Authorization": "Basic x",
        "X-Api-Key": "k",
        "X-Custom": "kept",
    }
    body = BODY | {"max_coefficient": 1234, "timeout": 7, "enable_debug": False, "max_tokens": 9}
    async with await serve(node) as http:
        r = await http.post("/v1/chat/completions?", json=body, headers=headers)
    assert r.status_code == 200
    options, request = node.seen[0]
    assert (options.max_coefficient, options.timeout, options.max_tokens) == (1234, 7.0, 9)
    assert request.method == "POST" and request.http_version == "HTTP/1.1"
    assert request.url == "/v1/chat/completions"
    names = {h.name.lower(): h.value for h in request.headers}
    for dropped in ("authorization", "cookie", "proxy-authorization", "x-api-key"):
        assert dropped not in names
    assert names["x-custom"] == "kept"
    assert names["content-length"] == str(len(request.payload))
    forwarded = json.loads(request.payload)
    assert forwarded == {"max_tokens": 9, "messages": BODY["messages"], "model": MODEL}


async def test_client_defaults_come_from_the_config(serve):
    node = ScriptedNode(
        [Failed(651, "no working proxy connections")],
        max_coefficient=2500,
        request_timeout=33,
        max_tokens=77,
        inject_default_max_tokens=True,
    )
    async with await serve(node) as http:
        await http.post("/v1/chat/completions", json=BODY)
    options, request = node.seen[0]
    assert (options.max_coefficient, options.timeout, options.max_tokens) == (2500, 33.0, 77)
    assert json.loads(request.payload)["max_tokens"] == 77


async def test_debug_records_on_an_error(serve):
    async with await serve(ScriptedNode([Failed(652, "timeout in client")])) as http:
        r = await http.post("/v1/chat/completions", json=BODY | {"enable_debug": True})
    assert r.status_code == 504
    body = r.json()
    assert body["client"]["type"] == "client_stats"
    assert {"proxy", "worker"} <= set(body)


class BrokenResponder:
    """A caller whose connection broke before the reader noticed: every write fails, as a send
    on a reset socket does (`trio.BrokenResourceError`), instead of the scope being cancelled."""

    client_gone = False

    @contextmanager
    def cancel_on_disconnect(self) -> Iterator[None]:
        yield

    async def _broken(self, *args: object, **kwargs: object) -> None:
        raise trio.BrokenResourceError("connection reset by peer")

    start = write = end = respond = _broken


@pytest.mark.parametrize("stream", [True, False])
async def test_a_caller_whose_connection_broke_is_counted_and_recorded(stream):
    """Found by scripts/soak.py: a write to a reset connection raised out of the handler before
    `_finish`, so /jsonstats counted the query but neither a success nor a failure, and the
    request never reached the journal."""
    if stream:
        script = [head("text/event-stream"), Chunk(b'data: {"n":1}\n\n'), Done(None, 7)]
    else:
        script = [Failed(651, "no workers for model Qwen/Qwen3-8B")]
    node = ScriptedNode(script)
    journal = Journal()
    api = InferenceApi(node, journal)  # type: ignore[arg-type]
    body = json.dumps(BODY | {"stream": stream, "request_guid": "g"}).encode()
    request = HttpRequest("POST", "/v1/chat/completions", "1.1", [], body)
    with pytest.raises(trio.BrokenResourceError):  # the server then drops the connection
        await api.handle(request, BrokenResponder())  # type: ignore[arg-type]
    assert node.stats["queries"].total == 1
    assert node.stats["success"].total + node.stats["failed"].total == 1
    assert node.stats["failed"].total == 1
    (record,) = journal.recent
    if stream:
        assert record.error == "the caller disconnected" and record.caller_fault
    else:  # the failure it was being told about
        assert record.error == "no workers for model Qwen/Qwen3-8B"
    assert journal.debug_entry(hashlib.sha256(b"g").digest()) is not None


class BrokenNode(ScriptedNode):
    @asynccontextmanager
    async def request(self, options, http_request) -> AsyncIterator[AsyncIterator[Event]]:
        raise RuntimeError("a bug")
        yield  # pragma: no cover


async def test_a_bug_met_by_a_request_is_a_500_in_openais_shape(serve):
    async with await serve(BrokenNode([])) as http:
        r = await http.post("/v1/chat/completions", json=BODY)
        assert r.status_code == 500
        assert r.json()["error"]["type"] == "server_error"
        assert r.json()["error"]["code"] == "internal_error"
        r = await http.get("/health")
    assert "a bug" not in r.text


def error_head(status: int, content_type: str, payload: bytes, *, whole: bool) -> Head:
    headers = [tl.HttpHeader(name="Content-Type", value=content_type)]
    if whole:
        headers.append(tl.HttpHeader(name="Content-Length", value=str(len(payload))))
    response = tl.HttpResponse(
        http_version="HTTP/1.1", status_code=status, reason="", headers=headers, payload=payload
    )
    return Head(response, RID)


VLLM_N = (
    b'{"object":"error","message":"n must be at most 16","type":"BadRequestError",'
    b'"param":null,"code":400}'
)


@pytest.mark.parametrize("whole", [True, False])
@pytest.mark.parametrize("stream", [False, True])
async def test_an_inference_servers_error_goes_out_in_openais_shape(serve, whole, stream):
    script = [error_head(400, "application/json", VLLM_N, whole=whole), Done(None, 0)]
    async with await serve(ScriptedNode(script)) as http:
        r = await http.post("/v1/chat/completions", json=BODY | {"stream": stream})
    assert r.status_code == 400 and r.headers["content-type"] == "application/json"
    assert r.json() == {
        "error": {
            "message": "n must be at most 16",
            "type": "invalid_request_error",
            "param": None,
            "code": None,
        }
    }


async def test_a_plain_text_error_becomes_json(serve):
    script = [error_head(500, "text/plain", b"Internal Server Error", whole=True), Done(None, 0)]
    async with await serve(ScriptedNode(script)) as http:
        r = await http.post("/v1/chat/completions", json=BODY)
    assert r.status_code == 500 and r.headers["content-type"] == "application/json"
    assert r.json()["error"]["message"] == "Internal Server Error"


async def test_the_unknown_model_echo_is_bounded_and_escaped(serve):
    name = "m" * 1_000_000 + "\u202e"
    async with await serve(ScriptedNode([Failed(621, f"unknown model {name}")])) as http:
        r = await http.post("/v1/chat/completions", json=BODY)
    assert r.status_code == 404
    message = r.json()["error"]["message"]
    assert message.startswith("unknown model " + "m" * 64 + "...") and len(message) < 200
    assert "\u202e" not in message
