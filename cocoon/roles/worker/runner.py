"""The worker role: a nursery tree (spec 40 section 3).

run_worker(config)
  ├── root watcher (prices, registered proxies, allowed hashes)    [with a ledger]
  ├── inference server child (optional: `inference_command`)
  ├── uplink monitor: probes the inference server, disables the worker while it fails
  ├── stats web server (/stats, /jsonstats, /health, /request/*)  [with an HTTP port]
  └── one ProxyLink per `proxy_connections`: dial, handshake, serve requests, redial
"""

from __future__ import annotations

import hashlib
import logging
import random
import time

import attrs
import trio
from pytoniq_core import Address

from cocoon import tl
from cocoon.errors import ConfigError
from cocoon.http.client import HttpClient
from cocoon.http.errors import HttpError
from cocoon.ratls.identity import Identity
from cocoon.ratls.policy import Policy, builtin_policies
from cocoon.ratls.refresh import IdentityHolder
from cocoon.roles.common.keys import resolve_key
from cocoon.roles.common.root import RootView
from cocoon.roles.common.transport import Dialer, parse_endpoint
from cocoon.roles.common.web import WebHandle, serve_web
from cocoon.roles.worker.config import WorkerConfig
from cocoon.roles.worker.earnings import Earnings
from cocoon.roles.worker.link import ProxyLink
from cocoon.roles.worker.payouts import self_payout_loop
from cocoon.roles.worker.query import Pricing, QueryContext
from cocoon.roles.worker.supervisor import ChildSpec, ChildState, supervise
from cocoon.ton.cells import parse_address
from cocoon.ton.ledger import Ledger
from cocoon.ton.pricing import Multipliers
from cocoon.ton.root import RootConfig
from cocoon.ton.wallet_client import open_wallet

log = logging.getLogger("cocoon.worker")


@attrs.define(eq=False)
class WorkerNode:
    """Everything the worker's tasks share."""

    config: WorkerConfig
    ctx: QueryContext
    root: RootView
    dialer: Dialer
    earnings: Earnings
    owner: Address
    coefficient: int
    manual_disabled: bool = False
    uplink_ok: bool = False
    uplink_error: str | None = "not probed yet"
    links: set[ProxyLink] = attrs.field(factory=set)
    all_links: list[ProxyLink] = attrs.field(factory=list)
    child: ChildState | None = None
    web: WebHandle | None = None
    started_at: float = attrs.field(factory=time.time)

    @property
    def disabled(self) -> bool:
        return self.manual_disabled or not self.uplink_ok or self.hash_problem is not None

    @property
    def hash_problem(self) -> str | None:
        """Why the root contract does not accept this worker (production checks only)."""
        root = self.root.config
        if self.config.is_test or root is None:
            return None
        if self.config.image_hash is not None and self.config.image_hash not in root.worker_hashes:
            return "this worker's image hash is not in the root contract"
        if hashlib.sha256(self.config.model_name.encode()).digest() not in root.model_hashes:
            return f"model {self.config.model_name!r} is not in the root contract"
        return None

    def pick_proxy(self, slot: int) -> tuple[str, int] | None:
        if self.config.proxies:
            return parse_endpoint(self.config.proxies[slot % len(self.config.proxies)])
        root = self.root.config
        endpoints = [p.workers_endpoint for p in root.proxies] if root is not None else []
        endpoints = [e for e in endpoints if e is not None]
        return random.choice(endpoints) if endpoints else None

    def apply_root(self, root: RootConfig) -> None:
        self.ctx.pricing = Pricing(root.price_per_token, Multipliers.of(root.params))

    async def _push(self, obj: tl.TLObject) -> None:
        for link in list(self.links):
            await link.push(obj)

    async def set_manual_disabled(self, value: bool) -> None:
        before = self.disabled
        self.manual_disabled = value
        if self.disabled != before:
            await self._push(tl.WorkerEnabledDisabled(disabled=int(self.disabled)))

    async def set_uplink(self, ok: bool, error: str | None) -> None:
        before = self.disabled
        self.uplink_ok, self.uplink_error = ok, error
        if self.disabled != before:
            log.info(
                "worker %s (uplink %s)",
                "disabled" if self.disabled else "enabled",
                "up" if ok else error,
            )
            await self._push(tl.WorkerEnabledDisabled(disabled=int(self.disabled)))

    async def set_coefficient(self, value: int) -> None:
        if not 0 <= value < 1_000_000_000:
            raise ConfigError(f"coefficient must be in 0..999999999, got {value}")
        self.coefficient = value
        await self._push(tl.WorkerNewCoefficient(new_coefficient=value))


@attrs.frozen
class WorkerHandle:
    node: WorkerNode
    web: WebHandle | None


