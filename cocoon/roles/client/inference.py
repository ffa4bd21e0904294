"""`POST /v1/chat/completions` and `POST /v1/completions`: the client's hot path, served by the
lean HTTP server directly, in front of the Quart app (spec 40 sections 2.3-2.6).

body (bounded: 413) -> the client-only fields and the worker's checks, on one parse (400) ->
`http.request` -> `node.request` -> the answer, passed through as it arrives:

* Streamed answers (SSE, or any answer whose size the worker did not know) leave chunk by
  chunk: the head as soon as the worker's head arrives, then every part unbuffered.
* An answer the worker sent whole (`Content-Length`) goes out whole, with its length; with
  `enable_debug` a JSON answer is held until the end so that `"debug"` can be merged into it.
* Failures before the head: OpenAI-shaped JSON with an honest status (`cocoon.openai.errors`).
  After the head: SSE gets `data: {"error": ...}` then `data: [DONE]`; any other body is
  aborted (no terminating chunk), so the caller sees a transport error rather than a
  well-formed but truncated answer.
* The user leaving (disconnect) cancels the request at the proxy, which stops the worker.
"""

from __future__ import annotations

import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import trio

from cocoon import tl
from cocoon.http._wire import http_date
from cocoon.http.server import HttpRequest, HttpResponder
from cocoon.net import codes
from cocoon.openai.errors import (
    INVALID_REQUEST,
    ErrorResponse,
    error_body,
    error_response,
    shown,
    wrap_upstream_error,
)
from cocoon.openai.validation import (
    CLIENT_ERROR_PREFIX,
    ClientRequestOptions,
    InvalidRequestError,
    check_ranges,
    check_request,
    parse_client_object,
    parse_json_object,
)
from cocoon.roles.client.events import Chunk, Done, Failed, Head
from cocoon.roles.client.journal import Journal, RequestRecord
from cocoon.roles.client.shaping import (
    CORS,
    SSE_DONE,
    answer_headers,
    debug_object,
    forward_headers,
    merge_debug,
    sse_debug,
    sse_event,
    stats_record,
)

if TYPE_CHECKING:
    from cocoon.roles.client.core import ClientNode
    from cocoon.roles.client.metrics import ClientMetrics

log = logging.getLogger("cocoon.client.inference")

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

CHAT_PATH = "/v1/chat/completions"
COMPLETIONS_PATH = "/v1/completions"
INFERENCE_PATHS = frozenset({CHAT_PATH, COMPLETIONS_PATH})
SSE_END = b"data: [DONE]\n\n"


def error_answer(
    status: int, message: str, *, code: str, param: str | None = None, error_code: int = 621
) -> ErrorResponse:
    """An HTTP-level refusal of ours (size, auth, path) in the same shape as the others."""
    body = error_body(message, type=INVALID_REQUEST, code=code, param=param, error_code=error_code)
    return ErrorResponse(status=status, body=body, headers=(("Content-Type", "application/json"),))


def _error_headers(
    answer: ErrorResponse, *, cors: bool, request_id: bytes | None = None
) -> list[tuple[str, str]]:
    headers = [*answer.headers, ("Date", http_date())]
    if request_id is not None:
        headers.append(("X-Request-Id", request_id.hex()))
    if cors:
        headers.extend(CORS)
    return headers


async def send_error(
    send: Send, answer: ErrorResponse, *, cors: bool, request_id: bytes | None = None
) -> int:
    """Send a whole error answer through ASGI; returns the bytes sent."""
    headers = [
        (k.lower().encode(), v.encode())
        for k, v in _error_headers(answer, cors=cors, request_id=request_id)
    ]
    headers.append((b"content-length", str(len(answer.body)).encode()))
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body, "more_body": False})
    return len(answer.body)


async def respond_error(
    responder: HttpResponder,
    answer: ErrorResponse,
    *,
    cors: bool,
    request_id: bytes | None = None,
) -> int:
    """Send a whole error answer; returns the bytes sent."""
    headers = _error_headers(answer, cors=cors, request_id=request_id)
    await responder.respond(answer.status, headers, answer.body)
    return len(answer.body)


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


