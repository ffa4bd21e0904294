"""The client's header filters, debug merging and request journal (sans-IO)."""

from __future__ import annotations

import json

import pytest

from cocoon import tl
from cocoon.openai.validation import InvalidRequestError
from cocoon.roles.client.journal import Journal, RequestRecord
from cocoon.roles.client.shaping import (
    answer_headers,
    debug_object,
    forward_headers,
    merge_debug,
    sse_debug,
)


def test_forward_headers_drop_framing_and_credentials_case_insensitively():
    given = [
        ("Host", "127.0.0.1:10000"),
        ("content-type", "application/json"),
        ("Content-Length", "999"),
        ("transfer-encoding", "chunked"),
        ("Connection", "keep-alive"),
        ("Authorization", "Bearer sk"),
        ("cookie", "a=b"),
        ("Proxy-Authorization", "Basic x"),
        ("X-Access-Hash", "h"),
        ("x-trace", "a\tb c"),
        ("cookie", "caf\u00e9"),  # not forwarded, so not refused either
    ]
    out = forward_headers(given, 42)
    assert [(h.name, h.value) for h in out] == [
        ("host", "127.0.0.1:10000"),
        ("content-type", "application/json"),
        ("x-trace", "a\tb c"),
        ("Content-Length", "42"),
    ]
    assert forward_headers([], 0) == []


@pytest.mark.parametrize(
    "value",
    [
        "caf\u00e9".encode().decode("latin-1"),  # UTF-8, as the server reads it
        "\u20ac".encode().decode("latin-1"),
        "\xff\xfe",  # not UTF-8 at all
        "a\x01b",
    ],
)
def test_forward_headers_refuse_a_value_a_worker_could_not_send(value):
    with pytest.raises(InvalidRequestError) as info:
        forward_headers([("X-Note", value)], 0)
    assert "header 'X-Note'" in info.value.message and info.value.slug == "invalid_header"


def test_answer_headers_pass_the_workers_and_add_ours():
    worker = [
        tl.HttpHeader(name="Content-Type", value="Text/Event-Stream"),
        tl.HttpHeader(name="date", value="Mon"),
        tl.HttpHeader(name="Server", value="uvicorn"),
        tl.HttpHeader(name="TRANSFER-ENCODING", value="chunked"),
        tl.HttpHeader(name="Content-Length", value="5"),
        tl.HttpHeader(name="bad name", value="x"),
        tl.HttpHeader(name="X-Evil", value="a\r\nSet-Cookie: x"),
        tl.HttpHeader(name="X-Cocoon-Worker-Start", value="1.000000"),
    ]
    headers, content_type = answer_headers(
        worker, start=1.5, end=2.25, request_id=b"\x01" * 32, cors=False
    )
    assert content_type == "text/event-stream"
    date = headers.pop(2)
    assert date[0] == "Date" and date[1].endswith(" GMT")
    assert headers == [
        ("Content-Type", "Text/Event-Stream"),
        ("X-Cocoon-Worker-Start", "1.000000"),
        ("X-Cocoon-Client-Start", "1.500000"),
        ("X-Cocoon-Client-End", "2.250000"),
        ("X-Request-Id", "01" * 32),
    ]
    with_cors, _ = answer_headers([], start=0, end=0, request_id=b"", cors=True)
    assert ("access-control-allow-origin", "*") in with_cors
    utf8, _ = answer_headers(
        [tl.HttpHeader(name="X-Name", value="caf\u00e9")],
        start=0,
        end=0,
        request_id=b"",
        cors=False,
    )
    assert utf8[0] == ("X-Name", "caf\u00e9".encode().decode("latin-1"))  # UTF-8 on the wire


def test_debug_goes_into_the_object_or_on_its_own_line():
    final = tl.ClientQueryFinalInfo(
        tokens_used=tl.TokensUsed(
            prompt_tokens_used=1,
            cached_tokens_used=0,
            completion_tokens_used=2,
            reasoning_tokens_used=0,
            total_tokens_used=3,
        ),
        worker_debug='{"type":"worker_stats"}',
        proxy_debug="not json",
    )
    debug = debug_object(final, {"type": "client_stats"})
    assert debug == {
        "proxy": "not json",
        "worker": {"type": "worker_stats"},
        "client": {"type": "client_stats"},
    }
    merged = merge_debug(b'{"id": "x", "usage": {"total_tokens": 3}}\n', debug)
    assert json.loads(merged) == {"id": "x", "usage": {"total_tokens": 3}, "debug": debug}
    assert merged.endswith(b"}\n") and merged.count(b"\n") == 1
    odd = merge_debug(b"not json", debug)
    assert odd.split(b"\n")[0] == b"not json"
    assert json.loads(odd.split(b"\n")[1]) == {"debug": debug}
    assert debug_object(None, {})["proxy"] is None
    event = sse_debug({"client": 1})
    assert event == b'data: {"debug":{"client":1}}\n\n'


def test_journal_keeps_recent_records_totals_and_a_bounded_debug_log():
    journal = Journal(debug_log_size=2, recent=3)
    for i in range(5):
        record = RequestRecord(f"{i:02x}", "m" if i % 2 else "n", "/v1/completions", False, 10.0)
        record.tokens, record.cost = 10, 20
        if i == 4:
            record.error, record.status = "worker: timeout on x-secret", 504
        journal.add(record)
        journal.keep_debug(bytes([i]), {"i": i})
    assert [r.request_id for r in journal.recent] == ["02", "03", "04"]
    assert journal.models["n"].requests == 3 and journal.models["n"].failed == 1
    assert journal.models["m"].tokens == 20 and journal.models["m"].cost == 40
    assert journal.last_error == "a request failed with HTTP 504"  # no caller's data
    refused = RequestRecord(
        "", "m", "/v1/completions", False, 11.0, error="failed to parse request: x"
    )
    refused.caller_fault = True
    journal.add(refused)
    assert journal.models["m"].failed == 1  # counted, as the reference does,
    assert journal.last_error == "a request failed with HTTP 504"  # not the network's error
    assert journal.debug_entry(bytes([2])) is None
    assert journal.debug_entry(bytes([4])) == {"i": 4}
    assert Journal(debug_log_size=0).debug_entry(b"") is None
    record = RequestRecord("", "m", "/v1/completions", True, 1.0, ended_at=3.5)
    assert record.as_json()["duration"] == 2.5


def test_journal_model_totals_stay_bounded_whatever_names_callers_send():
    from cocoon.roles.client.journal import MAX_MODEL_TOTALS, OTHER_MODELS

    journal = Journal()
    for i in range(MAX_MODEL_TOTALS + 50):
        journal.add(RequestRecord(f"{i}", f"made-up-{i}", "/v1/completions", True, 1.0))
    journal.add(RequestRecord("again", "made-up-0", "/v1/completions", True, 1.0))
    assert len(journal.models) == MAX_MODEL_TOTALS + 1
    assert journal.models[OTHER_MODELS].requests == 50
    assert journal.models["made-up-0"].requests == 2  # a name already kept keeps its row
    late = RequestRecord("late", "made-up-9999", "/v1/completions", True, 1.0)
    journal.add(late)
    journal.recharge(late, 7, 14)
    assert journal.models[OTHER_MODELS].tokens == 7 and journal.models[OTHER_MODELS].cost == 14
