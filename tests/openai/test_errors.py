"""OpenAI-shaped error answers and the status mapping of spec 40 §2.6.3."""

from __future__ import annotations

import json

import pytest

from cocoon.openai.errors import (
    caused_by_request,
    error_body,
    error_response,
    shown,
    wrap_upstream_error,
)
from cocoon.openai.validation import (
    CLIENT_ERROR_PREFIX,
    WORKER_ERROR_PREFIX,
    InvalidRequestError,
    validate_request,
)


@pytest.mark.parametrize(
    ("code", "message", "status", "slug", "param", "retry"),
    [
        (
            621,
            "failed to parse request: field 'timeout' must be a number",
            400,
            "invalid_request",
            "timeout",
            False,
        ),
        (621, "failed to parse request: expected json object", 400, "invalid_request", None, False),
        (
            621,
            "worker: invalid http request: unknown option 'tools' in request",
            400,
            "invalid_request",
            "tools",
            False,
        ),
        (
            621,
            "worker: invalid http request: unknown option 'x' in stream_options",
            400,
            "invalid_request",
            "stream_options.x",
            False,
        ),
        (
            621,
            "worker: invalid http request: temperature must be a number",
            400,
            "invalid_request",
            "temperature",
            False,
        ),
        (
            621,
            "worker: invalid http request: missing required field 'messages'",
            400,
            "invalid_request",
            "messages",
            False,
        ),
        (
            621,
            "worker: invalid http request: model name mismatch",
            400,
            "invalid_request",
            "model",
            False,
        ),
        (621, "unknown model Foo/Bar", 404, "model_not_found", "model", False),
        (651, "no workers for model Qwen/Qwen3-8B", 503, "no_workers", "model", True),
        (651, "no ready workers for modelQwen/Qwen3-8B", 503, "no_workers", "model", True),
        (
            651,
            "can run this query with coefficient=2500",
            503,
            "max_coefficient_too_low",
            "max_coefficient",
            True,
        ),
        (
            602,
            "client balance is too low: max_tokens=1 tokens_payed=2 tokens_used=3 tokens_reserved=4 tokens_stake=5",
            402,
            "insufficient_quota",
            None,
            False,
        ),
        (651, "balance is too low", 402, "insufficient_quota", None, False),
        (602, "client balance is too low: to_reserve=10", 402, "insufficient_quota", None, False),
        (651, "client is closing", 503, "client_closing", None, False),
        (651, "proxy is disabled", 503, "proxy_disabled", None, False),
        (651, "no working proxy connections", 503, "no_proxy", None, True),
        (651, "no working proxy connections (2)", 503, "no_proxy", None, True),
        # Over capacity is the service's state (OpenAI: 503 overloaded); 429 is a limit on
        # the caller.
        (602, "too many active queries", 503, "server_overloaded", None, True),
        (
            651,
            "too many running requests for this client (limit 8)",
            429,
            "rate_limit_exceeded",
            None,
            True,
        ),
        (652, "timeout in proxy", 504, "timeout", None, False),
        (652, "worker: timeout", 504, "timeout", None, False),
        (652, "worker: http failed: deadline", 504, "timeout", None, False),
        (602, "worker: http failed: connection refused", 502, "upstream_error", None, False),
        (602, "connection is dead", 502, "upstream_error", None, False),
        (621, "out of order answer parts", 502, "upstream_error", None, False),
        (602, "active config version is too low", 502, "upstream_error", None, False),
    ],
)
def test_mapping(code, message, status, slug, param, retry):
    answer = error_response(code, message)
    assert answer.status == status
    body = json.loads(answer.body)
    assert body == {
        "error": {"message": message, "type": body["error"]["type"], "code": slug, "param": param},
        "error_code": code,
    }
    headers = dict(answer.headers)
    assert headers["Content-Type"] == "application/json"
    assert ("Retry-After" in headers) is retry


def test_types():
    assert json.loads(error_response(621, "unknown model x").body)["error"]["type"] == (
        "invalid_request_error"
    )
    assert json.loads(error_response(651, "balance is too low").body)["error"]["type"] == (
        "insufficient_quota"
    )
    assert json.loads(error_response(602, "too many active queries").body)["error"]["type"] == (
        "server_error"
    )
    limited = error_response(651, "too many running requests for this client (limit 1)")
    assert json.loads(limited.body)["error"]["type"] == "rate_limit_error"
    assert json.loads(error_response(652, "x").body)["error"]["type"] == "server_error"


