"""OpenAI-shaped error answers for COCOON failures (spec 40 §2.6.3 [OURS]); sans-IO.

    answer = error_response(651, "no workers for model Qwen/Qwen3-8B")
    # answer.status == 503, answer.headers == (("Content-Type", ...), ("Retry-After", "1"))
    # answer.body == b'{"error":{"message":...,"type":"server_error","code":"no_workers",...}}'

The body keeps the reference's top-level `error_code` (the TON code) for tools that read it;
the reference's top-level string `error` became OpenAI's object. Failures are recognised by the
message texts the reference sends (§2.6.2), so answers from C++ proxies and workers map the
same way as ours. CORS and request-id headers belong to the HTTP layer that sends the answer.

Over capacity: every worker busy (`no ready workers`, a worker's `too many active queries`)
is 503 with `Retry-After`, OpenAI's "server overloaded"; 429 (`rate_limit_error`) is kept
for a limit on the caller itself (the proxy's `max_requests_per_client`). Both are retried by
the OpenAI SDKs. Messages are shown with control and bidi characters escaped and bounded in
length (`shown`), since they may echo what a caller sent.
"""

from __future__ import annotations

import json
import re
import unicodedata
from http import HTTPStatus
from typing import Any

import attrs

from cocoon.openai import _json

ERROR_FAILURE = 601
ERROR_ERROR = 602
ERROR_PROTOVIOLATION = 621
ERROR_NOTREADY = 651
ERROR_TIMEOUT = 652
ERROR_CANCELLED = 653

INVALID_REQUEST = "invalid_request_error"
INSUFFICIENT_QUOTA = "insufficient_quota"
RATE_LIMIT = "rate_limit_error"
SERVER_ERROR = "server_error"
AUTHENTICATION = "authentication_error"
PERMISSION = "permission_error"

ECHO_LIMIT = 64  # characters of a caller's value shown in an error message
MESSAGE_LIMIT = 2048  # characters of any error message

_JSON_HEADER = ("Content-Type", "application/json")


@attrs.frozen
class ErrorResponse:
    """An HTTP answer: status, body and the headers that belong with it."""

    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...]

    @property
    def reason(self) -> str:
        return HTTPStatus(self.status).phrase


@attrs.frozen
class _Rule:
    needle: str  # a substring of the message
    status: int
    type: str
    code: str
    param: str | None = None
    retry: bool = False  # answer with Retry-After


# First match wins: the longer texts come before texts they contain.
_RULES = (
    _Rule("failed to parse request: ", 400, INVALID_REQUEST, "invalid_request"),
    _Rule("model name mismatch", 400, INVALID_REQUEST, "invalid_request", "model"),
    _Rule("worker: invalid http request: ", 400, INVALID_REQUEST, "invalid_request"),
    _Rule("unknown model ", 404, INVALID_REQUEST, "model_not_found", "model"),
    _Rule("no workers for model", 503, SERVER_ERROR, "no_workers", "model", True),
    _Rule("no ready workers for model", 503, SERVER_ERROR, "no_workers", "model", True),
    _Rule(
        "can run this query with coefficient=",
        503,
        SERVER_ERROR,
        "max_coefficient_too_low",
        "max_coefficient",
        True,
    ),
    _Rule("balance is too low", 402, INSUFFICIENT_QUOTA, "insufficient_quota"),
    _Rule("client is closing", 503, SERVER_ERROR, "client_closing"),
    _Rule("proxy is disabled", 503, SERVER_ERROR, "proxy_disabled"),
    _Rule("no working proxy connections", 503, SERVER_ERROR, "no_proxy", None, True),
    _Rule(
        "too many running requests for this client",
        429,
        RATE_LIMIT,
        "rate_limit_exceeded",
        None,
        True,
    ),
    _Rule("too many active queries", 503, SERVER_ERROR, "server_overloaded", None, True),
)

# A failure the request itself caused (its input, or its own deadline): it says nothing
# about the worker that reported it, so it must never count against that worker.
_REQUEST_FAULTS = (
    "failed to parse request: ",
    "worker: invalid http request: ",
    "model name mismatch",
)


def caused_by_request(error_code: int, message: str) -> bool:
    """Whether a failure (TON code + the reference's text) is the request's own doing: its
    deadline (652), its cancellation (653), or input refused as invalid."""
    if error_code == ERROR_TIMEOUT or error_code == ERROR_CANCELLED:
        return True
    return any(needle in message for needle in _REQUEST_FAULTS)


def _escaped(c: str) -> str:
    # Controls (Cc) and format characters (Cf: bidi overrides like U+202E, zero widths)
    # would reorder or hide the text around them where the message is displayed.
    if unicodedata.category(c) in ("Cc", "Cf"):
        return f"\\u{ord(c):04x}"
    return c


def _clean(text: str) -> str:
    if text.isascii() and text.isprintable():
        return text
    return "".join([_escaped(c) for c in text])


