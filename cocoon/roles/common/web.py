"""Serving a role's web app (Quart-Trio, or a `lazyapp.LazyApp` of it) inside the role's nursery (on `cocoon.http.asgi`)."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

import attrs
import trio

from cocoon.http.asgi import serve_asgi
from cocoon.http.server import MAX_BODY_SIZE, Refusal, ServerLimits
from cocoon.roles.common.webguard import WEB_ACCESS

log = logging.getLogger("cocoon.web")

KEEP_ALIVE_TIMEOUT = 75.0
NATIVE_ROUTES = "cocoon.native_routes"


@attrs.frozen
class WebHandle:
    host: str
    port: int
    access_hash: str = ""  # what the control pages need (`?access_hash=`)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


async def serve_web(
    app: Any,
    host: str,
    port: int,
    *,
    max_body: int = MAX_BODY_SIZE,
    refusal: Refusal | None = None,
    task_status: trio.TaskStatus[WebHandle] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve `app` on `host:port` (0 = any free port) until cancelled. Request bodies above
    `max_body` are refused (413, answered by `refusal` if given) before they are read. An app
    may bring routes it serves without ASGI, in `app.extensions[NATIVE_ROUTES]` ((method,
    path) -> handler). The app's access token is printed when it was generated at start."""
    limits = ServerLimits(
        max_body_size=max_body, keepalive_timeout=KEEP_ALIVE_TIMEOUT, refusal=refusal
    )
    extensions = getattr(app, "extensions", {})
    routes = extensions.get(NATIVE_ROUTES)
    access = extensions.get(WEB_ACCESS)
    async with trio.open_nursery() as nursery:
        bound = await nursery.start(
            partial(serve_asgi, app, host, port, limits=limits, routes=routes)
        )
        handle = WebHandle(host, bound, access.access_hash if access else "")
        if access is not None and access.generated:
            # A warning, shown at any log level: the operator needs it to open the pages.
            log.warning(
                "%s: control pages need the access hash generated at start (set "
                "http_access_hash to choose one): %s/stats?access_hash=%s",
                getattr(app, "name", "web"), handle.url, access.access_hash,
            )  # fmt: skip
        task_status.started(handle)
