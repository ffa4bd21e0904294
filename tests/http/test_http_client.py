"""The pooled HTTP/1.1 client against scripted servers (loopback TCP)."""

from __future__ import annotations

import pytest
import trio
import trio.testing
from hypothesis import given, settings
from hypothesis import strategies as st
from raw_http_server import RawServer, read_request

from cocoon.http import (
    HttpClient,
    HttpConnectError,
    HttpConnectionClosed,
    HttpError,
    HttpProtocolError,
    HttpRequestError,
)


@pytest.fixture
async def raw_server(nursery):
    """raw_server(script) -> a started RawServer."""

    async def start(script):
        server = RawServer(script)
        await nursery.start(server.serve)
        return server

    return start


OK = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"


def answering(*answers: bytes, close: bool = False):
    """A script answering each request on a connection with the next answer."""

    async def script(stream, index):
        buf = bytearray()
        for answer in answers:
            if not await read_request(stream, buf):
                return
            await stream.send_all(answer)
        if not close:
            while await read_request(stream, buf):
                await stream.send_all(answers[-1])

    return script


async def test_content_length_and_keep_alive_reuse(raw_server):
    server = await raw_server(answering(OK))
    async with HttpClient("127.0.0.1", server.port) as client:
        for _ in range(3):
            async with client.request("GET", "/x") as resp:
                assert (resp.status, resp.reason, resp.http_version) == (200, "OK", "1.1")
                assert resp.headers[0] == ("Content-Type", "text/plain")
                assert resp.header("content-type") == "text/plain"
                assert await resp.read() == b"hello"
                assert resp.complete
    assert server.connections == 1


async def test_request_bytes_on_the_wire(raw_server):
    seen = []

    async def script(stream, index):
        buf = bytearray()
        seen.append(await read_request(stream, buf))
        await stream.send_all(OK)

    server = await raw_server(script)
    async with HttpClient("127.0.0.1", server.port) as client:
        headers = [
            ("Content-Type", "application/json"),
            ("Content-Length", "999"),
            ("connection", "close"),
            ("Transfer-Encoding", "chunked"),
            ("X-A", "b"),
        ]
        async with client.request("POST", "/v1/chat/completions", headers=headers, body=b"{}") as r:
            await r.read()
    assert seen[0] == (
        b"POST /v1/chat/completions HTTP/1.1\r\n"
        b"Host: 127.0.0.1:%d\r\nContent-Type: application/json\r\nX-A: b\r\n"
        b"Content-Length: 2\r\n\r\n{}" % server.port
    )


async def test_chunked_body_streams_as_it_arrives(raw_server):
    step = trio.Event()

    async def script(stream, index):
        await read_request(stream, bytearray())
        await stream.send_all(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n"
        )
        await step.wait()
        await stream.send_all(b"6\r\nsecond\r\n0\r\n\r\n")

    server = await raw_server(script)
    async with HttpClient("127.0.0.1", server.port) as client:
        async with client.request("GET", "/") as resp:
            body = resp.iter_body()
            assert await body.__anext__() == b"first"  # before the server sent the rest
            step.set()
            assert [c async for c in body] == [b"second"]
    assert server.connections == 1


async def test_body_until_close_is_not_reused(raw_server):
    async def script(stream, index):
        await read_request(stream, bytearray())
        await stream.send_all(b"HTTP/1.0 200 OK\r\n\r\nall of it")

    server = await raw_server(script)
    async with HttpClient("127.0.0.1", server.port) as client:
        for _ in range(2):
            async with client.request("GET", "/") as resp:
                assert await resp.read() == b"all of it"
    assert server.connections == 2


async def test_stale_pooled_connection_is_retried_once(raw_server):
    # The server answers one request per connection and then closes it (as an idle timeout
    # would): the pooled connection is dead when the next request comes.
    server = await raw_server(answering(OK, close=True))
    async with HttpClient("127.0.0.1", server.port) as client:
        for _ in range(3):
            async with client.request("POST", "/", body=b"x") as resp:
                assert await resp.read() == b"hello"
    assert server.connections == 3


