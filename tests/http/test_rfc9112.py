"""RFC 9112 at the server's edge: each deviation the hand-written parser had (request
smuggling shapes, Host, HTTP/1.0 framing, bare LF, absolute-form targets, empty refusals),
and the timeouts on heads and idle connections."""

from __future__ import annotations

import json
from functools import partial

import pytest
import trio
import trio.testing

from cocoon.http import ServerLimits, serve_connection, serve_http
from cocoon.http.asgi import serve_asgi


async def echo(request, responder):
    body = f"{request.method} {request.target} {request.header('host')}|".encode() + request.body
    await responder.respond(200, [], body)


async def start(nursery, handler=echo, **limits) -> int:
    return await nursery.start(partial(serve_http, handler, 0, limits=ServerLimits(**limits)))


async def exchange(port: int, data: bytes) -> bytes:
    """Send raw bytes (keeping our side open), return all received until the server closes."""
    stream = await trio.open_tcp_stream("127.0.0.1", port)
    async with stream:
        await stream.send_all(data)
        out = b""
        with trio.fail_after(10):
            while chunk := await stream.receive_some(65536):
                out += chunk
        return out


def refusal(out: bytes, status: int) -> dict:
    """The one answer in `out`: a refusal with `status`, an OpenAI-shaped JSON error, and
    the connection closed after it."""
    head, _, body = out.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 %d " % status), out
    assert b"Connection: close" in head and b"Content-Type: application/json" in head
    error = json.loads(body)["error"]  # and nothing after it was served
    assert set(error) == {"message", "type", "param", "code"} and error["message"]
    return error


CHUNKED = b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
NEXT = b"GET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n"


@pytest.mark.parametrize(
    ("data", "status"),
    [
        pytest.param(
            CHUNKED + b"0x54\r\n" + b"x" * 84 + b"\r\n0\r\n\r\n" + NEXT, 400, id="0x-chunk-size"
        ),
        pytest.param(CHUNKED + b"5 \r\nhello\r\n0\r\n\r\n" + NEXT, 400, id="chunk-size-space"),
        pytest.param(
            b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
            b"5\r\nhello\r\n0\r\n\r\n" + NEXT,
            501,
            id="gzip-chunked",
        ),
        pytest.param(
            b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity, chunked\r\n\r\n"
            b"5\r\nhello\r\n0\r\n\r\n" + NEXT,
            501,
            id="identity-chunked",
        ),
        pytest.param(
            b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n"
            b"5\r\nhello\r\n0\r\n\r\n" + NEXT,
            400,
            id="chunked-twice-in-one-line",
        ),
        pytest.param(
            b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n" + NEXT,
            400,
            id="chunked-twice-in-two-lines",
        ),
        pytest.param(b"GET / HTTP/1.1\r\n\r\n" + NEXT, 400, id="no-host"),
        pytest.param(b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n" + NEXT, 400, id="two-hosts"),
        pytest.param(
            b"GET / HTTP/1.1\r\nHost: h\r\nX: " + b"a" * 5000 + b"\r\n\r\n", 431, id="431"
        ),
        pytest.param(b"CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n", 501, id="connect"),
    ],
)
async def test_smuggling_shapes_are_refused_with_a_json_error(nursery, data, status):
    port = await start(nursery, max_head_size=4096)
    refusal(await exchange(port, data), status)


@pytest.mark.parametrize(
    "data",
    [
        b"GET / HTTP/1.1\nHost: h\n\n",
        b"GET / HTTP/1.1\r\nHost: h\n\n",
        b"GET / HTTP/1.1\nHost: h\r\n\r\n",
    ],
)
async def test_a_bare_lf_head_is_answered_at_once(nursery, data):
    # The hand-written parser waited for a CRLF CRLF that never came: no answer at all.
    port = await start(nursery, head_timeout=3600, keepalive_timeout=3600)
    refusal(await exchange(port, data), 400)


async def test_http10_with_transfer_encoding_closes_after_the_answer(nursery):
    port = await start(nursery)
    out = await exchange(
        port,
        b"POST /a HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"2\r\nhi\r\n0\r\n\r\n" + NEXT,
    )
    assert out.startswith(b"HTTP/1.1 200 ") and out.endswith(b"POST /a None|hi")
    assert b"Connection: close" in out and b"/smuggled" not in out


async def test_absolute_form_is_served_by_path(nursery):
    port = await start(nursery)
    out = await exchange(
        port,
        b"POST http://api.example/v1/chat/completions?x=1 HTTP/1.1\r\nHost: other\r\n"
        b"Content-Length: 2\r\nConnection: close\r\n\r\nhi",
    )
    assert out.startswith(b"HTTP/1.1 200 ")
    assert out.endswith(b"POST /v1/chat/completions?x=1 api.example|hi")


async def test_absolute_form_reaches_native_routes_and_asgi_apps(nursery):
    async def app(scope, receive, send):
        if scope["type"] != "http":
            raise RuntimeError("no lifespan")
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"app " + scope["path"].encode()})

    routes = {("POST", "/v1/chat/completions"): echo}
    port = await nursery.start(partial(serve_asgi, app, "127.0.0.1", 0, routes=routes))
    out = await exchange(
        port,
        b"POST http://h/v1/chat/completions HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n"
        b"GET http://h/stats HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
    )
    assert b"POST /v1/chat/completions h|" in out and out.endswith(b"app /stats")


