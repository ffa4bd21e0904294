"""Serving one request from a proxy (spec 10 section 7.3, spec 40 sections 3.1-3.4).

decode the carried `http.request` -> validate and rewrite it -> forward it to the inference
server -> answer the proxy as the answer arrives: the status and headers first, then each piece
of the body as soon as the token counter lets it out (SSE events one by one), then the final
part with the adjusted token counts. A small non-streamed answer goes out as one message.

Billing: the counter reads `usage` from the server's answer (SSE included, unlike the
reference, which bills streams 0) and the cost fields are added to that `usage`. A streamed
request asks the server for usage on every chunk (`stream_options.continuous_usage_stats`,
vLLM's; the caller still sees usage only in the final chunk), so a stream that ends early (the
caller left, a cancel, a timeout, the server closed) bills the latest figure the server gave,
and at least one completion token per piece delivered where it gave none (`UsageCounter.
billable`): leaving before the last chunk no longer makes an answer free. Deadlines:
the request's `timeout` (652 "worker: timeout"), the inference server gets 0.95 of it.
Cancellation (the proxy connection closed, or the proxy cancelled) leaves the inference
server's connection, which makes vLLM stop generating.
"""

from __future__ import annotations

import functools
import logging
import math
import re
import time
from typing import TYPE_CHECKING

import attrs
import trio

from cocoon import tl
from cocoon.http.client import HttpClient, HttpResponse
from cocoon.http.errors import (
    HttpConnectError,
    HttpConnectionClosed,
    HttpError,
    HttpProtocolError,
    HttpRequestError,
)
from cocoon.net import codes
from cocoon.openai.errors import shown
from cocoon.openai.usage import UsageCounter, UsageCounts
from cocoon.openai.validation import COMPAT, InvalidRequestError, Profile, validate_request
from cocoon.roles.common.counters import CounterSet
from cocoon.roles.common.metrics import OTHER, endpoint_label
from cocoon.roles.worker.replies import ZERO_TOKENS, Replier, Send, status_line_version
from cocoon.ton.pricing import AdjustedTokens, Multipliers, TokenUsage, adjusted_tokens

if TYPE_CHECKING:
    from collections.abc import Callable

    from cocoon.roles.worker.metrics import WorkerMetrics

log = logging.getLogger("cocoon.worker.query")

TIMEOUT_FACTOR = 0.95
SINGLE_MESSAGE_LIMIT = 1 << 20  # non-streamed answers up to this size go out in one message
MAX_PART = 1 << 23  # keep each part well inside one frame
_DROP_REQUEST_HEADERS = frozenset({"content-length", "transfer-encoding", "connection", "host"})
_DROP_RESPONSE_HEADERS = frozenset({"content-length", "transfer-encoding", "connection"})
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_FIELD_VALUE = re.compile(r"[\t\x20-\x7e\x80-\xff]*")


@attrs.frozen
class Pricing:
    """What prices a request: the root's price and multipliers."""

    price_per_token: int = 0
    multipliers: Multipliers = attrs.field(factory=Multipliers)


@attrs.define
class QueryContext:
    """Worker-wide state a request needs (shared by every proxy connection)."""

    http: HttpClient
    model: str  # base name
    max_active: int
    profile: Profile = COMPAT
    pricing: Pricing = attrs.field(factory=Pricing)
    stats: CounterSet = attrs.field(factory=CounterSet)
    active: int = 0
    # Ask for usage on every streamed chunk (vLLM's `continuous_usage_stats`); off only for
    # an inference server that refuses the option.
    continuous_usage: bool = True
    metrics: WorkerMetrics | None = None  # set by the web app that serves /metrics


def tokens_used(adjusted: AdjustedTokens) -> tl.TokensUsed:
    return tl.TokensUsed(
        prompt_tokens_used=adjusted.prompt,
        cached_tokens_used=adjusted.cached,
        completion_tokens_used=adjusted.completion,
        reasoning_tokens_used=adjusted.reasoning,
        total_tokens_used=adjusted.total,
    )


