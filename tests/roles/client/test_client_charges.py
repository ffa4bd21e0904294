"""The client's books show what the proxy charged (its receipt's `request_tokens`), also for a
request that ended here before the proxy's last word: the caller left, or the client's own
deadline ended it. Such a request used to stay at 0 in the journal and /jsonstats while the
proxy charged it (303 tokens in a soak run)."""

from __future__ import annotations

import hashlib
import json

from cocoon.http.server import HttpRequest
from cocoon.roles.client import requests as client_requests
from cocoon.roles.client.events import Chunk, Done, Failed
from cocoon.roles.client.inference import InferenceApi
from cocoon.roles.client.journal import Journal
from cocoon.roles.client.requests import ClientRequest

from .test_api_failures import BODY, MODEL, BrokenResponder, ScriptedNode, head


class Sink(BrokenResponder):
    """A caller that takes whatever it is sent."""

    async def _take(self, *args: object, **kwargs: object) -> None:
        pass

    start = write = end = respond = abort = _take


async def test_a_receipt_after_the_client_deadline_corrects_the_books():
    script = [
        head("text/event-stream"),
        Chunk(b'data: {"n":1}\n\n'),
        Failed(652, "timeout in client", answered=True),
    ]
    node = ScriptedNode(script)
    journal = Journal()
    api = InferenceApi(node, journal)  # type: ignore[arg-type]
    body = json.dumps(BODY | {"stream": True, "request_guid": "g"}).encode()
    request = HttpRequest("POST", "/v1/chat/completions", "1.1", [], body)
    await api.handle(request, Sink())  # type: ignore[arg-type]
    (record,) = journal.recent
    assert record.error == "timeout in client"
    assert record.tokens == 0 and node.stats["tokens"].total == 0
    node.on_charge(303)  # the proxy's receipt, after the request ended here
    assert record.tokens == 303
    assert journal.models[MODEL].tokens == 303
    assert node.stats["tokens"].total == 303
    debug = journal.debug_entry(hashlib.sha256(b"g").digest())
    assert debug is not None and debug["request"]["tokens"] == 303
    node.on_charge(303)  # the same receipt again changes nothing
    assert journal.models[MODEL].tokens == node.stats["tokens"].total == 303


async def test_a_receipt_before_the_end_is_what_the_record_shows():
    """Several attempts: the receipt sums them; it wins over the last answer's own figure."""
    node = ScriptedNode([head("application/json", length=7, payload=b'{"a":1}'), Done(None, 7)])
    journal = Journal()
    api = InferenceApi(node, journal)  # type: ignore[arg-type]
    body = json.dumps(BODY).encode()
    original = node.request

    def request_then_charge(*args, **kwargs):
        kwargs["on_charge"](9)  # the receipt came before the exchange read `Done`
        return original(*args, **kwargs)

    node.request = request_then_charge  # type: ignore[method-assign]
    request = HttpRequest("POST", "/v1/chat/completions", "1.1", [], body)
    await api.handle(request, Sink())  # type: ignore[arg-type]
    (record,) = journal.recent
    assert record.tokens == 9 and node.stats["tokens"].total == 9


class _Link:
    def __init__(self) -> None:
        self.requests: dict = {}
        self.awaited: dict = {}
        self.proto = 2
        self.sent: list = []

    def await_receipt(self, request_id, on_charge) -> None:
        self.awaited[request_id] = on_charge

    async def send(self, obj) -> None:
        self.sent.append(obj)


async def test_a_request_that_ends_here_waits_for_its_receipt(monkeypatch):
    monkeypatch.setattr(client_requests, "DEADLINE_GRACE", -1.0)  # the deadline is now
    link = _Link()
    charged: list[int] = []
    request = ClientRequest(link, charged.append)  # type: ignore[arg-type]
    events = request.run(
        model=MODEL, query=b"", max_coefficient=1000, max_tokens=10, timeout=1.0,
        min_config_version=0,
    )  # fmt: skip
    failed = await events.__anext__()  # the client's deadline
    await events.aclose()
    assert isinstance(failed, Failed) and failed.message == "timeout in client"
    assert request.request_id not in link.requests
    link.awaited[request.request_id](303)
    assert charged == [303]
    # the proxy was told to cancel: its final count is what the receipt says
    assert type(link.sent[-1]).__name__ == "CocoonExtCancelQuery"
