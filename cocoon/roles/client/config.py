"""The client's configuration (spec 40 section 6.1; keys as the reference's where they exist)."""

from __future__ import annotations

from typing import Any

import attrs

from cocoon.openai.validation import EXTENDED, PROFILES
from cocoon.ratls.pow import DEFAULT_MAX_DIFFICULTY
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
from cocoon.roles.common.webguard import to_allowed_hosts, to_cors_origins
from cocoon.roles.seal.keys import KeySource


def _endpoints(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [v for v in value.replace(",", " ").split() if v]
    out = tuple(str(v) for v in value)
    for v in out:
        parse_endpoint(v)
    return out


def _keys(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [v for v in value.split(",") if v.strip()]
    return tuple(str(v).strip() for v in value)


@attrs.frozen(kw_only=True)
class ClientConfig(FromFile):
    """Validated at construction; `ClientConfig.load(path)` reads a reference-style JSON file."""

    owner_address: str = attrs.field(validator=attrs.validators.min_len(1))
    root_contract_address: str = ""
    node_wallet_key: bytes | None = attrs.field(default=None, converter=to_optional_bytes32)
    keys: dict[str, KeySource] = attrs.field(
        factory=dict, converter=key_sources, validator=known_key_names("wallet")
    )
    # The chain: a ledger service URL (`http://host:port`, from `cocoon chain serve`) or an
    # embedded ledger's file (then this process alone uses it).
    ledger: str = ""
    is_test: bool = attrs.field(default=False, converter=to_bool)
    is_testnet: bool = attrs.field(default=False, converter=to_bool)
    proxy_connections: int = attrs.field(default=1, converter=to_int)
    proxies: tuple[str, ...] = attrs.field(default=(), converter=_endpoints)  # else the root's
    connect_to_proxy_via: str = ""  # a local router's SOCKS5 "ip:port"; empty: RA-TLS in-process
    check_proxy_hashes: bool = attrs.field(default=False, converter=to_bool)
    secret_string: str = ""
    # Our attestation (clients usually have none).
    tdx: str = attrs.field(default="none", validator=attrs.validators.in_(TDX_MODES))
    proxy_policy: str = "fake_tdx"
    max_pow_difficulty: int = attrs.field(default=DEFAULT_MAX_DIFFICULTY, converter=to_nonneg_int)
    # HTTP API (OpenAI-compatible) and pages.
    # How often the payment status is asked for (the reference: uniformly 10-20 s).
    payment_poll_interval: float = attrs.field(default=15.0, converter=to_interval)
    http_host: str = "127.0.0.1"
    http_port: int = attrs.field(default=10000, converter=to_port)
    http_access_hash: str = ""  # the pages' token; empty: a random one, printed at start
    http_allowed_hosts: tuple[str, ...] = attrs.field(default=(), converter=to_allowed_hosts)
    api_keys: tuple[str, ...] = attrs.field(default=(), converter=_keys)
    # Web origins whose pages may call /v1/* (CORS); none by default.
    cors_origins: tuple[str, ...] = attrs.field(default=(), converter=to_cors_origins)
    max_body_bytes: int = attrs.field(default=16 * 1024 * 1024, converter=to_nonneg_int)
    debug_log_size: int = attrs.field(default=1000, converter=to_nonneg_int)
    # Request defaults (the reference: 1000 tokens, coefficient 4000 = x4, 120 s).
    max_tokens: int = attrs.field(default=1000, converter=to_nonneg_int)
    max_coefficient: int = attrs.field(default=4000, converter=to_nonneg_int)
    request_timeout: float = attrs.field(default=120.0, converter=to_nonneg_float)
    inject_default_max_tokens: bool = attrs.field(default=False, converter=to_bool)
    validation_profile: str = attrs.field(
        default=EXTENDED, validator=attrs.validators.in_(PROFILES)
    )  # what the client checks before sending (the workers' tables, spec 40 section 2.4)
    # Payments: the client contract's stake and automatic top-ups (spec 30 section 10.2).
    pay: bool = attrs.field(default=True, converter=to_bool)
    top_up_amount: int = attrs.field(default=0, converter=to_nonneg_int)  # 0: one stake
    payments_interval: float = attrs.field(default=1.5, converter=to_interval)

    @proxy_connections.validator
    def _check_connections(self, _attr: attrs.Attribute, value: int) -> None:
        if value < 1:
            raise ValueError("proxy_connections must be at least 1")

    @property
    def checks_proxy_hashes(self) -> bool:
        return self.check_proxy_hashes or not self.is_test