class _Meter:
    """Raw counts -> adjusted tokens and the cost fields added to `usage`. What is billed
    (`adjusted`, `tokens`) is always the counter's `billable` figure at that moment: the
    server's latest usage, or what was delivered where it gave none."""

    def __init__(self, coefficient: int, pricing: Pricing) -> None:
        self.coefficient = coefficient
        self.pricing = pricing
        self.counter: UsageCounter | None = None  # set once the answer's head arrived
        self.endpoint = OTHER  # the request's path, as a metrics label (once decoded)
        # The last counts adjusted, and the result: the same (frozen) counts are asked for
        # again and again (the usage, the answer's tokens, the final stats).
        self._adjusted_from: tuple[UsageCounts, Multipliers] | None = None
        self._adjusted = AdjustedTokens(0, 0, 0, 0)

    def _adjusted_counts(self, counts: UsageCounts) -> AdjustedTokens:
        multipliers = self.pricing.multipliers
        last = self._adjusted_from
        if last is not None and last[0] is counts and last[1] is multipliers:
            return self._adjusted
        adjusted = _adjust(self.coefficient, self.pricing, counts)
        self._adjusted_from, self._adjusted = (counts, multipliers), adjusted
        return adjusted

    @property
    def adjusted(self) -> AdjustedTokens:
        if self.counter is None:
            return AdjustedTokens(0, 0, 0, 0)
        return self._adjusted_counts(self.counter.billable)

    def cost_fields(self) -> Callable[[UsageCounts], dict[str, int]]:
        """The counter's `on_usage`. Not a bound method: the meter holds the counter, and a
        counter holding the meter back would make each request a reference cycle, freed only
        by the garbage collector (memory that grows with the load, issue 17)."""
        return functools.partial(_cost_fields, self.coefficient, self.pricing)

    @property
    def tokens(self) -> tl.TokensUsed:
        return tokens_used(self.adjusted)


def _adjust(coefficient: int, pricing: Pricing, counts: UsageCounts) -> AdjustedTokens:
    usage = TokenUsage(counts.prompt, counts.cached, counts.completion, counts.reasoning)
    return adjusted_tokens(usage, coefficient, pricing.multipliers)


def _cost_fields(coefficient: int, pricing: Pricing, counts: UsageCounts) -> dict[str, int]:
    a = _adjust(coefficient, pricing, counts)
    price = pricing.price_per_token
    return {
        "prompt_total_cost": (a.prompt + a.cached) * price,
        "completion_total_cost": (a.completion + a.reasoning) * price,
        "total_cost": a.total * price,
        "cocoon_adjusted_tokens": a.total,
    }


def upgrade(query: tl.ProxyRunQuery | tl.ProxyRunQueryEx) -> tl.ProxyRunQueryEx:
    """`proxy.runQuery` (proto 0) is served as `proxy.runQueryEx` with flags 0."""
    if isinstance(query, tl.ProxyRunQueryEx):
        return query
    return tl.ProxyRunQueryEx(
        query=query.query,
        signed_payment=query.signed_payment,
        coefficient=query.coefficient,
        timeout=query.timeout,
        request_id=query.request_id,
    )


def response_headers(
    upstream: list[tuple[str, str]], start: float, *, length: int | None
) -> list[tl.HttpHeader]:
    out = [
        tl.HttpHeader(name=n, value=v)
        for n, v in upstream
        if n.lower() not in _DROP_RESPONSE_HEADERS
    ]
    out.append(tl.HttpHeader(name="X-Cocoon-Worker-Start", value=f"{start:.6f}"))
    out.append(tl.HttpHeader(name="X-Cocoon-Worker-End", value=f"{time.time():.6f}"))
    if length is None:
        out.append(tl.HttpHeader(name="Transfer-Encoding", value="chunked"))
    else:
        out.append(tl.HttpHeader(name="Content-Length", value=str(length)))
    return out


