"""A whole COCOON network in one trio process: for tests, nox sessions and the demo.

    async with open_network(NetworkConfig(workers=2)) as net:
        print(net.client_url)              # an OpenAI-compatible API
        ...

What it builds, on 127.0.0.1 with fake TDX attestation on every RA-TLS hop: the embedded
ledger with a root contract (prices, the registered proxies, allowed hashes), funded
CocoonWallets for every node, N proxies, M workers (each in front of the in-package fake
inference server, or of a real OpenAI-compatible server given by URL), and K clients with
their HTTP API. Payments settle on the embedded ledger with thresholds low enough to watch
them happen. Leaving the block stops everything.
"""

from __future__ import annotations

import json
import secrets
import socket
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import trio
from pytoniq_core import Address, Cell

from cocoon.backends.fake import FakeInferenceConfig, FakeInferenceServer, serve_fake_inference
from cocoon.errors import ConfigError
from cocoon.ratls.identity import Identity
from cocoon.ratls.pow import DEFAULT_MAX_DIFFICULTY
from cocoon.ratls.quote import FAKE_IMAGE_HASH
from cocoon.roles.client.config import ClientConfig
from cocoon.roles.client.runner import ClientHandle, run_client
from cocoon.roles.common.config import to_mapping
from cocoon.roles.proxy.config import ProxyConfig
from cocoon.roles.proxy.runner import ProxyHandle, run_proxy
from cocoon.roles.router.config import PortConfig, PortKind, RouterConfig
from cocoon.roles.router.router import RouterHandle, run_router
from cocoon.roles.worker.config import WorkerConfig
from cocoon.roles.worker.runner import WorkerHandle, run_worker
from cocoon.ton.bodies import Body
from cocoon.ton.cells import friendly, parse_address
from cocoon.ton.constants import ONE_TON
from cocoon.ton.contracts import WalletContract
from cocoon.ton.embedded.chain import Chain
from cocoon.ton.embedded.fees import MAINNET_FEES, FeeConfig
from cocoon.ton.embedded.ledger import EmbeddedLedger
from cocoon.ton.embedded.local import deploy_root, local_params, root_command
from cocoon.ton.errors import LedgerError
from cocoon.ton.faketon import (
    LOCAL_ALL_CLIENT_WALLET_KEY,
    LOCAL_ALL_OWNER,
    LOCAL_ALL_PROXY_KEY,
    LOCAL_ALL_ROOT,
    load_fake_ton_config,
    open_fake_ton,
)
from cocoon.ton.keys import public_key
from cocoon.ton.ledger import Ledger

if TYPE_CHECKING:
    from cocoon.ton.lite.localnet import FakeLiteNetwork

READY_TIMEOUT = 60.0


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago (the root contract must list proxies up front)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _address(tag: str) -> Address:
    return Address((0, secrets.token_bytes(32)))