async def test_all_idle_connections_stale_still_one_retry_on_a_new_one(raw_server):
    both_answered = trio.Event()
    answered = 0

    async def script(stream, index):
        nonlocal answered
        await read_request(stream, bytearray())
        answered += 1
        if answered == 2:
            both_answered.set()
        await both_answered.wait()  # hold both connections open until both are answered
        await stream.send_all(OK)

    server = await raw_server(script)
    async with HttpClient("127.0.0.1", server.port) as client:

        async def one():
            async with client.request("GET", "/") as resp:
                assert await resp.read() == b"hello"

        async with trio.open_nursery() as nursery:
            nursery.start_soon(one)
            nursery.start_soon(one)
        # Two idle connections now, both closed by the server.
        assert len(client._pools[("127.0.0.1", server.port)]._idle) == 2
        both_answered = trio.Event()
        both_answered.set()
        await one()
    assert server.connections == 3


async def test_fresh_connection_closed_without_answer_is_an_error(raw_server):
    async def script(stream, index):
        await read_request(stream, bytearray())

    server = await raw_server(script)
    async with HttpClient("127.0.0.1", server.port) as client:
        with pytest.raises(HttpConnectionClosed):
            async with client.request("GET", "/"):
                pass
    assert server.connections == 1  # no retry on a fresh connection


async def test_cancel_mid_body_closes_the_connection(raw_server):
    async def script(stream, index):
        await read_request(stream, bytearray())
        await stream.send_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n")
        await server.wait_peer_close(stream)

    server = await raw_server(script)
    async with HttpClient("127.0.0.1", server.port) as client:
        with trio.move_on_after(0.2):
            async with client.request("GET", "/") as resp:
                async for _chunk in resp.iter_body():
                    pass  # the rest never comes
        with trio.fail_after(5):
            await server.peer_closed.wait()
        assert client._pools[("127.0.0.1", server.port)]._idle == []
        # the pool slot was given back
        async with client.request("GET", "/"):
            pass
    assert server.connections == 2


async def test_leaving_early_closes_unless_the_body_is_complete(raw_server):
    async def script(stream, index):
        buf = bytearray()
        await read_request(stream, buf)
        await stream.send_all(OK)  # complete at once
        await read_request(stream, buf)
        await stream.send_all(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf")
        await server.wait_peer_close(stream)

    server = await raw_server(script)
    async with HttpClient("127.0.0.1", server.port) as client:
        async with client.request("GET", "/") as resp:
            assert resp.status == 200  # body not read, but it is all here: reusable
        async with client.request("GET", "/") as resp:
            pass  # body incomplete: the connection must go
        with trio.fail_after(5):
            await server.peer_closed.wait()
    assert server.connections == 1


async def test_exception_in_body_closes_the_connection(raw_server):
    server = await raw_server(answering(OK))
    async with HttpClient("127.0.0.1", server.port) as client:
        with pytest.raises(KeyError):
            async with client.request("GET", "/"):
                raise KeyError("boom")
        async with client.request("GET", "/") as resp:
            assert await resp.read() == b"hello"
    assert server.connections == 2


async def test_pool_bound(raw_server):
    active = 0
    most = 0

    async def script(stream, index):
        nonlocal active, most
        buf = bytearray()
        while await read_request(stream, buf):
            active += 1
            most = max(most, active)
            await trio.sleep(0.01)
            active -= 1
            await stream.send_all(OK)

    server = await raw_server(script)
    async with HttpClient("127.0.0.1", server.port, max_connections=2) as client:

        async def one():
            async with client.request("GET", "/") as resp:
                assert await resp.read() == b"hello"

        async with trio.open_nursery() as nursery:
            for _ in range(6):
                nursery.start_soon(one)
    assert most <= 2 and server.connections == 2


async def test_interim_and_bodiless_responses(raw_server):
    server = await raw_server(
        answering(
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early\r\nLink: x\r\n\r\n" + OK,
            b"HTTP/1.1 204 No Content\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",  # HEAD: no body follows
            b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
            OK,
        )
    )
    async with HttpClient("127.0.0.1", server.port) as client:
        async with client.request("GET", "/") as resp:
            assert resp.status == 200 and await resp.read() == b"hello"
        async with client.request("DELETE", "/") as resp:
            assert resp.status == 204 and resp.complete and await resp.read() == b""
        async with client.request("HEAD", "/") as resp:
            assert resp.complete and await resp.read() == b""
        async with client.request("GET", "/") as resp:
            assert resp.complete and await resp.read() == b""
        async with client.request("GET", "/") as resp:
            assert await resp.read() == b"hello"
    assert server.connections == 1


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (b"SSH-2.0-OpenSSH\r\n\r\n", HttpProtocolError),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", HttpConnectionClosed),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", HttpProtocolError),
        (b"HTTP/1.1 200 OK\r\nContent-Le", HttpConnectionClosed),
        (b"HTTP/1.1 200 OK\r\nX: " + b"a" * 70000, HttpProtocolError),
    ],
)
async def test_bad_answers(raw_server, answer, error):
    async def script(stream, index):
        await read_request(stream, bytearray())
        await stream.send_all(answer)

    server = await raw_server(script)
    async with HttpClient("127.0.0.1", server.port) as client:
        with pytest.raises(error):
            async with client.request("GET", "/") as resp:
                await resp.read()


