"""A caller that does not read its streamed answer: what the client holds for it is bounded,
and the request is cancelled at the proxy (as for a caller that left)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import trio
import trio.testing

from cocoon import tl
from cocoon.net import codes
from cocoon.roles.client.events import Chunk, Failed, Head
from cocoon.roles.client.requests import ClientRequest

PART = 4096


class FakeLink:
    """What a request uses of its proxy link: the session's task group, `send`, `requests`."""

    proto = 1

    def __init__(self, nursery: trio.Nursery) -> None:
        self.requests: dict[bytes, ClientRequest] = {}
        self.sent: list[tl.TLObject] = []
        self.session = SimpleNamespace(start_soon=nursery.start_soon)
        self.awaited_receipts: dict[bytes, object] = {}

    def await_receipt(self, request_id: bytes, on_charge) -> None:
        self.awaited_receipts[request_id] = on_charge

    async def send(self, obj: tl.TLObject) -> None:
        self.sent.append(obj)

    def on_packet(self, packet: tl.TLObject) -> None:
        """As the link's session reader does: deliver to the request, if it is still there."""
        request = self.requests.get(packet.request_id)
        if request is not None:
            request.deliver(packet)


def _head(request_id: bytes) -> tl.ClientQueryAnswerEx:
    response = tl.HttpResponse(
        http_version="HTTP/1.1",
        status_code=200,
        reason="OK",
        headers=[tl.HttpHeader(name="Content-Type", value="text/event-stream")],
        payload=b"",
    )
    return tl.ClientQueryAnswerEx(request_id=request_id, answer=tl.encode(response), flags=0)


async def test_an_unread_stream_is_bounded_and_cancelled_at_the_proxy():
    async with trio.open_nursery() as nursery:
        link = FakeLink(nursery)
        request = ClientRequest(link, max_buffered=64 * 1024)
        events = request.run(
            model="m", query=b"q", max_coefficient=1000, max_tokens=1000, timeout=math.inf,
            min_config_version=0,
        )  # fmt: skip
        rid = request.request_id
        request.deliver(_head(rid))  # (the request registers with the link as it starts)
        assert type(await events.__anext__()) is Head  # then the caller stops reading
        for _ in range(1000):  # 4 MiB of answer the worker keeps producing
            part = tl.ClientQueryAnswerPartEx(request_id=rid, answer=b"x" * PART, flags=0)
            link.on_packet(part)
        queued = len(request._inbox)
        assert queued * PART <= 64 * 1024 + PART  # bounded, not 4 MiB
        assert request.stalled and rid not in link.requests  # later parts are dropped
        await trio.testing.wait_all_tasks_blocked()
        assert link.sent[-1] == tl.CocoonExtCancelQuery(request_id=rid)  # cancelled now

        # Should the caller read again: what was queued, then the error; nothing hangs.
        rest = [event async for event in events]
        assert all(type(e) is Chunk for e in rest[:-1]) and len(rest) - 1 == queued - 1
        failed = rest[-1]
        assert type(failed) is Failed and failed.code == codes.CANCELLED and failed.answered
        assert "did not read" in failed.message
        assert sum(1 for obj in link.sent if type(obj) is tl.CocoonExtCancelQuery) == 1


async def test_a_caller_that_reads_is_never_cut():
    async with trio.open_nursery() as nursery:
        link = FakeLink(nursery)
        request = ClientRequest(link, max_buffered=64 * 1024)
        events = request.run(
            model="m", query=b"q", max_coefficient=1000, max_tokens=1000, timeout=math.inf,
            min_config_version=0,
        )  # fmt: skip
        rid = request.request_id
        request.deliver(_head(rid))  # (the request registers with the link as it starts)
        assert type(await events.__anext__()) is Head
        for _ in range(1000):  # 4 MiB in all, taken as it comes
            link.on_packet(tl.ClientQueryAnswerPartEx(request_id=rid, answer=b"x" * PART, flags=0))
            assert type(await events.__anext__()) is Chunk
        assert not request.stalled and request.buffered == 0
        await events.aclose()


async def test_a_cancelled_unread_stream_still_books_the_proxys_receipt():
    """The stalled request leaves the link at once, but what the proxy charges for it (its
    receipt, which follows the worker's final count) still reaches the client's books."""
    charged: list[int] = []
    async with trio.open_nursery() as nursery:
        link = FakeLink(nursery)
        request = ClientRequest(link, charged.append, max_buffered=PART)
        events = request.run(
            model="m", query=b"q", max_coefficient=1000, max_tokens=1000, timeout=math.inf,
            min_config_version=0,
        )  # fmt: skip
        rid = request.request_id
        request.deliver(_head(rid))
        assert type(await events.__anext__()) is Head
        for _ in range(3):
            link.on_packet(tl.ClientQueryAnswerPartEx(request_id=rid, answer=b"x" * PART, flags=0))
        assert request.stalled and rid not in link.requests
        link.awaited_receipts.pop(rid)(42)  # the receipt comes before the caller reads again
        assert charged == [42]
        await events.aclose()
        assert rid not in link.awaited_receipts  # booked once, not awaited again
