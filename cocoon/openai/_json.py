"""JSON as the reference reads and writes it (nlohmann::json), on top of the stdlib codec.

Reading: strict UTF-8 (a leading UTF-8 BOM is skipped, as nlohmann does), no `NaN`/`Infinity`
literals, duplicate keys collapse to the last value. Writing: compact, keys sorted by code
point (= nlohmann's byte order for UTF-8 keys), non-ASCII written as UTF-8, non-finite floats
as `null`.

Unlike nlohmann (which reads `1e400` as infinity and nests until its stack runs out), two
bounds, both failing with `JsonLimitError` (a `ValueError`): a number beyond double range is
refused, and no document nests deeper than `MAX_DEPTH` arrays/objects, read or written.
128 is serde_json's default recursion limit (pydantic's jiter, behind vLLM, allows 200): deep
enough for any JSON schema in `tools`/`response_format`, far from Python's recursion limit,
so nothing on the way (the stdlib codec, a checker) can fail with `RecursionError`.

nlohmann's number kinds differ from Python's: a JSON integer is "unsigned" when it fits in
u64 and is >= 0, "integer" when it fits in i64 or u64, and a float (of any kind) otherwise.
The predicates below answer the nlohmann question for a value `json` gave us.
"""

from __future__ import annotations

import json
import json.encoder
import json.scanner
import math
from typing import Any

_U64 = 1 << 64
_I64_MIN = -(1 << 63)
_I64_LIMIT = 1 << 63
_BOM = b"\xef\xbb\xbf"
MAX_DEPTH = 128  # arrays/objects inside each other; the top-level one is depth 1


class JsonLimitError(ValueError):
    """A document beyond `MAX_DEPTH` or with a number beyond double range."""


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _not_json(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if value - value != 0.0:  # inf (NaN has no literal)
        raise JsonLimitError(f"number {text[:32]} is beyond double range")
    return value


_DECODER = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite_float)
# The C scanner and encoder called directly: the stdlib wrappers around them cost more than
# the work itself on small documents. (No circular-reference check: our values come from JSON.)
_scan = json.scanner.make_scanner(_DECODER)
_encode = (
    json.encoder.c_make_encoder(  # type: ignore[misc]
        None, _not_json, json.encoder.encode_basestring, None, ":", ",", True, False, False
    )
    if json.encoder.c_make_encoder is not None
    else None
)
_ENCODER = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False, default=_not_json
)


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether `value` nests arrays/objects deeper than `limit` (without recursing)."""
    t = type(value)
    if t is not dict and t is not list:
        return False
    stack = [(value, 1)]
    while stack:
        container, depth = stack.pop()
        if depth > limit:
            return True
        for item in container.values() if type(container) is dict else container:
            t = type(item)
            if t is dict or t is list:
                stack.append((item, depth + 1))
    return False


def _depth_error(limit: int) -> JsonLimitError:
    return JsonLimitError(f"JSON nested deeper than {limit} levels")


def loads(data: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse one JSON document; any failure is a `ValueError`, a document beyond the limits
    (nesting, number range) a `JsonLimitError`."""
    if isinstance(data, bytes):
        if data[:3] == _BOM:
            data = data[3:]
        data = data.decode("utf-8")  # strict: invalid UTF-8 raises UnicodeDecodeError
    try:
        try:
            value, end = _scan(data, 0)
            if end != len(data) and data[end:].strip(" \t\n\r"):
                raise ValueError(f"extra data after the JSON value at {end}")
        except StopIteration:
            # Leading whitespace or no value at all: the full decoder says which.
            value = _DECODER.decode(data)
    except RecursionError:
        # The C scanner recursed past the interpreter's limit: deeper than ours anyway.
        raise _depth_error(max_depth) from None
    if _may_nest(data, max_depth) and too_deep(value, max_depth):
        raise _depth_error(max_depth)
    return value


def _may_nest(text: str, limit: int) -> bool:
    # Fewer brackets than the limit (strings' included) cannot nest deeper: the usual
    # document is let through without walking it.
    return text.count("[") + text.count("{") > limit


def dumps(value: Any) -> bytes:
    """Serialise like nlohmann's `dump()`: compact, sorted keys, UTF-8.

    Raises `ValueError` for a string that cannot be UTF-8 (a lone surrogate from `\\ud800`),
    which nlohmann would have refused to parse in the first place, and `JsonLimitError` for a
    value nested deeper than `MAX_DEPTH`.
    """
    try:
        text = "".join(_encode(value, 0)) if _encode is not None else _ENCODER.encode(value)
    except RecursionError:
        raise _depth_error(MAX_DEPTH) from None
    except ValueError:
        # Only non-finite floats get here (allow_nan=False); nlohmann writes them as null.
        if too_deep(value):
            raise _depth_error(MAX_DEPTH) from None
        text = _ENCODER.encode(_finite(value))
    if _may_nest(text, MAX_DEPTH) and too_deep(value):
        raise _depth_error(MAX_DEPTH)
    return text.encode("utf-8")


def _finite(value: Any) -> Any:
    if type(value) is float:
        return value if math.isfinite(value) else None
    if type(value) is dict:
        return {k: _finite(v) for k, v in value.items()}
    if type(value) is list:
        return [_finite(v) for v in value]
    return value


def is_number(value: Any) -> bool:
    t = type(value)
    return t is int or t is float


def is_integer(value: Any) -> bool:
    return type(value) is int and _I64_MIN <= value < _U64


def is_unsigned(value: Any) -> bool:
    return type(value) is int and 0 <= value < _U64


def as_int64(value: int) -> int:
    """nlohmann's `get<int64_t>()` of an integer value: u64 above i64 wraps negative."""
    return value - _U64 if value >= _I64_LIMIT else value


def unsigned_count(value: Any) -> int:
    """A token count as the reference reads it: a JSON unsigned integer, else 0.

    (`get<int64_t>()` wraps values >= 2^63 negative, which never raise a counter.)
    """
    if type(value) is int and 0 <= value < _I64_LIMIT:
        return value
    return 0
