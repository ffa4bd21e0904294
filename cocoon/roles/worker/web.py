"""The worker's pages: `/stats`, `/jsonstats`, `/health`, `/metrics` (Prometheus) and the `/request/*` controls
(spec 40 sections 3.7 and 5.3, with the reference's JSON keys and its bugs fixed). The
controls are POSTs with the pages' CSRF token, behind the access hash (`webapp.new_app`)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from cocoon.errors import ConfigError
from cocoon.roles.common.lazyapp import LazyApp, json_route
from cocoon.roles.common.live import add_live_route, live_link
from cocoon.roles.common.metrics import METRICS, add_metrics_route, new_registry
from cocoon.roles.common.pages import (
    Button,
    Link,
    Page,
    Section,
    Status,
    counters_section,
    escape,
    short_html,
    stats_link,
)
from cocoon.roles.common.web import NATIVE_ROUTES
from cocoon.roles.common.webguard import WEB_ACCESS, WebAccess, guard_native
from cocoon.roles.worker.metrics import WorkerMetrics

if TYPE_CHECKING:
    from quart_trio import QuartTrio

    from cocoon.roles.worker.runner import WorkerNode

STAT_NAMES = (
    "queries",
    "success",
    "failed",
    "bytes_received",
    "bytes_sent",
    "time",
    "total_adjusted_tokens_used",
    "prompt_adjusted_tokens_used",
    "cached_adjusted_tokens_used",
    "completion_adjusted_tokens_used",
    "reasoning_adjusted_tokens_used",
)


def _proxies(node: WorkerNode) -> list[dict[str, Any]]:
    out = []
    for link in node.all_links:
        e = link.earnings
        out.append(
            {
                "address": f"{link.target[0]}:{link.target[1]}" if link.target else None,
                "is_ready": link.ready,
                "sc_inited": e is not None,
                "proxy_sc_address": link.proxy_sc,
                "proxy_public_key": e.proxy_public_key.hex() if e else None,
                "sc_address": e.worker_sc.to_str(is_user_friendly=False) if e else None,
                "earned_tokens_committed_to_blockchain": e.chain_tokens if e else 0,
                "earned_tokens_committed_to_proxy_db": e.db_tokens if e else 0,
                "earned_tokens_max_known": e.max_tokens if e else 0,
                "cached_out_tokens": e.paid_out if e else 0,  # [sic], the reference's key
                "expected_cached_out_tokens": e.paid_out if e else 0,
                "running_request": False,
                "params_version": node.root.config.params_version if node.root.config else 0,
                "last_error": link.last_error,
            }
        )
    return out


def jsonstats(node: WorkerNode) -> dict[str, Any]:
    cfg = node.config
    stats = node.ctx.stats
    return {
        "status": {
            "actual_image_hash": node.hash_problem is None,
            "actual_model": node.hash_problem is None,
            "ton_last_synced_at": int(node.root.synced_at) if node.root.synced_at else None,
            "enabled": not node.disabled,
            "uplink_ok": node.uplink_ok,
            "uplink_error": node.uplink_error,
            "active_requests": node.ctx.active,
            "max_active_requests": cfg.max_active_requests,
        },
        "stats": {name: stats[name].as_list() for name in STAT_NAMES},
        "localconfig": {
            "root_address": cfg.root_contract_address,
            "owner_address": cfg.owner_address,
            "model": cfg.model_name,
            "coefficient": node.coefficient,
            "check_proxy_hash": cfg.checks_proxy_hashes,
        },
        "proxies": _proxies(node),
    }


def stats_page(
    node: WorkerNode, *, controls: Mapping[str, str] | None = None, live: str | None = None
) -> str:
    """The dashboard; its buttons POST `controls` (the access and CSRF tokens), and it
    follows `live` (the `/stats/live` URL) when given."""
    return stats_view(node, controls=controls).render(live=live)


def stats_view(node: WorkerNode, *, controls: Mapping[str, str] | None = None) -> Page:
    """What the dashboard shows."""
    cfg = node.config
    fields = dict(controls or {})
    token = fields.get("access_hash", "")
    change = "/request/change_coefficient" + (
        f"?{urlencode({'access_hash': token})}" if token else ""
    )
    enabled = Status("enabled", "ok") if not node.disabled else Status("disabled", "bad")
    status = {
        "enabled": [
            enabled,
            Button("disable", "/request/disable", fields)
            if not node.manual_disabled
            else Button("enable", "/request/enable", fields),
        ],
        "model connection": Status("connected", "ok")
        if node.uplink_ok
        else Status(f"disconnected: {node.uplink_error}", "bad"),
        "root contract": Status("accepted", "ok")
        if node.hash_problem is None
        else Status(node.hash_problem, "bad"),
        "active requests": f"{node.ctx.active} / {cfg.max_active_requests}",
    }
    local = {
        "model": cfg.model_name,
        "model hash": hashlib.sha256(cfg.model_name.encode()).hexdigest(),
        "coefficient": [
            f"{node.coefficient / 1000:.3f}",
            Link("change", change),
        ],
        "owner address": cfg.owner_address,
        "root address": cfg.root_contract_address or None,
        "inference server": cfg.forward_requests_to,
        "check proxy hashes": cfg.checks_proxy_hashes,
    }
    rows = [
        [p["address"], Status("ready", "ok") if p["is_ready"] else Status(p["last_error"] or "connecting", "warn"),
         p["proxy_sc_address"], p["earned_tokens_committed_to_blockchain"], p["earned_tokens_committed_to_proxy_db"],
         p["earned_tokens_max_known"]]
        for p in _proxies(node)
    ]  # fmt: skip
    sections = [
        Section("Status", status),
        Section("Local config", local),
        counters_section("Stats", node.ctx.stats, STAT_NAMES),
        Section(
            "Proxies",
            columns=[
                "address",
                "state",
                "proxy contract",
                "earned (chain)",
                "earned (proxy db)",
                "max known",
            ],
            rows=rows,
            wide=True,
        ),
    ]
    return Page("cocoon worker", cfg.model_name, sections)


def health(node: WorkerNode) -> tuple[int, dict[str, Any]]:
    ready = sum(link.ready for link in node.all_links)
    ok = ready > 0 and not node.disabled
    body = {
        "ready": ok,
        "proxies_ready": ready,
        "uplink_ok": node.uplink_ok,
        "disabled": node.disabled,
    }
    return 200 if ok else 503, body


def worker_app(node: WorkerNode) -> LazyApp:
    """The worker's web app: `/health` served natively, the pages built at their first
    request (`lazyapp`)."""
    cfg = node.config
    access = WebAccess.create(
        cfg.http_access_hash, bind_host=cfg.http_host, allowed_hosts=cfg.http_allowed_hosts
    )
    registry = new_registry()
    node.ctx.metrics = WorkerMetrics(registry, node)

    async def health_answer() -> tuple[int, Any]:
        return health(node)

    routes = {("GET", "/health"): guard_native(json_route(access, health_answer), access)}
    return LazyApp(
        "cocoon-worker",
        lambda: _pages(node, access, registry),
        {WEB_ACCESS: access, METRICS: registry, NATIVE_ROUTES: routes},
    )


def _pages(node: WorkerNode, access: WebAccess, registry: Any) -> QuartTrio:
    from quart import request

    from cocoon.roles.common.webapp import html_response, json_response, new_app

    app = new_app("cocoon-worker", access)
    back = stats_link(access.access_hash)
    add_metrics_route(app, registry)

    live = live_link(access.access_hash)

    @app.route("/stats")
    async def stats() -> Any:
        return html_response(stats_page(node, controls=access.form_fields(), live=live))

    async def snapshot() -> Page:
        return stats_view(node, controls=access.form_fields())

    add_live_route(app, snapshot)

    @app.route("/jsonstats")
    async def json_stats() -> Any:
        return json_response(jsonstats(node))

    @app.route("/health")  # HEAD (GET is native)
    async def health_page() -> Any:
        status, body = health(node)
        return json_response(body, status)

    @app.route("/request/enable", methods=["POST"])
    async def enable() -> Any:
        await node.set_manual_disabled(False)
        return html_response(short_html("state updated", back))

    @app.route("/request/disable", methods=["POST"])
    async def disable() -> Any:
        await node.set_manual_disabled(True)
        return html_response(short_html("state updated", back))

    @app.route("/request/change_coefficient", methods=["GET", "POST"])
    async def change_coefficient() -> Any:
        """GET: the form (it changes nothing); POST: set the coefficient."""
        if request.method == "GET":
            hidden = "".join(
                f'<input type="hidden" name="{k}" value="{escape(v)}">'
                for k, v in access.form_fields().items()
            )
            form = (
                '<!DOCTYPE html><html><body><form method="post">coefficient (1.0 = base price): '
                f'{hidden}<input name="coefficient" value="{node.coefficient / 1000:.3f}">'
                "<button>set</button></form></body></html>"
            )
            return html_response(form)
        text = (await request.form).get("coefficient") or request.args.get("coefficient", "")
        try:
            value = int(float(text) * 1000)
            await node.set_coefficient(value)
        except (ValueError, ConfigError):
            return html_response(short_html(f"failed to parse '{text}' as double", back), 400)
        return html_response(short_html(f"coefficient set to {value / 1000:g}", back))

    return app
