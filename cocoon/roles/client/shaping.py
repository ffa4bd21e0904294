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

import json
import re
from collections.abc import Iterable
from typing import Any

from cocoon import tl
from cocoon.openai import _json

# Never forwarded to the worker: framing of this hop, and the user's credentials.
_DROP_FORWARD = frozenset(
    {
        b"content-length",
        b"transfer-encoding",
        b"connection",
        b"keep-alive",
        b"te",
        b"trailer",
        b"upgrade",
        b"authorization",
        b"cookie",
        b"x-access-hash",
        b"x-api-key",
        b"api-key",
    }
)
# Never passed back from the worker: framing (ours is recomputed) and what our server adds.
_DROP_ANSWER = frozenset(
    {"content-length", "transfer-encoding", "connection", "keep-alive", "date", "server"}
)
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_BAD_VALUE = re.compile(r"[\r\n\x00]")

SSE_DONE = b"data: [DONE]"
CORS = (
    (b"access-control-allow-origin", b"*"),
    (b"access-control-allow-methods", b"GET, POST, OPTIONS"),
    (b"access-control-allow-headers", b"Content-Type, Authorization"),
)


def timestamp(t: float) -> str:
    """Unix seconds with six decimals, as every `X-Cocoon-*` header."""
    return f"{t:.6f}"


def forward_headers(
    headers: Iterable[tuple[bytes, bytes]], body_length: int
) -> list[tl.HttpHeader]:
    """ASGI request headers (lowercase names) -> the `http.request` headers for the worker,
    ending with the `Content-Length` of the forwarded body (none for an empty body)."""
    out = [
        tl.HttpHeader(name=name.decode("latin-1"), value=value.decode("utf-8", "replace"))
        for name, value in headers
        if name not in _DROP_FORWARD and not name.startswith(b"proxy-")
    ]
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
) -> tuple[list[tuple[bytes, bytes]], str]:
    """The user's answer headers and the answer's content type (lowercase, '' if none).
    Headers that HTTP/1.1 could not carry (a broken or hostile peer) are dropped."""
    out: list[tuple[bytes, bytes]] = []
    content_type = ""
    for h in headers:
        lower = h.name.lower()
        if lower in _DROP_ANSWER or not _TOKEN.fullmatch(h.name) or _BAD_VALUE.search(h.value):
            continue
        if lower == "content-type":
            content_type = h.value.lower()
        out.append((h.name.encode("latin-1"), h.value.encode("utf-8")))
    out.append((b"X-Cocoon-Client-Start", timestamp(start).encode()))
    out.append((b"X-Cocoon-Client-End", timestamp(end).encode()))
    out.append((b"X-Request-Id", request_id.hex().encode()))
    if content_length is not None:
        out.append((b"content-length", str(content_length).encode()))
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


def _hop(text: str | None) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
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
