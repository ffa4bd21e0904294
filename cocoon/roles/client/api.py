"""The client's HTTP API: OpenAI-compatible endpoints and the operator's pages (spec 40 section
2.2, our routing):

| route | answer |
| --- | --- |
| `POST /v1/chat/completions`, `POST /v1/completions` | inference (`inference.py`), streamed as it arrives |
| `GET /v1/models`, `GET /v1/models/{id}` | models with workers across all proxies (`?all=1`: every model) |
| other `/v1/*` | 404 (405 for a wrong method), OpenAI-shaped |
| `GET /stats`, `/jsonstats`, `/health` | dashboard, JSON stats, readiness (200/503) |
| `GET /metrics` | Prometheus metrics (`metrics.py`; access hash, or it as `Authorization: Bearer`) |
| `POST /request/charge|topup|withdraw|close?proxy=<proxy contract>` | payment-channel actions, short HTML |
| `GET /request/debuglogentry?request_guid=` | the debug record of a request (`{}` if unknown) |
| `OPTIONS *` | CORS preflight (for `cors_origins` on `/v1/*`) |

Errors are OpenAI's shape, `{"error": {"message", "type", "code", "param"}, "error_code":
<TON code>}` (the reference's top-level string `error` became this object), with honest
statuses: bad JSON or fields (OpenAI's ranges, a header the client will not forward) 400,
bad API key 401, balance 402, unknown model or endpoint 404, oversized body 413, the proxy's
per-client request limit 429, no proxy / no worker / every worker busy / none under
`max_coefficient` 503 (OpenAI's "overloaded"; both with `Retry-After`), upstream failure 502,
timeout 504; an inference server's own error keeps its status, in OpenAI's shape. Inference
answers carry `X-Request-Id` and the `X-Cocoon-*` times. Each answer's cost is in its body
(`usage.total_cost`, nano-TON; `usage.cocoon_adjusted_tokens`), since headers leave before
generation ends; `/jsonstats` keeps the last requests' records.

Every request passes the Host and Origin checks of `webguard` (a foreign page's Origin is
refused; only `cors_origins` get CORS headers, on `/v1/*`). `/v1/*` takes `Authorization:
Bearer <key>` when `api_keys` is set (401 otherwise); the pages take the access hash
(`http_access_hash`, or one generated at start) and the actions are POSTs with the pages' CSRF
token (`new_app`). The inference routes bypass Quart and ASGI: the lean
HTTP server hands them to `InferenceApi.handle` (`serve_web` serves the app's native routes),
which streams without buffering, aborts a broken body, and spends nothing per request on
routing objects or tasks. `GET /v1/models` and `GET /health` are native too, so that a client
used only through its API (and probed) never builds the pages: Quart is imported at the first
request for any other route (`lazyapp`). Other `/v1/*` requests pass an ASGI middleware (auth,
404/405).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import trio

from cocoon.http.server import HttpRequest, HttpResponder
from cocoon.net import codes
from cocoon.openai.errors import error_response
from cocoon.roles.client.catalog import ModelCatalog, model_json, models_json
from cocoon.roles.client.inference import (
    INFERENCE_PATHS,
    InferenceApi,
    Receive,
    Scope,
    Send,
    error_answer,
    respond_error,
    send_error,
)
from cocoon.roles.client.journal import Journal
from cocoon.roles.client.metrics import ClientMetrics
from cocoon.roles.client.pages import (
    health_json,
    jsonstats,
    models_now,
    stats_page,
    stats_view,
    wallet_view,
)
from cocoon.roles.common.lazyapp import LazyApp, json_route
from cocoon.roles.common.live import add_live_route, live_link
from cocoon.roles.common.metrics import METRICS, add_metrics_route, new_registry
from cocoon.roles.common.pages import Page, short_html, stats_link
from cocoon.roles.common.web import NATIVE_ROUTES
from cocoon.roles.common.webguard import WEB_ACCESS, WebAccess, guard_native

if TYPE_CHECKING:
    from quart import Response
    from quart_trio import QuartTrio

    from cocoon.roles.client.channel import Channel
    from cocoon.roles.client.core import ClientNode

ACTION_WAIT = 10.0  # a page waits this long for a channel action's own answer
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class _V1Router:
    """ASGI middleware: `/v1/*` auth and refusals; the rest goes to Quart. (POSTs to the
    inference routes never get here: they are served natively.)"""

    def __init__(self, pages: ASGIApp, inference: InferenceApi) -> None:
        self.pages = pages
        self.inference = inference

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            method = scope["method"]
            if path.startswith("/v1/") and method != "OPTIONS":
                api = self.inference
                if not api.authorized(_authorization(scope)):
                    await send_error(send, api.unauthorized_answer(), cors=api.cors)
                    return
                if path in INFERENCE_PATHS:
                    await self._refuse(
                        send, 405, f"{method} {path}: use POST", "method_not_allowed"
                    )
                    return
                if path != "/v1/models" and not _model_id(path):
                    await self._refuse(
                        send,
                        404,
                        f"unknown endpoint {method} {path}: this network serves "
                        "/v1/chat/completions, /v1/completions and /v1/models",
                        "unknown_url",
                    )
                    return
                if method not in ("GET", "HEAD"):
                    await self._refuse(send, 405, f"{method} {path}: use GET", "method_not_allowed")
                    return
        await self.pages(scope, receive, send)

    async def _refuse(self, send: Send, status: int, message: str, code: str) -> None:
        await send_error(send, error_answer(status, message, code=code), cors=self.inference.cors)


def _model_id(path: str) -> str:
    """The model id of `/v1/models/{id}` ("" for any other path, or no id: the route's
    `<path:>` needs one that does not start with a slash)."""
    prefix = "/v1/models/"
    rest = path[len(prefix) :] if path.startswith(prefix) else ""
    return "" if rest.startswith("/") else rest


def _authorization(scope: Scope) -> bytes | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            return value
    return None


def _openai_error(code: int, message: str, *, local: bool = True) -> Response:
    from quart import Response

    answer = error_response(code, message, local=local)
    return Response(answer.body, status=answer.status, headers=dict(answer.headers))


NOT_READY = "no working proxy connections"
_JSON = [("Content-Type", "application/json")]


def client_app(node: ClientNode) -> LazyApp:
    """The client's web app: the inference routes, `GET /v1/models` and `GET /health` served
    natively; the pages built at their first request (`lazyapp`)."""
    cfg = node.config
    journal = Journal(cfg.debug_log_size)
    catalog = ModelCatalog(node)
    inference = InferenceApi(node, journal)
    inference.model_names = catalog.names
    access = WebAccess.create(
        cfg.http_access_hash,
        bind_host=cfg.http_host,
        allowed_hosts=cfg.http_allowed_hosts,
        cors_origins=cfg.cors_origins,
    )
    registry = new_registry()
    inference.metrics = ClientMetrics(registry, node)

    def price() -> int:
        root = node.root.config
        return root.price_per_token if root is not None else 0

    async def models(request: HttpRequest, responder: HttpResponder) -> None:
        authorization = request.header("authorization")
        if not inference.authorized(authorization.encode("latin-1") if authorization else None):
            await respond_error(responder, inference.unauthorized_answer(), cors=inference.cors)
            return
        if not node.ready_links():
            answer = error_response(codes.NOTREADY, NOT_READY, local=True)
            await responder.respond(answer.status, list(answer.headers), answer.body)
            return
        show_all = parse_qs(request.query).get("all", [""])[0] not in ("", "0", "false")
        body = models_json(await catalog.get(), price(), show_all=show_all)
        await responder.respond(200, _JSON, json.dumps(body).encode())

    async def health() -> tuple[int, Any]:
        body = health_json(node, journal, await models_now(catalog) if node.ready_links() else [])
        return 200 if body["ready"] else 503, body

    serve_inference = guard_native(inference.handle, access)
    routes: dict[tuple[str, str], Any] = {
        ("POST", path): serve_inference for path in INFERENCE_PATHS
    }
    routes[("GET", "/v1/models")] = guard_native(models, access)
    routes[("GET", "/health")] = guard_native(json_route(access, health), access)
    return LazyApp(
        "cocoon-client",
        lambda: _pages(node, access, registry, journal, catalog, inference, price),
        {
            WEB_ACCESS: access,
            METRICS: registry,
            NATIVE_ROUTES: routes,
            "cocoon": {"journal": journal, "catalog": catalog, "inference": inference},
        },
    )


def _pages(
    node: ClientNode,
    access: WebAccess,
    registry: Any,
    journal: Journal,
    catalog: ModelCatalog,
    inference: InferenceApi,
    price: Callable[[], int],
) -> QuartTrio:
    from quart import request

    from cocoon.roles.common.webapp import html_response, json_response, new_app

    app = new_app("cocoon-client", access)
    back = stats_link(access.access_hash)
    add_metrics_route(app, registry)

    # ------------------------------------------------------------------ models
    # (GET /v1/models is native; HEAD comes here.)

    @app.route("/v1/models")
    async def models() -> Any:
        if not node.ready_links():
            return _openai_error(codes.NOTREADY, NOT_READY)
        show_all = request.args.get("all", "") not in ("", "0", "false")
        return json_response(models_json(await catalog.get(), price(), show_all=show_all))

    @app.route("/v1/models/<path:model_id>")
    async def model(model_id: str) -> Any:
        if not node.ready_links():
            return _openai_error(codes.NOTREADY, NOT_READY)
        for m in await catalog.get():
            if m.name == model_id:
                return json_response(model_json(m, price()))
        return _openai_error(codes.PROTOVIOLATION, f"unknown model {model_id}")

    # ------------------------------------------------------------------ pages

    live = live_link(access.access_hash)

    @app.route("/stats")
    async def stats() -> Any:
        found = await models_now(catalog)
        data = jsonstats(node, journal, await wallet_view(node), found)
        page = stats_page(node, data, found, controls=access.form_fields(), live=live)
        return html_response(page)

    async def snapshot() -> Page:
        found = await models_now(catalog)
        data = jsonstats(node, journal, await wallet_view(node), found)
        return stats_view(node, data, found, controls=access.form_fields())

    add_live_route(app, snapshot)

    @app.route("/jsonstats")
    async def json_stats() -> Any:
        found = await models_now(catalog)
        return json_response(jsonstats(node, journal, await wallet_view(node), found))

    @app.route("/health")  # HEAD (GET is native)
    async def health() -> Any:
        body = health_json(node, journal, await models_now(catalog) if node.ready_links() else [])
        return json_response(body, 200 if body["ready"] else 503)

    @app.route("/request/debuglogentry")
    async def debug_log_entry() -> Any:
        guid = request.args.get("request_guid", "")
        entry = journal.debug_entry(hashlib.sha256(guid.encode("utf-8")).digest())
        return json_response(entry or {})

    # ------------------------------------------------------------------ channel actions

    async def act(action: Callable[[], Awaitable[str]]) -> str:
        """Run a channel action in the app's nursery; answer with its own text when it ends
        within ACTION_WAIT, else "request sent" (it goes on; /stats shows the outcome)."""
        result: list[str] = []
        finished = trio.Event()

        async def run() -> None:
            try:
                result.append(await action())
            except Exception as e:  # a failed action must not take the web server down
                result.append(f"failed: {e}")
            finally:
                finished.set()

        app.nursery.start_soon(run)
        with trio.move_on_after(ACTION_WAIT):
            await finished.wait()
        return result[0] if result else "request sent"

    def channel_route(name: str, call: Callable[[Channel, dict[str, str]], Awaitable[str]]) -> None:
        async def handler() -> Any:
            # Read here: the action may outlive the request.
            args = request.args.to_dict() | (await request.form).to_dict()
            channel = node.find_channel(args.get("proxy", ""))
            if channel is None:
                return html_response(short_html("proxy not found", back))
            return html_response(short_html(await act(lambda: call(channel, args)), back))

        app.add_url_rule(f"/request/{name}", name, handler, methods=["POST"])

    def top_up(channel: Channel, args: dict[str, str]) -> Awaitable[str]:
        amount = args.get("amount", "")  # nano-TON; default one stake
        return channel.top_up(int(amount) if amount.isdigit() else None)

    channel_route("charge", lambda ch, _: ch.charge())
    channel_route("withdraw", lambda ch, _: ch.withdraw())
    channel_route("close", lambda ch, _: ch.close())
    channel_route("topup", top_up)

    guarded = app.asgi_app  # `new_app`'s Host and Origin checks come first
    guarded.app = _V1Router(guarded.app, inference)  # type: ignore[attr-defined]
    return app
