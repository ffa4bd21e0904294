"""Translation of worker answers into client answers (sans-IO), spec 10 section 7.4.

Workers speak `proxy.queryAnswer*` (old forms for proto 0, `…Ex` for proto >= 1); clients get
`client.queryAnswer*`, again old or Ex by their protocol version. Old worker forms are upgraded
to one normalised `WorkerAnswer` first. The proxy adds its two timing headers to the first
answer's `http.response`; body parts pass through untouched.
"""

from __future__ import annotations

import enum
import json

import attrs

from cocoon import tl
from cocoon.errors import ProtocolError

ZERO_TOKENS = tl.TokensUsed(
    prompt_tokens_used=0,
    cached_tokens_used=0,
    completion_tokens_used=0,
    reasoning_tokens_used=0,
    total_tokens_used=0,
)

WORKER_ANSWER_TYPES = (
    tl.ProxyQueryAnswerEx,
    tl.ProxyQueryAnswerPartEx,
    tl.ProxyQueryAnswerErrorEx,
    tl.ProxyQueryAnswer,
    tl.ProxyQueryAnswerPart,
    tl.ProxyQueryAnswerError,
    tl.ProxyQueryAnswerPartError,
)


class Kind(enum.Enum):
    ANSWER = "answer"  # carries the http.response
    PART = "part"  # raw body bytes
    ERROR = "error"


@attrs.frozen
class WorkerAnswer:
    request_id: bytes
    kind: Kind
    data: bytes = b""
    last: bool = False
    final_info: tl.ProxyQueryFinalInfo | None = None
    error_code: int = 0
    error: str = ""

    @property
    def tokens(self) -> tl.TokensUsed:
        return self.final_info.tokens_used if self.final_info is not None else ZERO_TOKENS


def _old_final(tokens: tl.TokensUsed) -> tl.ProxyQueryFinalInfo:
    return tl.ProxyQueryFinalInfo(tokens_used=tokens)


def normalize_worker_answer(obj: tl.TLObject) -> WorkerAnswer:
    """One worker message as a `WorkerAnswer`. Raises `ProtocolError` for an Ex answer or part
    marked last without the final info the flag promises."""
    if isinstance(obj, tl.ProxyQueryAnswerEx | tl.ProxyQueryAnswerPartEx):
        last = bool(obj.flags & 1)
        if last and obj.final_info is None:
            raise ProtocolError(f"{obj.TL_NAME} marked last without final_info")
        kind = Kind.ANSWER if isinstance(obj, tl.ProxyQueryAnswerEx) else Kind.PART
        return WorkerAnswer(
            obj.request_id, kind, obj.answer, last, obj.final_info if last else None
        )
    if isinstance(obj, tl.ProxyQueryAnswerErrorEx):
        return WorkerAnswer(
            obj.request_id, Kind.ERROR, last=True, final_info=obj.final_info,
            error_code=obj.error_code, error=obj.error,
        )  # fmt: skip
    if isinstance(obj, tl.ProxyQueryAnswer | tl.ProxyQueryAnswerPart):
        kind = Kind.ANSWER if isinstance(obj, tl.ProxyQueryAnswer) else Kind.PART
        final = _old_final(obj.tokens_used) if obj.is_completed else None
        return WorkerAnswer(obj.request_id, kind, obj.answer, obj.is_completed, final)
    if isinstance(obj, tl.ProxyQueryAnswerError | tl.ProxyQueryAnswerPartError):
        return WorkerAnswer(
            obj.request_id, Kind.ERROR, last=True, final_info=_old_final(obj.tokens_used),
            error_code=obj.error_code, error=obj.error,
        )  # fmt: skip
    raise ProtocolError(f"{obj.TL_NAME} is not a worker answer")


def timestamp(t: float) -> str:
    """Unix seconds with six decimals, as in the `X-Cocoon-*` headers."""
    return f"{t:.6f}"