@attrs.frozen(kw_only=True)
class NetworkConfig:
    proxies: int = 1
    workers: int = 1
    clients: int = 1
    model: str = "Qwen/Qwen3-8B"
    inference: FakeInferenceConfig = attrs.field(factory=FakeInferenceConfig)
    inference_url: str | None = None  # a real OpenAI-compatible server instead of the fake one
    host: str = "127.0.0.1"
    client_http_port: int = 0  # 0: any free port (the first client; others always take any)
    worker_coefficients: tuple[int, ...] = (1000,)
    price_per_token: int = 2
    worker_fee_per_token: int = 1
    root_params: dict[str, Any] = attrs.field(factory=dict)  # other `Params` fields, e.g. delays
    pow_difficulty: int = 4  # the reference's 20 costs a Python dialer ~2 s per connection
    state_commit_interval: float = 1.0
    payments_interval: float = 0.5
    payment_poll_interval: float = 2.0
    min_client_charge: int = ONE_TON // 100
    min_worker_payout: int = ONE_TON // 100
    wallet_funds: int = 1000 * ONE_TON
    data_dir: Path | None = None  # keep the ledger and proxy databases here (restartable)
    max_active_requests: int = 64
    client_http: bool = True  # False: clients without their HTTP API (TL-level tests)
    # What workers accept: "extended" lets tools / function calling through (the reference's
    # "compat" rejects them).
    worker_profile: str = "extended"
    worker_options: dict[str, Any] = attrs.field(factory=dict)  # further WorkerConfig keys
    # Further ClientConfig keys for every client (api_keys, max_body_bytes, http_access_hash...).
    client_options: dict[str, Any] = attrs.field(factory=dict)
    proxy_options: dict[str, Any] = attrs.field(factory=dict)  # further ProxyConfig keys
    # Deploy as the reference does: a reverse router in front of each proxy (plain listeners
    # behind it, the router writing the AttestedPeerInfo preamble) and a SOCKS5 router for
    # each worker and client, instead of RA-TLS inside the roles.
    routers: bool = False
    # The reference's fake-TON mode (`--disable-ton`): no shared chain; every role reads the
    # root from this file and runs on a pseudo chain of its own (`cocoon.ton.faketon`), as
    # separate processes would. The first proxy, worker and client take the identities of the
    # reference's `cocoon-launch --local-all`, so their contract addresses are the reference's.
    fake_ton: Path | None = None
    # Each proxy's (workers, clients) ports; empty: free ones.
    proxy_ports: tuple[tuple[int, int], ...] = ()
    # The embedded chain's fees: mainnet's prices and the gas our compiled contracts measure
    # (`cocoon.ton.embedded.fees`), so every value the roles attach is checked against what TON
    # would charge; `ZERO_FEES` only for tests that want a chain where nothing costs anything.
    fees: FeeConfig = MAINNET_FEES
    # Which ledger the roles use: "embedded" (the chain itself) or "lite" (fake liteservers
    # over ADNL on loopback serving the chain in TON's block and proof formats, each role on a
    # proof-checking `LiteLedger` of its own; `cocoon.ton.lite.localnet`).
    ledger: str = attrs.field(
        default="embedded", validator=attrs.validators.in_(("embedded", "lite"))
    )


class RoleSlot:
    """A role started in its own cancel scope inside the network's nursery, so that a test
    (or the demo) can stop it or restart it with the same configuration."""

    def __init__(
        self, nursery: trio.Nursery, run: Callable[..., Awaitable[None]], config: Any, **kwargs: Any
    ) -> None:
        self._nursery = nursery
        self._run = run
        self.config = config
        self._kwargs = kwargs
        self.handle: Any = None
        self._scope: trio.CancelScope | None = None
        self._stopped = trio.Event()

    async def start(self) -> Any:
        self._stopped = trio.Event()
        self.handle = await self._nursery.start(self._supervise)
        return self.handle

    async def _supervise(self, task_status: trio.TaskStatus[Any]) -> None:
        try:
            with trio.CancelScope() as self._scope:
                await self._run(self.config, task_status=task_status, **self._kwargs)
        finally:
            self._stopped.set()

    async def stop(self) -> None:
        """Cancel the role (its connections drop as if its process died) and wait for it."""
        if self._scope is not None:
            self._scope.cancel()
            await self._stopped.wait()
        self.handle = None

    async def restart(self) -> Any:
        await self.stop()
        return await self.start()


