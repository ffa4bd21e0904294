"""The client's pages: `/jsonstats` (every key of spec 40 section 5.2, `success` fixed, plus
`proxy_time`/`worker_time`, `health`, per-model figures and recent requests), `/stats` (the
same as a dashboard) and `/health`.

Everything is read from the node as it is; the only outside reads are the wallet's account
(one ledger query) and the model list (the catalog's, at most a second old).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import attrs
import trio
from pytoniq_core import Address

import cocoon
from cocoon.roles.common.pages import Button, Page, Section, Status, counters_section
from cocoon.roles.common.rootinfo import root_config_json
from cocoon.ton.cells import friendly, parse_address
from cocoon.ton.constants import ONE_TON
from cocoon.ton.errors import LedgerError
from cocoon.ton.storage import WalletStorage

if TYPE_CHECKING:
    from cocoon.roles.client.catalog import ModelCatalog
    from cocoon.roles.client.channel import Channel
    from cocoon.roles.client.core import ClientNode, ModelInfo
    from cocoon.roles.client.journal import Journal

STAT_NAMES = (
    "queries",
    "success",
    "failed",
    "bytes_received",
    "bytes_sent",
    "time",
    "proxy_time",
    "worker_time",
    "tokens",
    "cost",
)
BALANCE_TOO_LOW = 2_100_000_000  # nano-TON: below this the wallet cannot pay (red)
BALANCE_LOW = 5 * ONE_TON  # yellow
SYNCED = 600.0  # seconds since the last root read: green below, yellow below LATE
LATE = 3600.0
MODELS_WAIT = 2.0  # a page does not wait longer than this for the proxies' model lists
RECENT_IN_JSON = 50
RECENT_IN_HTML = 20
STATES = {0: "open", 1: "closing", 2: "closed"}
MODEL_COLUMNS = ("model", "workers", "min coefficient", "nano-TON / token", "running",
                 "requests", "failed", "tokens", "spent")  # fmt: skip
PROXY_COLUMNS = ("proxy / client contract", "state", "balance", "stake", "charged", "signed",
                 "proxy db", "used", "paid up to", "error", "")  # fmt: skip


@attrs.frozen
class WalletView:
    address: str
    balance: int | None
    seqno: int | None
    error: str | None = None


async def wallet_view(node: ClientNode) -> WalletView:
    address = node.wallet_address_text
    try:
        state = await node.wallet.state()
    except LedgerError as e:
        return WalletView(address, None, None, str(e))
    seqno = 0
    if state.active and state.data is not None:
        seqno = WalletStorage.from_cell(state.data).seqno
    return WalletView(address, state.balance, seqno)


async def models_now(catalog: ModelCatalog) -> list[ModelInfo] | None:
    """The catalog's list, or None when the proxies did not answer in time."""
    with trio.move_on_after(MODELS_WAIT):
        return await catalog.get()
    return None


def _address(node: ClientNode, addr: Address | str | None) -> str | None:
    """A contract address as users see it (the links key channels by their raw form)."""
    if addr is None:
        return None
    if isinstance(addr, str):
        addr = parse_address(addr)
    return friendly(addr, testnet=node.config.is_testnet, bounceable=True)


def health_json(
    node: ClientNode, journal: Journal, models: list[ModelInfo] | None
) -> dict[str, Any]:
    """`{"ready", "proxies_ready", "models", "last_error"}` (and zeph's `proxy_connected`,
    `worker_count`): ready when a proxy connection is up and some model has a worker."""
    ready = node.ready_links()
    served = [m for m in models or () if m.workers]
    link_error = next((lk.last_error for lk in node.links if lk.last_error), None)
    return {
        "ready": bool(ready) and bool(served),
        "proxies_ready": len(ready),
        "proxies": len(node.links),
        "models": len(served),
        "worker_count": sum(len(m.workers) for m in served),
        "proxy_connected": bool(ready),
        "last_error": link_error or journal.last_error,
    }


def _proxy_connection(node: ClientNode, link: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "address": f"{link.target[0]}:{link.target[1]}" if link.target else None,
        "is_ready": link.ready,
    }
    if link.proxy_sc is not None:  # absent until the proxy answered the handshake
        out["proxy_sc_address"] = _address(node, link.proxy_sc)
    out["running_requests"] = len(link.requests)
    out["last_error"] = link.last_error
    return out


