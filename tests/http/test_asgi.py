"""ASGI apps on the lean server: scopes, whole and streamed answers, disconnects, lifespan."""

from __future__ import annotations

from functools import partial

import httpx
import pytest
import trio

from cocoon.http.asgi import LifespanError, serve_asgi


class App:
    """A small ASGI app that records what it saw."""

    def __init__(self, *, lifespan: bool = True, fail_startup: bool = False) -> None:
        self.lifespan = lifespan
        self.fail_startup = fail_startup
        self.started = False
        self.scopes: list[dict] = []
        self.disconnected = trio.Event()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            if not self.lifespan:
                raise RuntimeError("no lifespan here")
            message = await receive()
            assert message["type"] == "lifespan.startup"
            if self.fail_startup:
                await send({"type": "lifespan.startup.failed", "message": "no database"})
                return
            self.started = True
            await send({"type": "lifespan.startup.complete"})
            await trio.sleep_forever()
        self.scopes.append(scope)
        request = await receive()
        path = scope["path"]
        if path == "/echo":
            body = b"%s %s %s|" % (
                scope["method"].encode(),
                scope["query_string"],
                dict(scope["headers"]).get(b"x-thing", b"-"),
            )
            await send({"type": "http.response.start", "status": 201, "headers": [(b"x-a", b"1")]})
            await send({"type": "http.response.body", "body": body + request["body"]})
        elif path == "/stream":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            for part in (b"one ", b"two ", b"three"):
                await send({"type": "http.response.body", "body": part, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        elif path == "/unfinished":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b'{"half', "more_body": True})
        elif path == "/wait":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"x", "more_body": True})
            assert (await receive())["type"] == "http.disconnect"
            self.disconnected.set()
        elif path == "/flood":
            # Keeps writing after the client has gone: every send must return quietly.
            await send({"type": "http.response.start", "status": 200, "headers": []})
            for _ in range(300):
                await send({"type": "http.response.body", "body": b"x" * 4096, "more_body": True})
                await trio.sleep(0.001)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            assert (await receive())["type"] == "http.disconnect"
            self.disconnected.set()


async def start(nursery, app) -> httpx.AsyncClient:
    port = await nursery.start(partial(serve_asgi, app, "127.0.0.1", 0))
    return httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5)


async def test_whole_answers_keep_their_length_and_get_a_date(nursery):
    app = App()
    async with await start(nursery, app) as http:
        assert app.started  # the lifespan started before the port opened
        r = await http.post("/echo?a=b%20c", content=b"body", headers={"X-Thing": "yes"})
        assert r.status_code == 201
        assert r.content == b"POST a=b%20c yes|body"
        assert r.headers["content-length"] == str(len(r.content))
        assert r.headers["x-a"] == "1" and len(r.headers.get_list("date")) == 1
        r = await http.get("/echo")  # the same connection, kept alive
        assert r.content == b"GET  -|"
    scope = app.scopes[0]
    assert scope["raw_path"] == b"/echo" and scope["server"][1] > 0


async def test_streamed_answers_go_out_chunked(nursery):
    async with await start(nursery, App()) as http:
        async with http.stream("GET", "/stream") as r:
            assert r.headers["transfer-encoding"] == "chunked"
            assert b"".join([part async for part in r.aiter_raw()]) == b"one two three"


async def test_an_unfinished_body_is_cut_not_completed(nursery):
    async with await start(nursery, App()) as http:
        with pytest.raises(httpx.RemoteProtocolError):
            await http.get("/unfinished")


async def test_the_app_hears_the_client_leave(nursery):
    app = App()
    async with await start(nursery, app) as http:
        async with http.stream("GET", "/wait") as r:
            async for _ in r.aiter_raw():
                break
    with trio.fail_after(5):
        await app.disconnected.wait()


async def test_a_client_that_leaves_mid_answer_is_no_app_failure(nursery, caplog):
    app = App()
    port = await nursery.start(partial(serve_asgi, app, "127.0.0.1", 0))
    stream = await trio.open_tcp_stream("127.0.0.1", port)
    await stream.send_all(b"GET /flood HTTP/1.1\r\nHost: x\r\n\r\n")
    assert (await stream.receive_some(65536)).startswith(b"HTTP/1.1 200")
    await trio.aclose_forcefully(stream)
    with trio.fail_after(10):
        await app.disconnected.wait()  # the app ran to its end, hearing the disconnect
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        assert (await http.get("/echo")).status_code == 201


async def test_apps_without_lifespan_are_served(nursery):
    async with await start(nursery, App(lifespan=False)) as http:
        assert (await http.get("/echo")).status_code == 201


async def test_a_failed_startup_is_an_error():
    with pytest.raises(BaseExceptionGroup) as e:
        async with trio.open_nursery() as nursery:
            await nursery.start(partial(serve_asgi, App(fail_startup=True), "127.0.0.1", 0))
    assert e.group_contains(LifespanError, match="no database", depth=None)
