"""What the generated classes share from TLObject: attrs' repr, equality and hash."""

from __future__ import annotations

import attrs

from cocoon import tl


def test_repr_is_attrs_style() -> None:
    request = tl.HttpRequest(
        method="GET",
        url="/x",
        http_version="HTTP/1.1",
        headers=[tl.HttpHeader(name="a", value="b")],
        payload=b"xy",
    )
    assert repr(request) == (
        "HttpRequest(method='GET', url='/x', http_version='HTTP/1.1', "
        "headers=(HttpHeader(name='a', value='b'),), payload=b'xy')"
    )


def test_equality_is_same_class_and_fields() -> None:
    assert tl.TcpPing(id=1) == tl.TcpPing(id=1)
    assert tl.TcpPing(id=1) != tl.TcpPing(id=2)
    # Same fields, another constructor: not equal.
    assert tl.TcpPing(id=1) != tl.TcpPong(id=1)
    assert tl.TcpPing(id=1) != 1
    header = tl.HttpHeader(name="a", value="b")
    assert attrs.evolve(header, value="c") != header


def test_hash_agrees_with_equality() -> None:
    a, b = tl.HttpHeader(name="a", value="b"), tl.HttpHeader(name="a", value="b")
    assert a is not b and hash(a) == hash(b)
    assert {a: 1}[b] == 1
    assert len({tl.TcpPing(id=1), tl.TcpPing(id=1), tl.TcpPong(id=1)}) == 2
