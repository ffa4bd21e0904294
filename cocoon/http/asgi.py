"""ASGI apps (HTTP and lifespan) on the lean HTTP/1.1 server: how the roles serve their
Quart-Trio apps and the client's inference API.

    port = await nursery.start(serve_asgi, app, "127.0.0.1", 0)

Why not Hypercorn: on a request/response path it cost about 1.2 ms of CPU per request (h11
events, a task group and several scheduler passes per request); this adapter adds tens of
microseconds to `serve_http`'s own cost.

What an app sees: an `http` scope (path, raw path, query string, lower-cased headers), one
`http.request` message with the whole body (the server reads it, bounded by `ServerLimits`),
then `http.disconnect` once the client has gone. A response sent whole (one body message
without `more_body`) goes out with its Content-Length; a streamed one goes out chunked, as
its parts arrive. An app that returns (or fails) in the middle of a streamed body has the
connection closed without the last chunk, so the client sees a truncated answer, never a
complete-looking one. The app's lifespan runs for as long as the server: startup before the
port opens, its tasks cancelled with the server. Native routes (a hot path) bypass ASGI.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from typing import Any
from urllib.parse import unquote

import trio

from cocoon.http._wire import http_date
from cocoon.http.server import Handler, HttpRequest, HttpResponder, ServerLimits, serve_http

log = logging.getLogger("cocoon.http.asgi")

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_ASGI = {"version": "3.0", "spec_version": "2.3"}


class LifespanError(Exception):
    """The app refused to start (`lifespan.startup.failed`)."""


async def run_lifespan(app: ASGIApp, *, task_status: trio.TaskStatus[None]) -> None:
    """Run the app's lifespan: started once it reports startup complete (or does not speak
    the lifespan protocol at all); runs until cancelled."""
    to_app, from_server = trio.open_memory_channel[Message](1)
    started = False

    async def receive() -> Message:
        return await from_server.receive()

    async def send(message: Message) -> None:
        nonlocal started
        kind = message["type"]
        if kind == "lifespan.startup.complete" and not started:
            started = True
            task_status.started()
        elif kind == "lifespan.startup.failed":
            raise LifespanError(message.get("message", "startup failed"))

    await to_app.send({"type": "lifespan.startup"})
    try:
        await app({"type": "lifespan", "asgi": _ASGI}, receive, send)
    except LifespanError:
        raise
    except Exception as e:  # an app without lifespan support raises for the scope type
        if started:
            raise
        log.debug("ASGI app without lifespan: %r", e)
    if not started:
        task_status.started()
    await trio.sleep_forever()


class _Exchange:
    """One request: the app's messages mapped onto the responder."""

    __slots__ = ("_body", "_headers", "_responder", "_status")

    def __init__(self, request: HttpRequest, responder: HttpResponder) -> None:
        self._responder = responder
        self._body: bytes | None = request.body
        self._status = 0
        self._headers: list[tuple[str, str]] = []

    async def receive(self) -> Message:
        if self._body is not None:
            body, self._body = self._body, None
            return {"type": "http.request", "body": body, "more_body": False}
        if not self._responder.aborted:
            await self._responder.wait_client_gone()
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        responder = self._responder
        if responder.aborted:
            await trio.lowlevel.checkpoint()
            return  # the client has gone: what the app still sends is dropped (ASGI 2.3)
        try:
            await self._send(message)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            # The client went away while we answered: a normal end of a request, not an app
            # failure (raised from here it would surface as the app's error, in a group).
            responder.aborted = responder.finished = True
            responder.keep_alive = False

    async def _send(self, message: Message) -> None:
        responder = self._responder
        kind = message["type"]
        if kind == "http.response.start":
            self._status = message["status"]
            headers = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in message["headers"]]
            if not any(n.lower() == "date" for n, _ in headers):
                headers.append(("Date", http_date()))
            self._headers = headers
        elif kind == "http.response.body":
            body = message.get("body", b"")
            more = message.get("more_body", False)
            if not responder.started:
                if not more:
                    await responder.respond(self._status, self._headers, body)
                    return
                await responder.start(self._status, self._headers)
            if responder.finished:
                return
            if more:
                await responder.write(body)
            else:
                await responder.end(body)

    async def run(self, app: ASGIApp, scope: Scope) -> None:
        await app(scope, self.receive, self.send)
        responder = self._responder
        if responder.started and not responder.finished:
            await responder.abort()  # an unfinished body must look unfinished


class _Server:
    """The `serve_http` handler for one app (and its native routes)."""

    def __init__(self, app: ASGIApp, host: str, routes: Mapping[tuple[str, str], Handler]) -> None:
        self.app = app
        self.routes = routes
        self.address = (host, 0)  # the bound port once listening

    async def handle(self, request: HttpRequest, responder: HttpResponder) -> None:
        raw_path, _, query = request.target.partition("?")
        native = self.routes.get((request.method, raw_path)) if self.routes else None
        if native is not None:
            await native(request, responder)
            return
        scope: Scope = {
            "type": "http",
            "asgi": _ASGI,
            "http_version": request.http_version,
            "method": request.method,
            "scheme": "http",
            "path": unquote(raw_path),
            "raw_path": raw_path.encode("latin-1"),
            "query_string": query.encode("latin-1"),
            "root_path": "",
            "headers": [
                (n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in request.headers
            ],
            "client": None,
            "server": self.address,
            "extensions": {},
        }
        await _Exchange(request, responder).run(self.app, scope)


async def serve_asgi(
    app: ASGIApp,
    host: str,
    port: int,
    *,
    limits: ServerLimits = ServerLimits(),
    routes: Mapping[tuple[str, str], Handler] | None = None,
    task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve `app` on host:port until cancelled; started with the bound port once the app's
    lifespan startup completed. Bodies are bounded by `limits.max_body_size` (413 above).
    `routes` maps (method, path) to a `serve_http` handler that serves those requests
    itself, without the app (a hot path)."""
    server = _Server(app, host, routes or {})
    async with trio.open_nursery() as nursery:
        await nursery.start(run_lifespan, app)
        bound = await nursery.start(
            partial(serve_http, server.handle, port, host=host, limits=limits)
        )
        server.address = (host, bound)
        task_status.started(bound)


__all__ = ["ASGIApp", "LifespanError", "run_lifespan", "serve_asgi"]
