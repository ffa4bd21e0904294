"""`http_version` on the wire: our worker writes the reference's `HTTP/1.1` (its client
aborts on anything but `HTTP/1.0`/`HTTP/1.1`), and every role of ours accepts any version
string from a peer (an old one of ours sent `1.1`). The proxy's side, which passes the
response through, is covered by test_proxy_answers (any text as the version)."""

from __future__ import annotations

from functools import partial

import attrs
import httpx
import pytest
import trio

from cocoon import tl
from cocoon.backends.fake import FakeInferenceConfig, serve_fake_inference
from cocoon.http.client import HttpClient
from cocoon.roles.client.api import client_app
from cocoon.roles.client.events import Done
from cocoon.roles.common.web import serve_web
from cocoon.roles.worker.query import QueryContext, serve_query
from cocoon.roles.worker.replies import Replier

from .client.test_api_failures import BODY, ScriptedNode, head
from .netutil import chat_body, http_request

VERSIONS = ["HTTP/1.1", "HTTP/1.0", "1.1", "HTTP/2", ""]


@pytest.mark.parametrize(
    ("ours", "wire"), [("1.1", "HTTP/1.1"), ("1.0", "HTTP/1.0"), ("HTTP/1.1", "HTTP/1.1")]
)
async def test_the_worker_writes_the_status_line_version(ours, wire):
    sent: list[tl.TLObject] = []

    async def send(obj: tl.TLObject) -> None:
        sent.append(obj)

    replier = Replier(send, 2, bytes(32), debug=False, start=0.0)
    response = tl.HttpResponse(
        http_version=ours, status_code=200, reason="OK", headers=[], payload=b""
    )
    await replier.answer(response, tokens=None)
    assert tl.decode(sent[0].answer, tl.HttpResponse).http_version == wire


@pytest.mark.parametrize("version", VERSIONS)
async def test_the_worker_serves_any_request_version(version):
    request = attrs.evolve(http_request(chat_body(max_tokens=2)), http_version=version)
    query = tl.ProxyRunQueryEx(
        query=tl.encode(request), signed_payment=tl.ProxySignedPaymentEmpty(), coefficient=0,
        timeout=30.0, request_id=bytes(32),
    )  # fmt: skip
    sent: list[tl.TLObject] = []

    async def send(obj: tl.TLObject) -> None:
        sent.append(obj)

    async with trio.open_nursery() as nursery:
        backend = await nursery.start(partial(serve_fake_inference, FakeInferenceConfig()))
        async with HttpClient("127.0.0.1", backend.port) as http:
            await serve_query(
                QueryContext(http=http, model="Qwen/Qwen3-8B", max_active=4), send, 2, query
            )
        nursery.cancel_scope.cancel()
    first = sent[0]
    assert isinstance(first, tl.ProxyQueryAnswerEx), first
    answer = tl.decode(first.answer, tl.HttpResponse)
    assert (answer.status_code, answer.http_version) == (200, "HTTP/1.1")


@pytest.mark.parametrize("version", VERSIONS)
async def test_the_client_accepts_any_answer_version(nursery, version):
    answer = head("application/json", length=2, payload=b"{}")
    answer = attrs.evolve(answer, response=attrs.evolve(answer.response, http_version=version))
    node = ScriptedNode([answer, Done(None, 0)])
    web = await nursery.start(serve_web, client_app(node), "127.0.0.1", 0)
    async with httpx.AsyncClient(base_url=web.url, timeout=5) as http:
        r = await http.post("/v1/chat/completions", json=BODY)
    assert (r.status_code, r.content) == (200, b"{}")