class InferenceApi:
    """Serves the two inference endpoints for one `ClientNode`; shared by all requests."""

    def __init__(self, node: ClientNode, journal: Journal) -> None:
        cfg = node.config
        self.node = node
        self.journal = journal
        self.cors = False  # CORS headers: per allowed Origin, by `webguard.guard_native`
        self.max_body = cfg.max_body_bytes
        self.profile = cfg.validation_profile
        self.defaults = {
            "default_max_tokens": cfg.max_tokens,
            "default_max_coefficient": cfg.max_coefficient,
            "default_timeout": cfg.request_timeout,
            "inject_default_max_tokens": cfg.inject_default_max_tokens,
        }
        self._keys = tuple(k.encode() for k in cfg.api_keys)
        # The proxies' model list, to name the choices when a model is unknown.
        self.model_names: Callable[[], Awaitable[list[str]]] | None = None
        self.metrics: ClientMetrics | None = None  # `/metrics`, when the app serves it

    # ------------------------------------------------------------------ auth

    def authorized(self, authorization: bytes | None) -> bool:
        """`Authorization: Bearer <key>` against `api_keys` (none configured: open). Every key
        is compared, in constant time, so timing tells nothing about which matched."""
        if not self._keys:
            return True
        scheme, _, token = (authorization or b"").partition(b" ")
        if scheme.lower() != b"bearer":
            token = b""
        token = token.strip()
        ok = False
        for key in self._keys:
            ok |= hmac.compare_digest(token, key)
        return ok

    def unauthorized_answer(self) -> ErrorResponse:
        return error_answer(
            401,
            "Incorrect API key provided: send `Authorization: Bearer <key>` with one of the "
            "client's api_keys",
            code="invalid_api_key",
            error_code=codes.ERROR,
        )

    # ------------------------------------------------------------------ the request

    async def handle(self, request: HttpRequest, responder: HttpResponder) -> None:
        """Serve one inference request (the server read its body, up to its own bound)."""
        started_at = time.time()
        began = trio.current_time()
        stats = self.node.stats
        if self._keys:
            authorization = _header(request.headers, "authorization")
            if not self.authorized(authorization.encode("latin-1") if authorization else None):
                await respond_error(responder, self.unauthorized_answer(), cors=self.cors)
                return
        body = request.body
        if len(body) > self.max_body:
            await self._too_large(responder)
            return
        stats["queries"].add()
        stats["bytes_received"].add(len(body))
        path = request.path
        obj: dict[str, Any] = {}
        try:
            obj = parse_json_object(body)
            parsed = parse_client_object(obj, **self.defaults)
            check_request(path, obj, profile=self.profile)
            check_ranges(path, obj)
            headers = forward_headers(request.headers, len(parsed.body))
        except InvalidRequestError as e:
            answer = error_response(
                e.code, CLIENT_ERROR_PREFIX + e.message, param=e.param, code=e.slug, local=True
            )
            model = obj.get("model")
            record = RequestRecord("", model if type(model) is str else "", path, False, started_at)
            record.status, record.bytes_sent = answer.status, len(answer.body)
            record.error = CLIENT_ERROR_PREFIX + e.message
            record.caller_fault = True
            self._finish(record, began)
            await respond_error(responder, answer, cors=self.cors)
            return
        record = RequestRecord(
            "", parsed.options.model, path, obj.get("stream") is True, started_at
        )
        query = request.query
        http_request = tl.HttpRequest(
            method=request.method,
            url=f"{path}?{query}" if query else path,
            http_version="HTTP/" + request.http_version,
            headers=headers,
            payload=parsed.body,
        )
        exchange = _Exchange(self, responder, record, parsed.options)
        try:
            with responder.cancel_on_disconnect():
                await exchange.run(http_request)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            # A write found the caller's connection broken before its reader saw it go.
            responder.client_gone = True
            raise  # the server drops the connection
        except Exception:
            if responder.started:
                raise  # the server cuts the answer short
            # A bug met by this request: a 500 in OpenAI's shape, not the server's empty one.
            log.exception("inference request failed")
            answer = error_response(codes.ERROR, "internal error in the client", local=True)
            record.status, record.error = answer.status, "internal error in the client"
            record.bytes_sent += await respond_error(
                responder, answer, cors=self.cors, request_id=exchange.request_id
            )
        finally:
            # Counted and recorded however the request ended (a send that raised included).
            if responder.client_gone and record.error is None and not exchange.finished:
                record.error = "the caller disconnected"
                record.caller_fault = True
            self._finish(record, began)
            exchange.booked = True
            key = parsed.options.debug_key
            if key is not None:  # what `/request/debuglogentry` shows for this request_guid
                entry = dict(exchange.debug_records or {})
                entry["request"] = record.as_json()
                self.journal.keep_debug(key, entry)
                exchange.debug_entry = entry

    def _too_large_answer(self) -> ErrorResponse:
        return error_answer(
            413,
            f"request body larger than {self.max_body} bytes (max_body_bytes)",
            code="request_too_large",
        )

    async def _too_large(self, responder: HttpResponder) -> None:
        await respond_error(responder, self._too_large_answer(), cors=self.cors)

    def refusal(self, status: int) -> tuple[list[tuple[str, str]], bytes] | None:
        """The HTTP server's own 413, for a body beyond even its bound (never read): our
        shape too (`cocoon.http.server.Refusal`)."""
        if status != 413:
            return None
        answer = self._too_large_answer()
        return _error_headers(answer, cors=self.cors), answer.body

    def cost_of(self, tokens: int) -> int:
        root = self.node.root.config
        return tokens * (root.price_per_token if root is not None else 0)

    def recharge(self, record: RequestRecord, tokens: int, *, booked: bool) -> None:
        """Set a request's charge to what the proxy's receipt says; a request already in the
        journal and the stats is corrected there too."""
        cost = self.cost_of(tokens)
        if not booked:
            record.tokens, record.cost = tokens, cost
            return
        stats = self.node.stats
        stats["tokens"].add(tokens - record.tokens)
        stats["cost"].add(cost - record.cost)
        if self.metrics is not None:
            self.metrics.recharged(record, tokens - record.tokens, cost - record.cost)
        self.journal.recharge(record, tokens, cost)

    def _finish(self, record: RequestRecord, began: float) -> None:
        stats = self.node.stats
        if record.ended_at is None:
            record.ended_at = time.time()
        stats["success" if record.ok else "failed"].add()
        stats["time"].add(trio.current_time() - began)
        stats["bytes_sent"].add(record.bytes_sent)
        if record.tokens:
            stats["tokens"].add(record.tokens)
            stats["cost"].add(record.cost)
        if record.proxy_time is not None:
            stats["proxy_time"].add(record.proxy_time)
        if record.worker_time is not None:
            stats["worker_time"].add(record.worker_time)
        if self.metrics is not None:
            self.metrics.finished(record)
        self.journal.add(record)


