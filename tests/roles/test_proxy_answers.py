"""Worker answers to client answers (spec 10 section 7.4), sans-IO."""

from __future__ import annotations

import json

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cocoon import tl
from cocoon.errors import ProtocolError
from cocoon.roles.proxy.answers import (
    ZERO_TOKENS,
    Kind,
    add_headers,
    client_answer,
    client_error,
    client_final_info,
    normalize_worker_answer,
    stats_json,
    timestamp,
)

RID = bytes(range(32))
TOKENS = tl.TokensUsed(
    prompt_tokens_used=1,
    cached_tokens_used=2,
    completion_tokens_used=3,
    reasoning_tokens_used=4,
    total_tokens_used=10,
)
WORKER_FINAL = tl.ProxyQueryFinalInfo(
    tokens_used=TOKENS, worker_start_time=1.5, worker_end_time=2.5
)


def test_ex_forms_are_kept():
    a = normalize_worker_answer(tl.ProxyQueryAnswerEx(request_id=RID, answer=b"resp"))
    assert (a.kind, a.last, a.data, a.final_info) == (Kind.ANSWER, False, b"resp", None)
    p = normalize_worker_answer(
        tl.ProxyQueryAnswerPartEx(request_id=RID, answer=b"x", final_info=WORKER_FINAL)
    )
    assert (p.kind, p.last, p.tokens) == (Kind.PART, True, TOKENS)
    e = normalize_worker_answer(
        tl.ProxyQueryAnswerErrorEx(
            request_id=RID, error_code=602, error="too many active queries", final_info=WORKER_FINAL
        )
    )
    assert (e.kind, e.last, e.error_code, e.tokens) == (Kind.ERROR, True, 602, TOKENS)


def test_old_forms_are_upgraded():
    a = normalize_worker_answer(
        tl.ProxyQueryAnswer(answer=b"r", is_completed=True, request_id=RID, tokens_used=TOKENS)
    )
    assert (a.kind, a.last, a.tokens) == (Kind.ANSWER, True, TOKENS)
    e = normalize_worker_answer(
        tl.ProxyQueryAnswerPartError(error_code=652, error="t", request_id=RID, tokens_used=TOKENS)
    )
    assert (e.kind, e.tokens, e.error) == (Kind.ERROR, TOKENS, "t")


def test_last_flag_without_final_info_cannot_exist_and_non_answers_are_refused():
    with pytest.raises(tl.TLEncodeError):
        tl.ProxyQueryAnswerPartEx(request_id=RID, answer=b"", flags=1)
    with pytest.raises(ProtocolError):
        normalize_worker_answer(tl.ClientGetWorkerTypes())


def test_proxy_headers_are_appended():
    resp = tl.encode(
        tl.HttpResponse(
            http_version="HTTP/1.1", status_code=200, reason="OK", headers=[], payload=b""
        )
    )
    out = tl.decode(
        add_headers(
            resp,
            [("X-Cocoon-Proxy-Start", timestamp(1.0)), ("X-Cocoon-Proxy-End", timestamp(2.25))],
        )
    )
    assert [(h.name, h.value) for h in out.headers] == [
        ("X-Cocoon-Proxy-Start", "1.000000"),
        ("X-Cocoon-Proxy-End", "2.250000"),
    ]


def test_final_info_by_client_protocol():
    v2 = client_final_info(
        WORKER_FINAL, client_proto=2, proxy_start=1.0, proxy_end=3.0, proxy_debug=None
    )
    assert v2.flags == 2 and v2.worker_start_time == 1.5 and v2.proxy_end_time == 3.0
    v1 = client_final_info(
        WORKER_FINAL, client_proto=1, proxy_start=1.0, proxy_end=3.0, proxy_debug="{}"
    )
    assert v1.flags == 1 and v1.proxy_debug == "{}" and v1.worker_debug == ""
    none = client_final_info(None, client_proto=2, proxy_start=1.0, proxy_end=3.0, proxy_debug=None)
    assert none.tokens_used == ZERO_TOKENS


def test_client_answers_by_protocol():
    final = client_final_info(
        WORKER_FINAL, client_proto=2, proxy_start=1.0, proxy_end=3.0, proxy_debug=None
    )
    ex = client_answer(2, RID, b"body", first=False, final=final)
    assert isinstance(ex, tl.ClientQueryAnswerPartEx) and ex.flags == 1
    first = client_answer(2, RID, b"resp", first=True, final=None)
    assert isinstance(first, tl.ClientQueryAnswerEx) and first.flags == 0
    old = client_answer(0, RID, b"body", first=False, final=final)
    assert old == tl.ClientQueryAnswerPart(
        answer=b"body", is_completed=True, request_id=RID, request_tokens_used=TOKENS
    )


def test_client_errors_by_protocol():
    final = client_final_info(
        None, client_proto=1, proxy_start=1.0, proxy_end=3.0, proxy_debug=None
    )
    ex = client_error(1, RID, 651, "no workers for model m", answered=False, final=final)
    assert isinstance(ex, tl.ClientQueryAnswerErrorEx) and ex.flags == 1
    assert isinstance(
        client_error(0, RID, 1, "x", answered=False, final=final), tl.ClientQueryAnswerError
    )
    assert isinstance(
        client_error(0, RID, 1, "x", answered=True, final=final), tl.ClientQueryAnswerPartError
    )


def test_debug_record_shape():
    assert json.loads(stats_json("proxy", 1.0, 2.0, 3.0)) == {
        "type": "proxy_stats", "start_time": 1.0, "answer_receive_start_at": 2.0, "answer_receive_end_at": 3.0,
    }  # fmt: skip


_text = st.text(max_size=40)


@settings(max_examples=200, deadline=None)
@given(
    version=_text,
    status=st.integers(-(2**31), 2**31 - 1),
    reason=_text,
    headers=st.lists(st.tuples(_text, _text), max_size=5),
    payload=st.binary(max_size=600),
    extra=st.lists(st.tuples(_text, _text), max_size=3),
)
def test_appending_headers_equals_decoding_and_encoding_again(
    version, status, reason, headers, payload, extra
):
    response = tl.HttpResponse(
        http_version=version,
        status_code=status,
        reason=reason,
        headers=[tl.HttpHeader(name=n, value=v) for n, v in headers],
        payload=payload,
    )
    expected = attrs.evolve(
        response, headers=[*response.headers, *(tl.HttpHeader(name=n, value=v) for n, v in extra)]
    )
    assert add_headers(tl.encode(response), extra) == tl.encode(expected)


def test_appending_headers_to_something_else_fails_to_decode():
    response = tl.encode(
        tl.HttpResponse(http_version="1", status_code=200, reason="OK", headers=[], payload=b"x")
    )
    for bad in (tl.encode(tl.TcpPing(id=1)), response[:-1], response + b"\0\0\0\0", b""):
        with pytest.raises(tl.TLDecodeError):
            add_headers(bad, [("a", "b")])
