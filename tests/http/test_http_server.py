"""The HTTP/1.1 server core, driven with raw bytes (TCP) and in memory (autojump clock)."""

from __future__ import annotations

import pytest
import trio
import trio.testing
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cocoon.http import HttpClient, ServerLimits, serve_connection, serve_http


async def echo(request, responder):
    if request.path == "/stream":
        await responder.start(200, [("Content-Type", "text/plain"), ("Content-Length", "9")])
        await responder.write(b"one ")
        await responder.write(b"")
        await responder.end(b"two")
    elif request.path == "/fail-early":
        raise RuntimeError("handler bug")
    elif request.path == "/fail-late":
        await responder.start(200)
        await responder.write(b"partial")
        raise RuntimeError("handler bug")
    elif request.path == "/at-once":
        await responder.start(200, [], b"abc", last=True)
    elif request.path == "/silent":
        return
    elif request.path == "/unfinished":
        await responder.start(200)
        await responder.write(b"abc")
    else:
        info = f"{request.method} {request.target} {request.http_version} {request.query}"
        body = info.encode() + b"|" + request.body
        await responder.respond(201, [("X-Len", str(len(request.body)))], body)


async def start(nursery, handler=echo, **limits) -> int:
    return await nursery.start(
        lambda task_status: serve_http(
            handler, 0, limits=ServerLimits(**limits), task_status=task_status
        )
    )


async def exchange(port: int, data: bytes, *, wait_close: bool = True, eof: bool = False) -> bytes:
    """Send raw bytes (then our end of the stream, with `eof`), return everything received
    until the server closes."""
    stream = await trio.open_tcp_stream("127.0.0.1", port)
    async with stream:
        await stream.send_all(data)
        if eof:
            await stream.send_eof()
        out = b""
        with trio.fail_after(5):
            while chunk := await stream.receive_some(65536):
                out += chunk
                if not wait_close:
                    break
        return out


async def test_keep_alive_and_bodies(nursery):
    port = await start(nursery)
    requests = (
        b"POST /a?x=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
        b"POST /b HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nde\r\n0\r\n\r\n"
        b"GET /c HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
    )
    out = await exchange(port, requests)
    assert out == (
        b"HTTP/1.1 201 Created\r\nX-Len: 3\r\nContent-Length: 23\r\n\r\nPOST /a?x=1 1.1 x=1|abc"
        b"HTTP/1.1 201 Created\r\nX-Len: 2\r\nContent-Length: 15\r\n\r\nPOST /b 1.1 |de"
        b"HTTP/1.1 201 Created\r\nX-Len: 0\r\nContent-Length: 12\r\nConnection: close\r\n\r\n"
        b"GET /c 1.1 |"
    )