@attrs.define(eq=False)
class Network:
    ledger: EmbeddedLedger
    root: Address
    proxy_slots: list[RoleSlot]
    worker_slots: list[RoleSlot]
    client_slots: list[RoleSlot]
    backends: tuple[FakeInferenceServer, ...]
    data_dir: Path
    lite: FakeLiteNetwork | None = None  # the fake liteservers, with ledger="lite"

    @property
    def proxies(self) -> list[ProxyHandle]:
        return [s.handle for s in self.proxy_slots if s.handle is not None]

    @property
    def workers(self) -> list[WorkerHandle]:
        return [s.handle for s in self.worker_slots if s.handle is not None]

    @property
    def clients(self) -> list[ClientHandle]:
        return [s.handle for s in self.client_slots if s.handle is not None]

    @property
    def client_url(self) -> str:
        url = self.clients[0].url
        assert url is not None
        return url

    @property
    def chain(self) -> Chain:
        return self.ledger.chain

    def govern(self, body: Body) -> None:
        """Send a governance message to the root contract as its owner: a price change
        (`RootChangePrice`), a newly allowed image hash, ... Raises `LedgerError` if the root
        refused it."""
        if self.ledger.fake_ton:
            raise LedgerError("fake-TON mode: the root is the config file, not a contract")
        owner = _owner(self.data_dir, "governance")
        if self.chain.balance(owner) < ONE_TON:
            self.chain.create_user(owner, 10 * ONE_TON)  # what its messages cost
        txs = root_command(self.chain, owner, self.root, body)
        tx = next(t for t in reversed(txs) if t.account == self.root)
        if not tx.success:
            raise LedgerError(f"the root contract refused {type(body).__name__} ({tx.exit_code})")

    async def caught_up(self) -> None:
        """Until every role's ledger sees the chain as it is now. On the embedded ledger they
        read the chain itself: at once. With liteservers (ledger="lite") a change shows once a
        block holds it and a role's LiteLedger has taken that block as its trusted head; this
        waits for the producer's next block and has each role's ledger take it (a test that
        changed the chain behind the roles' backs, e.g. with `govern`, waits here before it
        asks a role to act on the change)."""
        if self.lite is None:
            await trio.lowlevel.checkpoint()
            return
        await self.lite.producer.wait_block()  # the chain's changes so far are in this one
        target = self.lite.producer.head.id.seqno
        for ledger in self.lite.ledgers.values():
            while (await ledger.refresh_head()).seqno < target:  # noqa: ASYNC110 - remote
                await trio.sleep(0.01)  # a lagging server (a fault) holds it back: ask again

    def ready(self) -> bool:
        """Every client has a ready proxy connection and every worker serves some proxy."""
        clients = all(c.node.ready_links() for c in self.clients)
        workers = all(
            not w.node.disabled and any(link.ready for link in w.node.all_links)
            for w in self.workers
        )
        return clients and workers

    async def wait_ready(self) -> None:
        """Wait until `ready()`; the caller bounds it with a cancel scope if it wants to."""
        # Readiness spans many tasks and connections: polling it is the simple, honest way.
        while not self.ready():  # noqa: ASYNC110
            await trio.sleep(0.01)


def _wallet(seed: bytes, owner: Address, code: Cell) -> Address:
    return WalletContract(public_key=public_key(seed), owner=owner, code=code).address


@asynccontextmanager
async def open_network(
    config: NetworkConfig | None = None, *, wait_ready: bool = True
) -> AsyncIterator[Network]:
    """Build the network, wait until it can serve (unless told not to), and yield it."""
    config = config or NetworkConfig()
    if config.ledger == "lite" and config.fake_ton is not None:
        raise ConfigError("fake-TON mode has no shared chain for liteservers to serve")
    with tempfile.TemporaryDirectory(prefix="cocoon-net-") as tmp:
        data_dir = config.data_dir or Path(tmp)
        data_dir.mkdir(parents=True, exist_ok=True)
        if config.fake_ton is not None:  # the network's own view of the root
            ledger: EmbeddedLedger = open_fake_ton(config.fake_ton, LOCAL_ALL_ROOT)
        else:
            ledger = EmbeddedLedger(path=data_dir / "ledger.sqlite", fees=config.fees)
        try:
            async with trio.open_nursery() as nursery:
                net = await _build(config, ledger, data_dir, nursery)
                if wait_ready:
                    with trio.fail_after(READY_TIMEOUT):
                        await net.wait_ready()
                yield net
                nursery.cancel_scope.cancel()
        except BaseExceptionGroup as group:
            # The roles' own failures end their tasks; an error here comes from the caller's
            # block (or the build), and the caller should see it as raised.
            if len(group.exceptions) == 1:
                raise group.exceptions[0] from None
            raise
        finally:
            ledger.close()


def _seed(data_dir: Path, name: str) -> bytes:
    """A key kept in the data directory, so a restarted network keeps its identities."""
    path = data_dir / f"{name}.key"
    if path.exists():
        return path.read_bytes()
    seed = secrets.token_bytes(32)
    path.write_bytes(seed)
    path.chmod(0o600)
    return seed


