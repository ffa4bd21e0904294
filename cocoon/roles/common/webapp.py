"""What every role's Quart-Trio app shares: the access-hash guard of the control pages
(spec 40 section 2.9), CORS headers, JSON answers."""

from __future__ import annotations

import hmac
import json
from typing import Any

from quart import Response, request
from quart_trio import QuartTrio

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type, Authorization",
}


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(data), status=status, content_type="application/json", headers=headers
    )


def html_response(text: str, status: int = 200) -> Response:
    return Response(text, status=status, content_type="text/html; charset=utf-8")


def new_app(name: str, access_hash: str = "") -> QuartTrio:
    """A Quart-Trio app whose control pages need `?access_hash=` (or `X-Access-Hash`) when an
    access hash is configured; `/v1/*`, `/health` and `OPTIONS` never do."""
    app = QuartTrio(name)
    app.config["MAX_CONTENT_LENGTH"] = 16 * 1024 * 1024

    @app.before_request
    async def _guard() -> Response | None:
        if request.method == "OPTIONS":
            return Response("", status=204, headers=CORS_HEADERS)
        if (
            not access_hash
            or request.path.startswith("/v1/")
            or request.path in ("/health", "/perf")
        ):
            return None
        given = request.args.get("access_hash") or request.headers.get("X-Access-Hash") or ""
        if not hmac.compare_digest(given.encode(), access_hash.encode()):
            return Response("", status=400)
        return None

    @app.after_request
    async def _cors(response: Response) -> Response:
        for k, v in CORS_HEADERS.items():
            response.headers.setdefault(k, v)
        return response

    return app
