"""A role's web app whose pages (Quart-Trio) are built at their first request.

Quart, Werkzeug, Jinja, Hypercorn and the rest of the dashboards' stack are some 400 modules and
over 10 MB of every role's memory, yet a role serves its pages only when an operator opens
them. The hot and the common routes (the client's inference routes and `/v1/models`, every
role's `/health`) are native routes of `cocoon.http` that never touch Quart; the rest waits
here until asked for:

    app = LazyApp("cocoon-proxy", build, {WEB_ACCESS: access, NATIVE_ROUTES: routes})
    await nursery.start(serve_web, app, host, port)   # Quart is not imported yet

`build()` imports Quart and returns the app with its routes; it runs once, at the first request
that is not a native route, and the app's own lifespan (the nursery its background tasks use)
starts then, inside this app's lifespan. What the app's builder set in `extensions` before is
carried over, so `app.extensions` reads the same before and after.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import trio

from cocoon.http.asgi import run_lifespan
from cocoon.roles.common.webguard import PAGE_HEADERS, Handler, Receive, Scope, Send, WebAccess

Build = Callable[[], Any]  # -> the Quart-Trio app (an ASGI app with `extensions`)


class LazyApp:
    """An ASGI app standing in for the one `build()` makes at its first request."""

    def __init__(self, name: str, build: Build, extensions: dict[str, Any] | None = None) -> None:
        self.name = name
        self._build = build
        self._extensions: dict[str, Any] = dict(extensions or {})
        self._app: Any = None
        self._lock = trio.Lock()
        self._nursery: trio.Nursery | None = None  # our lifespan's: the built app's runs there

    @property
    def built(self) -> bool:
        return self._app is not None

    @property
    def extensions(self) -> dict[str, Any]:
        return self._app.extensions if self._app is not None else self._extensions

    def app(self) -> Any:
        """The built app (built now if it was not), without its lifespan."""
        if self._app is None:
            app = self._build()
            # What was set here first wins: the roles read these objects (metrics, access).
            app.extensions.update(self._extensions)
            self._app = app
        return self._app

    async def _started(self) -> Any:
        async with self._lock:  # two first requests at once build one app
            if self._app is None:
                app = self.app()
                if self._nursery is not None:
                    await self._nursery.start(run_lifespan, app)
        return self._app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        app = self._app if self._app is not None else await self._started()
        await app(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        async with trio.open_nursery() as nursery:
            self._nursery = nursery
            try:
                while True:
                    message = await receive()
                    if message["type"] == "lifespan.startup":
                        await send({"type": "lifespan.startup.complete"})
                    elif message["type"] == "lifespan.shutdown":
                        nursery.cancel_scope.cancel()
                        await send({"type": "lifespan.shutdown.complete"})
                        return
            finally:
                self._nursery = None


def json_route(access: WebAccess, answer: Callable[[], Awaitable[tuple[int, Any]]]) -> Handler:
    """A native GET route answering `answer()`'s (status, JSON value), with the pages'
    headers; for the open paths (`/health`), which need no token. (`guard_native` adds the
    Host and Origin checks: use it on the result.)"""
    headers = [("Content-Type", "application/json"), *PAGE_HEADERS.items()]

    async def handler(request: Any, responder: Any) -> None:
        status, value = await answer()
        await responder.respond(status, headers, json.dumps(value).encode())

    return handler
