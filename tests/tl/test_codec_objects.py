"""What the generated classes share from TLObject: attrs' repr, equality and hash."""

from __future__ import annotations

import attrs
import pytest

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


def test_flags_follow_the_fields_present_and_name_what_is_missing():
    tokens = tl.TokensUsed(
        prompt_tokens_used=1, cached_tokens_used=0, completion_tokens_used=2,
        reasoning_tokens_used=0, total_tokens_used=3,
    )  # fmt: skip
    full = tl.ClientQueryFinalInfo(
        tokens_used=tokens, worker_debug="w", proxy_debug="p", proxy_start_time=1.0,
        proxy_end_time=2.0, worker_start_time=1.5, worker_end_time=1.8,
    )  # fmt: skip
    assert full.flags == 3
    assert tl.ClientQueryFinalInfo(tokens_used=tokens).flags == 0
    assert tl.ClientQueryFinalInfo(tokens_used=tokens, flags=8).flags == 8  # unknown bit kept
    with pytest.raises(tl.TLEncodeError, match="proxy_debug must be set with bit 0"):
        tl.ClientQueryFinalInfo(tokens_used=tokens, worker_debug="w")
    with pytest.raises(
        tl.TLEncodeError, match="proxy_end_time, worker_end_time must be set with bit 1"
    ):
        tl.ClientQueryFinalInfo(tokens_used=tokens, proxy_start_time=1.0, worker_start_time=1.0)
    with pytest.raises(tl.TLEncodeError, match="flags bit 0 set but worker_debug is None"):
        tl.ClientQueryFinalInfo(tokens_used=tokens, flags=1)
    with pytest.raises(tl.TLEncodeError, match="flags=1 lacks bits 0x3"):
        attrs.evolve(full, flags=1)