def _owner(data_dir: Path, name: str) -> Address:
    path = data_dir / f"{name}.owner"
    if path.exists():
        return Address(path.read_text().strip())
    addr = _address(name)
    path.write_text(addr.to_str(is_user_friendly=False))
    return addr


@attrs.frozen
class NetworkPlan:
    """A local network prepared on its chain: the root contract (listing the proxies' ports),
    funded wallets and keys, and each role's configuration, ready to run in this process
    (`open_network`) or as separate processes (`write_configs`, then `cocoon chain serve`
    and `cocoon proxy|worker|client CONFIG`)."""

    root: Address
    proxies: tuple[ProxyConfig, ...]
    workers: tuple[WorkerConfig, ...]
    clients: tuple[ClientConfig, ...]

    def write_configs(self, directory: Path, *, ledger: str) -> dict[str, list[Path]]:
        """Write each role's JSON config (reference keys) naming `ledger` (a chain service URL
        or a ledger file); returns the paths by role ("proxy", "worker", "client")."""
        directory.mkdir(parents=True, exist_ok=True)
        out: dict[str, list[Path]] = {}
        for role, configs in (
            ("proxy", self.proxies),
            ("worker", self.workers),
            ("client", self.clients),
        ):
            out[role] = []
            for i, cfg in enumerate(configs):
                path = directory / f"{role}{i}.json"
                data = to_mapping(attrs.evolve(cfg, ledger=ledger))
                path.write_text(json.dumps(data, indent=2) + "\n")
                path.chmod(0o600)  # it holds keys
                out[role].append(path)
        return out


