"""The proxy's pages: `/stats`, `/jsonstats`, `/health`, `/metrics` (Prometheus) and the `/request/*` controls
(spec 40 section 5.4, with the reference's JSON keys; `success` counts successes). The
controls are POSTs with the pages' CSRF token, behind the access hash (`webapp.new_app`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from cocoon.roles.common.lazyapp import LazyApp, json_route
from cocoon.roles.common.live import add_live_route, live_link
from cocoon.roles.common.metrics import METRICS, add_metrics_route, new_registry
from cocoon.roles.common.pages import (
    Button,
    Page,
    Section,
    Status,
    counters_section,
    short_html,
    stats_link,
)
from cocoon.roles.common.web import NATIVE_ROUTES
from cocoon.roles.common.webguard import WEB_ACCESS, WebAccess, guard_native
from cocoon.roles.proxy.metrics import ProxyMetrics

if TYPE_CHECKING:
    from quart_trio import QuartTrio

    from cocoon.roles.proxy.node import ProxyNode

STAT_NAMES = (
    "queries",
    "success",
    "failed",
    "rejected",
    "bytes_received",
    "bytes_sent",
    "time",
    "total_adjusted_tokens_used",
)


def jsonstats(node: ProxyNode) -> dict[str, Any]:
    root = node.root.config
    return {
        "status": {
            "actual_image_hash": True,
            "ton_last_synced_at": int(node.root.synced_at) if node.root.synced_at else None,
            "enabled": node.serving,
            "failure": node.failure,
        },
        "stats": {name: node.stats[name].as_list() for name in STAT_NAMES},
        "localconfig": {
            "root_address": node.config.root_contract_address,
            "owner_address": node.config.owner_address,
            "check_worker_hashes": node.config.checks_worker_hashes,
        },
        "smartcontract": {
            "address": node.sc_address.to_str() if node.contract else None,
            "params_version": root.params_version if root else None,
            "balance": node.sc_balance,
            "ready_for_withdraw": node.sc_balance,
        },
        "workers": [
            {
                "owner_address": w.owner,
                "sc_address": w.sc_address.to_str(),
                "earned_tokens": w.tokens.tokens_max,
                "unpayed_tokens": w.tokens.tokens_max
                - w.tokens.sc_tokens,  # [sic], the reference's key
                "signed_tokens": w.tokens.tokens_committed_to_blockchain,
                "paid_tokens": w.tokens.sc_tokens,
                "paying_now": w.paying,
                "running_queries": w.running,
            }
            for w in node.workers.values()
        ],
        "worker_connections": [
            {
                "owner_address": c.owner_address,
                "model": c.model,
                "worker_hash": c.image_hash.hex(),
                "coefficient": c.coefficient,
                "running_queries": c.running,
                "capacity": c.capacity,
                "queries_10m": c.queries.rate(600.0),
                "queries_time_10m": c.query_time.rate(600.0),
                "queries_success_10m": c.successes.rate(600.0),
                "average_latency": c.latency.value,
                "enabled": c.enabled,
            }
            for c in node.registry.connections.values()
        ],
        "clients": [
            {
                "owner_address": a.owner,
                "sc_address": a.sc_address.to_str(),
                "used_tokens": a.tokens.tokens_max,
                "tokens_to_charge": a.tokens.unsettled,
                "charged_tokens": a.tokens.sc_tokens,
                "available_tokens": a.available(root.price_per_token) if root else 0,
                "reserved_tokens": a.reserved,
                "running_queries": a.running,
                "closing": a.sc_state == 1,
                "closed": a.sc_state == 2,
            }
            for a in node.clients.values()
        ],
        # Contracts of earlier root params, being closed (spec 30 section 10.6).
        "retired_contracts": [
            {
                "address": r.contract.address.to_str(),
                "params_version": r.contract.params.params_version,
                "stage": r.stage.name.lower(),
                "clients_to_refund": len(r.clients),
                "workers_to_pay": len(r.workers),
                "close_at": r.close_at or None,
            }
            for r in node.retired.values()
        ],
    }


def stats_page(
    node: ProxyNode, *, controls: Mapping[str, str] | None = None, live: str | None = None
) -> str:
    """The dashboard; its buttons POST `controls` (the access and CSRF tokens), and it
    follows `live` (the `/stats/live` URL) when given."""
    return stats_view(node, controls=controls).render(live=live)


def stats_view(node: ProxyNode, *, controls: Mapping[str, str] | None = None) -> Page:
    """What the dashboard shows."""
    data = jsonstats(node)
    fields = dict(controls or {})
    state = (
        Status("serving", "ok") if node.serving else Status(node.failure or "not serving", "bad")
    )
    status = {
        "state": state,
        "proxy contract": data["smartcontract"]["address"],
        "earnings ready to withdraw (nano-TON)": node.sc_balance,
        "root contract": node.config.root_contract_address,
        "database seqno": node.seqno,
    }
    workers = [
        [c["model"], c["owner_address"], c["coefficient"] / 1000, f'{c["running_queries"]}/{c["capacity"]}',
         round(c["average_latency"], 3), Status("enabled", "ok") if c["enabled"] else Status("disabled", "warn")]
        for c in data["worker_connections"]
    ]  # fmt: skip
    clients = [
        [c["owner_address"], c["used_tokens"], c["charged_tokens"], c["available_tokens"], c["running_queries"],
         Button("charge now", f'/request/charge?{urlencode({"client": c["owner_address"]})}', fields)]
        for c in data["clients"]
    ]  # fmt: skip
    owners = [
        [w["owner_address"], w["earned_tokens"], w["signed_tokens"], w["paid_tokens"],
         Button("pay now", f'/request/payout?{urlencode({"worker": w["owner_address"]})}', fields)]
        for w in data["workers"]
    ]  # fmt: skip
    sections = [
        Section("Status", status),
        counters_section("Stats", node.stats, STAT_NAMES),
        Section(
            "Worker connections",
            columns=["model", "owner", "coefficient", "running", "latency s", "state"],
            rows=workers,
            wide=True,
        ),
        Section(
            "Workers", columns=["owner", "earned", "signed", "paid", ""], rows=owners, wide=True
        ),
        Section(
            "Clients",
            columns=["owner", "used", "charged", "available", "running", ""],
            rows=clients,
            wide=True,
        ),
    ]
    if data["retired_contracts"]:
        retired = [
            [r["address"], r["params_version"], r["stage"], r["clients_to_refund"], r["workers_to_pay"]]
            for r in data["retired_contracts"]
        ]  # fmt: skip
        sections.append(
            Section(
                "Old proxy contracts being closed",
                columns=["contract", "params version", "stage", "refunds left", "payouts left"],
                rows=retired,
                wide=True,
            )
        )
    return Page("cocoon proxy", data["smartcontract"]["address"] or "", sections)


def health(node: ProxyNode) -> tuple[int, dict[str, Any]]:
    workers = sum(c.enabled for c in node.registry.connections.values())
    body = {"ready": node.serving, "workers_ready": workers, "failure": node.failure}
    return 200 if node.serving else 503, body


def proxy_app(node: ProxyNode) -> LazyApp:
    """The proxy's web app: `/health` served natively, the pages built at their first
    request (`lazyapp`)."""
    cfg = node.config
    access = WebAccess.create(
        cfg.http_access_hash, bind_host=cfg.http_host, allowed_hosts=cfg.http_allowed_hosts
    )
    registry = new_registry()
    node.metrics = ProxyMetrics(registry, node)

    async def health_answer() -> tuple[int, Any]:
        return health(node)

    routes = {("GET", "/health"): guard_native(json_route(access, health_answer), access)}
    return LazyApp(
        "cocoon-proxy",
        lambda: _pages(node, access, registry),
        {WEB_ACCESS: access, METRICS: registry, NATIVE_ROUTES: routes},
    )


def _pages(node: ProxyNode, access: WebAccess, registry: Any) -> QuartTrio:
    from quart import request

    from cocoon.roles.common.webapp import html_response, json_response, new_app

    app = new_app("cocoon-proxy", access)
    back = stats_link(access.access_hash)
    add_metrics_route(app, registry)

    def page(text: str) -> Any:
        return html_response(short_html(text, back))

    async def arg(name: str) -> str:
        return request.args.get(name) or (await request.form).get(name, "")

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

    @app.route("/request/charge", methods=["POST"])
    async def charge() -> Any:
        acc = node.clients.get(await arg("client"))
        if acc is None:
            return page("client not found")
        if acc.charging:
            return page("request already running")
        if acc.tokens.unsettled <= 0:
            return page("nothing to charge")
        acc.charging = True
        node.spawn(node._charge, acc)
        return page("request sent")

    @app.route("/request/payout", methods=["POST"])
    async def payout() -> Any:
        acc = node.workers.get(await arg("worker"))
        if acc is None:
            return page("worker not found")
        if acc.paying:
            return page("request already running")
        if acc.tokens.unsettled <= 0:
            return page("nothing to pay")
        acc.paying = True
        node.spawn(node._payout, acc)
        return page("request sent")

    @app.route("/request/withdraw", methods=["POST"])
    async def withdraw() -> Any:
        if node.sc_balance <= 0:
            return page("nothing to withdraw")
        if node.withdrawing:
            return page("withdraw already running")
        node.withdrawing = True
        node.spawn(node._withdraw)
        return page("request sent")

    @app.route("/request/disable", methods=["POST"])
    async def disable() -> Any:
        node.manually_disabled = True
        return page("disabled")

    @app.route("/request/enable", methods=["POST"])
    async def enable() -> Any:
        node.manually_disabled = False
        return page("enabled")

    return app
