"""The worker's configuration (spec 40 section 6.1, keys as the reference's where they exist)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs

from cocoon.openai.validation import COMPAT, EXTENDED
from cocoon.roles.common.config import (
    TDX_MODES,
    FromFile,
    to_bool,
    to_int,
    to_interval,
    to_nonneg_float,
    to_nonneg_int,
    to_optional_bytes32,
    to_port,
)
from cocoon.roles.common.keys import key_sources, known_key_names
from cocoon.roles.common.transport import parse_endpoint
from cocoon.roles.common.webguard import to_allowed_hosts
from cocoon.roles.seal.keys import KeySource

MAX_COEFFICIENT = 1_000_000_000  # the proxy accepts 0 <= coefficient < 10^9
DEFAULT_MAX_ACTIVE = 200


def _endpoints(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [v for v in value.replace(",", " ").split() if v]
    out = tuple(str(v) for v in value)
    for v in out:
        parse_endpoint(v)
    return out


def _max_active(value: Any) -> int:
    n = to_int(value)
    return DEFAULT_MAX_ACTIVE if n <= 0 else n


def _backend(value: Any) -> str:
    text = str(value).strip()
    text = text.removeprefix("http://").rstrip("/")
    if text.startswith("https://"):
        raise ValueError("TLS to the inference server is not supported (as in the reference)")
    parse_endpoint(text)
    return text


def _command(value: Any) -> tuple[str, ...]:
    if value in (None, ""):
        return ()
    if isinstance(value, str):
        return tuple(value.split())
    return tuple(str(v) for v in value)


@attrs.frozen(kw_only=True)
class WorkerConfig(FromFile):
    """Validated at construction; `WorkerConfig.load(path)` reads a reference-style JSON file."""

    # Model: `name@commit:verity` in production; clients use the part before `@`.
    model_name: str = attrs.field(validator=attrs.validators.min_len(1))
    owner_address: str = attrs.field(validator=attrs.validators.min_len(1))
    forward_requests_to: str = attrs.field(converter=_backend)
    coefficient: int = attrs.field(default=1000, converter=to_int)
    max_active_requests: int = attrs.field(default=DEFAULT_MAX_ACTIVE, converter=_max_active)
    proxy_connections: int = attrs.field(default=1, converter=to_int)
    # Proxies to use ("host:port" for workers); empty: the root contract's registered proxies.
    proxies: tuple[str, ...] = attrs.field(default=(), converter=_endpoints)
    connect_to_proxy_via: str = ""  # a local router's SOCKS5 "ip:port"; empty: RA-TLS in-process
    # The chain: a ledger service URL (`http://host:port`, from `cocoon chain serve`) or an
    # embedded ledger's file (then this process alone uses it).
    ledger: str = ""
    is_test: bool = attrs.field(default=False, converter=to_bool)
    is_testnet: bool = attrs.field(default=False, converter=to_bool)
    root_contract_address: str = ""
    node_wallet_key: bytes | None = attrs.field(default=None, converter=to_optional_bytes32)
    keys: dict[str, KeySource] = attrs.field(
        factory=dict, converter=key_sources, validator=known_key_names("wallet")
    )
    check_proxy_hashes: bool = attrs.field(default=False, converter=to_bool)
    image_hash: bytes | None = attrs.field(default=None, converter=to_optional_bytes32)
    # Our attestation (`none`, `fake`, `tdx`) and the policy proxies must pass.
    tdx: str = attrs.field(default="fake", validator=attrs.validators.in_(TDX_MODES))
    proxy_policy: str = "fake_tdx"
    # Cashing signed payouts ourselves (needs a wallet and a ledger); 0 interval: never.
    self_payout_interval: float = attrs.field(default=60.0, converter=to_nonneg_float)
    min_self_payout: int = attrs.field(default=10 * 10**9, converter=to_nonneg_int)  # nano-TON
    # How often the payment status is asked for (the reference: uniformly 10-20 s).
    payment_poll_interval: float = attrs.field(default=15.0, converter=to_interval)
    http_host: str = "127.0.0.1"
    http_port: int | None = attrs.field(default=None, converter=attrs.converters.optional(to_port))
    http_access_hash: str = ""  # the pages' token; empty: a random one, printed at start
    http_allowed_hosts: tuple[str, ...] = attrs.field(default=(), converter=to_allowed_hosts)
    validation_profile: str = attrs.field(
        default=COMPAT, validator=attrs.validators.in_((COMPAT, EXTENDED))
    )
    uplink_path: str = "/v1/models"
    uplink_interval: float = attrs.field(default=1.5, converter=to_interval)
    uplink_failures: int = attrs.field(
        default=2, converter=to_nonneg_int
    )  # consecutive, before "down"
    state_path: Path | None = attrs.field(default=None, converter=attrs.converters.optional(Path))
    # Run the inference server as a child (e.g. ["vllm", "serve", MODEL, "--port", "8000"]).
    inference_command: tuple[str, ...] = attrs.field(default=(), converter=_command)
    inference_start_timeout: float = attrs.field(default=7200.0, converter=to_nonneg_float)

    @coefficient.validator
    def _check_coefficient(self, _attr: attrs.Attribute, value: int) -> None:
        if not 0 <= value < MAX_COEFFICIENT:
            raise ValueError(f"coefficient must be in 0..{MAX_COEFFICIENT - 1}, got {value}")

    @proxy_connections.validator
    def _check_connections(self, _attr: attrs.Attribute, value: int) -> None:
        if value < 1:
            raise ValueError("proxy_connections must be at least 1")

    @property
    def base_model(self) -> str:
        return self.model_name.split("@", 1)[0]

    @property
    def backend(self) -> tuple[str, int]:
        return parse_endpoint(self.forward_requests_to)

    @property
    def checks_proxy_hashes(self) -> bool:
        return self.check_proxy_hashes or not self.is_test