async def plan_network(
    config: NetworkConfig, ledger: EmbeddedLedger, data_dir: Path, *, backends: Sequence[str]
) -> NetworkPlan:
    """Prepare `config`'s network on `ledger`: deploy the root contract (once: a data directory
    used before keeps its root, ports and keys), fund every node's wallet, and configure the
    roles (RA-TLS listeners on the proxies; worker i in front of `backends[i]`, "host:port")."""
    if len(backends) < config.workers:
        raise ValueError(f"{config.workers} workers need as many backends, got {len(backends)}")
    host = config.host
    fake = config.fake_ton is not None
    if config.proxy_ports and len(config.proxy_ports) != config.proxies:
        raise ValueError(f"{config.proxies} proxies need as many port pairs")
    governance = _owner(data_dir, "governance")
    root_file = data_dir / "root.address"
    proxy_ports_file = data_dir / "proxy.ports"
    if fake:  # the root is the file's; its address is the reference's (no chain derives it)
        root = parse_address(LOCAL_ALL_ROOT)
        ports = list(config.proxy_ports) or [
            (free_port(host), free_port(host)) for _ in range(config.proxies)
        ]
    elif root_file.exists():
        root = Address(root_file.read_text().strip())
        ports = [
            tuple(int(p) for p in line.split())
            for line in proxy_ports_file.read_text().split("\n")
            if line
        ]
    else:
        ports = list(config.proxy_ports) or [
            (free_port(host), free_port(host)) for _ in range(config.proxies)
        ]
        params = local_params(
            price_per_token=config.price_per_token,
            worker_fee_per_token=config.worker_fee_per_token,
            **config.root_params,
        )
        root = deploy_root(
            ledger.chain,
            owner=governance,
            params=params,
            proxies=[f"{host}:{w} {host}:{c}" for w, c in ports],
            proxy_hashes=[FAKE_IMAGE_HASH],
            worker_hashes=[FAKE_IMAGE_HASH],
        )
        root_file.write_text(root.to_str(is_user_friendly=False))
        proxy_ports_file.write_text("\n".join(f"{w} {c}" for w, c in ports))
    root_text = friendly(root, bounceable=True)

    async def funded(name: str, local_all_key: bytes | None = None) -> tuple[bytes, Address]:
        if fake:  # no faucet: every pseudo account holds funds
            if name.endswith("0"):
                return local_all_key or _seed(data_dir, name), parse_address(LOCAL_ALL_OWNER)
            return _seed(data_dir, name), _owner(data_dir, name)
        seed, owner = _seed(data_dir, name), _owner(data_dir, name)
        wallet = _wallet(seed, owner, await ledger.wallet_code())
        state = await ledger.get_account(wallet)
        if state.balance < config.wallet_funds // 2:
            await ledger.faucet(wallet, config.wallet_funds)
        return seed, owner

    proxies = []
    for i, (wport, cport) in enumerate(ports):
        wallet_seed, owner = await funded(f"proxy{i}", LOCAL_ALL_PROXY_KEY)
        payment_key = _seed(data_dir, f"proxy{i}-payments")
        if fake and i == 0:
            payment_key = LOCAL_ALL_PROXY_KEY
        proxies.append(
            ProxyConfig(
                owner_address=friendly(owner),
                root_contract_address=root_text,
                machine_specific_private_key=payment_key,
                node_wallet_key=wallet_seed,
                is_test=True,
                rpc_host=host,
                workers_rpc_port=wport,
                client_rpc_port=cport,
                pow_difficulty=config.pow_difficulty,
                http_host=host,
                http_port=0,
                db_path=data_dir / f"proxy{i}.sqlite",
                state_commit_interval=config.state_commit_interval,
                payments_interval=config.payments_interval,
                chain_poll_interval=1.0,
                root_poll_interval=1.0,  # a governance change is seen within a second
                min_client_charge=config.min_client_charge,
                min_worker_payout=config.min_worker_payout,
                **config.proxy_options,
            )
        )

    workers = []
    for i in range(config.workers):
        worker_seed, owner = await funded(f"worker{i}")
        coefficients = config.worker_coefficients
        workers.append(
            WorkerConfig(
                model_name=config.model,
                owner_address=friendly(owner),
                forward_requests_to=backends[i],
                coefficient=coefficients[i % len(coefficients)],
                max_active_requests=config.max_active_requests,
                proxy_connections=max(1, config.proxies),
                proxies=tuple(f"{host}:{w}" for w, _ in ports) if config.proxies else (),
                is_test=True,
                validation_profile=config.worker_profile,
                node_wallet_key=worker_seed,
                **config.worker_options,
                root_contract_address=root_text,
                http_host=host,
                http_port=0,
                uplink_interval=0.5,
                payment_poll_interval=config.payment_poll_interval,
                state_path=data_dir / f"worker{i}-earnings.json",
            )
        )

    clients = []
    for i in range(config.clients):
        wallet_seed, owner = await funded(f"client{i}", LOCAL_ALL_CLIENT_WALLET_KEY)
        client_config = ClientConfig(
            owner_address=friendly(owner),
            root_contract_address=root_text,
            node_wallet_key=wallet_seed,
            is_test=True,
            proxy_connections=max(1, config.proxies),
            proxies=tuple(f"{host}:{c}" for _, c in ports),
            secret_string=_seed(data_dir, f"client{i}-secret").hex(),
            http_host=host,
            http_port=config.client_http_port if i == 0 else 0,
            max_pow_difficulty=max(config.pow_difficulty, DEFAULT_MAX_DIFFICULTY),
            payments_interval=config.payments_interval,
            payment_poll_interval=config.payment_poll_interval,
        )
        if config.client_options:
            client_config = attrs.evolve(client_config, **config.client_options)
        clients.append(client_config)
    if fake:
        # As the reference's `--local-all`, whose routers accept any peer (`@any`): its nodes
        # and ours then meet without attestation checks in either direction.
        proxies = [attrs.evolve(c, worker_policy="any", client_policy="any") for c in proxies]
        workers = [attrs.evolve(c, proxy_policy="any") for c in workers]
        clients = [attrs.evolve(c, proxy_policy="any") for c in clients]
    return NetworkPlan(root, tuple(proxies), tuple(workers), tuple(clients))


def fake_ton_proxy_ports(path: Path, count: int) -> tuple[tuple[int, int], ...]:
    """The (workers, clients) ports of the first `count` proxies a fake-TON config registers:
    where its other nodes (the reference's too) look for them."""
    registered = load_fake_ton_config(path).proxies
    if len(registered) < count:
        raise ConfigError(f"{path} registers {len(registered)} proxies, {count} asked for")
    ports = []
    for proxy in registered[:count]:
        assert proxy.workers_endpoint is not None and proxy.clients_endpoint is not None
        ports.append((proxy.workers_endpoint[1], proxy.clients_endpoint[1]))
    return tuple(ports)