async def _uplink_monitor(node: WorkerNode, client: HttpClient) -> None:
    failures = 0
    cfg = node.config
    while True:
        error: str | None = None
        try:
            with trio.fail_after(10):
                async with client.request("GET", cfg.uplink_path) as resp:
                    await resp.read()
                    if resp.status != 200:
                        error = f"HTTP {resp.status} from {cfg.uplink_path}"
        except (HttpError, OSError, trio.TooSlowError) as e:
            error = f"{type(e).__name__}: {e}"
        if error is None:
            failures = 0
            if not node.uplink_ok:
                await node.set_uplink(True, None)
        else:
            failures += 1
            node.uplink_error = error
            if node.uplink_ok and failures >= cfg.uplink_failures:
                await node.set_uplink(False, error)
        await trio.sleep(cfg.uplink_interval * random.uniform(0.67, 1.33))


async def _follow_root(node: WorkerNode) -> None:
    while True:
        await node.root.changed()
        node.apply_root(node.root.require())


async def _wallet_key(config: WorkerConfig) -> bytes | None:
    """The worker's wallet key, if it has one (only self-payouts need it)."""
    if config.node_wallet_key is None and "wallet" not in config.keys:
        return None
    return await resolve_key(config.node_wallet_key, config.keys, "wallet", what="node_wallet_key")


async def run_worker(
    config: WorkerConfig,
    *,
    ledger: Ledger | None = None,
    root: RootConfig | None = None,
    identity: Identity | IdentityHolder | None = None,
    policy: Policy | None = None,
    task_status: trio.TaskStatus[WorkerHandle] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Run a worker until cancelled. `ledger` (with `config.root_contract_address`) or a static
    `root` gives prices and proxies; without either requests are priced at 0 and proxies
    must be listed in the config."""
    try:
        owner = parse_address(config.owner_address)
    except ValueError as e:
        raise ConfigError(f"owner_address: {e}") from e
    root_address = (
        parse_address(config.root_contract_address) if config.root_contract_address else None
    )
    view = RootView(root_address, root)
    host, port = config.backend
    holder = identity if isinstance(identity, IdentityHolder) else None
    if identity is None:
        holder = IdentityHolder.generated(
            {"none": "none", "fake": "fake_tdx"}.get(config.tdx, config.tdx)
        )
    policies = builtin_policies()
    if policy is None and config.proxy_policy not in policies:
        raise ConfigError(
            f"unknown attestation policy {config.proxy_policy!r} "
            f"(known: {', '.join(sorted(policies))})"
        )
    policy = policy or policies[config.proxy_policy]
    # Earnings are first written after the first payout: a bad path would fail only then.
    state = config.state_path
    if state is not None and not state.parent.is_dir():
        raise ConfigError(f"state_path: folder {state.parent} does not exist")
    if state is not None and state.is_dir():
        raise ConfigError(f"state_path: {state} is a folder, not a file")
    via = parse_endpoint(config.connect_to_proxy_via) if config.connect_to_proxy_via else None
    async with (
        HttpClient(host, port, max_connections=config.max_active_requests + 2) as http,
        HttpClient(host, port, max_connections=1) as probe,
        trio.open_nursery() as nursery,
    ):
        node = WorkerNode(
            config=config,
            ctx=QueryContext(
                http=http,
                model=config.base_model,
                max_active=config.max_active_requests,
                profile=config.validation_profile,
                continuous_usage=config.continuous_usage_stats,
            ),
            root=view,
            dialer=Dialer(identity=holder or identity, policy=policy, via=via),
            earnings=Earnings(config.state_path),
            owner=owner,
            coefficient=config.coefficient,
        )
        if ledger is not None and root_address is not None:
            await nursery.start(view.watch, ledger)
        if view.config is not None:
            node.apply_root(view.config)
        nursery.start_soon(_follow_root, node)
        nursery.start_soon(node.earnings.keep_saved)
        if holder is not None:
            nursery.start_soon(holder.run)
        if config.inference_command:
            node.child = ChildState()
            spec = ChildSpec(
                config.inference_command,
                host,
                port,
                config.uplink_path,
                config.inference_start_timeout,
            )
            nursery.start_soon(supervise, spec, node.child)
        nursery.start_soon(_uplink_monitor, node, probe)
        wallet_key = await _wallet_key(config)
        if (
            ledger is not None
            and not ledger.fake_ton  # nothing is paid out there (the reference's fake mode)
            and wallet_key is not None
            and config.self_payout_interval > 0
        ):
            wallet = await open_wallet(ledger, wallet_key, owner)
            nursery.start_soon(self_payout_loop, node, ledger, wallet)
        if config.http_port is not None:
            from cocoon.roles.worker.web import worker_app

            node.web = await nursery.start(
                serve_web, worker_app(node), config.http_host, config.http_port
            )
        for slot in range(config.proxy_connections):
            link = ProxyLink(node, slot)
            node.all_links.append(link)
            nursery.start_soon(link.run)
        task_status.started(WorkerHandle(node, node.web))
