"""The sans-IO HTTP/1.x codec: requests and responses as llhttp parses them, heads we send."""

from __future__ import annotations

import gc

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cocoon.http import _wire
from cocoon.http.errors import (
    HttpBodyTooLarge,
    HttpConnectionClosed,
    HttpError,
    HttpHeadTooLarge,
    HttpNotImplemented,
    HttpProtocolError,
    HttpRequestError,
)


def requests_of(data: bytes, **limits) -> list[tuple[_wire.RequestHead, bytes]]:
    reader = _wire.RequestReader(**limits)
    reader.feed(data)
    out = []
    while (item := reader.next_request()) is not None:
        out.append(item)
    return out


def response_of(data: bytes, method: str = "GET") -> tuple[_wire.ResponseReader, bytes]:
    reader = _wire.ResponseReader(method)
    reader.feed(data)
    return reader, reader.take_body()


def test_request_heads_and_bodies_back_to_back():
    data = (
        b"POST /v1/chat/completions?x=1 HTTP/1.1\r\nHost: a\r\nX-Obs: caf\xe9 \t\r\n"
        b"Content-Length: 3\r\n\r\nabc"
        b"POST /b HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5;ext=1\r\nhello\r\n0\r\nTrailer: yes\r\n\r\n"
        b"GET /c HTTP/1.0\r\n\r\n"
    )
    (h1, b1), (h2, b2), (h3, b3) = requests_of(data)
    assert (h1.method, h1.target, h1.http_version, h1.length, h1.keep_alive) == (
        "POST",
        "/v1/chat/completions?x=1",
        "1.1",
        3,
        True,
    )
    assert h1.headers == [("Host", "a"), ("X-Obs", "café"), ("Content-Length", "3")]
    assert b1 == b"abc"
    assert h2.chunked and b2 == b"hello" and ("Trailer", "yes") not in h2.headers
    assert (h3.http_version, h3.keep_alive, b3) == ("1.0", False, b"")


@given(st.lists(st.integers(0, 200), max_size=12))
def test_requests_in_any_pieces(cuts):
    data = (
        b"POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n1A\r\n" + b"x" * 26 + b"\r\n0\r\n\r\n"
        b"GET /b HTTP/1.1\r\nHost: a\r\n\r\n"
    )
    reader = _wire.RequestReader()
    last = 0
    for cut in [*sorted(c % len(data) for c in cuts), len(data)]:
        reader.feed(data[last:cut])
        last = max(last, cut)
    first, second = reader.next_request(), reader.next_request()
    assert first is not None and first[1] == b"hello" + b"x" * 26
    assert second is not None and second[0].target == "/b"
    assert reader.next_request() is None


def test_an_error_waits_for_the_requests_before_it():
    reader = _wire.RequestReader()
    reader.feed(b"GET /ok HTTP/1.1\r\nHost: a\r\n\r\nGARBAGE\r\n\r\n")
    item = reader.next_request()
    assert item is not None and item[0].target == "/ok"
    with pytest.raises(HttpProtocolError):
        reader.next_request()


# -- RFC 9112 where request smuggling lives: each deviation of the hand-written parser ------


CHUNKED_HEAD = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"