async def _build(
    config: NetworkConfig, ledger: EmbeddedLedger, data_dir: Path, nursery: trio.Nursery
) -> Network:
    host = config.host
    backends: list[FakeInferenceServer] = []
    if config.inference_url is None:
        for _ in range(config.workers):
            backend_config = attrs.evolve(config.inference, model=config.model)
            backends.append(
                await nursery.start(partial(serve_fake_inference, backend_config, host=host))
            )
        urls = [f"{host}:{b.port}" for b in backends]
    else:
        urls = [config.inference_url] * config.workers
    plan = await plan_network(config, ledger, data_dir, backends=urls)

    lite = None
    if config.ledger == "lite":
        from cocoon.ton.lite.localnet import start_fake_lite  # the ADNL stack, only when used

        lite = await start_fake_lite(ledger.chain, nursery)

    async def role_ledger(root_contract_address: str, role: str) -> Ledger:
        """The network's chain (directly, or through liteservers of the role's own), or in
        fake-TON mode a pseudo chain of the role's own."""
        if lite is not None:
            return await lite.ledger_for(role, nursery)
        if config.fake_ton is None:
            return ledger
        return open_fake_ton(config.fake_ton, root_contract_address)

    async def start_router(name: str, ports: list[PortConfig]) -> RouterHandle:
        base = data_dir / f"{name}-router"
        if not (data_dir / f"{name}-router_cert.pem").exists():
            Identity.generate("fake_tdx").write(base)
        router_config = RouterConfig(
            ports=ports,
            cert_base=str(base),
            serialize_info=True,
            pow_difficulty=config.pow_difficulty,
        )
        return await nursery.start(run_router, router_config)

    async def socks_router(name: str) -> str:
        handle = await start_router(name, [PortConfig(PortKind.SOCKS5, 0, "fake_tdx")])
        return f"{host}:{handle.bound[0]}"

    proxies = []
    for i, proxy_config in enumerate(plan.proxies):
        if config.routers:
            # A reverse router on the registered ports, the proxy on plain ports behind it.
            wport, cport = proxy_config.workers_rpc_port, proxy_config.client_rpc_port
            inner_w, inner_c = free_port(host), free_port(host)
            proxy_config = attrs.evolve(
                proxy_config,
                workers_rpc_port=inner_w,
                client_rpc_port=inner_c,
                listen_mode="router",
            )
            await start_router(
                f"proxy{i}",
                [
                    PortConfig(PortKind.REVERSE, wport, "fake_tdx", host, inner_w, bind_host=host),
                    PortConfig(PortKind.REVERSE, cport, "any", host, inner_c, bind_host=host),
                ],
            )
        slot = RoleSlot(
            nursery,
            run_proxy,
            proxy_config,
            ledger=await role_ledger(proxy_config.root_contract_address, f"proxy{i}"),
        )
        await slot.start()
        proxies.append(slot)

    workers = []
    for i, worker_config in enumerate(plan.workers):
        if config.routers:
            worker_config = attrs.evolve(
                worker_config, connect_to_proxy_via=await socks_router(f"worker{i}")
            )
        slot = RoleSlot(
            nursery,
            run_worker,
            worker_config,
            ledger=await role_ledger(worker_config.root_contract_address, f"worker{i}"),
        )
        await slot.start()
        workers.append(slot)

    clients = []
    for i, client_config in enumerate(plan.clients):
        if config.routers:
            client_config = attrs.evolve(
                client_config, connect_to_proxy_via=await socks_router(f"client{i}")
            )
        slot = RoleSlot(
            nursery,
            run_client,
            client_config,
            ledger=await role_ledger(client_config.root_contract_address, f"client{i}"),
            serve_http=config.client_http,
        )
        await slot.start()
        clients.append(slot)
    return Network(
        ledger,
        plan.root,
        tuple(proxies),
        tuple(workers),
        tuple(clients),
        tuple(backends),
        data_dir,
        lite,
    )