async def serve_query(
    ctx: QueryContext,
    send: Send,
    proto: int,
    query: tl.ProxyRunQueryEx,
    *,
    cancel_scope: trio.CancelScope | None = None,
) -> None:
    """Serve one request to its end. Never raises for a request-level failure: every failure
    is answered to the proxy with an error carrying the tokens counted so far. Cancelling
    `cancel_scope` (the proxy's `cocoonExt.cancelQuery`) stops the inference server's work
    and answers 653 "cancelled" with the tokens counted until then."""
    start = time.time()
    replier = Replier(send, proto, query.request_id, debug=bool(query.enable_debug), start=start)
    if ctx.active >= ctx.max_active:
        await replier.error(codes.ERROR, "too many active queries")
        if ctx.metrics is not None:
            ctx.metrics.ended(OTHER, "rejected")
        return
    ctx.active += 1
    ctx.stats["queries"].add()
    meter = _Meter(int(query.coefficient), ctx.pricing)
    began = trio.current_time()
    ok = False
    try:
        deadline = math.inf if query.timeout <= 0 else query.timeout
        with trio.CancelScope(deadline=trio.current_time() + deadline) as request_scope:
            try:
                ok = await _forward(
                    ctx, replier, meter, query, upstream_deadline=deadline * TIMEOUT_FACTOR
                )
            except Exception:
                # A bug met by one request fails that request only: its session (and every
                # other request on it) goes on.
                log.exception("request %s failed", query.request_id.hex())
                await _internal_error(replier, meter)
        if request_scope.cancelled_caught and not replier.finished:
            await replier.error(codes.TIMEOUT, "worker: timeout", tokens=meter.tokens)
    finally:
        if cancel_scope is not None and cancel_scope.cancel_called and not replier.finished:
            # Cancelled by the proxy: still report what was produced, so it is billed.
            with trio.CancelScope(shield=True), trio.move_on_after(1):
                await replier.error(codes.CANCELLED, "cancelled", tokens=meter.tokens)
        ctx.active -= 1
        ctx.stats["success" if ok else "failed"].add()
        ctx.stats["time"].add(trio.current_time() - began)
        ctx.stats["bytes_sent"].add(replier.bytes_sent)
        ctx.stats["bytes_received"].add(len(query.query))
        tokens = meter.adjusted
        stats = ctx.stats
        stats["total_adjusted_tokens_used"].add(tokens.total)
        stats["prompt_adjusted_tokens_used"].add(tokens.prompt)
        stats["cached_adjusted_tokens_used"].add(tokens.cached)
        stats["completion_adjusted_tokens_used"].add(tokens.completion)
        stats["reasoning_adjusted_tokens_used"].add(tokens.reasoning)
        if ctx.metrics is not None:
            first = replier.first_answer_at  # set when the answer goes in parts
            ctx.metrics.ended(
                meter.endpoint,
                "success" if ok else "failed",
                duration=time.time() - start if replier.answered else None,
                first_token=first - start if first is not None else None,
            )


async def _forward(
    ctx: QueryContext,
    replier: Replier,
    meter: _Meter,
    query: tl.ProxyRunQueryEx,
    *,
    upstream_deadline: float,
) -> bool:
    try:
        request = tl.decode(query.query, tl.HttpRequest)
    except tl.TLDecodeError as e:
        await replier.error(codes.PLAIN, f"worker: invalid http request: {e}")
        return False
    meter.endpoint = endpoint_label(request.url)
    try:
        valid = validate_request(
            request.url,
            request.payload,
            model=ctx.model,
            profile=ctx.profile,
            continuous_usage=ctx.continuous_usage,
        )
    except InvalidRequestError as e:
        await replier.error(codes.PROTOVIOLATION, f"worker: invalid http request: {e.message}")
        return False
    headers = [
        (h.name, h.value) for h in request.headers if h.name.lower() not in _DROP_REQUEST_HEADERS
    ]
    try:
        # A plain scope, not `trio.fail_after` (two generator context managers around one).
        with trio.CancelScope(deadline=trio.current_time() + upstream_deadline):
            async with ctx.http.request(
                request.method, valid.path, headers=headers, body=valid.body
            ) as resp:
                return await _relay(
                    replier,
                    meter,
                    resp,
                    streamed=valid.stream,
                    strip_running_usage=valid.stream and ctx.continuous_usage,
                )
    except HttpRequestError:
        # Something HTTP cannot carry (a header value beyond latin-1, a control character):
        # the request's own fault, told as such. The HTTP client's text is not passed on: it
        # lists the headers sent, the inference server's address (`Host`) among them.
        name = _unsendable_header(headers)
        what = (
            f"header '{shown(name)}' cannot be sent"
            if name
            else "its method or target cannot be sent"
        )
        await replier.error(codes.PROTOVIOLATION, f"worker: invalid http request: {what}")
        return False
    except HttpError as e:
        # The details (addresses, OS errors) go to the log, not to whoever sent the request.
        log.warning("request %s: inference server: %r", query.request_id.hex(), e)
        what = "failed to get payload" if replier.answered else "http failed"
        if not replier.finished:
            await replier.error(
                codes.FAILURE, f"worker: {what}: {_failure_text(e)}", tokens=meter.tokens
            )
        return False
    # Only the upstream deadline gets here: every other way out of the scope returns or raises.
    if not replier.finished:
        await replier.error(codes.TIMEOUT, "worker: timeout", tokens=meter.tokens)
    return False


