"""The worker's token counter (spec 40 §3.3 [OURS])."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from cocoon.openai import usage as usage_module
from cocoon.openai.usage import UsageCounter, UsageCounts


def costs(counts: UsageCounts) -> dict[str, int]:
    total = counts.prompt + counts.cached + counts.completion + counts.reasoning
    return {"total_cost": total * 10, "cocoon_adjusted_tokens": total}


def run(body: bytes, pieces: list[int], content_type: str | None = None, on_usage=costs):
    """Feed `body` cut at the given offsets; return (output, counter)."""
    counter = UsageCounter(content_type, on_usage)
    out = []
    last = 0
    for cut in [*sorted(pieces), len(body)]:
        out.append(counter.feed(body[last:cut]))
        last = cut
    out.append(counter.finish())
    return b"".join(out), counter


ANSWER = json.dumps(
    {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": 'a "}{[ \\ é'}}],
        "usage": {
            "prompt_tokens": 12,
            "completion_tokens": 100,
            "total_tokens": 112,
            "prompt_tokens_details": {"cached_tokens": 4},
            "completion_tokens_details": {"reasoning_tokens": 10},
        },
    },
    ensure_ascii=False,
).encode()


def sse_stream(n: int = 5, *, crlf: bool = False) -> bytes:
    nl = b"\r\n" if crlf else b"\n"
    events = [
        b"data: "
        + json.dumps({"choices": [{"index": 0, "delta": {"content": f"tok{i} "}}]}).encode()
        + nl
        + nl
        for i in range(n)
    ]
    final = {"choices": [], "usage": {"prompt_tokens": 7, "completion_tokens": n}}
    events.append(b"data: " + json.dumps(final).encode() + nl + nl)
    events.append(b"data: [DONE]" + nl + nl)
    return b": keep-alive" + nl + b"".join(events)


def test_single_json_answer_counted_injected_sorted():
    out, counter = run(ANSWER, [], "application/json")
    assert counter.counts == UsageCounts(prompt=12, cached=4, completion=100, reasoning=10)
    assert counter.usage_seen and counter.mode == "json"
    assert out.endswith(b"\n") and out.count(b"\n") == 1
    doc = json.loads(out)
    assert doc["usage"]["total_cost"] == 1260 and doc["usage"]["cocoon_adjusted_tokens"] == 126
    assert out == (
        json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
    )


def test_json_answer_any_split_same_output():
    whole, _ = run(ANSWER, [])
    for cut in range(len(ANSWER) + 1):
        out, counter = run(ANSWER, [cut])
        assert out == whole, cut
        assert counter.counts.completion == 100


def test_json_nothing_emitted_until_the_document_is_complete():
    counter = UsageCounter("application/json", costs)
    assert counter.feed(ANSWER[:-1]) == b""
    assert counter.feed(ANSWER[-1:]).endswith(b"\n")


def test_ndjson_sequence_like_the_benchmark_server():
    lines = [json.dumps({"delta": "0" * 8, "i": i}).encode() + b"\n" for i in range(3)]
    final = {
        "usage": {
            "prompt_tokens": 34,
            "total_tokens": 134,
            "completion_tokens": 100,
            "completion_tokens_details": {"reasoning_tokens": 10},
            "prompt_tokens_details": {"cached_tokens": 11},
        }
    }
    body = b"".join(lines) + json.dumps(final).encode() + b"\n"
    out, counter = run(body, [5, 40])
    assert counter.counts == UsageCounts(34, 11, 100, 10)
    docs = out.split(b"\n")
    assert docs[0] == b'{"delta":"00000000","i":0}'
    assert json.loads(docs[3])["usage"]["total_cost"] == 1550
    # the whitespace after the last document is the verbatim tail, as in the reference
    assert out.endswith(b"}\n\n")


def test_ndjson_lines_stream_out_as_they_complete():
    counter = UsageCounter("application/json")
    assert counter.feed(b'{"i":1}\n{"i"') == b'{"i":1}\n'
    assert counter.feed(b":2}") == b'{"i":2}\n'
    assert counter.finish() == b""


def test_json_then_garbage_passes_the_rest_through():
    out, counter = run(b'{"a":1} oops {"usage":{"prompt_tokens":5}}', [])
    assert out == b'{"a":1}\noops {"usage":{"prompt_tokens":5}}'
    assert counter.counts == UsageCounts() and counter.mode == "passthrough"


def test_non_json_body_passes_through_at_once():
    counter = UsageCounter("text/plain")
    assert counter.feed(b"Internal Server Error") == b"Internal Server Error"
    assert counter.feed(b" more") == b" more"
    assert counter.finish() == b""


def test_invalid_document_passes_through_unchanged():
    out, _ = run(b'{"a":}\n{"b":1}', [3])
    assert out == b'{"a":}\n{"b":1}'


def test_incomplete_document_is_emitted_verbatim_at_the_end():
    out, counter = run(b'{"usage":{"prompt_tokens":5}', [])
    assert out == b'{"usage":{"prompt_tokens":5}' and counter.counts == UsageCounts()


def test_empty_body():
    assert run(b"", [])[0] == b""
    assert run(b"  \n", [])[0] == b"  \n"


def test_sse_each_event_leaves_at_once():
    counter = UsageCounter("text/event-stream", costs)
    event = b'data: {"choices":[{"delta":{"content":"x"}}]}\n\n'
    assert counter.feed(event) == event  # unchanged, not re-serialised
    assert counter.feed(b'data: {"cho') == b""
    assert counter.feed(b'ices":[]}\n') == b'data: {"choices":[]}\n'


def test_sse_usage_event_gets_costs_and_counts():
    body = sse_stream(5)
    out, counter = run(body, [], "text/event-stream; charset=utf-8")
    assert counter.counts == UsageCounts(prompt=7, completion=5)
    usage_line = next(line for line in out.split(b"\n") if b"usage" in line)
    assert usage_line == (
        b'data: {"choices":[],"usage":{"cocoon_adjusted_tokens":12,"completion_tokens":5,'
        b'"prompt_tokens":7,"total_cost":120}}'
    )
    assert out.replace(usage_line, b"") == body.replace(
        b'data: {"choices": [], "usage": {"prompt_tokens": 7, "completion_tokens": 5}}', b""
    )


def test_sse_sniffed_without_content_type_and_crlf_kept():
    body = sse_stream(3, crlf=True)
    out, counter = run(body, [1, 2, 3])
    assert counter.mode == "sse" and counter.counts.completion == 3
    assert b'"total_cost":100}}\r\n\r\n' in out and out.endswith(b"data: [DONE]\r\n\r\n")


def test_sse_counts_without_on_usage_and_leaves_bytes_alone():
    body = sse_stream(4)
    out, counter = run(body, [10], "text/event-stream", on_usage=None)
    assert out == body and counter.counts == UsageCounts(prompt=7, completion=4)


def test_sse_last_line_without_newline_is_processed_at_finish():
    out, counter = run(b'data: {"usage":{"completion_tokens":3}}', [], "text/event-stream")
    assert counter.counts.completion == 3
    assert (
        out == b'data: {"usage":{"cocoon_adjusted_tokens":3,"completion_tokens":3,"total_cost":30}}'
    )


def test_sse_escaped_usage_key_is_still_found():
    body = b'data: {"\\u0075sage":{"prompt_tokens":9}}\n\n'
    _, counter = run(body, [], "text/event-stream")
    assert counter.counts.prompt == 9


def test_sse_done_comments_and_bad_payloads_pass():
    body = b'event: usage\ndata: [DONE]\ndata: {"usage": oops}\n: usage\n\n'
    out, counter = run(body, [], "text/event-stream")
    assert out == body and not counter.usage_seen


def test_counting_rules_integers_only_and_maxima():
    counter = UsageCounter("text/event-stream", costs)
    events = [
        {"usage": {"prompt_tokens": 10, "completion_tokens": 1.0, "reasoning_tokens": True}},
        {"usage": {"prompt_tokens": 5, "completion_tokens": -1, "reasoning_tokens": 3}},
        {"usage": {"completion_tokens_details": {"reasoning_tokens": 2}, "completion_tokens": 8}},
        {"usage": {"prompt_tokens_details": {"cached_tokens": 2**63}, "prompt_tokens": "99"}},
        {"usage": {"total_tokens": 1000}},
        {"usage": None},
        ["not", "an", "object"],
    ]
    for event in events:
        counter.feed(b"data: " + json.dumps(event).encode() + b"\n\n")
    assert counter.counts == UsageCounts(prompt=10, cached=0, completion=8, reasoning=3)


def test_costs_injected_in_every_object_that_carries_usage():
    body = b'{"usage":{"prompt_tokens":1}}{"usage":{"prompt_tokens":1}}{"usage":{}}'
    out, _ = run(body, [])
    docs = [json.loads(line) for line in out.splitlines()]
    assert [d["usage"].get("total_cost") for d in docs] == [10, 10, None]


def test_json_scanning_is_linear(monkeypatch):
    """A big document fed in small pieces is parsed about once, not once per piece."""
    parsed = []
    real_loads = usage_module._json.loads

    def counting_loads(data):
        parsed.append(len(data))
        return real_loads(data)

    monkeypatch.setattr(usage_module._json, "loads", counting_loads)
    doc = json.dumps({"choices": [{"text": "x" * 50, "n": [1, {"a": "}"}]}] * 2000}).encode()
    body = doc + b"\n" + doc
    counter = UsageCounter("application/json")
    out = b"".join(counter.feed(body[i : i + 1000]) for i in range(0, len(body), 1000))
    out += counter.finish()
    assert out.count(b"\n") == 2
    assert sum(parsed) <= 3 * len(body)


events_strategy = st.lists(
    st.one_of(
        st.builds(lambda t: {"choices": [{"delta": {"content": t}}]}, st.text(max_size=8)),
        st.builds(
            lambda p, c, r: {
                "usage": {
                    "prompt_tokens": p,
                    "completion_tokens": c,
                    "completion_tokens_details": {"reasoning_tokens": r},
                }
            },
            st.integers(0, 10**6),
            st.integers(-5, 10**6),
            st.integers(0, 50),
        ),
    ),
    max_size=6,
)


def _expected_counts(events):
    p = c = r = 0
    for e in events:
        u = e.get("usage")
        if u:
            p = max(p, u["prompt_tokens"])
            c = max(c, u["completion_tokens"])
            r = max(r, u["completion_tokens_details"]["reasoning_tokens"])
    return UsageCounts(prompt=p, completion=c, reasoning=r)


@settings(max_examples=150)
@given(events_strategy, st.lists(st.integers(0, 2000), max_size=8), st.booleans())
def test_sse_any_split_same_output_and_counts(events, cuts, crlf):
    nl = b"\r\n" if crlf else b"\n"
    body = (
        b"".join(b"data: " + json.dumps(e, ensure_ascii=False).encode() + nl + nl for e in events)
        + b"data: [DONE]"
        + nl
        + nl
    )
    cuts = [min(c, len(body)) for c in cuts]
    whole, ref = run(body, [], "text/event-stream")
    out, counter = run(body, cuts, "text/event-stream")
    assert out == whole
    assert counter.counts == ref.counts == _expected_counts(events)


@settings(max_examples=150)
@given(
    events_strategy,
    st.lists(st.integers(0, 2000), max_size=8),
    st.sampled_from([b"", b"\n", b" \r\n"]),
)
def test_json_sequence_any_split_same_output_and_counts(events, cuts, sep):
    body = sep.join(json.dumps(e, ensure_ascii=False).encode() for e in events)
    cuts = [min(c, len(body)) for c in cuts]
    whole, ref = run(body, [], "application/json")
    out, counter = run(body, cuts, "application/json")
    assert out == whole
    assert counter.counts == ref.counts == _expected_counts(events)
    assert len([line for line in whole.split(b"\n") if line.strip()]) == len(events)


@given(
    st.binary(max_size=200),
    st.lists(st.integers(0, 200), max_size=5),
    st.sampled_from([None, "text/event-stream", "application/json"]),
)
def test_any_bytes_never_crash_and_split_does_not_matter(body, cuts, content_type):
    cuts = [min(c, len(body)) for c in cuts]
    whole, ref = run(body, [], content_type)
    out, counter = run(body, cuts, content_type)
    assert counter.counts == ref.counts
    assert out == whole


# -- early ends: continuous usage, delivered pieces, usage kept from the caller -------------


def vllm_chunk(i: int, content: str, usage: dict | None, *, choices: int = 1) -> bytes:
    """A chunk as vLLM writes it: compact, keys in its order, `usage` last."""
    obj = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [
            {"index": k, "delta": {"content": content}, "logprobs": None, "finish_reason": None}
            for k in range(choices)
        ],
    }
    if usage is not None:
        obj["usage"] = usage
    return b"data: " + json.dumps(obj, separators=(",", ":")).encode() + b"\n\n"


def running(prompt: int, completion: int) -> dict:
    return {
        "prompt_tokens": prompt,
        "total_tokens": prompt + completion,
        "completion_tokens": completion,
    }


def continuous_stream(n: int) -> list[bytes]:
    events = [vllm_chunk(0, "", running(7, 0))]  # the role chunk: nothing delivered yet
    events += [vllm_chunk(i, f" t{i}", running(7, i + 1)) for i in range(n)]
    final = {"id": "chatcmpl-1", "choices": [], "usage": running(7, n)}
    events.append(b"data: " + json.dumps(final, separators=(",", ":")).encode() + b"\n\n")
    events.append(b"data: [DONE]\n\n")
    return events


def test_continuous_usage_is_billed_when_the_stream_ends_before_its_final_usage():
    counter = UsageCounter("text/event-stream", costs, strip_running_usage=True)
    events = continuous_stream(10)
    for event in events[:5]:  # the role chunk and 4 tokens, then the caller leaves
        counter.feed(event)
    assert not counter.final_seen
    assert counter.billable == UsageCounts(prompt=7, completion=4)


def test_running_usage_is_kept_from_the_caller_and_the_chunks_keep_their_bytes():
    events = continuous_stream(3)
    counter = UsageCounter("text/event-stream", costs, strip_running_usage=True)
    out = [counter.feed(event) for event in events] + [counter.finish()]
    # every token chunk is vLLM's own bytes less its usage member
    for sent, got in zip(events[:4], out[:4], strict=True):
        assert got == sent.replace(b',"usage":' + sent.split(b',"usage":')[1][:-3], b"")
        assert b"usage" not in got
    assert [json.loads(e[6:]) for e in out[1:4]] == [
        {k: v for k, v in json.loads(e[6:]).items() if k != "usage"} for e in events[1:4]
    ]
    final = json.loads(out[4][6:])
    assert final["usage"]["total_cost"] == 100 and final["choices"] == []
    assert out[5] == b"data: [DONE]\n\n"
    assert counter.final_seen and counter.billable == counter.counts == UsageCounts(7, 0, 3, 0)


def test_running_usage_not_last_is_removed_by_reserialising():
    counter = UsageCounter("text/event-stream", None, strip_running_usage=True)
    line = b'data: {"usage":{"completion_tokens":2},"choices":[{"delta":{"content":"x"}}]}\n'
    assert counter.feed(line) == b'data: {"choices":[{"delta":{"content":"x"}}]}\n'
    assert counter.billable.completion == 2


def test_without_stripping_running_usage_passes_with_costs():
    counter = UsageCounter("text/event-stream", costs)
    out = counter.feed(vllm_chunk(0, "a", running(2, 1)))
    assert json.loads(out[6:])["usage"]["total_cost"] == 30


def test_no_usage_at_all_bills_the_pieces_delivered():
    """A server that reports no usage in a stream: one completion token per choice delta
    that delivered something (the role chunk and an empty finish delta deliver nothing)."""
    counter = UsageCounter("text/event-stream", costs, strip_running_usage=True)
    counter.feed(vllm_chunk(0, "", None))
    for i in range(6):
        counter.feed(vllm_chunk(i, "w", None, choices=2))
    counter.feed(b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n')
    counter.feed(b'data: {"choices":[{"index":0,"text":"completion text"}]}\n\n')
    tools = {"choices": [{"delta": {"tool_calls": [{"index": 0}]}}]}
    counter.feed(b"data: " + json.dumps(tools).encode() + b"\n\n")
    reasoning = {"choices": [{"delta": {"reasoning_content": "hm"}}]}
    counter.feed(b"data: " + json.dumps(reasoning).encode() + b"\n\n")
    counter.feed(b"data: [DONE]\n\n")
    assert not counter.usage_seen
    assert counter.pieces == 15
    assert counter.billable == UsageCounts(completion=15)


def test_running_usage_per_choice_bills_at_least_the_pieces():
    # vLLM counts each choice's own tokens in continuous usage: with n=2 the latest figure
    # is one choice's, the pieces delivered say more.
    counter = UsageCounter("text/event-stream", None, strip_running_usage=True)
    for i in range(3):
        counter.feed(vllm_chunk(i, "w", running(5, i + 1), choices=2))
    assert counter.counts.completion == 3
    assert counter.billable == UsageCounts(prompt=5, completion=6)


def test_final_usage_is_billed_as_reported():
    body = sse_stream(5)  # 5 pieces, final usage says 5
    _, counter = run(body, [7], "text/event-stream")
    assert counter.final_seen  # the pieces no longer count: billed as the server reported
    assert counter.billable == counter.counts == UsageCounts(prompt=7, completion=5)
    lying = body.replace(b'"completion_tokens": 5', b'"completion_tokens": 2')
    _, counter = run(lying, [], "text/event-stream")
    assert counter.billable.completion == 2  # the server's final word, as the reference


def test_json_answer_is_final():
    _, counter = run(ANSWER, [3], "application/json")
    assert counter.final_seen and counter.billable == counter.counts


@settings(max_examples=100)
@given(st.integers(0, 12), st.lists(st.integers(0, 3000), max_size=6), st.booleans())
def test_continuous_stream_any_split_same_output_and_billing(stop, cuts, strip):
    events = continuous_stream(10)[: stop + 1]
    body = b"".join(events)
    cuts = [min(c, len(body)) for c in cuts]
    whole, ref = run(body, [], "text/event-stream")
    counter = UsageCounter("text/event-stream", costs, strip_running_usage=strip)
    last, out = 0, []
    for cut in [*sorted(cuts), len(body)]:
        out.append(counter.feed(body[last:cut]))
        last = cut
    out.append(counter.finish())
    if not strip:
        assert b"".join(out) == whole
    assert counter.billable == ref.billable
    assert counter.billable.completion == min(stop, 10)


def test_a_usage_key_spelt_with_an_escape_is_never_cut_blindly():
    counter = UsageCounter("text/event-stream", None, strip_running_usage=True)
    line = (
        b'data: {"a":{"b":1,"usage":1},"choices":[{"text":"x"}],'
        b'"\\u0075sage":{"completion_tokens":4}}\n'
    )
    out = counter.feed(line)
    assert json.loads(out[6:]) == {"a": {"b": 1, "usage": 1}, "choices": [{"text": "x"}]}
    assert counter.billable.completion == 4


# -- many lines in one read: the same as line by line ------------------------------------------------

_LINE_KINDS = st.sampled_from(
    [
        "piece",  # one choice delivering a token
        "two",  # two choices delivering (parsed, per choice)
        "empty",  # the role chunk: nothing delivered
        "running",  # a token with continuous usage
        "escaped",  # a token whose text has a \\u escape
        "event",  # an SSE `event:` line that mentions "content"
        "comment",
        "tool",  # a tool-call delta
        "final",  # the final usage
        "done",
    ]
)


def _line(kind: str, i: int) -> bytes:
    if kind == "piece":
        return vllm_chunk(i, f" t{i}", None)
    if kind == "two":
        return vllm_chunk(i, "w", None, choices=2)
    if kind == "empty":
        return vllm_chunk(i, "", None)
    if kind == "running":
        return vllm_chunk(i, f" r{i}", running(3, i + 1))
    if kind == "escaped":
        return vllm_chunk(i, "é\u2028", None)[:-2].replace(b"\xc3\xa9", b"\\u00e9") + b"\n\n"
    if kind == "event":
        return b'event: {"content": "x"}\n'
    if kind == "comment":
        return b": keep-alive\n\n"
    if kind == "tool":
        delta = {"tool_calls": [{"index": 0, "function": {"arguments": "{}"}}]}
        obj = {"choices": [{"index": 0, "delta": delta}]}
        return b"data: " + json.dumps(obj).encode() + b"\n\n"
    if kind == "final":
        obj = {"choices": [], "usage": running(3, i)}
        return b"data: " + json.dumps(obj).encode() + b"\n\n"
    return b"data: [DONE]\n\n"


@settings(max_examples=200, deadline=None)
@given(st.lists(_LINE_KINDS, max_size=40), st.booleans())
def test_a_stream_read_at_once_counts_and_reads_as_line_by_line(kinds, strip):
    """A read that brings many lines is searched for usage as a whole, and its pieces are
    counted afterwards (or not at all once the final usage is in it): the output and what is
    billed are those of reading one line at a time."""
    lines = [_line(kind, i) for i, kind in enumerate(kinds)]
    whole = UsageCounter("text/event-stream", costs, strip_running_usage=strip)
    out_whole = whole.feed(b"".join(lines)) + whole.finish()
    single = UsageCounter("text/event-stream", costs, strip_running_usage=strip)
    out_single = b"".join(single.feed(line) for line in lines) + single.finish()
    assert out_whole == out_single
    assert (whole.billable, whole.counts, whole.final_seen, whole.usage_seen) == (
        single.billable,
        single.counts,
        single.final_seen,
        single.usage_seen,
    )
    if not single.final_seen:  # after the final usage, pieces no longer matter (nor count)
        assert whole.pieces == single.pieces


def test_a_read_of_many_lines_counts_each_kind_of_piece():
    body = b"".join(
        [
            vllm_chunk(0, "", None),  # nothing delivered
            vllm_chunk(1, "a", None),
            vllm_chunk(2, "b", None, choices=2),  # two pieces on one line
            b'event: {"content": "x"}\n',  # not data: not counted
            _line("tool", 3),
            vllm_chunk(4, "c", None),
        ]
    )
    counter = UsageCounter("text/event-stream", costs)
    assert counter.feed(body) == body
    assert counter.pieces == 5