def add_headers(http_response: bytes, headers: list[tuple[str, str]]) -> bytes:
    """Append headers to a boxed `http.response`. Raises `TLDecodeError` if it is not one.

    Spliced in at the byte level: the answer's body (most of its bytes) is checked but
    neither decoded into objects nor copied through an encoder."""
    r = tl.Reader(http_response)
    if r.uint() != tl.HttpResponse.TL_ID:
        raise tl.TLWrongConstructorError("not an http.response", offset=0)
    r.string()  # http_version
    r.int()  # status_code
    r.string()  # reason
    count_at = r.pos
    count = r.vector_count(8)
    for _ in range(count):
        r.string()
        r.string()
    headers_end = r.pos
    r.bytes()  # payload
    r.finish()
    w = tl.Writer()
    w.uint(count + len(headers))
    count_bytes = bytes(w.buf)
    w.buf.clear()
    for name, value in headers:
        w.string(name)
        w.string(value)
    return b"".join(
        (
            http_response[:count_at],
            count_bytes,
            http_response[count_at + 4 : headers_end],
            w.buf,
            http_response[headers_end:],
        )
    )


def stats_json(kind: str, start: float, first_answer_at: float, end: float) -> str:
    """The debug record one hop adds (spec 40 section 2.5.4)."""
    return json.dumps(
        {
            "type": f"{kind}_stats",
            "start_time": start,
            "answer_receive_start_at": first_answer_at,
            "answer_receive_end_at": end,
        },
        separators=(",", ":"),
    )


def client_final_info(
    worker: tl.ProxyQueryFinalInfo | None,
    *,
    client_proto: int,
    proxy_start: float,
    proxy_end: float,
    proxy_debug: str | None,
) -> tl.ClientQueryFinalInfo:
    """The final info a client gets: the worker's tokens and times plus the proxy's."""
    worker = worker or tl.ProxyQueryFinalInfo(tokens_used=ZERO_TOKENS)
    debug = proxy_debug is not None
    times = client_proto >= 2
    return tl.ClientQueryFinalInfo(
        tokens_used=worker.tokens_used,
        worker_debug=(worker.worker_debug or "") if debug else None,
        proxy_debug=proxy_debug if debug else None,
        proxy_start_time=proxy_start if times else None,
        proxy_end_time=proxy_end if times else None,
        worker_start_time=(worker.worker_start_time or 0.0) if times else None,
        worker_end_time=(worker.worker_end_time or 0.0) if times else None,
    )


def client_answer(
    client_proto: int,
    request_id: bytes,
    data: bytes,
    *,
    first: bool,
    final: tl.ClientQueryFinalInfo | None,
) -> tl.TLObject:
    """A first answer (`first`) or a body part for the client, completed iff `final`."""
    if client_proto >= 1:
        cls = tl.ClientQueryAnswerEx if first else tl.ClientQueryAnswerPartEx
        return cls(request_id=request_id, answer=data, final_info=final)
    old = tl.ClientQueryAnswer if first else tl.ClientQueryAnswerPart
    tokens = final.tokens_used if final is not None else ZERO_TOKENS
    return old(
        answer=data,
        is_completed=final is not None,
        request_id=request_id,
        request_tokens_used=tokens,
    )


def client_error(
    client_proto: int,
    request_id: bytes,
    code: int,
    message: str,
    *,
    answered: bool,
    final: tl.ClientQueryFinalInfo,
) -> tl.TLObject:
    """The error that ends a request. Ex clients get `client.queryAnswerErrorEx` also for the
    proxy's own failures (the reference sends old forms, which its own client ignores)."""
    if client_proto >= 1:
        return tl.ClientQueryAnswerErrorEx(
            request_id=request_id, error_code=code, error=message, final_info=final
        )
    cls = tl.ClientQueryAnswerPartError if answered else tl.ClientQueryAnswerError
    return cls(
        error_code=code, error=message, request_id=request_id, request_tokens_used=final.tokens_used
    )
