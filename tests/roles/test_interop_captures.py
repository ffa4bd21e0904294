"""Our roles against what the reference's peers really sent (../shared/data/ref-wire):
its worker's and client's handshakes are accepted by our proxy, its proxy's requests are
served by our worker, and its worker's answers translate as its proxy translated them."""

from __future__ import annotations

import json
from functools import partial

import pytest
import trio

from cocoon import tl
from cocoon.backends.fake import FakeInferenceConfig, serve_fake_inference
from cocoon.http.client import HttpClient
from cocoon.net.capture import decode_capture
from cocoon.network import NetworkConfig, open_network
from cocoon.openai.validation import validate_request
from cocoon.roles.proxy.answers import Kind, normalize_worker_answer
from cocoon.roles.worker.query import QueryContext, serve_query

from .test_proxy_handshakes import raw_session

pytestmark = pytest.mark.e2e


def app_objects(shared_data, name: str) -> list[tl.TLObject]:
    capture = decode_capture((shared_data / "ref-wire" / name).read_bytes())
    return [f.inner[0].obj for f in capture.frames if f.inner]


def first(objs: list[tl.TLObject], cls: type) -> tl.TLObject:
    return next(o for o in objs if isinstance(o, cls))


async def test_reference_handshakes_are_accepted_by_our_proxy(shared_data):
    worker_hello = first(
        app_objects(shared_data, "router_to_proxy-worker-port.bin"), tl.WorkerConnectToProxy
    )
    client_hello = first(
        app_objects(shared_data, "router_to_proxy-client-port.bin"), tl.ClientConnectToProxy
    )
    async with open_network(NetworkConfig(workers=0, client_http=False)) as net:
        async with raw_session(net, "worker") as session:
            answer = await session.query(worker_hello, timeout=5)
            assert (
                isinstance(answer, tl.WorkerConnectedToProxy) and answer.params.proto_version == 2
            )
        async with raw_session(net, "client") as session:
            hello = tl.ClientConnectToProxy(params=client_hello.params, min_config_version=0)
            answer = await session.query(hello, timeout=5)
            assert isinstance(answer, tl.ClientConnectedToProxy) and answer.params.flags == 3


async def test_reference_proxy_requests_are_served_by_our_worker(shared_data):
    requests = [
        o
        for o in app_objects(shared_data, "router-socks_to_worker-runner.bin")
        if isinstance(o, tl.ProxyRunQueryEx)
    ]
    assert len(requests) == 2
    async with trio.open_nursery() as nursery:
        backend = await nursery.start(partial(serve_fake_inference, FakeInferenceConfig()))
        async with HttpClient("127.0.0.1", backend.port) as http:
            ctx = QueryContext(http=http, model="Qwen/Qwen3-8B", max_active=4)
            for request in requests:
                http_request = tl.decode(request.query, tl.HttpRequest)
                validate_request(http_request.url, http_request.payload, model="Qwen/Qwen3-8B")
                sent: list[tl.TLObject] = []

                async def send(obj: tl.TLObject, sent: list = sent) -> None:
                    sent.append(obj)

                await serve_query(ctx, send, 2, request)
                last = sent[-1]
                assert getattr(last, "flags", 0) & 1 and not isinstance(
                    last, tl.ProxyQueryAnswerErrorEx
                ), last
                assert (
                    last.final_info.tokens_used.total_tokens_used == 0
                )  # coefficient 0 in the capture
        nursery.cancel_scope.cancel()


async def test_reference_worker_answers_translate_as_the_reference_proxy_did(shared_data):
    from_worker = [
        normalize_worker_answer(o)
        for o in app_objects(shared_data, "router_to_proxy-worker-port.bin")
        if isinstance(
            o, tl.ProxyQueryAnswerEx | tl.ProxyQueryAnswerPartEx | tl.ProxyQueryAnswerErrorEx
        )
    ]
    to_client = [
        o
        for o in app_objects(shared_data, "proxy-client-port_to_router.bin")
        if isinstance(o, tl.ClientQueryAnswerEx | tl.ClientQueryAnswerPartEx)
    ]
    assert [a.kind for a in from_worker] == [
        Kind.ANSWER if isinstance(c, tl.ClientQueryAnswerEx) else Kind.PART for c in to_client
    ]
    assert [a.last for a in from_worker] == [bool(c.flags & 1) for c in to_client]
    for answer, client in zip(from_worker, to_client, strict=True):
        if answer.kind is Kind.PART:
            assert answer.data == client.answer  # parts pass through untouched
    # The non-streamed answer's body is the worker's JSON with the cost fields it added.
    body = json.loads(to_client[1].answer)
    assert {"prompt_total_cost", "completion_total_cost", "total_cost"} <= set(body["usage"])