@pytest.mark.parametrize(
    ("data", "error"),
    [
        # chunk sizes are hex digits only: no `0x` prefix, no whitespace after the size
        (CHUNKED_HEAD + b"0x54\r\n" + b"x" * 84 + b"\r\n0\r\n\r\n", HttpProtocolError),
        (CHUNKED_HEAD + b"5 \r\nhello\r\n0\r\n\r\n", HttpProtocolError),
        # only `chunked`, once: `gzip, chunked` and `identity, chunked` are 501
        (
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
            HttpNotImplemented,
        ),
        (
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity, chunked\r\n\r\n0\r\n\r\n",
            HttpNotImplemented,
        ),
        (
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n",
            HttpProtocolError,
        ),
        (
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            HttpProtocolError,
        ),
        (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", HttpProtocolError),
        # exactly one Host in HTTP/1.1
        (b"GET / HTTP/1.1\r\n\r\n", HttpProtocolError),
        (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", HttpProtocolError),
        (b"GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", HttpProtocolError),
        # bare LF line ends
        (b"GET / HTTP/1.1\nHost: a\n\n", HttpProtocolError),
        (b"GET / HTTP/1.1\r\nHost: a\n\r\n", HttpProtocolError),
        # framing conflicts, folding, odd names
        (
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n",
            HttpProtocolError,
        ),
        (
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            HttpProtocolError,
        ),
        (b"GET / HTTP/1.1\r\nHost: a\r\nA: b\r\n c\r\n\r\n", HttpProtocolError),
        (b"GET / HTTP/1.1\r\nHost : a\r\n\r\n", HttpProtocolError),
        (b"GET / HTTP/2.0\r\nHost: a\r\n\r\n", HttpProtocolError),
        (b"CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", HttpNotImplemented),
        (b"GET ftp://a/ HTTP/1.1\r\nHost: a\r\n\r\n", HttpProtocolError),
    ],
)
def test_smuggling_shapes_are_refused(data, error):
    with pytest.raises(error):
        requests_of(data)


def test_http10_with_transfer_encoding_closes():
    data = (
        b"POST / HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"2\r\nhi\r\n0\r\n\r\n"
    )
    [(head, body)] = requests_of(data)
    assert body == b"hi" and not head.keep_alive
    [(head, _)] = requests_of(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    assert head.keep_alive


def test_absolute_form_is_routed_by_path_and_names_the_host():
    [(head, _)] = requests_of(
        b"POST http://api.example:8080/v1/models?x=1 HTTP/1.1\r\nHost: other\r\n\r\n"
    )
    assert head.target == "/v1/models?x=1" and head.headers == [("Host", "api.example:8080")]
    [(head, _)] = requests_of(b"GET http://a HTTP/1.1\r\nHost: a\r\n\r\n")
    assert head.target == "/"


def test_request_bounds():
    with pytest.raises(HttpHeadTooLarge):
        requests_of(
            b"GET / HTTP/1.1\r\nHost: a\r\nX: " + b"a" * 5000 + b"\r\n\r\n", max_head_size=4096
        )
    reader = _wire.RequestReader(max_head_size=4096)
    for _ in range(10):  # a head in pieces that never ends
        reader.feed(b"GET / HTTP/1.1\r\nX: " + b"a" * 500 if _ == 0 else b"a" * 500)
    with pytest.raises(HttpHeadTooLarge):
        reader.next_request()
    many = b"GET / HTTP/1.1\r\nHost: a\r\n" + b"A: b\r\n" * (_wire.MAX_HEADERS + 1) + b"\r\n"
    with pytest.raises(HttpHeadTooLarge):
        requests_of(many)
    with pytest.raises(HttpBodyTooLarge):
        requests_of(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n", max_body_size=10)
    with pytest.raises(HttpBodyTooLarge):
        requests_of(CHUNKED_HEAD + b"6\r\nhello!\r\n6\r\nhello", max_body_size=10)


def test_a_request_body_in_progress_shows_its_head():
    reader = _wire.RequestReader()
    reader.feed(
        b"POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\nab"
    )
    assert reader.next_request() is None
    assert reader.current is not None and reader.current.expect_continue and reader.started
    reader.feed(b"cd")
    item = reader.next_request()
    assert item is not None and item[1] == b"abcd" and not reader.started


# -- responses --------------------------------------------------------------------------


def test_response_heads():
    reader, body = response_of(
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 599 Odd reason: with colon\r\n"
        b"Content-Type: application/json\r\nX-Empty:\r\nServer:  uvicorn \t\r\n"
        b"Content-Length: 2\r\n\r\nhi"
    )
    head = reader.head
    assert head is not None and (head.http_version, head.status, head.reason) == (
        "1.1",
        599,
        "Odd reason: with colon",
    )
    assert head.headers[:3] == [
        ("Content-Type", "application/json"),
        ("X-Empty", ""),
        ("Server", "uvicorn"),
    ]
    assert body == b"hi" and reader.complete and head.keep_alive and not reader.extra


def test_response_bodies():
    reader, body = response_of(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n"
        b"0\r\nTrailer: yes\r\n\r\nNEXT"
    )
    assert body == b"hello" and reader.complete and reader.extra
    reader, body = response_of(b"HTTP/1.1 200 OK\r\n\r\nuntil ")
    assert reader.head is not None and reader.head.until_close and not reader.head.keep_alive
    reader.feed(b"close")
    reader.eof()
    assert reader.take_body() == b"close" and reader.complete
    reader, _ = response_of(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", "HEAD")
    assert reader.complete and not reader.extra
    reader, _ = response_of(b"HTTP/1.1 204 No Content\r\n\r\n")
    assert reader.complete
    reader, _ = response_of(b"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
    assert reader.complete and reader.head is not None and not reader.head.keep_alive


def test_truncated_responses():
    reader, _ = response_of(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort")
    with pytest.raises(HttpConnectionClosed):
        reader.eof()
    reader, _ = response_of(b"HTTP/1.1 200 OK\r\nContent-Le")
    with pytest.raises(HttpConnectionClosed):
        reader.eof()


@pytest.mark.parametrize(
    "data",
    [
        b"HTTP/2 200 OK\r\n\r\n",
        b"HTTP/1.1 20 OK\r\n\r\n",
        b"HTTP/1.1 200 OK\nA: b\r\n\r\n",  # bare LF
        b"HTTP/1.1 200 OK\r\nA: b\n\r\n",
        b"HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n",  # obsolete folding
        b"HTTP/1.1 200 OK\r\nBad Name: b\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nNoColon\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nA: b\x00c\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n",
        b"ICY 200 OK\r\n\r\n",
        b"HTTP/1.1 101 Switching Protocols\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n",
        b"HTTP/1.1 200 OK\r\nX: " + b"a" * 70000,
    ],
)
def test_bad_responses(data):
    with pytest.raises(HttpProtocolError):
        response_of(data)


@given(st.binary(max_size=300))
def test_garbage_only_raises_http_errors(data):
    try:
        requests_of(data + b"\r\n\r\n")
    except HttpError:
        pass
    try:
        response_of(data + b"\r\n\r\n")
    except HttpError:
        pass


# -- what we send ----------------------------------------------------------------------


def test_encode_head_refuses_injection():
    assert _wire.encode_head("GET / HTTP/1.1", [("A", "b")]) == b"GET / HTTP/1.1\r\nA: b\r\n\r\n"
    for headers in ([("A", "b\r\nEvil: 1")], [("A b", "c")], [("", "c")], [("A", "\n")]):
        with pytest.raises(HttpRequestError):
            _wire.encode_head("GET / HTTP/1.1", headers)
    with pytest.raises(HttpRequestError):
        _wire.check_request_line("GET", "/a b")
    with pytest.raises(HttpRequestError):
        _wire.check_request_line("GE T", "/")


def test_encode_chunk():
    assert _wire.encode_chunk(b"abc") == b"3\r\nabc\r\n"
    assert _wire.LAST_CHUNK == b"0\r\n\r\n"


def test_an_upgrade_request_is_served_as_plain_http_then_the_connection_ends():
    reader = _wire.RequestReader()
    reader.feed(
        b"GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
        b"GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n"
    )
    item = reader.next_request()
    assert item is not None and item[0].target == "/ws" and not item[0].keep_alive
    with pytest.raises(HttpProtocolError):
        reader.next_request()  # what followed is never taken for a request
    with pytest.raises(HttpNotImplemented):  # llhttp would skip its body
        requests_of(
            b"POST / HTTP/1.1\r\nHost: a\r\nUpgrade: x\r\nConnection: upgrade\r\n"
            b"Content-Length: 5\r\n\r\nhello"
        )


def _found_by_gc(make) -> int:
    """Objects the garbage collector finds unreachable after `make()` returns: its readers
    must be freed by reference counting alone (a cycle per request or connection would hold
    memory that grows with the load until the collector runs)."""
    gc.collect()
    gc.disable()
    try:
        make()
        return gc.collect()
    finally:
        gc.enable()


@pytest.mark.parametrize(
    ("method", "data", "eof"),
    [
        ("GET", b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi", False),
        (
            "GET",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n",
            False,
        ),
        ("GET", b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiHTTP/1.1 200 OK\r\n", False),
        ("HEAD", b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", False),
        ("GET", b"HTTP/1.0 200 OK\r\n\r\nuntil the close", True),
    ],
)
def test_a_complete_response_reader_needs_no_garbage_collector(method, data, eof):
    def make():
        reader = _wire.ResponseReader(method)
        reader.feed(data)
        if eof:
            reader.eof()
        assert reader.complete

    assert _found_by_gc(make) == 0


def test_an_abandoned_response_reader_is_closed():
    def make():
        reader = _wire.ResponseReader("GET")
        reader.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhi")
        assert not reader.complete
        reader.close()

    assert _found_by_gc(make) == 0


def test_a_closed_request_reader_needs_no_garbage_collector():
    def make():
        reader = _wire.RequestReader()
        reader.feed(b"GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHo")
        assert reader.next_request() is not None
        reader.close()
        reader.feed(b"st: a\r\n\r\n")  # after close: nothing more is parsed
        assert reader.next_request() is None

    assert _found_by_gc(make) == 0