def test_local_failures_are_500_and_reason_and_retry_after():
    answer = error_response(602, "something broke here", local=True)
    assert (answer.status, answer.reason) == (500, "Internal Server Error")
    answer = error_response(651, "no workers for model m", retry_after=7)
    assert dict(answer.headers)["Retry-After"] == "7" and answer.reason == "Service Unavailable"


def test_invalid_request_error_round_trip():
    with pytest.raises(InvalidRequestError) as info:
        validate_request("/v1/chat/completions", b'{"model":"m","messages":[],"max_tokens":-1}')
    err = info.value
    for prefix in (CLIENT_ERROR_PREFIX, WORKER_ERROR_PREFIX):
        answer = error_response(err.code, prefix + err.message, param=err.param)
        body = json.loads(answer.body)
        assert answer.status == 400 and body["error"]["param"] == "max_tokens"
        assert body["error"]["message"].endswith("max_completion_tokens must be non-negative")


def test_error_body_is_compact_utf8():
    body = error_body("é", type="t", code=None, param=None, error_code=0)
    assert (
        body
        == '{"error":{"message":"é","type":"t","code":null,"param":null},"error_code":0}'.encode()
    )


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (
            400,
            b'{"object":"error","message":"n must be at most 16","type":"BadRequestError",'
            b'"param":null,"code":400}',
            {
                "message": "n must be at most 16",
                "type": "invalid_request_error",
                "param": None,
                "code": None,
            },
        ),
        (
            422,
            b'{"detail":[{"loc":["body","messages"],"msg":"too short"}]}',
            {
                "message": '[{"loc":["body","messages"],"msg":"too short"}]',
                "type": "invalid_request_error",
                "param": None,
                "code": None,
            },
        ),
        (
            500,
            b"Internal Server Error",
            {
                "message": "Internal Server Error",
                "type": "server_error",
                "param": None,
                "code": None,
            },
        ),
        (
            429,
            b'{"object":"error","message":"busy","type":"x","param":"n","code":"slow_down"}',
            {"message": "busy", "type": "rate_limit_error", "param": "n", "code": "slow_down"},
        ),
        (
            401,
            b"",
            {
                "message": "the inference server answered 401",
                "type": "authentication_error",
                "param": None,
                "code": None,
            },
        ),
    ],
)
def test_inference_server_errors_get_openais_shape(status, body, error):
    assert json.loads(wrap_upstream_error(status, body)) == {"error": error}


def test_an_openai_shaped_error_is_left_as_it_is():
    body = b'{"error":{"message":"m","type":"invalid_request_error","param":null,"code":null}}'
    assert wrap_upstream_error(400, body) is None


def test_newer_vllms_nested_error_gets_openais_type_and_code():
    body = (
        b'{"error":{"message":"too long","type":"BadRequestError","param":"messages","code":400}}'
    )
    assert json.loads(wrap_upstream_error(400, body)) == {
        "error": {
            "message": "too long",
            "type": "invalid_request_error",
            "param": "messages",
            "code": None,
        }
    }


def test_echoed_text_is_bounded_and_bidi_controls_escaped():
    assert shown("abc") == "abc"
    assert shown("x" * 1_000_000) == "x" * 64 + "..."
    assert shown("evil\u202etxt.exe\n") == "evil\\u202etxt.exe\\u000a"
    assert shown("caf\u00e9 \u4e2d") == "caf\u00e9 \u4e2d"  # letters stay as they are
    answer = error_response(621, "unknown model " + "m" * 1_000_000)
    assert len(answer.body) < 3000
    answer = error_response(621, "unknown model a\u202eb")
    message = json.loads(answer.body)["error"]["message"]
    assert message == "unknown model a\\u202eb" and "\u202e".encode() not in answer.body


@pytest.mark.parametrize(
    ("code", "message", "fault"),
    [
        (652, "worker: timeout", True),
        (652, "timeout in proxy", True),
        (653, "cancelled", True),
        (621, "worker: invalid http request: header 'x-note' cannot be sent", True),
        (621, "worker: invalid http request: JSON nested deeper than 128 levels", True),
        (621, "worker: invalid http request: model name mismatch", True),
        (601, "worker: http failed: cannot connect to the inference server", False),
        (602, "worker: internal error", False),
        (602, "too many active queries", False),
        (621, "out of order answer parts", False),
    ],
)
def test_which_failures_the_request_caused(code, message, fault):
    assert caused_by_request(code, message) is fault
