"""What every role's Quart-Trio app shares: the guard of the control pages (Host and Origin
checks, access token, POST-only controls with a CSRF token; `webguard`), JSON and HTML
answers."""

from __future__ import annotations

import json
from typing import Any

from quart import Response, request
from quart_trio import QuartTrio

from cocoon.roles.common.metrics import METRICS_PATH
from cocoon.roles.common.webguard import (
    OPEN_PATHS,
    PAGE_HEADERS,
    WEB_ACCESS,
    GuardedApp,
    WebAccess,
    refusal,
)

_SAFE_METHODS = ("GET", "HEAD")


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(data), status=status, content_type="application/json", headers=headers
    )


def html_response(text: str, status: int = 200) -> Response:
    return Response(text, status=status, content_type="text/html; charset=utf-8")


def _refused(status: int, message: str, code: str) -> Response:
    answer = refusal(status, message, code)
    return Response(answer.body, status=status, headers=dict(answer.all_headers()))


def _bearer(authorization: str | None) -> str | None:
    """The token of `Authorization: Bearer <token>` (how Prometheus sends a scrape's
    credentials), taken on `/metrics` only: a GET that changes nothing."""
    scheme, _, token = (authorization or "").partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


def web_access(app: QuartTrio) -> WebAccess:
    return app.extensions[WEB_ACCESS]


def new_app(name: str, access: WebAccess) -> QuartTrio:
    """A Quart-Trio app behind `access`: every request passes the Host and Origin checks;
    the control pages (all but `/v1/*`, `/health`, `/perf`; `/metrics` among them) need the
    access token (`?access_hash=`, `X-Access-Hash`, a form field, or on `/metrics` only
    `Authorization: Bearer`), and a request that may change state (any method but GET and
    HEAD) needs the CSRF token of our forms too, unless the token
    came in the `X-Access-Hash` header (a page cannot send that cross-origin)."""
    app = QuartTrio(name)
    app.config["MAX_CONTENT_LENGTH"] = 16 * 1024 * 1024
    app.extensions[WEB_ACCESS] = access

    @app.before_request
    async def _guard() -> Response | None:
        path = request.path
        if path.startswith("/v1/") or path in OPEN_PATHS:
            return None
        header = request.headers.get("X-Access-Hash")
        form = await request.form if request.method not in _SAFE_METHODS else {}
        given = request.args.get("access_hash") or header or form.get("access_hash")
        if not given and path == METRICS_PATH:
            given = _bearer(request.headers.get("Authorization"))
        if not given:
            return _refused(
                401, "this page needs the access hash: ?access_hash=<http_access_hash>",
                "missing_access_hash",
            )  # fmt: skip
        if not access.token_ok(given):
            return _refused(403, "wrong access hash", "invalid_access_hash")
        if request.method in _SAFE_METHODS or access.token_ok(header):
            return None
        if not access.csrf_ok(form.get("csrf_token")):
            return _refused(
                403, "missing or stale CSRF token: use the buttons of /stats (reload it)",
                "invalid_csrf_token",
            )  # fmt: skip
        return None

    @app.after_request
    async def _page_headers(response: Response) -> Response:
        if not request.path.startswith("/v1/"):
            for k, v in PAGE_HEADERS.items():
                response.headers.setdefault(k, v)
        return response

    app.asgi_app = GuardedApp(app.asgi_app, access)  # type: ignore[method-assign]
    return app