def shown(value: str, limit: int = ECHO_LIMIT) -> str:
    """A caller's value as an error message may echo it: controls and bidi characters
    escaped, at most `limit` characters (then `...`)."""
    if len(value) > limit:
        value = value[:limit] + "..."
    return _clean(value)


# Where a validation text names its field (spec 40 §2.3, §2.4).
_PARAM_PATTERNS = (
    (re.compile(r"field '([^']*)'"), "{}"),
    (re.compile(r"unknown option '([^']*)' in request"), "{}"),
    (re.compile(r"unknown option '([^']*)' in stream_options"), "stream_options.{}"),
    (re.compile(r"unknown suboption '([^']*)' in chat_template_kwargs"), "chat_template_kwargs.{}"),
    (re.compile(r"missing required field '([^']*)'"), "{}"),
    (re.compile(r"(?:^|: )([a-z_]+(?:\.[a-z_]+)?) must be"), "{}"),
)


def _param_of(message: str) -> str | None:
    for pattern, template in _PARAM_PATTERNS:
        m = pattern.search(message)
        if m:
            return template.format(m.group(1))
    return None


def error_body(
    message: str, *, type: str, code: str | None, param: str | None, error_code: int
) -> bytes:
    """`{"error": {"message", "type", "code", "param"}, "error_code": <TON code>}`."""
    error = {"message": message, "type": type, "code": code, "param": param}
    return json.dumps(
        {"error": error, "error_code": error_code}, ensure_ascii=False, separators=(",", ":")
    ).encode("utf-8")


def error_response(
    error_code: int,
    message: str,
    *,
    param: str | None = None,
    code: str | None = None,
    local: bool = False,
    retry_after: int = 1,
) -> ErrorResponse:
    """Map a COCOON failure (TON error code + message) to its HTTP answer.

    `local` says the failure is our own (this process), which makes an unrecognised one a
    500; failures reported by a proxy or worker are 502. Timeouts (652) are 504 whatever the
    text. `param` overrides the field found in the message, `code` the error's code.
    """
    message = shown(message, MESSAGE_LIMIT)
    rule = next((r for r in _RULES if r.needle in message), None)
    if rule is not None:
        status, type_, slug, retry = rule.status, rule.type, rule.code, rule.retry
        if param is None:
            param = rule.param if rule.param is not None else _param_of(message)
    elif error_code == ERROR_TIMEOUT:
        status, type_, slug, retry = 504, SERVER_ERROR, "timeout", False
    elif local:
        status, type_, slug, retry = 500, SERVER_ERROR, "internal_error", False
    else:
        status, type_, slug, retry = 502, SERVER_ERROR, "upstream_error", False
    if code is not None:
        slug = code
    headers: tuple[tuple[str, str], ...] = (_JSON_HEADER,)
    if retry:
        headers += (("Retry-After", str(retry_after)),)
    body = error_body(message, type=type_, code=slug, param=param, error_code=error_code)
    return ErrorResponse(status=status, body=body, headers=headers)


_OPENAI_TYPES = frozenset(
    {INVALID_REQUEST, INSUFFICIENT_QUOTA, RATE_LIMIT, SERVER_ERROR, AUTHENTICATION, PERMISSION}
)


def _type_for(status: int) -> str:
    if status >= 500:
        return SERVER_ERROR
    return {401: AUTHENTICATION, 403: PERMISSION, 429: RATE_LIMIT}.get(status, INVALID_REQUEST)


def wrap_upstream_error(status: int, body: bytes) -> bytes | None:
    """An inference server's error answer in OpenAI's shape, or None when it already is one.

    vLLM answers `{"object": "error", "message", "type", "param", "code": <status>}` (newer
    ones nest that under `"error"`, type a Python class name), FastAPI `{"detail": ...}`,
    other servers plain text; each becomes `{"error": {"message", "type", "param", "code"}}`
    with the type OpenAI gives the status (the status itself is kept).
    """
    try:
        obj: Any = _json.loads(body)
    except (ValueError, UnicodeDecodeError):
        obj = None
    if type(obj) is dict and type(obj.get("error")) is dict:
        obj = obj["error"]
        code = obj.get("code")
        if obj.get("type") in _OPENAI_TYPES and (code is None or type(code) is str):
            return None
    param = code = None
    if type(obj) is dict:
        message = obj.get("message", obj.get("detail"))
        if type(obj.get("param")) is str:
            param = obj["param"]
        if type(obj.get("code")) is str:
            code = obj["code"]
    else:
        message = body.decode("utf-8", "replace").strip()
    if type(message) is not str:
        message = _json.dumps(message).decode() if message is not None else ""
    if not message:
        message = f"the inference server answered {status}"
    error = {
        "message": shown(message, MESSAGE_LIMIT),
        "type": _type_for(status),
        "param": param,
        "code": code,
    }
    return json.dumps({"error": error}, ensure_ascii=False, separators=(",", ":")).encode()