async def test_connect_error():
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    port = listeners[0].socket.getsockname()[1]
    await listeners[0].aclose()
    async with HttpClient("127.0.0.1", port) as client:
        with pytest.raises(HttpConnectError):
            async with client.request("GET", "/"):
                pass


async def test_absolute_target_and_invalid_requests(raw_server):
    server = await raw_server(answering(OK))
    async with HttpClient() as client:
        async with client.request("GET", f"http://127.0.0.1:{server.port}/p?q=1") as resp:
            assert await resp.read() == b"hello"
        with pytest.raises(HttpRequestError):
            client.request("GET", "/no-default-server")
        with pytest.raises(HttpRequestError):
            client.request("GET", f"http://127.0.0.1:{server.port}/", headers=[("A", "b\r\nC: d")])
        with pytest.raises(HttpRequestError):
            client.request("GET", f"http://127.0.0.1:{server.port}/", http_version="2")


async def test_http10_request_closes_after_the_answer(raw_server):
    seen = []

    async def script(stream, index):
        seen.append(await read_request(stream, bytearray()))
        await stream.send_all(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok")

    server = await raw_server(script)
    async with HttpClient("127.0.0.1", server.port) as client:
        for _ in range(2):
            async with client.request("GET", "/v1/models", http_version="1.0") as resp:
                assert await resp.read() == b"ok"
    assert seen[0].startswith(b"GET /v1/models HTTP/1.0\r\n")
    assert server.connections == 2


async def test_memory_stream_connector_and_closed_client():
    """Any trio stream works as a connection (what the autojump-clock tests rely on)."""
    client_side, server_side = trio.testing.memory_stream_pair()

    async def connect(host, port):
        return client_side

    async def serve():
        await read_request(server_side, bytearray())
        await server_side.send_all(OK)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(serve)
        client = HttpClient("fake", 1, connect=connect)
        async with client.request("GET", "/") as resp:
            assert await resp.read() == b"hello"
        await client.aclose()
    with pytest.raises(Exception, match="closed"):
        client.request("GET", "/x")


@settings(max_examples=150, deadline=None)
@given(
    answer=st.one_of(
        st.binary(max_size=120),
        st.builds(
            lambda head, body: head + body,
            st.sampled_from(
                [
                    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
                    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                    b"HTTP/1.0 200 OK\r\n\r\n",
                    b"HTTP/1.1 100 Continue\r\n\r\n",
                ]
            ),
            st.binary(max_size=60),
        ),
    )
)
async def test_any_answer_gives_a_response_or_an_http_error(answer):
    """Whatever a server sends, the client returns what it read or raises HttpError."""
    client_side, server_side = trio.testing.memory_stream_pair()

    async def connect(host, port):
        return client_side

    async def serve():
        await read_request(server_side, bytearray())
        await server_side.send_all(answer)
        await server_side.aclose()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(serve)
        client = HttpClient("fake", 1, connect=connect)
        try:
            async with client.request("GET", "/") as resp:
                await resp.read()
        except HttpError:
            pass
        await client.aclose()


async def test_read_available_takes_what_came_with_the_head(raw_server):
    step = trio.Event()
    whole = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n0\r\n\r\n"

    async def script(stream, index):
        await read_request(stream, bytearray())
        if index == 0:
            await stream.send_all(whole)
            await read_request(stream, bytearray())  # the connection was kept: a second request
            await stream.send_all(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nab")
            await step.wait()
            await stream.send_all(b"c")

    server = await raw_server(script)
    async with HttpClient("127.0.0.1", server.port) as client:
        async with client.request("GET", "/") as resp:
            assert await resp.read_available() == b"first" and resp.complete
        async with client.request("GET", "/") as resp:
            assert await resp.read_available() == b"ab" and not resp.complete
            assert await resp.read_available() == b""  # nothing more yet, and no waiting
            step.set()
            assert await resp.read() == b"c" and resp.complete
    assert server.connections == 1
