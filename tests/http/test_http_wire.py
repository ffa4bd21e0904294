"""The sans-IO HTTP/1.x codec: heads, framing, chunked bodies."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cocoon.http import _wire
from cocoon.http.errors import (
    HttpBodyTooLarge,
    HttpHeadTooLarge,
    HttpProtocolError,
    HttpRequestError,
)


def test_response_head():
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Empty:\r\n"
        b"Server:  uvicorn \t\r\nX-Obs: caf\xe9\r\n\r\n"
    )
    version, status, reason, headers = _wire.parse_response_head(head)
    assert (version, status, reason) == ("1.1", 200, "OK")
    assert headers == [
        ("Content-Type", "application/json"),
        ("X-Empty", ""),
        ("Server", "uvicorn"),
        ("X-Obs", "café"),
    ]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (b"HTTP/1.0 404 Not Found", ("1.0", 404, "Not Found")),
        (b"HTTP/1.1 204", ("1.1", 204, "")),
        (b"HTTP/1.1 599 Odd reason: with colon", ("1.1", 599, "Odd reason: with colon")),
    ],
)
def test_status_lines(line, expected):
    assert _wire.parse_response_head(line + b"\r\n\r\n")[:3] == expected


@pytest.mark.parametrize(
    "head",
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
    ],
)
def test_bad_response_heads(head):
    with pytest.raises(HttpProtocolError):
        _wire.parse_response_head(head)


def test_request_head():
    method, target, version, headers = _wire.parse_request_head(
        b"POST /v1/chat/completions?x=1 HTTP/1.1\r\nHost: a\r\n\r\n"
    )
    assert (method, target, version, headers) == (
        "POST",
        "/v1/chat/completions?x=1",
        "1.1",
        [("Host", "a")],
    )
    for bad in (b"GET / HTTP/1.1 x\r\n\r\n", b"GET  / HTTP/1.1\r\n\r\n", b"G(T / HTTP/1.1\r\n\r\n"):
        with pytest.raises(HttpProtocolError):
            _wire.parse_request_head(bad)


def test_head_bounds():
    assert _wire.find_head_end(b"HTTP/1.1 200 OK\r\n\r\nbody", 100) == 19
    assert _wire.find_head_end(b"HTTP/1.1 200 OK\r\n", 100) == -1
    with pytest.raises(HttpHeadTooLarge):
        _wire.find_head_end(b"x" * 101, 100)
    with pytest.raises(HttpHeadTooLarge):
        _wire.find_head_end(b"x" * 99 + b"\r\n\r\n", 100)
    many = b"HTTP/1.1 200 OK\r\n" + b"A: b\r\n" * (_wire.MAX_HEADERS + 1) + b"\r\n"
    with pytest.raises(HttpHeadTooLarge):
        _wire.parse_response_head(many)


@pytest.mark.parametrize(
    ("headers", "version", "length", "chunked", "keep_alive"),
    [
        ([], "1.1", None, False, True),
        ([], "1.0", None, False, False),
        ([("Connection", "keep-alive")], "1.0", None, False, True),
        ([("connection", "Close")], "1.1", None, False, False),
        ([("Connection", "upgrade, close")], "1.1", None, False, False),
        ([("Content-Length", "12")], "1.1", 12, False, True),
        ([("Content-Length", "5, 5")], "1.1", 5, False, True),
        ([("Content-Length", "5"), ("content-length", "5")], "1.1", 5, False, True),
        ([("Transfer-Encoding", "gzip, chunked")], "1.1", None, True, True),
        ([("transfer-encoding", "Chunked")], "1.1", None, True, True),
    ],
)
def test_framing(headers, version, length, chunked, keep_alive):
    f = _wire.BodyFraming(headers, version)
    assert (f.length, f.chunked, f.keep_alive) == (length, chunked, keep_alive)


@pytest.mark.parametrize(
    "headers",
    [
        [("Content-Length", "5"), ("Content-Length", "6")],
        [("Content-Length", "-1")],
        [("Content-Length", "0x10")],
        [("Content-Length", "5, 6")],
        [("Content-Length", "")],
    ],
)
def test_bad_content_length(headers):
    with pytest.raises(HttpProtocolError):
        _wire.BodyFraming(headers, "1.1")


def test_other_transfer_coding():
    assert _wire.BodyFraming([("Transfer-Encoding", "gzip")], "1.1").other_coding


def test_encode_head_refuses_injection():
    assert _wire.encode_head("GET / HTTP/1.1", [("A", "b")]) == b"GET / HTTP/1.1\r\nA: b\r\n\r\n"
    for headers in ([("A", "b\r\nEvil: 1")], [("A b", "c")], [("", "c")], [("A", "\n")]):
        with pytest.raises(HttpRequestError):
            _wire.encode_head("GET / HTTP/1.1", headers)
    with pytest.raises(HttpRequestError):
        _wire.check_request_line("GET", "/a b")
    with pytest.raises(HttpRequestError):
        _wire.check_request_line("GE T", "/")


CHUNKED = (
    b"5;ext=1\r\nhello\r\n1A\r\n" + b"x" * 26 + b"\r\n6 \r\n world\r\n0\r\nTrailer: yes\r\n\r\n"
)


def test_chunked_whole():
    d = _wire.ChunkedDecoder()
    assert d.feed(CHUNKED + b"NEXT") == b"hello" + b"x" * 26 + b" world"
    assert d.done and d.leftover == b"NEXT"
    assert d.feed(b"more") == b"" and d.leftover == b"NEXTmore"


@given(st.lists(st.integers(0, len(CHUNKED)), max_size=10))
def test_chunked_any_split(cuts):
    d = _wire.ChunkedDecoder()
    out, last = [], 0
    for cut in sorted(cuts):
        out.append(d.feed(CHUNKED[last:cut]))
        last = cut
        assert not d.done or last == len(CHUNKED)
    out.append(d.feed(CHUNKED[last:]))
    assert b"".join(out) == b"hello" + b"x" * 26 + b" world" and d.done


@pytest.mark.parametrize(
    "data",
    [
        b"g\r\n",
        b"-1\r\n",
        b"+5\r\nhello\r\n",
        b"5\r\nhelloXX",
        b"1_0\r\n",
        b"11111111111111111\r\n",
        b"1" * 5000,
    ],
)
def test_chunked_errors(data):
    with pytest.raises(HttpProtocolError):
        _wire.ChunkedDecoder().feed(data)


def test_chunked_max_size():
    d = _wire.ChunkedDecoder(max_size=10)
    d.feed(b"5\r\nhello\r\n")
    with pytest.raises(HttpBodyTooLarge):
        d.feed(b"6\r\n")


def test_encode_chunk():
    assert _wire.encode_chunk(b"abc") == b"3\r\nabc\r\n"
    assert _wire.LAST_CHUNK == b"0\r\n\r\n"


@given(st.binary(max_size=300))
def test_garbage_heads_only_raise_protocol_errors(data):
    for parse in (_wire.parse_response_head, _wire.parse_request_head):
        try:
            parse(data + b"\r\n\r\n")
        except HttpProtocolError:
            pass
    try:
        _wire.ChunkedDecoder().feed(data)
    except HttpProtocolError:
        pass