async def _relay(
    replier: Replier,
    meter: _Meter,
    resp: HttpResponse,
    *,
    streamed: bool,
    strip_running_usage: bool = False,
) -> bool:
    counter = meter.counter = UsageCounter(
        resp.header("content-type"),
        on_usage=meter.cost_fields(),
        strip_running_usage=strip_running_usage,
    )
    length = resp.header("content-length")
    version = status_line_version(resp.http_version)  # as `Replier.answer` sends it

    def http(headers: list[tl.HttpHeader], payload: bytes) -> tl.HttpResponse:
        return tl.HttpResponse(
            http_version=version,
            status_code=resp.status,
            reason=resp.reason,
            headers=headers,
            payload=payload,
        )

    if (
        not streamed
        and length is not None
        and length.isdigit()
        and int(length) <= SINGLE_MESSAGE_LIMIT
    ):
        # A small non-streamed answer: one message instead of three.
        body = counter.feed(await resp.read()) + counter.finish()
        headers = response_headers(resp.headers, replier.start, length=len(body))
        await replier.answer(http(headers, body), tokens=meter.tokens)
        return True
    # What already came with the head goes with it: the whole answer, when it is all here
    # (one message through every hop instead of a head and parts), else the first events.
    first = await resp.read_available()
    body = counter.feed(first) if first else b""
    headers = response_headers(resp.headers, replier.start, length=None)
    if resp.complete:
        body += counter.finish()
        if len(body) <= SINGLE_MESSAGE_LIMIT:
            await replier.answer(http(headers, body), tokens=meter.tokens)
            return True
    pieces = _pieces(body)
    await replier.answer(http(headers, pieces[0] if pieces else b""), tokens=None)
    replier.first_answer_at = time.time()
    for piece in pieces[1:]:
        await replier.part(piece, running=meter.tokens, last=False)
    async for chunk in resp.iter_body():
        for piece in _pieces(counter.feed(chunk)):
            await replier.part(piece, running=meter.tokens, last=False)
    *pieces, last = _pieces(counter.finish()) or [b""]
    for piece in pieces:
        await replier.part(piece, running=meter.tokens, last=False)
    await replier.part(last, running=meter.tokens, last=True)
    return True


def _pieces(data: bytes) -> list[bytes]:
    """`data` in parts that each fit in a frame (none for no data)."""
    return [data[i : i + MAX_PART] for i in range(0, len(data), MAX_PART)]


def _failure_text(e: HttpError) -> str:
    if isinstance(e, HttpConnectError):
        return "cannot connect to the inference server"
    if isinstance(e, HttpConnectionClosed):
        return "the inference server closed the connection"
    if isinstance(e, HttpProtocolError):
        return "the inference server's answer is not valid HTTP"
    return "the inference server could not be asked"


def _unsendable_header(headers: list[tuple[str, str]]) -> str | None:
    """The first header HTTP/1.1 cannot carry (a name that is not a token, a value beyond
    latin-1 or with a control character), if a header is what is at fault."""
    for name, value in headers:
        if _TOKEN.fullmatch(name) is None or _FIELD_VALUE.fullmatch(value) is None:
            return name
    return None


async def _internal_error(replier: Replier, meter: _Meter) -> None:
    if replier.finished:
        return
    try:
        await replier.error(codes.ERROR, "worker: internal error", tokens=meter.tokens)
    except Exception:  # nothing more to tell: the proxy times the request out
        log.exception("cannot report an internal error")


__all__ = ["ZERO_TOKENS", "Pricing", "QueryContext", "serve_query", "upgrade"]