class _Exchange:
    """One request's answer: what went out so far decides how a failure is reported."""

    def __init__(
        self,
        api: InferenceApi,
        responder: HttpResponder,
        record: RequestRecord,
        options: ClientRequestOptions,
    ) -> None:
        self.api = api
        self.responder = responder
        self.record = record
        self.options = options
        self.debug = options.enable_debug
        self.request_id: bytes | None = None
        self.head_at: float | None = None
        self.started = False  # the head went to the user
        self.finished = False  # the answer was ended (normally or with an SSE error)
        self.sse = False
        self.deferred: list[tuple[str, str]] | None = None  # head held back
        self.upstream_error = False  # the inference server's error answer (status >= 400)
        self.parts: list[bytes] = []
        self.held: bytes | None = None  # SSE `[DONE]` held back for the debug event
        self.unsent: tuple[int, list[tuple[str, str]], bytes] | None = None  # a whole answer
        self.done_sent = False
        self.debug_records: dict[str, Any] | None = None
        self.charged: int | None = None  # what the proxy's receipt says it charged
        self.booked = False  # the record is in the journal and the stats
        self.debug_entry: dict[str, Any] | None = None  # its debug log entry, once kept

    def on_charge(self, tokens: int) -> None:
        """The proxy's receipt: what it charged is what the books show, also when it comes
        after the request ended here (the caller left, or our deadline ended it first)."""
        self.charged = tokens
        if tokens != self.record.tokens:
            self.api.recharge(self.record, tokens, booked=self.booked)
            if self.debug_entry is not None:
                self.debug_entry["request"] = self.record.as_json()

    async def run(self, http_request: tl.HttpRequest) -> None:
        request = self.api.node.request(self.options, http_request, on_charge=self.on_charge)
        async with request as events:
            async for event in events:
                if type(event) is Chunk:
                    await self._chunk(event.data)
                elif type(event) is Head:
                    await self._head(event)
                elif type(event) is Done:
                    await self._done(event)
                    return
                elif type(event) is Failed:
                    await self._failed(event)
                    return
        await self._failed(Failed(codes.ERROR, "the answer ended early", answered=self.started))

    async def _body(self, data: bytes, more: bool = True) -> None:
        self.record.bytes_sent += len(data)
        if more:
            await self.responder.write(data)
        else:
            await self.responder.end(data)

    async def _head(self, head: Head) -> None:
        now = self.head_at = time.time()
        response = head.response
        self.request_id = head.request_id
        self.record.request_id = head.request_id.hex()
        self.record.first_byte_at = now
        status = response.status_code if 200 <= response.status_code <= 599 else 502
        self.record.status = status
        headers, content_type = answer_headers(
            response.headers,
            start=self.record.started_at,
            end=now,
            request_id=head.request_id,
            cors=self.api.cors,
        )
        self.sse = content_type.startswith("text/event-stream")
        whole = any(h.name.lower() == "content-length" for h in response.headers)
        # A JSON answer to a request that did not ask to stream goes out whole, even when
        # it comes in parts: half a JSON document is of no use to the caller, and a failure
        # before its end is then an error answer instead of a connection cut mid-body. So
        # does an inference server's error answer, to be put in OpenAI's shape.
        self.upstream_error = status >= 400 and not self.sse
        if (
            whole
            or self.upstream_error
            or (not self.sse and (self.debug or not self.record.stream))
        ):
            self.deferred = headers
            if response.payload:
                self.parts.append(response.payload)
            return
        data = self._outgoing(response.payload) if response.payload else b""
        if head.complete:  # the end follows at once: head, body and end go in one write
            self.unsent = (status, headers, data)
            return
        self.record.bytes_sent += len(data)
        await self.responder.start(status, headers, data)
        self.started = True

    def _outgoing(self, data: bytes) -> bytes:
        """What of `data` goes to the user now (an SSE `[DONE]` waits for the debug event)."""
        if self.sse:
            if self.held is not None:
                self.held += data
                return b""
            i = data.find(SSE_DONE)
            if i >= 0:
                if self.debug:  # the debug event goes before `[DONE]`
                    self.held, data = data[i:], data[:i]
                else:
                    self.done_sent = True
        return data

    async def _chunk(self, data: bytes) -> None:
        if self.deferred is not None:
            self.parts.append(data)
            return
        data = self._outgoing(data)
        if data:
            await self._body(data)

    def _account(self, final: tl.ClientQueryFinalInfo | None, tokens: int) -> None:
        record = self.record
        if self.charged is not None:  # the receipt came first: it is what was charged
            tokens = self.charged
        record.tokens = tokens
        record.cost = self.api.cost_of(tokens)
        if final is None:
            return
        used = final.tokens_used
        record.prompt_tokens = used.prompt_tokens_used + used.cached_tokens_used
        record.completion_tokens = used.completion_tokens_used + used.reasoning_tokens_used
        if final.proxy_start_time and final.proxy_end_time:
            record.proxy_time = max(final.proxy_end_time - final.proxy_start_time, 0.0)
        if final.worker_start_time and final.worker_end_time:
            record.worker_time = max(final.worker_end_time - final.worker_start_time, 0.0)

    def _debug(self, final: tl.ClientQueryFinalInfo | None, now: float) -> dict[str, Any]:
        client = stats_record("client", self.record.started_at, self.head_at or now, now)
        return debug_object(final, client)

    async def _done(self, done: Done) -> None:
        now = time.time()
        self._account(done.final, done.tokens)
        self.record.ended_at = now
        debug = self._debug(done.final, now) if self.debug else None
        self.debug_records = debug
        self.finished = True
        if self.deferred is not None:
            body = b"".join(self.parts)
            if self.upstream_error:
                body = self._wrapped(body)
            if debug is not None and not self.sse:
                body = merge_debug(body, debug)
            self.started = True
            self.record.bytes_sent += len(body)
            await self.responder.respond(self.record.status, self.deferred, body)
            return
        tail = b""
        if debug is not None and self.sse:
            tail = sse_debug(debug) + (self.held or b"")
        if self.unsent is not None:
            status, headers, data = self.unsent
            self.started = True
            self.record.bytes_sent += len(data) + len(tail)
            await self.responder.start(status, headers, data + tail, last=True)
            return
        await self._body(tail, more=False)

    def _wrapped(self, body: bytes) -> bytes:
        """An inference server's error body in OpenAI's `{"error": {...}}` (vLLM answers
        `{"object": "error", ...}`), with a JSON content type when it was something else."""
        wrapped = wrap_upstream_error(self.record.status, body)
        if wrapped is None:
            return body
        assert self.deferred is not None
        self.deferred = [(k, v) for k, v in self.deferred if k.lower() != "content-type"]
        self.deferred.append(("Content-Type", "application/json"))
        return wrapped

    async def _failed(self, failed: Failed) -> None:
        now = time.time()
        self._account(failed.final, _tokens(failed))
        self.record.ended_at = now
        message = failed.message
        answer = error_response(failed.code, message)
        if answer.status == 404 and "unknown model " in message:
            # The name is the caller's: shown bounded and escaped, never echoed whole.
            head, _, name = message.partition("unknown model ")
            message = f"{head}unknown model {shown(name)}"
            answer = error_response(failed.code, await self._with_choices(message))
        self.record.error = message
        # Refused for what the caller sent (or a limit on the caller): nothing about the network.
        self.record.caller_fault = 400 <= answer.status < 500 and answer.status != 402
        if self.request_id is None and failed.request_id is not None:  # failed before the head
            self.request_id = failed.request_id
            self.record.request_id = failed.request_id.hex()
        debug = self._debug(failed.final, now) if self.debug else None
        self.debug_records = debug
        body = answer.body
        if debug is not None:
            obj = json.loads(body)
            obj.update(debug)
            body = json.dumps(obj, separators=(",", ":")).encode()
        if not self.started:
            self.record.status = answer.status
            answer = ErrorResponse(answer.status, body, answer.headers)
            self.record.bytes_sent += await respond_error(
                self.responder, answer, cors=self.api.cors, request_id=self.request_id
            )
            self.finished = True
        elif self.sse:
            tail = b"" if self.done_sent else sse_event(body) + SSE_END
            await self._body(tail, more=False)
            self.finished = True
        else:
            # A JSON body is under way: cut the connection mid-body, so the caller sees a
            # transport error rather than a well-formed but truncated answer.
            await self.responder.abort()

    async def _with_choices(self, message: str) -> str:
        """The proxy's "unknown model X" plus the models one can ask for (spec 40 section 8,
        journey 14). Best effort: a failing lookup leaves the message as it was."""
        if self.api.model_names is None:
            return message
        names: list[str] = []
        with trio.move_on_after(2):
            names = await self.api.model_names()
        return f"{message} (available: {', '.join(names)})" if names else message


def _tokens(failed: Failed) -> int:
    return failed.final.tokens_used.total_tokens_used if failed.final is not None else 0