async def test_streamed_answer_is_chunked_and_framing_headers_are_ours(nursery):
    port = await start(nursery)
    out = await exchange(port, b"GET /stream HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
    assert out == (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n"
        b"Connection: close\r\n\r\n4\r\none \r\n3\r\ntwo\r\n0\r\n\r\n"
    )


async def test_http10(nursery):
    port = await start(nursery)
    out = await exchange(port, b"GET /stream HTTP/1.0\r\n\r\n")
    assert out.endswith(b"Connection: close\r\n\r\none two")
    out = await exchange(
        port, b"GET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /y HTTP/1.0\r\n\r\n"
    )
    assert out.count(b"HTTP/1.1 201") == 2 and b"Connection: keep-alive" in out


async def test_handler_failures(nursery, caplog):
    port = await start(nursery)
    out = await exchange(port, b"GET /fail-early HTTP/1.1\r\nHost: h\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 500 Internal Server Error\r\n")
    out = await exchange(port, b"GET /fail-late HTTP/1.1\r\nHost: h\r\n\r\n")
    assert out.endswith(b"7\r\npartial\r\n")  # cut short: no last chunk
    out = await exchange(port, b"GET /silent HTTP/1.1\r\nHost: h\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 500 ")
    out = await exchange(port, b"GET /unfinished HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
    assert out.endswith(b"3\r\nabc\r\n0\r\n\r\n")  # returned normally: ended for it
    assert "handler bug" in caplog.text


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GARBAGE\r\n\r\n", b"400"),
        (b"GET / HTTP/1.1\r\nHost: h\r\nBad Header\r\n\r\n", b"400"),
        (
            b"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"400",
        ),
        (b"GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", b"400"),
        (b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2000\r\n\r\n", b"413"),
        (
            b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n7d0\r\n"
            + b"x" * 2000,
            b"413",
        ),
        (b"GET / HTTP/1.1\r\nHost: h\r\nX: " + b"a" * 5000 + b"\r\n\r\n", b"431"),
    ],
)
async def test_bad_requests(nursery, request_bytes, status):
    port = await start(nursery, max_head_size=4096, max_body_size=1000)
    out = await exchange(port, request_bytes)
    assert out.startswith(b"HTTP/1.1 " + status) and b"Connection: close" in out


async def test_head_and_bodiless_statuses(nursery):
    async def handler(request, responder):
        if request.path == "/204":
            await responder.respond(204, body=b"ignored")
        elif request.path == "/stream":
            await responder.start(200)
            await responder.write(b"dropped for HEAD")
            await responder.end()
        else:
            await responder.respond(200, [("Content-Type", "text/plain")], b"hello")

    port = await start(nursery, handler)
    out = await exchange(
        port,
        b"HEAD / HTTP/1.1\r\nHost: h\r\n\r\nHEAD /stream HTTP/1.1\r\nHost: h\r\n\r\n"
        b"GET /204 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
    )
    assert out == (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\n"
        b"HTTP/1.1 200 OK\r\n\r\n"
        b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"
    )
    async with HttpClient("127.0.0.1", port) as client:
        for method in ("HEAD", "GET", "HEAD"):
            async with client.request(method, "/") as resp:
                assert await resp.read() == (b"hello" if method == "GET" else b"")


async def test_large_request_body(nursery):
    port = await start(nursery)
    body = bytes(range(256)) * 400
    async with HttpClient("127.0.0.1", port) as client:
        async with client.request("POST", "/big", body=body) as resp:
            assert (await resp.read()).endswith(b"|" + body)


async def test_expect_continue(nursery):
    port = await start(nursery)
    stream = await trio.open_tcp_stream("127.0.0.1", port)
    async with stream:
        await stream.send_all(
            b"POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n"
        )
        assert await stream.receive_some() == b"HTTP/1.1 100 Continue\r\n\r\n"
        await stream.send_all(b"hi")
        assert (await stream.receive_some()).endswith(b"|hi")


async def test_with_our_client(nursery):
    port = await start(nursery)
    async with HttpClient("127.0.0.1", port) as client:
        for _ in range(3):
            async with client.request("POST", "/q?a=b", body=b"data") as resp:
                assert resp.status == 201 and await resp.read() == b"POST /q?a=b 1.1 a=b|data"
        async with client.request("GET", "/stream") as resp:
            assert await resp.read() == b"one two"


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(junk=st.binary(max_size=200))
async def test_garbage_never_breaks_the_server(nursery, junk):
    port = await start(nursery, max_head_size=512)
    await exchange(port, junk + b"\r\n\r\n", eof=True)
    out = await exchange(port, b"GET /ok HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 201 ")


# -- in memory, with the autojump clock ---------------------------------------------------


async def test_cancel_on_disconnect_and_idle_timeout(autojump_clock):
    seen = {}

    async def slow(request, responder):
        with responder.cancel_on_disconnect():
            await trio.sleep(100)
            seen["finished"] = True
        seen["gone"] = responder.client_gone

    client, server = trio.testing.memory_stream_pair()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(lambda: serve_connection(server, handler=slow))
        await client.send_all(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")
        await trio.sleep(1)
        await client.aclose()
    assert seen == {"gone": True}

    client, server = trio.testing.memory_stream_pair()
    limits = ServerLimits(keepalive_timeout=30)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(lambda: serve_connection(server, handler=echo, limits=limits))
        await client.send_all(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")
        assert (await client.receive_some()).startswith(b"HTTP/1.1 201")
        start = trio.current_time()
        assert await client.receive_some() == b""  # closed by the server when idle
        assert trio.current_time() - start == pytest.approx(30)


async def test_watched_requests_keep_alive_and_keep_early_bytes(autojump_clock):
    """Once a handler watches the connection, a reader task reads for it: the next request,
    sent while the first is still being answered, is kept and served in turn."""
    served = []

    async def watched(request, responder):
        with responder.cancel_on_disconnect():
            await trio.sleep(5)
        served.append(request.path)
        await responder.respond(200, [], request.path.encode())

    client, server = trio.testing.memory_stream_pair()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(lambda: serve_connection(server, handler=watched))
        await client.send_all(b"GET /one HTTP/1.1\r\nHost: h\r\n\r\n")
        await trio.sleep(1)
        await client.send_all(b"GET /two HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc")
        got = b""
        while got.count(b"HTTP/1.1 200") < 2:
            got += await client.receive_some()
        assert got.index(b"/one") < got.index(b"/two")
        await client.aclose()
    assert served == ["/one", "/two"]


async def test_wait_client_gone(autojump_clock):
    seen = []

    async def waiter(request, responder):
        await responder.start(200)
        await responder.write(b"x")
        await responder.wait_client_gone()
        seen.append((responder.client_gone, trio.current_time()))

    client, server = trio.testing.memory_stream_pair()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(lambda: serve_connection(server, handler=waiter))
        await client.send_all(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")
        await trio.sleep(3)
        await client.aclose()
    assert seen == [(True, pytest.approx(3))]


async def test_a_body_that_does_not_arrive_in_time_is_refused(autojump_clock):
    client, server = trio.testing.memory_stream_pair()
    limits = ServerLimits(body_timeout=10)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(lambda: serve_connection(server, handler=echo, limits=limits))
        await client.send_all(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc")
        start = trio.current_time()
        answer = await client.receive_some()
        assert answer.startswith(b"HTTP/1.1 408 ")
        assert trio.current_time() - start == pytest.approx(10)


async def test_a_streamed_answer_can_go_out_in_one_write(nursery):
    port = await start(nursery)
    out = await exchange(port, b"GET /at-once HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 200 ") and b"Transfer-Encoding: chunked" in out
    assert out.endswith(b"\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