# -- timeouts, in memory with the autojump clock --------------------------------------------


async def _serve(nursery, **limits) -> trio.testing.MemoryStream:
    client, server = trio.testing.memory_stream_pair()
    nursery.start_soon(
        partial(serve_connection, server, handler=echo, limits=ServerLimits(**limits))
    )
    return client


async def _until_closed(stream) -> bytes:
    out = b""
    while chunk := await stream.receive_some():
        out += chunk
    return out


async def test_half_a_head_is_answered_408_and_closed(autojump_clock):
    async with trio.open_nursery() as nursery:
        client = await _serve(nursery, head_timeout=10, keepalive_timeout=1000)
        await client.send_all(b"GET / HTTP/1.1\r\nHost: h\r\nX-Sl")
        start = trio.current_time()
        error = refusal(await _until_closed(client), 408)
        assert error["code"] == "request_timeout"
        assert trio.current_time() - start == pytest.approx(10)


async def test_a_head_trickling_in_is_timed_from_its_first_byte(autojump_clock):
    async def trickle(client):
        await client.send_all(b"GET / HTTP/1.1\r\n")
        try:
            while True:  # a byte every second: no arrival renews the time
                await trio.sleep(1)
                await client.send_all(b"X")
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            pass

    async with trio.open_nursery() as nursery:
        client = await _serve(nursery, head_timeout=10, keepalive_timeout=1000)
        start = trio.current_time()
        nursery.start_soon(trickle, client)
        refusal(await _until_closed(client), 408)
        assert trio.current_time() - start == pytest.approx(10)
        nursery.cancel_scope.cancel()


async def test_a_silent_new_connection_is_closed_after_the_head_timeout(autojump_clock):
    async with trio.open_nursery() as nursery:
        client = await _serve(nursery, head_timeout=10, keepalive_timeout=1000)
        start = trio.current_time()
        assert await _until_closed(client) == b""  # nothing came: no answer, just closed
        assert trio.current_time() - start == pytest.approx(10)


async def test_idle_keep_alive_then_a_slow_head(autojump_clock):
    async with trio.open_nursery() as nursery:
        client = await _serve(nursery, head_timeout=10, keepalive_timeout=50)
        await client.send_all(b"GET /one HTTP/1.1\r\nHost: h\r\n\r\n")
        assert (await client.receive_some()).startswith(b"HTTP/1.1 200 ")
        await trio.sleep(40)  # idle, within the keep-alive time
        await client.send_all(b"GET /two HTTP/1.1\r\nHo")
        start = trio.current_time()
        refusal(await _until_closed(client), 408)
        assert trio.current_time() - start == pytest.approx(10)  # the head's time, not idle's

        client = await _serve(nursery, head_timeout=10, keepalive_timeout=50)
        await client.send_all(b"GET /one HTTP/1.1\r\nHost: h\r\n\r\n")
        assert (await client.receive_some()).startswith(b"HTTP/1.1 200 ")
        start = trio.current_time()
        assert await _until_closed(client) == b""
        assert trio.current_time() - start == pytest.approx(50)


async def test_the_rest_of_a_head_that_came_early_is_timed_too(autojump_clock):
    async with trio.open_nursery() as nursery:
        client = await _serve(nursery, head_timeout=10, keepalive_timeout=1000)
        await client.send_all(b"GET /one HTTP/1.1\r\nHost: h\r\n\r\nGET /two HTTP/1.1\r\nHo")
        start = trio.current_time()
        out = await _until_closed(client)
        assert out.startswith(b"HTTP/1.1 200 ") and b"GET /one h|" in out
        refusal(out[out.index(b"HTTP/1.1 408") :], 408)
        assert trio.current_time() - start == pytest.approx(10)


async def test_a_client_that_stops_reading_is_closed_after_the_send_timeout(autojump_clock):
    ended = []

    async def endless(request, responder):
        await responder.start(200, [("Content-Type", "text/event-stream")])
        try:
            while True:
                await responder.write(b"data: x\n\n" * 100)
        except (trio.BrokenResourceError, trio.ClosedResourceError) as exc:
            ended.append((type(exc), trio.current_time()))
            raise

    client, server = trio.testing.lockstep_stream_pair()  # a send waits for the reader
    limits = ServerLimits(send_timeout=10)
    with trio.fail_after(1000):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(partial(serve_connection, server, handler=endless, limits=limits))
            await client.send_all(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")
            start = trio.current_time()
            assert (await client.receive_some(4096)).startswith(b"HTTP/1.1 200 ")
            # ...and reads no more; the connection is closed within 1-2 send_timeouts.
    assert len(ended) == 1 and 10 <= ended[0][1] - start <= 20
