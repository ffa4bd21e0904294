"""The proxy's configuration (spec 40 section 6.1; keys as the reference's where they exist)."""

from __future__ import annotations

from pathlib import Path

import attrs

from cocoon.roles.common.config import (
    TDX_MODES,
    FromFile,
    to_bool,
    to_interval,
    to_nonneg_float,
    to_nonneg_int,
    to_optional_bytes32,
    to_port,
)
from cocoon.roles.common.keys import key_sources, known_key_names
from cocoon.roles.common.webguard import to_allowed_hosts
from cocoon.roles.seal.keys import KeySource
from cocoon.ton.constants import ONE_TON

LISTEN_MODES = ("ratls", "router")


@attrs.frozen(kw_only=True)
class ProxyConfig(FromFile):
    """Validated at construction; `ProxyConfig.load(path)` reads a reference-style JSON file."""

    owner_address: str = attrs.field(validator=attrs.validators.min_len(1))
    root_contract_address: str = attrs.field(validator=attrs.validators.min_len(1))
    # The proxy's payment key (its public key defines the proxy contract) and wallet key:
    # inline, or from `keys` ("payment", "wallet": a key file or the seal server).
    machine_specific_private_key: bytes | None = attrs.field(
        default=None, converter=to_optional_bytes32
    )
    node_wallet_key: bytes | None = attrs.field(default=None, converter=to_optional_bytes32)
    keys: dict[str, KeySource] = attrs.field(
        factory=dict, converter=key_sources, validator=known_key_names("payment", "wallet")
    )
    # The chain: a ledger service URL (`http://host:port`, from `cocoon chain serve`) or an
    # embedded ledger's file (then this process alone uses it).
    ledger: str = ""
    is_test: bool = attrs.field(default=False, converter=to_bool)
    is_testnet: bool = attrs.field(default=False, converter=to_bool)
    rpc_host: str = "127.0.0.1"
    workers_rpc_port: int = attrs.field(default=11101, converter=to_port)
    client_rpc_port: int = attrs.field(default=11102, converter=to_port)
    # "ratls": terminate RA-TLS here (PoW, TLS, policies); "router": plain listeners behind
    # a local router that writes the AttestedPeerInfo preamble (the reference's deployment).
    listen_mode: str = attrs.field(default="ratls", validator=attrs.validators.in_(LISTEN_MODES))
    # Our attestation: none | fake | tdx.
    tdx: str = attrs.field(default="fake", validator=attrs.validators.in_(TDX_MODES))
    worker_policy: str = "fake_tdx"
    client_policy: str = "any"
    pow_difficulty: int = attrs.field(default=20, converter=to_nonneg_int)
    check_worker_hashes: bool = attrs.field(default=False, converter=to_bool)
    http_host: str = "127.0.0.1"
    http_port: int | None = attrs.field(default=None, converter=attrs.converters.optional(to_port))
    http_access_hash: str = ""  # the pages' token; empty: a random one, printed at start
    http_allowed_hosts: tuple[str, ...] = attrs.field(default=(), converter=to_allowed_hosts)
    db_path: Path = attrs.field(default=Path("proxy-db.sqlite"), converter=Path)
    # Timings (the reference's: DB write every 1-2 s, state commit every 30-60 s, checks 1-2 s).
    db_write_interval: float = attrs.field(default=1.0, converter=to_interval)
    state_commit_interval: float = attrs.field(default=45.0, converter=to_nonneg_float)
    payments_interval: float = attrs.field(default=1.5, converter=to_interval)
    chain_poll_interval: float = attrs.field(default=5.0, converter=to_interval)
    root_poll_interval: float = attrs.field(default=45.0, converter=to_interval)
    # Thresholds in nano-TON (the reference's constants).
    min_client_charge: int = attrs.field(default=ONE_TON, converter=to_nonneg_int)
    min_worker_payout: int = attrs.field(default=10 * ONE_TON, converter=to_nonneg_int)
    min_withdraw: int = attrs.field(default=10 * ONE_TON, converter=to_nonneg_int)
    # Worker choice and retries (spec 40 section 4.3 [OURS]).
    latency_prior: float = attrs.field(default=2.0, converter=to_nonneg_float)
    price_weight: float = attrs.field(default=0.0, converter=to_nonneg_float)
    retries: int = attrs.field(default=1, converter=to_nonneg_int)
    max_requests_per_client: int = attrs.field(default=0, converter=to_nonneg_int)  # 0 = no cap
    # Connections whose peer has not authorized yet (a client until its authorization
    # succeeds, a worker until its handshake completes), per port: in all, and per remote
    # address (behind a router every connection comes from the router: only the total
    # applies). A connection past either is closed at once. 0 = no cap.
    max_connections_in_auth: int = attrs.field(default=512, converter=to_nonneg_int)
    max_connections_in_auth_per_address: int = attrs.field(default=32, converter=to_nonneg_int)
    # A request that finds every worker of its model at capacity waits, in arrival order, up
    # to `busy_wait` seconds for a slot (0: refused at once, as the reference does); at most
    # `busy_queue_limit` requests wait per model, the next is refused at once.
    busy_wait: float = attrs.field(default=5.0, converter=to_nonneg_float)
    busy_queue_limit: int = attrs.field(default=1024, converter=to_nonneg_int)

    @property
    def checks_worker_hashes(self) -> bool:
        return self.check_worker_hashes or not self.is_test
