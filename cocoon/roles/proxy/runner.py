"""The proxy role: a nursery tree (spec 10, spec 30 sections 9-12, spec 40 section 4).

    run_proxy(config, ledger=...)
      ├── root watcher (prices, allowed hashes, params version); a new params version
      │   moves the proxy to a new contract (`ProxyNode.redeploy`)
      ├── closers of retired contracts, one per old contract (`retired.py`)
      ├── chain watcher: the proxy contract's transactions (client and worker notifications,
      │   state commits -> committed_to_blockchain, rollback detection)
      ├── database loop: durable writes every `db_write_interval`, state commits after them
      ├── settlements: client charges, worker payouts, refunds, withdrawals
      ├── worker listener and client listener (RA-TLS in-process, or plain behind a router);
      │   one task per connection, each with its session's own nursery
      ├── requests (in the proxy's nursery, so a client that leaves still gets billed right)
      └── stats web server (/stats, /jsonstats, /health, /request/*)

The listeners open only once the proxy has anchored its first state commit on-chain: before
that it could not sign a payment it can stand behind.
"""

from __future__ import annotations

import logging
from functools import partial

import attrs
import trio

from cocoon.errors import ConfigError
from cocoon.net import Role, SessionConfig, serve_session
from cocoon.net.admission import AuthGate, remote_address
from cocoon.net.loglimit import RateLimitedLog
from cocoon.net.tcp import open_tcp_listeners
from cocoon.ratls.connect import serve_ratls
from cocoon.ratls.identity import Identity
from cocoon.ratls.policy import Policy, builtin_policies
from cocoon.ratls.refresh import IdentityHolder
from cocoon.roles.common.keys import resolve_key
from cocoon.roles.common.root import RootView
from cocoon.roles.common.transport import peer_of_stream
from cocoon.roles.common.web import WebHandle, serve_web
from cocoon.roles.proxy.clients import ClientSession
from cocoon.roles.proxy.config import ProxyConfig
from cocoon.roles.proxy.node import ProxyNode
from cocoon.roles.proxy.store import ProxyStore
from cocoon.roles.proxy.workers import WorkerSession
from cocoon.ton.cells import parse_address
from cocoon.ton.contracts import ProxyContract
from cocoon.ton.ledger import Ledger

log = logging.getLogger("cocoon.proxy")
conn_log = RateLimitedLog(log)  # lines any stranger's connection can cause
SESSION_CONFIG = SessionConfig.for_acceptor_of_strangers()


@attrs.frozen
class ProxyHandle:
    node: ProxyNode
    host: str
    workers_port: int
    clients_port: int
    web: WebHandle | None


def auth_gate(config: ProxyConfig) -> AuthGate:
    """One listener's cap on connections waiting to authorize (see `ProxyConfig`)."""
    per_address = (
        0 if config.listen_mode == "router" else config.max_connections_in_auth_per_address
    )
    return AuthGate(config.max_connections_in_auth, per_address)


async def serve_connection(
    node: ProxyNode,
    kind: str,
    stream: trio.abc.Stream,
    *,
    preamble: bool,
    gate: AuthGate | None = None,
) -> None:
    """One accepted connection, from its `tcp.connect` to its end. Until its peer authorizes
    it takes a place in `gate` (refused: closed at once) and frames of at most 64 KiB."""
    address = remote_address(stream)
    ticket = gate.enter(address) if gate is not None else None
    if gate is not None and ticket is None:
        conn_log.warning(
            ("refused", kind),
            "%s connection from %s refused: %d connections are waiting to authorize "
            "(max_connections_in_auth %d, per address %d)",
            kind, address, gate.waiting, gate.max_waiting, gate.max_waiting_per_address,
        )  # fmt: skip
        await trio.aclose_forcefully(stream)
        return
    peer = peer_of_stream(stream)
    handler = WorkerSession(node, peer) if kind == "worker" else ClientSession(node, peer)
    node.connections.add(handler)
    try:
        # Served in this task (the handler attaches itself to the session on its first
        # message): an idle connection costs as few tasks, and as little memory, as it can.
        session = await serve_session(
            stream,
            role=Role.ACCEPTOR,
            handler=handler,
            config=SESSION_CONFIG,
            read_preamble=preamble,
            name=f"proxy<-{kind}",
            on_authorized=ticket.leave if ticket is not None else None,
        )
    finally:
        if ticket is not None:
            ticket.leave()
        node.connections.discard(handler)
        handler.closed()
    if session.ready:
        log.debug("%s connection closed: %s", kind, session.close_reason)
    else:
        conn_log.info(
            ("failed", kind),
            "%s connection failed before it was ready: %s",
            kind,
            session.close_reason,
        )


