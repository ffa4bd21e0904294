"""What the client's HTTP layer changes on the way through (spec 40 sections 2.3-2.5); sans-IO.

* `forward_headers`: the user's request headers as they go to the worker, without hop-by-hop
  fields and credentials (compared case-insensitively; the reference strips only the
  exactly-cased `Content-Length`, `Transfer-Encoding`, `Connection` and forwards the user's
  `Authorization` to the inference server).
* `answer_headers`: the worker's answer headers as the user gets them, plus the client's
  `X-Cocoon-Client-*` times, `X-Request-Id` and CORS.
* `debug_object` / `merge_debug`: the `enable_debug` records; merged into the completion object
  of a JSON answer, or sent as one extra SSE event before `data: [DONE]`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from cocoon import tl
from cocoon.http._wire import http_date
from cocoon.openai import _json
from cocoon.openai.errors import shown
from cocoon.openai.validation import InvalidRequestError

# Never forwarded to the worker: framing of this hop, and the user's credentials.
_DROP_FORWARD = frozenset(
    {
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "te",
        "trailer",
        "upgrade",
        "authorization",
        "cookie",
        "x-access-hash",
        "x-api-key",
        "api-key",
    }
)
# Never passed back from the worker: framing (ours is recomputed) and what our server adds.
_DROP_ANSWER = frozenset(
    {"content-length", "transfer-encoding", "connection", "keep-alive", "date", "server"}
)
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_BAD_VALUE = re.compile(r"[\r\n\x00]")
_FORWARDABLE = re.compile(r"[\t\x20-\x7e]*")

SSE_DONE = b"data: [DONE]"
CORS = (
    ("access-control-allow-origin", "*"),
    ("access-control-allow-methods", "GET, POST, OPTIONS"),
    ("access-control-allow-headers", "Content-Type, Authorization"),
)


def timestamp(t: float) -> str:
    """Unix seconds with six decimals, as every `X-Cocoon-*` header."""
    return f"{t:.6f}"


def forward_headers(headers: Iterable[tuple[str, str]], body_length: int) -> list[tl.HttpHeader]:
    """The user's request headers (as received: names in any case, values as latin-1 text) ->
    the `http.request` headers for the worker (lowercase names), ending with the
    `Content-Length` of the forwarded body (none for an empty body).

    A value to forward must be printable ASCII (RFC 9110's field-vchar, SP and HTAB, without
    the obsolete `obs-text`): anything else (`X-Note: €`, raw `\xff`) is refused with
    `InvalidRequestError`, as a worker could not send it on to its inference server."""
    out = []
    for name, value in headers:
        lower = name.lower()
        if lower in _DROP_FORWARD or lower.startswith("proxy-"):
            continue
        if not (value.isascii() and _FORWARDABLE.fullmatch(value)):
            raise InvalidRequestError(
                f"header '{shown(name)}' has a value that is not printable ASCII, which the "
                "client does not forward",
                None,
                "invalid_header",
            )
        out.append(tl.HttpHeader(name=lower, value=value))
    if body_length:
        out.append(tl.HttpHeader(name="Content-Length", value=str(body_length)))
    return out


def answer_headers(
    headers: Iterable[tl.HttpHeader],
    *,
    start: float,
    end: float,
    request_id: bytes,
    cors: bool,
    content_length: int | None = None,
) -> tuple[list[tuple[str, str]], str]:
    """The user's answer headers and the answer's content type (lowercase, '' if none).
    Values are latin-1 text carrying the worker's UTF-8 bytes, as the server writes them.
    Headers that HTTP/1.1 could not carry (a broken or hostile peer) are dropped."""
    out: list[tuple[str, str]] = []
    content_type = ""
    for h in headers:
        name, value = h.name, h.value
        lower = name.lower()
        if lower in _DROP_ANSWER or not _TOKEN.fullmatch(name) or _BAD_VALUE.search(value):
            continue
        if lower == "content-type":
            content_type = value.lower()
        if not value.isascii():
            value = value.encode("utf-8").decode("latin-1")
        out.append((name, value))
    out.append(("Date", http_date()))
    out.append(("X-Cocoon-Client-Start", timestamp(start)))
    out.append(("X-Cocoon-Client-End", timestamp(end)))
    out.append(("X-Request-Id", request_id.hex()))
    if content_length is not None:
        out.append(("content-length", str(content_length)))
    if cors:
        out.extend(CORS)
    return out, content_type


def stats_record(kind: str, start: float, first_answer_at: float, end: float) -> dict[str, Any]:
    """One hop's debug record (spec 40 section 2.5.4)."""
    return {
        "type": f"{kind}_stats",
        "start_time": start,
        "answer_receive_start_at": first_answer_at,
        "answer_receive_end_at": end,
    }


_HOP_DEPTH = 8  # a hop's record is flat; merged three levels down into the answer


def _hop(text: str | None) -> Any:
    if not text:
        return None
    try:
        return _json.loads(text, max_depth=_HOP_DEPTH)
    except ValueError:
        return text  # a peer's record that is not JSON is shown as it came


def debug_object(final: tl.ClientQueryFinalInfo | None, client: dict[str, Any]) -> dict[str, Any]:
    """`{"proxy": ..., "worker": ..., "client": ...}` from the final info and our record."""
    return {
        "proxy": _hop(final.proxy_debug if final is not None else None),
        "worker": _hop(final.worker_debug if final is not None else None),
        "client": client,
    }


def merge_debug(body: bytes, debug: dict[str, Any]) -> bytes:
    """A JSON answer with `"debug"` added to its (last) object. A body that is not one JSON
    object gets a separate `{"debug": ...}` line, as the reference does."""
    try:
        obj = _json.loads(body)
    except (ValueError, UnicodeDecodeError):
        obj = None
    if type(obj) is dict:
        obj["debug"] = debug
        return _json.dumps(obj) + b"\n"
    return body + b"\n" + _json.dumps({"debug": debug}) + b"\n"


def sse_event(payload: bytes) -> bytes:
    return b"data: " + payload + b"\n\n"


def sse_debug(debug: dict[str, Any]) -> bytes:
    return sse_event(_json.dumps({"debug": debug}))
