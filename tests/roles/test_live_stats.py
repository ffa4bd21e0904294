"""`/stats/live`, the dashboards' live channel (server-sent events): behind the same guard as
`/stats` (a cross-origin EventSource, a foreign Host, a missing or wrong token are refused),
it sends the whole page first and then only the sections that changed, caps the live pages
open at once, and ends by itself after its lifetime and when the server stops."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import trio

from cocoon.roles.common.live import LIVE_FEED, LIVE_PATH, LiveFeed, LiveLimits, add_live_route
from cocoon.roles.common.pages import Page, Section
from cocoon.roles.common.web import serve_web
from cocoon.roles.common.webapp import new_app
from cocoon.roles.common.webguard import WebAccess
from cocoon.roles.proxy.web import proxy_app
from cocoon.roles.worker.web import worker_app

from .test_web_controls import TOKEN, WorkerStub, proxy_stub

EVIL = "http://evil.example"
FAST = LiveLimits(interval=0.01, keepalive=60.0, lifetime=60.0, max_connections=2)


class Board:
    """A page whose figures a test changes."""

    def __init__(self) -> None:
        self.served = 0
        self.failed = 0
        self.extra = False

    async def snapshot(self) -> Page:
        sections = [
            Section("Status", {"served": self.served}),
            Section("Errors", {"failed": self.failed}),
        ]
        if self.extra:
            sections.append(Section("Old contracts", columns=["address"], rows=[["EQx"]]))
        return Page("board", f"{self.served} served", sections)


def board_app(board: Board, limits: LiveLimits = FAST) -> Any:
    app = new_app("board", WebAccess.create(TOKEN, bind_host="127.0.0.1"))
    add_live_route(app, board.snapshot, limits)
    return app


async def start(nursery: trio.Nursery, app: Any) -> str:
    return (await nursery.start(serve_web, app, "127.0.0.1", 0)).url


async def events(response: httpx.Response):
    """The `data:` events of a stream, decoded."""
    async for line in response.aiter_lines():
        if line.startswith("data: "):
            yield json.loads(line[6:])


LIVE = {"access_hash": TOKEN}


async def test_live_channel_passes_the_pages_guard(nursery):
    for app in (board_app(Board()), worker_app(WorkerStub()), proxy_app(proxy_stub())):
        url = await start(nursery, app)
        async with httpx.AsyncClient(base_url=url, timeout=5) as http:
            r = await http.get(LIVE_PATH)
            assert r.status_code == 401
            assert r.json()["error"]["code"] == "missing_access_hash"
            r = await http.get(LIVE_PATH, params={"access_hash": "wrong"})
            assert r.status_code == 403
            # A browser's cross-origin EventSource (or a forged upgrade) carries its Origin.
            r = await http.get(LIVE_PATH, params=LIVE, headers={"Origin": EVIL})
            assert r.status_code == 403
            assert r.json()["error"]["code"] == "origin_not_allowed"
            r = await http.get(LIVE_PATH, params=LIVE, headers={"Origin": "null"})
            assert r.status_code == 403
            # A DNS-rebinding page names its own host.
            r = await http.get(LIVE_PATH, params=LIVE, headers={"Host": "evil.example"})
            assert r.status_code == 403
            assert r.json()["error"]["code"] == "host_not_allowed"
            feed: LiveFeed = app.extensions[LIVE_FEED]
            assert feed.open == 0


async def test_live_sends_the_page_then_what_changed(nursery):
    board = Board()
    url = await start(nursery, board_app(board))
    async with httpx.AsyncClient(base_url=url, timeout=5) as http:
        headers = {"Origin": url}  # the page's own origin passes
        async with http.stream("GET", LIVE_PATH, params=LIVE, headers=headers) as r:
            assert r.status_code == 200
            assert r.headers["content-type"].startswith("text/event-stream")
            assert r.headers["cache-control"] == "no-store"
            stream = events(r)
            first = await anext(stream)
            assert first["order"] == ["status", "errors"]
            assert set(first["html"]) == {"status", "errors"}
            assert first["subtitle"] == "0 served"
            assert 'data-key="status"' in first["html"]["status"]
            board.failed = 3
            second = await anext(stream)
            assert set(second) == {"html"} and set(second["html"]) == {"errors"}
            assert "<td>3</td>" in second["html"]["errors"]
            board.served, board.extra = 1, True
            third = await anext(stream)
            assert third["order"] == ["status", "errors", "old-contracts"]
            assert set(third["html"]) == {"status", "old-contracts"}
            assert third["subtitle"] == "1 served"


async def test_live_pages_are_capped_and_their_slots_released(nursery):
    board = Board()
    app = board_app(board)
    feed: LiveFeed = app.extensions[LIVE_FEED]
    url = await start(nursery, app)
    async with httpx.AsyncClient(base_url=url, timeout=5) as http:
        async with (
            http.stream("GET", LIVE_PATH, params=LIVE) as one,
            http.stream("GET", LIVE_PATH, params=LIVE) as two,
        ):
            await anext(events(one))
            await anext(events(two))
            assert feed.open == 2
            r = await http.head(LIVE_PATH, params=LIVE)  # answered at once, holds no slot
            assert r.status_code == 200 and feed.open == 2
            r = await http.get(LIVE_PATH, params=LIVE)
            assert r.status_code == 503
            assert r.json()["error"]["code"] == "live_pages_busy"
        with trio.fail_after(5):
            while feed.open:  # noqa: ASYNC110 - the server notices the closed connections
                await trio.sleep(0.01)
        async with http.stream("GET", LIVE_PATH, params=LIVE) as three:
            assert three.status_code == 200
            await anext(events(three))


async def test_live_stream_ends_after_its_lifetime():
    board = Board()
    app = board_app(board, LiveLimits(interval=0.01, lifetime=0.05))
    async with trio.open_nursery() as nursery:
        url = await start(nursery, app)
        async with httpx.AsyncClient(base_url=url, timeout=5) as http:
            r = await http.get(LIVE_PATH, params=LIVE)  # returns once the stream has ended
            assert r.status_code == 200
            assert r.text.startswith("retry: ")
            assert r.text.count("data: ") == 1  # the page did not change meanwhile
        assert app.extensions[LIVE_FEED].open == 0
        nursery.cancel_scope.cancel()


async def test_live_stream_closes_when_the_role_stops():
    board = Board()
    app = board_app(board)
    async with httpx.AsyncClient(timeout=5) as http:
        async with trio.open_nursery() as outer:
            server = trio.CancelScope()

            async def serve(task_status: trio.TaskStatus[str]) -> None:
                with server:
                    async with trio.open_nursery() as inner:
                        task_status.started(await start(inner, app))

            url = await outer.start(serve)
            async with http.stream("GET", url + LIVE_PATH, params=LIVE) as r:
                stream = events(r)
                await anext(stream)
                server.cancel()  # the role stops: its nursery, the server's with it
                with pytest.raises((httpx.RemoteProtocolError, StopAsyncIteration)):
                    while True:
                        await anext(stream)
    assert app.extensions[LIVE_FEED].open == 0
