"""Worker validation (spec 40 §2.4) and the client pre-parse (§2.3 step 3)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cocoon.openai import validation as v
from cocoon.openai.validation import InvalidRequestError

CHAT = "/v1/chat/completions"
COMPL = "/v1/completions"
MODEL = "Qwen/Qwen3-8B"


def chat(**fields) -> bytes:
    body = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}], **fields}
    return json.dumps(body).encode()


def compl(**fields) -> bytes:
    return json.dumps({"model": MODEL, "prompt": "hi", **fields}).encode()


def reject(url: str, body: bytes, **kw) -> InvalidRequestError:
    with pytest.raises(InvalidRequestError) as info:
        v.validate_request(url, body, **kw)
    assert info.value.code == 621
    return info.value


@pytest.mark.parametrize(
    "url",
    ["/v1/models", "/v1/chat/completions?x=1", "/v1/chat/completions/", "http://h/v1/completions"],
)
def test_path_must_be_one_of_two(url):
    assert reject(url, chat()).message == "unsupported method"


@pytest.mark.parametrize("url", ["/v1/chat/completions", "abc/v1/chat/completions"])
def test_anything_before_the_first_slash_is_dropped(url):
    assert v.validate_request(url, chat()).path == CHAT


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"[]",
        b'"x"',
        b"{",
        b"\xff{}",
        b'{"a": NaN}',
        b"{} {}",
        b'{"model":"m","messages":["\\ud800"]}',
    ],
)
def test_body_must_be_a_json_object(body):
    assert reject(CHAT, body).message == "expected json object"


def test_rewrite_stream_true_adds_include_usage_and_sorts_compactly():
    got = v.validate_request(CHAT, chat(stream=True, max_tokens=5), model=MODEL)
    assert got.body == (
        b'{"max_tokens":5,"messages":[{"content":"hi","role":"user"}],"model":"Qwen/Qwen3-8B",'
        b'"stream":true,"stream_options":{"include_usage":true}}'
    )
    assert got.stream and got.model == MODEL and got.max_tokens == 5


def test_rewrite_stream_options_forces_include_usage_and_stream():
    got = v.validate_request(COMPL, compl(stream_options={"include_usage": False}))
    assert json.loads(got.body)["stream"] is True
    assert json.loads(got.body)["stream_options"] == {"include_usage": True}
    # an explicit stream:false stays (the inference server rejects the combination itself)
    got = v.validate_request(CHAT, chat(stream=False, stream_options={}))
    body = json.loads(got.body)
    assert body["stream"] is False and body["stream_options"] == {"include_usage": True}
    assert not got.stream


def test_no_stream_no_rewrite_and_non_ascii_kept_as_utf8():
    got = v.validate_request(CHAT, chat(temperature=0.5, stop=["é"]))
    assert "stream" not in json.loads(got.body)
    assert "é".encode() in got.body and not got.stream and got.max_tokens is None


def test_model_must_match_the_worker():
    err = reject(CHAT, chat(), model="other")
    assert (err.message, err.param) == ("model name mismatch", "model")


@pytest.mark.parametrize(
    ("fields", "message", "param"),
    [
        ({"messages": {}}, "messages must be an array", "messages"),
        ({"model": 1}, "model must be a string", "model"),
        ({"frequency_penalty": "1"}, "frequency_penalty must be a number", "frequency_penalty"),
        ({"frequency_penalty": 2.5}, "frequency_penalty must be between -2.0 and 2.0", None),
        ({"frequency_penalty": True}, "frequency_penalty must be a number", None),
        ({"max_tokens": 1.0}, "max_completion_tokens must be a number", "max_tokens"),
        ({"max_tokens": -1}, "max_completion_tokens must be non-negative", "max_tokens"),
        ({"max_tokens": 2**63}, "max_completion_tokens must be non-negative", None),
        ({"max_tokens": 2**64}, "max_completion_tokens must be a number", None),
        ({"max_completion_tokens": "5"}, "max_completion_tokens must be a number", None),
        ({"n": 0}, "n must be positive", "n"),
        ({"n": 1.5}, "n must be a number", "n"),
        ({"parallel_tool_calls": 1}, "parallel_tool_calls must be a boolean", None),
        ({"prediction": {"type": "content"}}, "prediction must be a boolean", "prediction"),
        ({"presence_penalty": None}, "presence_penalty must be a number", None),
        ({"reasoning_effort": 1}, "reasoning_effort must be a string", None),
        ({"stream": "yes"}, "stream must be a boolean", "stream"),
        ({"stream_options": []}, "stream_options must be an object", "stream_options"),
        ({"stream_options": {"x": 1}}, "unknown option 'x' in stream_options", None),
        (
            {"stream_options": {"include_obfuscation": 1}},
            "stream_options.include_obfuscation must be a boolean",
            "stream_options.include_obfuscation",
        ),
        ({"temperature": "hot"}, "temperature must be a number", None),
        ({"top_logprobs": -1}, "top_logprobs must be a number", None),
        ({"top_p": []}, "top_p must be a number", None),
        ({"verbosity": 3}, "verbosity must be a string", None),
        ({"chat_template_kwargs": 1}, "chat_template_kwargs must be an object", None),
        (
            {"chat_template_kwargs": {"enable_thinking": "no"}},
            "chat_template_kwargs.enable_thinking must be a boolean",
            None,
        ),
        (
            {"chat_template_kwargs": {"thinking": True}},
            "unknown suboption 'thinking' in chat_template_kwargs in request",
            "chat_template_kwargs.thinking",
        ),
        ({"tools": []}, "unknown option 'tools' in request", "tools"),
        ({"logprobs": True}, "unknown option 'logprobs' in request", None),
        ({"user": "u"}, "unknown option 'user' in request", None),
        ({"top_k": 5}, "unknown option 'top_k' in request", None),
    ],
)
def test_chat_compat_rules(fields, message, param):
    err = reject(CHAT, chat(**fields))
    assert err.message == message
    if param is not None:
        assert err.param == param


@pytest.mark.parametrize(
    "fields",
    [
        {"frequency_penalty": -2, "presence_penalty": 3, "temperature": 0, "top_p": 1},
        {"max_tokens": 0, "max_completion_tokens": 2**63 - 1, "n": 2},
        {"parallel_tool_calls": False, "prediction": 1.5, "reasoning_effort": "low"},
        {"response_format": 42, "stop": {"any": "thing"}, "top_logprobs": 0, "verbosity": "x"},
        {"stream_options": {"include_obfuscation": True, "include_usage": "ignored"}},
        {"chat_template_kwargs": {"enable_thinking": False}},
        {"messages": [{"role": "user", "content": [{"type": "image_url"}]}]},
    ],
)
def test_chat_compat_accepts(fields):
    v.validate_request(CHAT, chat(**fields), model=MODEL)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"prompt": 5}, "prompt must be an array or a string"),
        ({"best_of": -1}, "best_of must be a number"),
        ({"echo": 0}, "echo must be a boolean"),
        ({"max_completion_tokens": 5}, "unknown option 'max_completion_tokens' in request"),
        ({"presence_penalty": "x"}, "presence_penalty must be a boolean"),
        ({"seed": 1.5}, "seed must be an integer"),
        ({"skip_special_tokens": 1}, "skip_special_tokens must be a number"),
        ({"suffix": "tail"}, "suffix must be a boolean"),
        ({"logprobs": 2}, "unknown option 'logprobs' in request"),
        ({"messages": []}, "unknown option 'messages' in request"),
    ],
)
def test_completions_compat_rules(fields, message):
    assert reject(COMPL, compl(**fields)).message == message


def test_completions_compat_accepts():
    body = compl(
        prompt=["a", "b"], best_of=2, echo=True, seed=-3, suffix=True, skip_special_tokens=False
    )
    v.validate_request(COMPL, body, model=MODEL)


def test_required_fields_are_checked_after_all_keys():
    assert reject(CHAT, b'{"model":"m"}').message == "missing required field 'messages'"
    assert reject(CHAT, b'{"messages":[]}').message == "missing required field 'model'"
    assert reject(COMPL, b'{"model":"m"}').message == "missing required field 'prompt'"
    # an unknown key is reported before a missing one
    assert reject(CHAT, b'{"zz":1}').message == "unknown option 'zz' in request"


def test_first_fault_in_sorted_key_order():
    body = b'{"zeta":1,"alpha":2,"model":"m","messages":[]}'
    assert reject(CHAT, body).message == "unknown option 'alpha' in request"
    body = chat(temperature="x", n=0)
    assert reject(CHAT, body).message == "n must be positive"


def test_duplicate_keys_collapse_to_the_last():
    body = b'{"model":1,"model":"m","messages":[]}'
    assert v.validate_request(CHAT, body).model == "m"


def test_max_tokens_reported_with_reference_precedence():
    got = v.validate_request(CHAT, chat(max_tokens=3, max_completion_tokens=9))
    assert got.max_tokens == 3
    assert v.validate_request(CHAT, chat(max_completion_tokens=9)).max_tokens == 9


# -- extended profile ------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"tools": [{"type": "function", "function": {"name": "f"}}], "tool_choice": "auto"},
        {"tool_choice": {"type": "function", "function": {"name": "f"}}},
        {"seed": 7, "logprobs": True, "top_logprobs": 3, "user": "u"},
        {"top_k": 20, "min_p": 0.1, "repetition_penalty": 1.1},
        {"response_format": {"type": "json_schema", "json_schema": {"name": "x"}}},
        {"prediction": {"type": "content", "content": "abc"}},
        {"temperature": None, "stop": None, "stream_options": None},
    ],
)
def test_chat_extended_accepts(fields):
    v.validate_request(CHAT, chat(**fields), model=MODEL, profile=v.EXTENDED)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"prediction": 1}, "prediction must be an object"),
        ({"tools": {}}, "tools must be an array"),
        ({"tool_choice": 1}, "tool_choice must be a string or an object"),
        ({"top_k": 1.5}, "top_k must be an integer"),
        ({"audio": {}}, "unknown option 'audio' in request"),
        ({"messages": None}, "messages must be an array"),
    ],
)
def test_chat_extended_rejects(fields, message):
    assert reject(CHAT, chat(**fields), profile=v.EXTENDED).message == message


def test_completions_extended_fixes_types():
    body = compl(suffix="tail", logprobs=2, user="u", top_k=3, response_format={"type": "text"})
    v.validate_request(COMPL, body, profile=v.EXTENDED)
    assert reject(COMPL, compl(suffix=True), profile=v.EXTENDED).message == (
        "suffix must be a string"
    )
    assert reject(COMPL, compl(presence_penalty="x"), profile=v.EXTENDED).message == (
        "presence_penalty must be a number"
    )


def test_extended_null_stream_counts_as_absent():
    got = v.validate_request(
        CHAT, chat(stream=None, stream_options={}), profile=v.EXTENDED, model=MODEL
    )
    assert got.stream and json.loads(got.body)["stream"] is True


def test_extended_accepts_everything_compat_accepts_except_the_two_bugs():
    for url, table, ext in (
        (CHAT, v._CHAT_COMPAT, v._CHAT_EXTENDED),
        (COMPL, v._COMPLETIONS_COMPAT, v._COMPLETIONS_EXTENDED),
    ):
        assert set(table) <= set(ext), url


# -- property: nothing but InvalidRequestError, and the output is canonical --------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=4),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["include_usage", "enable_thinking", "a"]), inner)
    ),
    max_leaves=5,
)
keys = st.sampled_from(
    [*v._CHAT_EXTENDED, *v._COMPLETIONS_EXTENDED, "stream_options", "x", "model"]
)


@given(
    st.sampled_from([CHAT, COMPL]),
    st.dictionaries(keys, json_values, max_size=6),
    st.sampled_from(v.PROFILES),
)
def test_any_object_is_accepted_or_rejected_cleanly(url, obj, profile):
    body = json.dumps(obj).encode()
    try:
        got = v.validate_request(url, body, profile=profile)
    except InvalidRequestError as err:
        assert err.message
        return
    again = json.loads(got.body)
    assert (
        got.body
        == json.dumps(again, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    )
    if again.get("stream") is True:
        assert again["stream_options"]["include_usage"] is True
    # validation is idempotent: the rewritten body validates to itself
    assert v.validate_request(url, got.body, profile=profile).body == got.body


@given(st.binary(max_size=64))
def test_any_bytes_are_accepted_or_rejected_cleanly(body):
    try:
        v.validate_request(CHAT, body)
    except InvalidRequestError:
        pass


# -- client pre-parse ------------------------------------------------------------------


def test_client_defaults_and_removed_fields():
    got = v.parse_client_request(chat(max_coefficient=1500, timeout=3, enable_debug=True))
    o = got.options
    assert (o.model, o.max_tokens, o.max_coefficient, o.timeout) == (MODEL, 1000, 1500, 3.0)
    assert o.enable_debug and o.request_guid is None and o.debug_key is None
    assert set(json.loads(got.body)) == {"model", "messages"}
    plain = v.parse_client_request(chat()).options
    assert (plain.max_coefficient, plain.timeout, plain.enable_debug) == (4000, 120.0, False)


def test_client_max_completion_tokens_overrides_and_deletes_max_tokens():
    got = v.parse_client_request(chat(max_tokens=5, max_completion_tokens=7, request_guid="g"))
    assert got.options.max_tokens == 7
    body = json.loads(got.body)
    assert body["max_completion_tokens"] == 7 and "max_tokens" not in body
    assert "request_guid" not in body
    import hashlib

    assert got.options.debug_key == hashlib.sha256(b"g").digest()


def test_client_keeps_max_tokens_and_injects_only_when_asked():
    assert json.loads(v.parse_client_request(chat(max_tokens=5)).body)["max_tokens"] == 5
    assert "max_tokens" not in json.loads(v.parse_client_request(chat()).body)
    got = v.parse_client_request(chat(), default_max_tokens=64, inject_default_max_tokens=True)
    assert json.loads(got.body)["max_tokens"] == 64 and got.options.max_tokens == 64


def test_client_large_coefficient_saturates_at_int32():
    got = v.parse_client_request(chat(max_tokens=2**31 - 1, max_coefficient=2**40))
    assert got.options.max_tokens == got.options.max_coefficient == 2**31 - 1


@pytest.mark.parametrize("name", ["max_tokens", "max_completion_tokens"])
@pytest.mark.parametrize("value", [2**31, 2**63, 2**64 - 1])
def test_client_refuses_token_limits_beyond_int32_as_openai_does(name, value):
    # 2**63 used to reach the reference's check, which reads it as negative ("max_completion_
    # tokens must be non-negative"); OpenAI's text names the bound instead.
    with pytest.raises(InvalidRequestError) as info:
        v.parse_client_request(chat(**{name: value}))
    e = info.value
    assert e.message == (
        f"Invalid '{name}': integer above maximum value. Expected a value <= 2147483647, "
        f"but got {value} instead."
    )
    assert (e.param, e.slug) == (name, "integer_above_max_value")


@pytest.mark.parametrize(
    ("body", "message", "param"),
    [
        (b"[1]", "expected json object", None),
        (b"nope", "expected json object", None),
        (b'{"messages":[]}', "missing field 'model'", "model"),
        (b'{"model":5}', "missing field 'model'", "model"),
        (chat(max_tokens=-1), "field 'max_tokens' must be positive integer", "max_tokens"),
        (chat(max_tokens=1.0), "field 'max_tokens' must be positive integer", "max_tokens"),
        (chat(max_tokens="5"), "field 'max_tokens' must be positive integer", "max_tokens"),
        (
            chat(max_completion_tokens=-5),
            "field 'max_completion_tokens' must be positive integer",
            "max_completion_tokens",
        ),
        (
            chat(max_coefficient=1.5),
            "field 'max_coefficient' must be non-negative integer",
            "max_coefficient",
        ),
        (chat(timeout="1"), "field 'timeout' must be a number", "timeout"),
        (chat(timeout=True), "field 'timeout' must be a number", "timeout"),
        (chat(enable_debug=1), "field 'enable_debug' must be a boolean", "enable_debug"),
        (chat(request_guid=1), "field 'request_guid' must be a string", "request_guid"),
    ],
)
def test_client_rejections(body, message, param):
    with pytest.raises(InvalidRequestError) as info:
        v.parse_client_request(body)
    assert (info.value.message, info.value.param) == (message, param)


def test_client_checks_in_reference_order():
    # max_tokens is checked before timeout, whatever the key order in the body
    body = b'{"timeout":"x","model":"m","max_tokens":-1}'
    with pytest.raises(InvalidRequestError, match="max_tokens"):
        v.parse_client_request(body)


def test_client_timeout_must_be_a_finite_positive_number():
    assert v.parse_client_request(chat(timeout=1e-6)).options.timeout == 1e-6
    assert v.parse_client_request(chat(timeout=3)).options.timeout == 3.0
    for value, slug in (
        (-1, "decimal_below_min_value"),
        (0, "decimal_below_min_value"),
        (-2.5, "decimal_below_min_value"),
        (10**400, "decimal_above_max_value"),
    ):
        with pytest.raises(InvalidRequestError) as info:
            v.parse_client_request(chat(timeout=value))
        assert (info.value.param, info.value.slug) == ("timeout", slug)
    with pytest.raises(InvalidRequestError) as info:
        v.parse_client_request(chat(timeout=-1))
    assert info.value.message == (
        "Invalid 'timeout': decimal below minimum value. Expected a value > 0, but got -1 instead."
    )


@pytest.mark.parametrize(
    ("fields", "message", "param", "slug"),
    [
        (
            {"top_p": -5},
            "Invalid 'top_p': decimal below minimum value. Expected a value >= 0, but got -5 "
            "instead.",
            "top_p",
            "decimal_below_min_value",
        ),
        (
            {"top_p": 1.5},
            "Invalid 'top_p': decimal above maximum value. Expected a value <= 1, but got 1.5 "
            "instead.",
            "top_p",
            "decimal_above_max_value",
        ),
        (
            {"temperature": 2.5},
            "Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got "
            "2.5 instead.",
            "temperature",
            "decimal_above_max_value",
        ),
        (
            {"n": 129},
            "Invalid 'n': integer above maximum value. Expected a value <= 128, but got 129 "
            "instead.",
            "n",
            "integer_above_max_value",
        ),
        (
            {"top_logprobs": 21},
            "Invalid 'top_logprobs': integer above maximum value. Expected a value <= 20, but "
            "got 21 instead.",
            "top_logprobs",
            "integer_above_max_value",
        ),
        (
            {"messages": []},
            "Invalid 'messages': empty array. Expected an array with minimum length 1, but got "
            "an empty array instead.",
            "messages",
            "empty_array",
        ),
    ],
)
def test_openai_ranges(fields, message, param, slug):
    obj = json.loads(chat(**fields))
    v.check_request(CHAT, obj)  # the reference checks types only: all of these pass
    with pytest.raises(InvalidRequestError) as info:
        v.check_ranges(CHAT, obj)
    assert (info.value.message, info.value.param, info.value.slug) == (message, param, slug)


def test_openai_ranges_accept_the_bounds_and_leave_types_to_the_reference_checks():
    ok = {"top_p": 0, "temperature": 2, "n": 1, "top_logprobs": 0, "logprobs": True}
    v.check_ranges(CHAT, json.loads(chat(**ok)))
    v.check_ranges(CHAT, json.loads(chat(top_p="x", n=None, temperature=True)))
    v.check_ranges(COMPL, {"model": "m", "prompt": [], "logprobs": 5})
    with pytest.raises(InvalidRequestError, match="'logprobs'"):
        v.check_ranges(COMPL, {"model": "m", "prompt": "a", "logprobs": 6})


@pytest.mark.parametrize(
    "body",
    [
        b'{"model":"m","messages":[],"x":' + b"[" * 200 + b"]" * 200 + b"}",
        b'{"model":"m","messages":[],"x":' + b"[" * 5000 + b"]" * 5000 + b"}",
        b'{"model":"m","messages":[],"x":' + b'{"a":' * 130 + b"1" + b"}" * 130 + b"}",
    ],
)
def test_nesting_beyond_the_limit_is_an_invalid_request(body):
    for parse in (v.parse_client_request, lambda b: v.validate_request(CHAT, b)):
        with pytest.raises(InvalidRequestError) as info:
            parse(body)
        assert info.value.message == "JSON nested deeper than 128 levels"


def test_numbers_beyond_double_range_are_refused_not_made_infinite():
    body = (
        b'{"model":"m","messages":[],"response_format":' + b"[" * 100 + b"1e400" + b"]" * 100 + b"}"
    )
    for parse in (
        v.parse_client_request,
        lambda b: v.validate_request(CHAT, b, profile=v.EXTENDED),
    ):
        with pytest.raises(InvalidRequestError) as info:
            parse(body)
        assert info.value.message == "number 1e400 is beyond double range"


def test_echoed_option_names_are_bounded_and_escaped():
    obj = json.loads(chat())
    obj["x" * 10_000 + "\u202e"] = 1
    with pytest.raises(InvalidRequestError) as info:
        v.check_request(CHAT, obj)
    assert info.value.message == "unknown option '" + "x" * 64 + "...' in request"
    obj = {"model": "m", "messages": [], "a\u202eb": 1}
    with pytest.raises(InvalidRequestError) as info:
        v.check_request(CHAT, obj)
    assert info.value.message == "unknown option 'a\\u202eb' in request"


def test_client_parses_once_then_checks_the_same_object():
    obj = v.parse_json_object(chat(max_coefficient=2000, timeout=5, stream=True, top_k=3))
    parsed = v.parse_client_object(obj)
    assert parsed.options.max_coefficient == 2000 and parsed.options.timeout == 5.0
    assert parsed.body == v.parse_client_request(chat(stream=True, top_k=3)).body
    v.check_request(CHAT, obj, profile=v.EXTENDED)  # client-only fields already consumed
    with pytest.raises(InvalidRequestError) as info:
        v.check_request(CHAT, obj, profile=v.COMPAT)
    assert info.value.message == "unknown option 'top_k' in request"
    with pytest.raises(InvalidRequestError):
        v.check_request("/v1/embeddings", obj)