async def _listen(
    node: ProxyNode,
    kind: str,
    port: int,
    identity: Identity | IdentityHolder,
    policy: Policy,
    *,
    task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Accept `kind` connections on `port` until cancelled; started with the bound port."""
    cfg = node.config
    behind_router = cfg.listen_mode == "router"
    gate = auth_gate(cfg)

    async def handle(stream: trio.abc.Stream) -> None:
        await serve_connection(node, kind, stream, preamble=behind_router, gate=gate)

    async with trio.open_nursery() as nursery:
        if behind_router:
            listeners = await open_tcp_listeners(port, host=cfg.rpc_host)
            nursery.start_soon(trio.serve_listeners, handle, listeners)
        else:
            listeners = await nursery.start(
                partial(
                    serve_ratls,
                    handle,
                    port,
                    identity,
                    policy,
                    host=cfg.rpc_host,
                    difficulty=cfg.pow_difficulty,
                )
            )
        task_status.started(listeners[0].socket.getsockname()[1])


async def _follow_root(node: ProxyNode) -> None:
    """Move to a new proxy contract whenever the root's params version increases, also when
    it did again while a move was under way (the version is compared before each wait)."""
    while True:
        params = node.root.require().params
        contract = node.contract
        if (
            contract is not None
            and params.params_version > contract.params.params_version
            and node.failure is None
        ):
            await node.redeploy(params)
            continue
        await node.root.changed()


async def run_proxy(
    config: ProxyConfig,
    *,
    ledger: Ledger | None,
    identity: Identity | IdentityHolder | None = None,
    policies: dict[str, Policy] | None = None,
    task_status: trio.TaskStatus[ProxyHandle] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Run a proxy until cancelled; started once it listens (after its first state commit)."""
    if ledger is None:
        raise ConfigError("the proxy needs a ledger (`ledger`: http://host:port or a file path)")
    try:
        root_address = parse_address(config.root_contract_address)
    except ValueError as e:
        raise ConfigError(f"root_contract_address: {e}") from e
    policies = policies or builtin_policies()
    for name in (config.worker_policy, config.client_policy):
        if name not in policies:
            raise ConfigError(
                f"unknown attestation policy {name!r} (known: {', '.join(sorted(policies))})"
            )
    holder = identity if identity is not None else IdentityHolder.generated(
        {"none": "none", "fake": "fake_tdx"}.get(config.tdx, config.tdx)
    )  # fmt: skip
    config = attrs.evolve(
        config,
        machine_specific_private_key=await resolve_key(
            config.machine_specific_private_key,
            config.keys,
            "payment",
            what="machine_specific_private_key",
        ),
        node_wallet_key=await resolve_key(
            config.node_wallet_key, config.keys, "wallet", what="node_wallet_key"
        ),
    )
    view = RootView(root_address)
    store = await trio.to_thread.run_sync(
        ProxyStore, config.db_path, config.machine_specific_private_key
    )
    try:
        node = ProxyNode(config, ledger, view, store, wallet_code=await ledger.wallet_code())
        async with trio.open_nursery() as nursery:
            node.start(nursery)
            await nursery.start(
                partial(
                    view.watch,
                    ledger,
                    interval=(config.root_poll_interval, config.root_poll_interval * 1.33),
                )
            )
            root = view.require()
            node.contract = ProxyContract(
                owner=node.owner,
                public_key=node.signer.public_key,
                root=root_address,
                params=root.params,
            )
            await trio.to_thread.run_sync(node.load)
            await node.deploy()
            nursery.start_soon(node.watch_chain)
            nursery.start_soon(node.db_loop)
            nursery.start_soon(node.payments_loop)
            nursery.start_soon(_follow_root, node)
            node.close_retired()
            if isinstance(holder, IdentityHolder):
                nursery.start_soon(holder.run)
            await node.flush()  # anchors this run's session: the proxy serves once it is seen
            await node.settled.wait()
            web = None
            if config.http_port is not None:
                from cocoon.roles.proxy.web import proxy_app

                web = await nursery.start(
                    serve_web, proxy_app(node), config.http_host, config.http_port
                )
            if node.failure is not None:
                # Its records cannot be trusted: no listener opens; the pages say why.
                task_status.started(ProxyHandle(node, config.rpc_host, 0, 0, web))
                await trio.sleep_forever()
            workers_port = await nursery.start(
                _listen,
                node,
                "worker",
                config.workers_rpc_port,
                holder,
                policies[config.worker_policy],
            )
            clients_port = await nursery.start(
                _listen,
                node,
                "client",
                config.client_rpc_port,
                holder,
                policies[config.client_policy],
            )
            log.info(
                "proxy %s serving: workers on %s:%d, clients on %s:%d",
                node.sc_address.to_str(), config.rpc_host, workers_port, config.rpc_host, clients_port,
            )  # fmt: skip
            task_status.started(ProxyHandle(node, config.rpc_host, workers_port, clients_port, web))
    finally:
        with trio.CancelScope(shield=True):
            await trio.to_thread.run_sync(store.close)