def _channel(node: ClientNode, ch: Channel) -> dict[str, Any]:
    s = ch.storage
    link = ch.link
    price = ch.price
    return {
        "proxy_sc_address": _address(node, ch.proxy_sc),
        "proxy_public_key": ch.contract.public_key.hex(),
        "sc_address": _address(node, ch.address),
        "state": s.state if s is not None else None,
        "tokens_used_proxy_committed_to_blockchain": link.signed_tokens if link else 0,
        "tokens_used_proxy_committed_to_db": link.db_tokens if link else 0,
        "tokens_used_proxy_max": link.max_tokens if link else 0,
        "tokens_charged": s.tokens_used if s is not None else 0,
        "tokens_payed": (s.balance // price + s.tokens_used) if s is not None and price else 0,
        "balance": s.balance if s is not None else None,
        "stake": s.stake if s is not None else ch.stake,
        "price_per_token": price,
        "request_running": ch.busy,
        "top_ups": ch.top_ups,
        "charges": ch.charges,
        "last_error": ch.last_error,
    }


def _model_row(m: ModelInfo, journal: Journal) -> dict[str, Any]:
    totals = journal.models.get(m.name)
    return {
        "model": m.name,
        "active_workers": len(m.workers),
        "min_coefficient": m.min_coefficient,
        "running_requests": sum(w["running_requests"] for w in m.workers),
        "max_running_requests": sum(w["max_running_requests"] for w in m.workers),
        "requests": totals.requests if totals else 0,
        "failed": totals.failed if totals else 0,
        "tokens": totals.tokens if totals else 0,
        "cost": totals.cost if totals else 0,
    }


def jsonstats(
    node: ClientNode, journal: Journal, wallet: WalletView, models: list[ModelInfo] | None
) -> dict[str, Any]:
    cfg = node.config
    root = node.root.config
    synced = node.root.synced_at
    return {
        "status": {
            "wallet_balance": wallet.balance,
            "ton_last_synced_at": int(synced) if synced else None,
            "enabled": True,
            "git_commit": "",
            "git_commit_data": "",  # [sic], the reference's key
            "version": cocoon.__version__,
        },
        "stats": {name: node.stats[name].as_list() for name in STAT_NAMES},
        "wallet": {
            "address": wallet.address,
            "balance": wallet.balance,
            "seqno": wallet.seqno,
            "pending_transactions_cnt": 0,
            "active_transactions_cnt": sum(ch.busy for ch in node.channels.values()),
            "error": wallet.error,
        },
        "localconf": {
            "root_address": cfg.root_contract_address,
            "owner_address": cfg.owner_address,
            "check_proxy_hash": cfg.checks_proxy_hashes,
        },
        "root_contract_config": root_config_json(root, testnet=cfg.is_testnet),
        "proxy_connections": [_proxy_connection(node, link) for link in node.links],
        "proxies": [_channel(node, ch) for ch in node.channels.values()],
        "models": [_model_row(m, journal) for m in models or ()],
        "health": health_json(node, journal, models),
        "requests": [r.as_json() for r in list(journal.recent)[-RECENT_IN_JSON:]],
    }


# ---------------------------------------------------------------------- HTML


def _ton(nano: int | None) -> str | None:
    if nano is None:
        return None
    if 0 < abs(nano) < ONE_TON // 10_000:  # too small to show in TON: a request's cost
        return f"{nano} nano-TON"
    return f"{nano / ONE_TON:.4f} TON"


def wallet_status(balance: int | None) -> Status:
    if balance is None:
        return Status("unknown (ledger unreachable)", "bad")
    text = _ton(balance) or ""
    if balance < BALANCE_TOO_LOW:
        return Status(f"{text}: balance too low", "bad")
    if balance < BALANCE_LOW:
        return Status(f"{text}: balance low", "warn")
    return Status(text, "ok")


def sync_status(synced_at: float | None, now: float) -> Status:
    if synced_at is None:
        return Status("never read", "bad")
    age = now - synced_at
    if age < SYNCED:
        return Status(f"synced ({age:.0f} s ago)", "ok")
    if age < LATE:
        return Status(f"late ({age:.0f} s ago)", "warn")
    return Status(f"out of sync ({age:.0f} s ago)", "bad")


def _proxies_status(ready: int, total: int) -> Status:
    level = "ok" if ready == total and total else ("warn" if ready else "bad")
    return Status(f"{ready} of {total} connected", level)


def _when(t: float | None) -> str | None:
    return None if t is None else time.strftime("%H:%M:%S", time.localtime(t))


def _ms(seconds: float | None) -> str | None:
    return None if seconds is None else f"{seconds * 1000:.0f} ms"


def stats_page(
    node: ClientNode,
    data: dict[str, Any],
    models: list[ModelInfo] | None,
    *,
    controls: Mapping[str, str] | None = None,
    live: str | None = None,
) -> str:
    """The dashboard; its buttons POST `controls` (the access and CSRF tokens), and it
    follows `live` (the `/stats/live` URL) when given."""
    return stats_view(node, data, models, controls=controls).render(live=live)


def stats_view(
    node: ClientNode,
    data: dict[str, Any],
    models: list[ModelInfo] | None,
    *,
    controls: Mapping[str, str] | None = None,
) -> Page:
    """What the dashboard shows."""
    cfg = node.config
    health = data["health"]
    fields = dict(controls or {})
    root = node.root.config
    price = root.price_per_token if root is not None else 0

    status = {
        "serving": Status("ready", "ok") if health["ready"] else Status("not ready", "bad"),
        "proxies": _proxies_status(health["proxies_ready"], health["proxies"]),
        "wallet": wallet_status(data["wallet"]["balance"]),
        "ton": sync_status(node.root.synced_at, time.time()),
        "models": health["models"]
        if models is not None
        else Status("the proxies did not answer", "warn"),
        "last error": health["last_error"],
        "enabled": True,
        "version": data["status"]["version"],
    }
    model_rows = [
        [m["model"], m["active_workers"],
         None if m["min_coefficient"] is None else f'{m["min_coefficient"] / 1000:.3f}',
         None if m["min_coefficient"] is None else price * m["min_coefficient"] // 1000,
         f'{m["running_requests"]} / {m["max_running_requests"]}', m["requests"], m["failed"], m["tokens"],
         _ton(m["cost"])]
        for m in data["models"]
    ]  # fmt: skip
    connections = [
        [c["address"], Status("ready", "ok") if c["is_ready"] else Status(c["last_error"] or "connecting", "warn"),
         c.get("proxy_sc_address"), c["running_requests"]]
        for c in data["proxy_connections"]
    ]  # fmt: skip
    proxies = []
    for p in data["proxies"]:
        arg = f"proxy={quote(p['proxy_sc_address'])}"
        actions = [Button(text, f"/request/{path}?{arg}", fields) for text, path in
                   (("charge", "charge"), ("top up", "topup"), ("withdraw", "withdraw"), ("close", "close"))]  # fmt: skip
        state = STATES.get(p["state"], "not deployed") if p["state"] is not None else "not deployed"
        proxies.append(
            [
                [p["proxy_sc_address"], p["sc_address"]],
                Status(state, "ok" if state == "open" else "warn"),
                _ton(p["balance"]),
                _ton(p["stake"]),
                p["tokens_charged"],
                p["tokens_used_proxy_committed_to_blockchain"],
                p["tokens_used_proxy_committed_to_db"],
                p["tokens_used_proxy_max"],
                p["tokens_payed"],
                Status(p["last_error"], "bad") if p["last_error"] else None,
                actions,
            ]
        )
    recent = [
        [_when(r["started_at"]), r["model"], Status(str(r["status"]), "ok" if r["error"] is None else "bad"),
         r["tokens"], r["cost"], _ms(None if r["first_byte_at"] is None else r["first_byte_at"] - r["started_at"]),
         _ms(r["duration"]), r["error"]]
        for r in reversed(data["requests"][-RECENT_IN_HTML:])
    ]  # fmt: skip
    wallet = data["wallet"]
    local = {
        "root contract": cfg.root_contract_address or None,
        "owner": cfg.owner_address,
        "wallet": wallet["address"],
        "wallet seqno": wallet["seqno"],
        "check proxy hashes": cfg.checks_proxy_hashes,
        "API keys": f"{len(cfg.api_keys)} configured" if cfg.api_keys else "none (open API)",
        "request defaults": f"max_tokens {cfg.max_tokens}, max_coefficient {cfg.max_coefficient}, "
        f"timeout {cfg.request_timeout:g} s",
    }
    rc = data["root_contract_config"]
    global_config = {
        "price per token": f"{rc['price_per_token']} nano-TON" if rc else None,
        "worker fee per token": f"{rc['worker_fee_per_token']} nano-TON" if rc else None,
        "multipliers (prompt/cached/completion/reasoning)": " / ".join(
            f"{rc[f'{k}_tokens_price_multiplier'] / 10000:g}"
            for k in ("prompt", "cached", "completion", "reasoning")
        )
        if rc
        else None,
        "client min stake": _ton(rc["client_min_stake"]) if rc else None,
        "client delay before close": f"{rc['client_delay_before_close']} s" if rc else None,
        "params version": rc.get("params_version"),
        "registered proxies": len(rc.get("registered_proxies", ())),
        "test network": rc.get("is_test"),
    }
    sections = [
        Section("Status", status),
        Section("Local config", local),
        counters_section("Stats", node.stats, STAT_NAMES),
        Section(
            "Models",
            columns=MODEL_COLUMNS,
            rows=model_rows,
            wide=True,
        ),
        Section(
            "Proxy connections",
            columns=["address", "state", "proxy contract", "running"],
            rows=connections,
            wide=True,
        ),
        Section(
            "Proxies (payment channels)",
            columns=PROXY_COLUMNS,
            rows=proxies,
            wide=True,
        ),
        Section(
            "Recent requests",
            columns=[
                "time",
                "model",
                "status",
                "tokens",
                "nano-TON",
                "first byte",
                "total",
                "error",
            ],
            rows=recent,
            wide=True,
        ),
        Section("Global config", global_config),
    ]
    return Page("cocoon client", wallet["address"], sections)
