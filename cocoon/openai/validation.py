"""What an OpenAI request may contain on its way through COCOON (spec 40 §2.3 and §2.4); sans-IO.

    validated = validate_request("/v1/chat/completions", body, model="Qwen/Qwen3-8B")
    forward(validated.path, validated.body)           # rewritten, compact, keys sorted

    parsed = parse_client_request(body)               # the client's own fields, §2.3 step 3
    send(parsed.options.max_coefficient, parsed.body)

Both raise `InvalidRequestError` with the reference's exact text, naming the offending field
in `param`. Beyond the reference, the client checks OpenAI's value ranges (`check_ranges`, in
OpenAI's texts and codes) and bounds its own fields: token limits at most 2^31-1 (the
reference wraps 2^63 to a negative number), `timeout` positive and finite (the reference takes
any number, and <= 0 means no deadline at all). Names a caller sent are echoed bounded and
escaped (`errors.shown`). The texts are bare reasons: the worker reports them after `WORKER_ERROR_PREFIX`,
the client after `CLIENT_ERROR_PREFIX`, as the reference does.

Keys are checked in sorted order, as the reference's `std::map` iterates them, so a body with
several faults reports the same first fault as a C++ worker. Profiles:

* `Profile.COMPAT` is the reference, bugs included (`prediction` must be a number, `suffix` a
  boolean, `tools` rejected): reference clients and proxies may route to us.
* `Profile.EXTENDED` accepts everything COMPAT does (except the two wrongly typed fields,
  which take OpenAI's types) plus function calling and the common vLLM sampling extras, and
  `null` for any optional field (meaning "not given").
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from typing import Any, Literal

import attrs

from cocoon.errors import CocoonError
from cocoon.openai import _json
from cocoon.openai.errors import shown

CHAT_COMPLETIONS = "/v1/chat/completions"
COMPLETIONS = "/v1/completions"
CLIENT_ERROR_PREFIX = "failed to parse request: "
WORKER_ERROR_PREFIX = "worker: invalid http request: "
ERROR_PROTOVIOLATION = 621  # the TON code every rejection here carries
_INT32_MAX = (1 << 31) - 1


class InvalidRequestError(CocoonError, ValueError):
    """A request body or path that COCOON refuses; `param` names the field, when there is one."""

    code = ERROR_PROTOVIOLATION

    def __init__(self, message: str, param: str | None = None, slug: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.slug = slug  # OpenAI's error code, where one applies


# Plain strings rather than an enum: they come straight from config files, and an enum
# member costs a Python-level hash on every request.
Profile = Literal["compat", "extended"]
COMPAT: Profile = "compat"
EXTENDED: Profile = "extended"
PROFILES: tuple[Profile, ...] = (COMPAT, EXTENDED)


# A check gets the key and its value and raises InvalidRequestError; it may rewrite the
# value in place (stream_options).
Check = Callable[[str, Any], None]


def _expect(predicate: Callable[[Any], bool], message: str) -> Check:
    def check(name: str, value: Any) -> None:
        if not predicate(value):
            raise InvalidRequestError(message, name)

    return check


def _no_check(name: str, value: Any) -> None:
    pass


def _is_bool(value: Any) -> bool:
    return type(value) is bool


def _is_str(value: Any) -> bool:
    return type(value) is str


def _is_list(value: Any) -> bool:
    return type(value) is list


def _is_dict(value: Any) -> bool:
    return type(value) is dict


def _check_penalty(name: str, value: Any) -> None:
    if not _json.is_number(value):
        raise InvalidRequestError(f"{name} must be a number", name)
    if value < -2 or value > 2:
        raise InvalidRequestError(f"{name} must be between -2.0 and 2.0", name)


def _check_max_tokens(name: str, value: Any) -> None:
    # Both keys report the `max_completion_tokens` texts in the reference.
    if not _json.is_integer(value):
        raise InvalidRequestError("max_completion_tokens must be a number", name)
    if _json.as_int64(value) < 0:
        raise InvalidRequestError("max_completion_tokens must be non-negative", name)


def _check_n(name: str, value: Any) -> None:
    if not _json.is_integer(value):
        raise InvalidRequestError("n must be a number", name)
    if _json.as_int64(value) < 1:
        raise InvalidRequestError("n must be positive", name)


def _check_stream_options(name: str, value: Any) -> None:
    if type(value) is not dict:
        raise InvalidRequestError("stream_options must be an object", name)
    value["include_usage"] = True  # forced before the keys are checked, as in the reference
    for key in sorted(value):
        if key == "include_obfuscation":
            if type(value[key]) is not bool:
                raise InvalidRequestError(
                    "stream_options.include_obfuscation must be a boolean",
                    "stream_options.include_obfuscation",
                )
        elif key != "include_usage":
            key = shown(key)
            raise InvalidRequestError(
                f"unknown option '{key}' in stream_options", f"stream_options.{key}"
            )


def _check_chat_template_kwargs(name: str, value: Any) -> None:
    if type(value) is not dict:
        raise InvalidRequestError("chat_template_kwargs must be an object", name)
    for key in sorted(value):
        if key == "enable_thinking":
            if type(value[key]) is not bool:
                raise InvalidRequestError(
                    "chat_template_kwargs.enable_thinking must be a boolean",
                    "chat_template_kwargs.enable_thinking",
                )
        else:
            key = shown(key)
            raise InvalidRequestError(
                f"unknown suboption '{key}' in chat_template_kwargs in request",
                f"chat_template_kwargs.{key}",
            )


_number = _json.is_number
_integer = _json.is_integer
_unsigned = _json.is_unsigned


def _string_or_object(value: Any) -> bool:
    return type(value) is str or type(value) is dict


def _string_or_array(value: Any) -> bool:
    return type(value) is str or type(value) is list


# The reference's tables (ValidateRequest.cpp), texts verbatim, typos and all.
_CHAT_COMPAT: dict[str, Check] = {
    "chat_template_kwargs": _check_chat_template_kwargs,
    "frequency_penalty": _check_penalty,
    "max_completion_tokens": _check_max_tokens,
    "max_tokens": _check_max_tokens,
    "messages": _expect(_is_list, "messages must be an array"),
    "model": _expect(_is_str, "model must be a string"),
    "n": _check_n,
    "parallel_tool_calls": _expect(_is_bool, "parallel_tool_calls must be a boolean"),
    "prediction": _expect(_number, "prediction must be a boolean"),
    "presence_penalty": _expect(_number, "presence_penalty must be a number"),
    "reasoning_effort": _expect(_is_str, "reasoning_effort must be a string"),
    "response_format": _no_check,
    "stop": _no_check,
    "stream": _expect(_is_bool, "stream must be a boolean"),
    "stream_options": _check_stream_options,
    "temperature": _expect(_number, "temperature must be a number"),
    "top_logprobs": _expect(_unsigned, "top_logprobs must be a number"),
    "top_p": _expect(_number, "top_p must be a number"),
    "verbosity": _expect(_is_str, "verbosity must be a string"),
}

_COMPLETIONS_COMPAT: dict[str, Check] = {
    "best_of": _expect(_unsigned, "best_of must be a number"),
    "echo": _expect(_is_bool, "echo must be a boolean"),
    "frequency_penalty": _check_penalty,
    "max_tokens": _check_max_tokens,
    "model": _expect(_is_str, "model must be a string"),
    "n": _check_n,
    "presence_penalty": _expect(_number, "presence_penalty must be a boolean"),
    "prompt": _expect(_string_or_array, "prompt must be an array or a string"),
    "seed": _expect(_integer, "seed must be an integer"),
    "skip_special_tokens": _expect(_is_bool, "skip_special_tokens must be a number"),
    "stop": _no_check,
    "stream": _expect(_is_bool, "stream must be a boolean"),
    "stream_options": _check_stream_options,
    "suffix": _expect(_is_bool, "suffix must be a boolean"),
    "temperature": _expect(_number, "temperature must be a number"),
    "top_p": _expect(_number, "top_p must be a number"),
}

# vLLM's sampling extras, valid on both endpoints.
_SAMPLING_EXTRAS: dict[str, Check] = {
    "min_p": _expect(_number, "min_p must be a number"),
    "repetition_penalty": _expect(_number, "repetition_penalty must be a number"),
    "seed": _expect(_integer, "seed must be an integer"),
    "top_k": _expect(_integer, "top_k must be an integer"),
    "user": _expect(_is_str, "user must be a string"),
}

_CHAT_EXTENDED: dict[str, Check] = {
    **_CHAT_COMPAT,
    **_SAMPLING_EXTRAS,
    "logprobs": _expect(_is_bool, "logprobs must be a boolean"),
    "prediction": _expect(_is_dict, "prediction must be an object"),
    "tool_choice": _expect(_string_or_object, "tool_choice must be a string or an object"),
    "tools": _expect(_is_list, "tools must be an array"),
}

_COMPLETIONS_EXTENDED: dict[str, Check] = {
    **_COMPLETIONS_COMPAT,
    **_SAMPLING_EXTRAS,
    "logprobs": _expect(_unsigned, "logprobs must be a non-negative integer"),
    "presence_penalty": _expect(_number, "presence_penalty must be a number"),
    "response_format": _expect(_is_dict, "response_format must be an object"),
    "skip_special_tokens": _expect(_is_bool, "skip_special_tokens must be a boolean"),
    "suffix": _expect(_is_str, "suffix must be a string"),
}

_CHAT_REQUIRED = ("messages", "model")
_COMPLETIONS_REQUIRED = ("prompt", "model")
# profile -> path -> (checks, required keys, whether optional keys may be null)
_TABLES: dict[str, dict[str, tuple[dict[str, Check], tuple[str, ...], bool]]] = {
    COMPAT: {
        CHAT_COMPLETIONS: (_CHAT_COMPAT, _CHAT_REQUIRED, False),
        COMPLETIONS: (_COMPLETIONS_COMPAT, _COMPLETIONS_REQUIRED, False),
    },
    EXTENDED: {
        CHAT_COMPLETIONS: (_CHAT_EXTENDED, _CHAT_REQUIRED, True),
        COMPLETIONS: (_COMPLETIONS_EXTENDED, _COMPLETIONS_REQUIRED, True),
    },
}


@attrs.frozen
class ValidatedRequest:
    """A request the worker may forward: `body` is what goes to the inference server."""

    path: str  # CHAT_COMPLETIONS or COMPLETIONS
    body: bytes  # rewritten and re-serialised (compact, keys sorted)
    model: str
    stream: bool  # after the rewrite
    # The request's token limit: `max_tokens` if given, else `max_completion_tokens`
    # (the reference's precedence), else None.
    max_tokens: int | None


def endpoint_path(url: str) -> str:
    """The endpoint a request URL names: anything before the first `/` is dropped, then the
    rest must be exactly one of the two paths (no query string)."""
    slash = url.find("/")
    path = url[slash:] if slash > 0 else url
    if path == CHAT_COMPLETIONS or path == COMPLETIONS:
        return path
    raise InvalidRequestError("unsupported method")


def _parse_object(body: bytes) -> dict[str, Any]:
    try:
        obj = _json.loads(body)
    except _json.JsonLimitError as e:
        raise InvalidRequestError(str(e)) from None
    except ValueError:
        raise InvalidRequestError("expected json object") from None
    if type(obj) is not dict:
        raise InvalidRequestError("expected json object")
    return obj


def _serialise(obj: dict[str, Any]) -> bytes:
    try:
        return _json.dumps(obj)
    except _json.JsonLimitError as e:
        raise InvalidRequestError(str(e)) from None
    except ValueError:  # a lone surrogate, which the reference's parser refuses
        raise InvalidRequestError("expected json object") from None


def _check(path: str, obj: dict[str, Any], profile: Profile) -> None:
    table, required, nullable = _TABLES[profile][path]
    for name in sorted(obj):
        check = table.get(name)
        if check is None:
            name = shown(name)
            raise InvalidRequestError(f"unknown option '{name}' in request", name)
        value = obj[name]
        if value is None and nullable and name not in required:
            continue
        check(name, value)
    for name in required:
        if name not in obj:
            raise InvalidRequestError(f"missing required field '{name}'", name)


def check_request(url: str, obj: dict[str, Any], *, profile: Profile = COMPAT) -> None:
    """The worker's checks on an already parsed body, for the client's early answer (no
    model check, no re-serialisation). May rewrite `stream_options` in place."""
    _check(endpoint_path(url), obj, profile)


# The ranges OpenAI enforces (its texts and codes), checked by the client where the
# reference's checks end (types only): name -> (integer field, minimum, maximum).
_RANGES: dict[str, tuple[bool, float, float]] = {
    "temperature": (False, 0, 2),
    "top_p": (False, 0, 1),
    "n": (True, 1, 128),
    "top_logprobs": (True, 0, 20),
    "logprobs": (True, 0, 5),  # completions: an integer (chat's boolean is skipped)
}


def _number_text(value: int | float) -> str:
    if type(value) is float and value.is_integer():
        value = int(value)
    return shown(str(value), 32)


def _range_error(
    name: str, value: int | float, integer: bool, bound: float, *, above: bool, strict: bool = False
) -> InvalidRequestError:
    kind = "integer" if integer else "decimal"
    side, relation = (
        ("above maximum", "<=") if above else ("below minimum", ">" if strict else ">=")
    )
    return InvalidRequestError(
        f"Invalid '{name}': {kind} {side} value. Expected a value {relation} "
        f"{_number_text(bound)}, but got {_number_text(value)} instead.",
        name,
        f"{kind}_{'above_max' if above else 'below_min'}_value",
    )


def check_ranges(url: str, obj: dict[str, Any]) -> None:
    """OpenAI's value ranges, on a body that passed `check_request` (types already right):
    sampling parameters, `n`, and a non-empty `messages`."""
    for name, (integer, low, high) in _RANGES.items():
        value = obj.get(name)
        if type(value) is not int and (integer or type(value) is not float):
            continue  # absent, null, or a type `check_request` judged
        if value < low or value > high:
            raise _range_error(
                name, value, integer, high if value > high else low, above=value > high
            )
    if endpoint_path(url) == CHAT_COMPLETIONS and obj.get("messages") == []:
        raise InvalidRequestError(
            "Invalid 'messages': empty array. Expected an array with minimum length 1, but got "
            "an empty array instead.",
            "messages",
            "empty_array",
        )


def validate_request(
    url: str,
    body: bytes,
    *,
    model: str | None = None,
    profile: Profile = COMPAT,
    continuous_usage: bool = False,
) -> ValidatedRequest:
    """Check and rewrite a request as the worker must before forwarding it (spec 40 §2.4).

    `model` is the worker's base model name; the request's `model` must equal it (`None`
    skips that check, for the client's early validation). Rewrites: `stream_options` gets
    `include_usage: true` and implies `stream: true` when `stream` is absent; `stream: true`
    without `stream_options` gets `{"include_usage": true}`. With `continuous_usage` (the
    worker's own wish, not the caller's: spec 40 §3.3 [OURS]) a streamed request also gets
    `stream_options.continuous_usage_stats: true`, so vLLM reports usage on every chunk.
    """
    path = endpoint_path(url)
    obj = _parse_object(body)
    _check(path, obj, profile)
    stream = obj.get("stream")
    if obj.get("stream_options") is not None:
        if stream is None:
            obj["stream"] = stream = True
    elif stream is True:
        obj["stream_options"] = {"include_usage": True}
    if continuous_usage and stream is True:
        obj["stream_options"]["continuous_usage_stats"] = True

    request_model = obj["model"]
    if model is not None and request_model != model:
        raise InvalidRequestError("model name mismatch", "model")
    max_tokens = obj.get("max_tokens")
    if max_tokens is None:
        max_tokens = obj.get("max_completion_tokens")
    if max_tokens is not None:
        max_tokens = _json.as_int64(max_tokens)
    return ValidatedRequest(path, _serialise(obj), request_model, stream is True, max_tokens)


@attrs.frozen
class ClientRequestOptions:
    """The client-only fields of a request (spec 40 §2.3 step 3), with their defaults."""

    model: str
    max_tokens: int  # what the proxy reserves for; the body's limit, or the default
    max_coefficient: int  # thousandths: 1000 = x1.0
    timeout: float  # seconds
    enable_debug: bool = False
    request_guid: str | None = None

    @property
    def debug_key(self) -> bytes | None:
        """SHA-256 of `request_guid`: the key of the debug log entry (§2.5.4)."""
        if self.request_guid is None:
            return None
        return hashlib.sha256(self.request_guid.encode("utf-8")).digest()


@attrs.frozen
class ClientRequest:
    options: ClientRequestOptions
    body: bytes  # to forward: client-only fields removed, compact, keys sorted


def _clamp_int32(value: int) -> int:
    # The reference reads these with get<int32_t>() and wraps; we saturate instead.
    return min(value, _INT32_MAX)


def _token_limit(name: str, value: Any) -> int:
    if not _json.is_unsigned(value):
        raise InvalidRequestError(f"field '{name}' must be positive integer", name)
    if value > _INT32_MAX:  # the reference would wrap it (2**63 reads as negative)
        raise _range_error(name, value, True, _INT32_MAX, above=True)
    return value


def parse_client_request(
    body: bytes,
    *,
    default_max_tokens: int = 1000,
    default_max_coefficient: int = 4000,
    default_timeout: float = 120.0,
    inject_default_max_tokens: bool = False,
) -> ClientRequest:
    """Consume the client-only fields of a request body, in the reference's order.

    `max_completion_tokens` overrides `max_tokens`, which is then deleted from the body.
    `max_coefficient`, `timeout`, `enable_debug` and `request_guid` are removed. With
    `inject_default_max_tokens`, a body with neither limit gets `max_tokens` = the default,
    so the inference server is bounded by what the proxy reserved.
    """
    return parse_client_object(
        _parse_object(body),
        default_max_tokens=default_max_tokens,
        default_max_coefficient=default_max_coefficient,
        default_timeout=default_timeout,
        inject_default_max_tokens=inject_default_max_tokens,
    )


def parse_json_object(body: bytes) -> dict[str, Any]:
    """A request body as a JSON object, or `InvalidRequestError("expected json object")`."""
    return _parse_object(body)


def parse_client_object(
    obj: dict[str, Any],
    *,
    default_max_tokens: int = 1000,
    default_max_coefficient: int = 4000,
    default_timeout: float = 120.0,
    inject_default_max_tokens: bool = False,
) -> ClientRequest:
    """`parse_client_request` on a body already parsed: consumes the client-only fields from
    `obj` (in place) and serialises what is left."""
    model = obj.get("model")
    if type(model) is not str:
        raise InvalidRequestError("missing field 'model'", "model")
    max_tokens = default_max_tokens
    has_limit = False
    if "max_tokens" in obj:
        max_tokens, has_limit = _token_limit("max_tokens", obj["max_tokens"]), True
    if "max_completion_tokens" in obj:
        value = obj["max_completion_tokens"]
        max_tokens = _token_limit("max_completion_tokens", value)
        has_limit = True
        obj.pop("max_tokens", None)
    max_coefficient = default_max_coefficient
    if "max_coefficient" in obj:
        value = obj.pop("max_coefficient")
        if not _json.is_unsigned(value):
            raise InvalidRequestError(
                "field 'max_coefficient' must be non-negative integer", "max_coefficient"
            )
        max_coefficient = _clamp_int32(value)
    timeout = default_timeout
    if "timeout" in obj:
        value = obj.pop("timeout")
        if not _json.is_number(value):
            raise InvalidRequestError("field 'timeout' must be a number", "timeout")
        timeout = _to_float(value)
        # A deadline must be one: the proxy and the worker read <= 0 as "none at all".
        if timeout <= 0:
            raise _range_error("timeout", value, False, 0, above=False, strict=True)
        if timeout == math.inf:
            raise InvalidRequestError(
                "Invalid 'timeout': expected a finite number of seconds.",
                "timeout",
                "decimal_above_max_value",
            )
    enable_debug = False
    if "enable_debug" in obj:
        value = obj.pop("enable_debug")
        if type(value) is not bool:
            raise InvalidRequestError("field 'enable_debug' must be a boolean", "enable_debug")
        enable_debug = value
    request_guid = None
    if "request_guid" in obj:
        value = obj.pop("request_guid")
        if type(value) is not str:
            raise InvalidRequestError("field 'request_guid' must be a string", "request_guid")
        if not _encodable(value):
            raise InvalidRequestError("expected json object")
        request_guid = value
    if inject_default_max_tokens and not has_limit:
        obj["max_tokens"] = default_max_tokens
    options = ClientRequestOptions(
        model=model,
        max_tokens=max_tokens,
        max_coefficient=max_coefficient,
        timeout=timeout,
        enable_debug=enable_debug,
        request_guid=request_guid,
    )
    return ClientRequest(options=options, body=_serialise(obj))


def _to_float(value: int | float) -> float:
    try:
        return float(value)
    except OverflowError:  # an integer beyond double range: nlohmann reads it as inf
        return float("inf") if value > 0 else float("-inf")


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
