"""The client role: a nursery tree (spec 40 section 2, spec 30 section 10.2).

run_client(config, ledger=...)
  ├── root watcher (registered proxies, hashes, config version)
  ├── one ProxyLink per `proxy_connections`: dial (RA-TLS or via a router), handshake,
  │   authorize, carry requests, redial
  ├── payment channels: deploy, secret, top-ups, charges (every `payments_interval`)
  └── the OpenAI-compatible HTTP API and the stats pages (Quart-Trio on cocoon.http.asgi)
"""

from __future__ import annotations

import logging
from functools import partial

import attrs
import trio

from cocoon.errors import ConfigError
from cocoon.http.server import MAX_BODY_SIZE
from cocoon.ratls.identity import Identity
from cocoon.ratls.policy import Policy, builtin_policies
from cocoon.ratls.refresh import IdentityHolder
from cocoon.roles.client.channel import channel_loop
from cocoon.roles.client.config import ClientConfig
from cocoon.roles.client.core import ClientNode
from cocoon.roles.client.link import ProxyLink
from cocoon.roles.common.keys import resolve_key
from cocoon.roles.common.root import RootView
from cocoon.roles.common.transport import Dialer, parse_endpoint
from cocoon.roles.common.web import WebHandle, serve_web
from cocoon.ton.cells import parse_address
from cocoon.ton.ledger import Ledger
from cocoon.ton.wallet_client import open_wallet

log = logging.getLogger("cocoon.client")


@attrs.frozen
class ClientHandle:
    node: ClientNode
    web: WebHandle | None

    @property
    def url(self) -> str | None:
        return self.web.url if self.web else None


async def run_client(
    config: ClientConfig,
    *,
    ledger: Ledger | None,
    identity: Identity | IdentityHolder | None = None,
    policy: Policy | None = None,
    serve_http: bool = True,
    task_status: trio.TaskStatus[ClientHandle] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Run a client until cancelled; started once its HTTP API listens."""
    if ledger is None:
        raise ConfigError("the client needs a ledger (`ledger`: http://host:port or a file path)")
    if not config.root_contract_address:
        raise ConfigError("root_contract_address is required")
    try:
        owner = parse_address(config.owner_address)
        root_address = parse_address(config.root_contract_address)
    except ValueError as e:
        raise ConfigError(str(e)) from e
    policies = builtin_policies()
    if policy is None and config.proxy_policy not in policies:
        raise ConfigError(f"unknown attestation policy {config.proxy_policy!r}")
    holder = identity if identity is not None else IdentityHolder.generated(
        {"none": "none", "fake": "fake_tdx"}.get(config.tdx, config.tdx)
    )  # fmt: skip
    via = parse_endpoint(config.connect_to_proxy_via) if config.connect_to_proxy_via else None
    view = RootView(root_address)
    wallet_key = await resolve_key(
        config.node_wallet_key, config.keys, "wallet", what="node_wallet_key"
    )
    wallet = await open_wallet(ledger, wallet_key, owner)
    dialer = Dialer(
        identity=holder,
        policy=policy or policies[config.proxy_policy],
        via=via,
        max_pow_difficulty=config.max_pow_difficulty,
    )
    node = ClientNode(config, ledger=ledger, root=view, wallet=wallet, dialer=dialer)
    async with trio.open_nursery() as nursery:
        await nursery.start(partial(view.watch, ledger))
        if isinstance(holder, IdentityHolder):
            nursery.start_soon(holder.run)
        for slot in range(config.proxy_connections):
            link = ProxyLink(node, slot)
            node.links.append(link)
            nursery.start_soon(link.run)
        nursery.start_soon(channel_loop, node)
        web = None
        if serve_http:
            from cocoon.roles.client.api import client_app

            # Bodies up to the server's own bound reach the API, which answers a body above
            # `max_body_bytes` with an OpenAI-shaped 413; so does the server beyond its bound.
            app = client_app(node)
            web = await nursery.start(
                partial(
                    serve_web,
                    app,
                    config.http_host,
                    config.http_port,
                    max_body=max(MAX_BODY_SIZE, config.max_body_bytes + 1),
                    refusal=app.extensions["cocoon"]["inference"].refusal,
                )
            )
            log.info("client API at %s/v1 (wallet %s)", web.url, node.wallet_address_text)
        task_status.started(ClientHandle(node, web))
