"""The proxy's pages: `/stats`, `/jsonstats`, `/health` and the `/request/*` controls
(spec 40 section 5.4, with the reference's JSON keys; `success` counts successes)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from quart import request
from quart_trio import QuartTrio

from cocoon.roles.common.pages import (
    Link,
    Section,
    Status,
    counters_section,
    render_page,
    short_html,
)
from cocoon.roles.common.webapp import html_response, json_response, new_app

if TYPE_CHECKING:
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


def stats_page(node: ProxyNode) -> str:
    data = jsonstats(node)
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
         Link("charge now", f'/request/charge?client={c["owner_address"]}')]
        for c in data["clients"]
    ]  # fmt: skip
    owners = [
        [w["owner_address"], w["earned_tokens"], w["signed_tokens"], w["paid_tokens"],
         Link("pay now", f'/request/payout?worker={w["owner_address"]}')]
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
    return render_page("cocoon proxy", data["smartcontract"]["address"] or "", sections)


def proxy_app(node: ProxyNode) -> QuartTrio:
    app = new_app("cocoon-proxy", node.config.http_access_hash)

    @app.route("/stats")
    async def stats() -> Any:
        return html_response(stats_page(node))

    @app.route("/jsonstats")
    async def json_stats() -> Any:
        return json_response(jsonstats(node))

    @app.route("/health")
    async def health() -> Any:
        workers = sum(c.enabled for c in node.registry.connections.values())
        body = {"ready": node.serving, "workers_ready": workers, "failure": node.failure}
        return json_response(body, 200 if node.serving else 503)

    @app.route("/request/charge", methods=["GET", "POST"])
    async def charge() -> Any:
        acc = node.clients.get(request.args.get("client", ""))
        if acc is None:
            return html_response(short_html("client not found"))
        if acc.charging:
            return html_response(short_html("request already running"))
        if acc.tokens.unsettled <= 0:
            return html_response(short_html("nothing to charge"))
        acc.charging = True
        node.spawn(node._charge, acc)
        return html_response(short_html("request sent"))

    @app.route("/request/payout", methods=["GET", "POST"])
    async def payout() -> Any:
        acc = node.workers.get(request.args.get("worker", ""))
        if acc is None:
            return html_response(short_html("worker not found"))
        if acc.paying:
            return html_response(short_html("request already running"))
        if acc.tokens.unsettled <= 0:
            return html_response(short_html("nothing to pay"))
        acc.paying = True
        node.spawn(node._payout, acc)
        return html_response(short_html("request sent"))

    @app.route("/request/withdraw", methods=["GET", "POST"])
    async def withdraw() -> Any:
        if node.sc_balance <= 0:
            return html_response(short_html("nothing to withdraw"))
        if node.withdrawing:
            return html_response(short_html("withdraw already running"))
        node.withdrawing = True
        node.spawn(node._withdraw)
        return html_response(short_html("request sent"))

    @app.route("/request/disable", methods=["GET", "POST"])
    async def disable() -> Any:
        if request.method != "POST":
            return html_response(short_html("disable must be a post request"))
        node.manually_disabled = True
        return html_response(short_html("disabled"))

    @app.route("/request/enable", methods=["GET", "POST"])
    async def enable() -> Any:
        if request.method != "POST":
            return html_response(short_html("enable must be a post request"))
        node.manually_disabled = False
        return html_response(short_html("enabled"))

    return app
