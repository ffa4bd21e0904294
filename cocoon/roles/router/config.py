"""Router configuration: the reference's command line and JSON file (spec 20 section 6.5).

    config = RouterConfig.from_args(args)        # -S/-F/-R/-P/-p/-c/-C/-d/-m/-s/--collateral-hash

Everything is validated at construction: a bad port spec, a duplicate port, an unknown
policy or a missing destination fails at start-up with a ConfigError naming it.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from cocoon.errors import ConfigError
from cocoon.ratls.dcap import QuoteVerifier, UnavailableVerifier
from cocoon.ratls.policy import (
    AttestationCache,
    Policy,
    PolicyConfig,
    PolicyKind,
    builtin_policies,
    policy_from_json,
)
from cocoon.ratls.pow import DEFAULT_DIFFICULTY, DEFAULT_MAX_DIFFICULTY
from cocoon.ratls.quote import INTEL_ROOT_KEY_ID


class PortKind(enum.Enum):
    SOCKS5 = "socks5"
    FORWARD = "forward"
    REVERSE = "reverse"


def _valid_port(value: int, what: str) -> int:
    # 0 (pick a free port) is allowed for listeners so that tests can run in parallel.
    if not (1024 <= value <= 65535):
        raise ConfigError(f"{what} {value} is outside 1024..65535")
    return value


@attrs.frozen
class PortConfig:
    kind: PortKind
    port: int
    policy_name: str
    destination_host: str = ""
    destination_port: int = 0
    serialize_info: bool | None = None  # None: take the global -s default
    allow_policy_from_username: bool = False
    bind_host: str | None = None  # None: 0.0.0.0 for reverse ports, else 127.0.0.1

    def __attrs_post_init__(self) -> None:
        if self.port != 0:
            _valid_port(self.port, "port")
        if self.kind is not PortKind.SOCKS5:
            if not self.destination_host:
                raise ConfigError(f"{self.kind.value} port {self.port} needs a destination host")
            _valid_port(self.destination_port, "destination port")

    @property
    def listen_host(self) -> str:
        # Reverse ports face the network; forward and SOCKS5 ports serve local services only.
        if self.bind_host is not None:
            return self.bind_host
        return "0.0.0.0" if self.kind is PortKind.REVERSE else "127.0.0.1"


def _check_ports(instance: Any, attribute: Any, ports: tuple[PortConfig, ...]) -> None:
    if not ports:
        raise ConfigError("the router needs at least one port (-S, -F, -R or -p)")
    seen = [p.port for p in ports if p.port != 0]
    if len(seen) != len(set(seen)):
        raise ConfigError(f"duplicate ports in {seen}")


@attrs.frozen
class RouterConfig:
    ports: tuple[PortConfig, ...] = attrs.field(converter=tuple, validator=_check_ports)
    policies: Mapping[str, Policy] = attrs.field(factory=builtin_policies)
    cert_base: str | None = None  # BASE_cert.pem / BASE_key.pem, reloaded when they change
    serialize_info: bool = False
    pow_difficulty: int = attrs.field(default=DEFAULT_DIFFICULTY)
    max_pow_difficulty: int = attrs.field(default=DEFAULT_MAX_DIFFICULTY)
    handshake_timeout: float = attrs.field(default=60.0, validator=attrs.validators.gt(0))
    refresh_interval: float = attrs.field(default=60.0, validator=attrs.validators.gt(0))

    @pow_difficulty.validator
    @max_pow_difficulty.validator
    def _check_difficulty(self, attribute: Any, value: int) -> None:
        if not 0 <= value <= 64:
            raise ConfigError(f"{attribute.name} must be 0..64, got {value}")

    def __attrs_post_init__(self) -> None:
        for port in self.ports:
            if port.policy_name not in self.policies:
                raise ConfigError(f"port {port.port}: unknown policy {port.policy_name!r}")

    def serialize_info_for(self, port: PortConfig) -> bool:
        return self.serialize_info if port.serialize_info is None else port.serialize_info

    # --- the reference's command line and JSON ---

    @classmethod
    def from_args(
        cls,
        *,
        socks5: Sequence[str] = (),
        forward: Sequence[str] = (),
        reverse: Sequence[str] = (),
        legacy: Sequence[str] = (),
        policies: Sequence[str] = (),
        config_file: str | Path | None = None,
        cert_base: str | None = None,
        serialize_info: bool = False,
        collateral_hashes: str | None = None,
        pow_difficulty: int = DEFAULT_DIFFICULTY,
        max_pow_difficulty: int = DEFAULT_MAX_DIFFICULTY,
        verifier: QuoteVerifier | None = None,
        **kwargs: Any,
    ) -> RouterConfig:
        """Merge the JSON file and the flags with the reference's precedence."""
        verifier = verifier or UnavailableVerifier()
        cache = AttestationCache()
        data: dict[str, Any] = {}
        if config_file is not None:
            try:
                data = json.loads(Path(config_file).read_text())
            except (OSError, ValueError) as e:
                raise ConfigError(f"cannot read router config {config_file}: {e}") from e
        # 1. JSON policies, then the built-ins (which shadow them), then -P and inline ones.
        named: dict[str, Policy] = {}
        for entry in data.get("policies", []):
            p = policy_from_json(entry, verifier=verifier, cache=cache)
            named[p.name] = p
        named.update(builtin_policies(verifier=verifier, cache=cache, collateral_root_hashes=()))
        for spec in policies:
            p = parse_policy_spec(spec, verifier=verifier, cache=cache)
            named[p.name] = p
        cli_ports: list[PortConfig] = []
        for kind, specs in (
            (PortKind.SOCKS5, socks5),
            (PortKind.FORWARD, forward),
            (PortKind.REVERSE, reverse),
        ):
            for spec in specs:
                port, inline = parse_port_spec(kind, spec, verifier=verifier, cache=cache)
                cli_ports.append(port)
                if inline is not None:
                    named[inline.name] = inline
        cli_ports += [parse_legacy_port(spec) for spec in legacy]
        # 2. The collateral roots (default: Intel's) are added to every tdx policy.
        roots = (
            [INTEL_ROOT_KEY_ID]
            if collateral_hashes is None
            else [_hex(h, 48, "collateral hash") for h in collateral_hashes.split(",") if h]
        )
        for name, p in list(named.items()):
            if p.kind is PolicyKind.TDX:
                merged = p.config.allowed_collateral_root_hashes | frozenset(roots)
                named[name] = attrs.evolve(
                    p, config=attrs.evolve(p.config, allowed_collateral_root_hashes=merged)
                )
        # 3. CLI ports replace the JSON ports.
        ports = cli_ports or [_port_from_json(obj) for obj in data.get("ports", [])]
        return cls(
            ports=ports,
            policies=named,
            cert_base=cert_base or data.get("cert_base_name") or None,
            serialize_info=serialize_info,
            pow_difficulty=pow_difficulty,
            max_pow_difficulty=max_pow_difficulty,
            **kwargs,
        )


def _hex(text: str, size: int, what: str) -> bytes:
    try:
        value = bytes.fromhex(text)
    except ValueError:
        raise ConfigError(f"{what} is not hex: {text!r}") from None
    if len(value) != size:
        raise ConfigError(f"{what} must be {size} bytes ({2 * size} hex characters): {text!r}")
    return value


def _int(value: Any, what: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{what} must be an integer, got {value!r}") from None


def parse_policy_spec(
    spec: str, *, verifier: QuoteVerifier, cache: AttestationCache | None
) -> Policy:
    """`-P name:type[:h1,h2,...]`."""
    parts = spec.split(":")
    if len(parts) not in (2, 3) or not parts[0]:
        raise ConfigError(f"policy spec {spec!r} is not name:type[:hashes]")
    kind = PolicyKind.parse(parts[1])
    hashes = (
        [_hex(h, 32, "image hash") for h in parts[2].split(",") if h] if len(parts) == 3 else []
    )
    return Policy(
        parts[0],
        kind,
        PolicyConfig(allowed_image_hashes=hashes),
        verifier=verifier,
        cache=cache if kind is PolicyKind.TDX else None,
    )


def parse_port_spec(
    kind: PortKind, spec: str, *, verifier: QuoteVerifier, cache: AttestationCache | None
) -> tuple[PortConfig, Policy | None]:
    """`-S PORT@POLICY[:hashes]`, `-F/-R PORT:HOST:DPORT@POLICY[:hashes]`; an inline
    `TYPE:hashes` policy becomes `<TYPE>_inline_<PORT>`."""
    if "@" not in spec:
        raise ConfigError(f"port spec {spec!r} needs @POLICY")
    where, policy = spec.split("@", 1)
    parts = where.split(":")
    if kind is PortKind.SOCKS5:
        if len(parts) != 1:
            raise ConfigError(f"SOCKS5 port spec {spec!r} is PORT@POLICY")
        host, dport = "", 0
    else:
        if len(parts) != 3:
            raise ConfigError(f"{kind.value} port spec {spec!r} is PORT:HOST:DPORT@POLICY")
        host, dport = parts[1], _int(parts[2], "destination port")
    port = _int(parts[0], "port")
    inline = None
    if ":" in policy:
        type_name, hashes = policy.split(":", 1)
        if type_name not in {k.value for k in PolicyKind}:
            raise ConfigError(f"inline policy needs a built-in type, not {type_name!r}")
        name = f"{type_name}_inline_{port}"
        inline = parse_policy_spec(f"{name}:{type_name}:{hashes}", verifier=verifier, cache=cache)
        policy = name
    return PortConfig(kind, port, policy, host, dport), inline


def parse_legacy_port(spec: str) -> PortConfig:
    """`-p port:type[:policy[:host:dport]]`."""
    parts = spec.split(":")
    if len(parts) < 2:
        raise ConfigError(f"port spec {spec!r} is port:type[:policy[:host:dport]]")
    try:
        kind = PortKind(parts[1])
    except ValueError:
        raise ConfigError(f"unknown port type {parts[1]!r}") from None
    policy = parts[2] if len(parts) > 2 else "any"
    if kind is not PortKind.SOCKS5 and len(parts) != 5:
        raise ConfigError(f"{kind.value} port spec {spec!r} needs port:type:policy:host:dport")
    host, dport = (parts[3], _int(parts[4], "destination port")) if len(parts) == 5 else ("", 0)
    return PortConfig(kind, _int(parts[0], "port"), policy, host, dport)


def _port_from_json(obj: Mapping[str, Any]) -> PortConfig:
    try:
        kind = PortKind(obj["type"])
    except (KeyError, ValueError):
        raise ConfigError(f"port entry needs a type socks5|forward|reverse: {obj!r}") from None
    return PortConfig(
        kind,
        _int(obj.get("port"), "port"),
        str(obj.get("policy_name", "")),
        str(obj.get("destination_host", "")),
        _int(obj.get("destination_port", 0), "destination_port"),
        # A JSON port is always explicit: a missing key reads as false, as in the reference.
        serialize_info=bool(obj.get("serialize_info", False)),
        allow_policy_from_username=bool(obj.get("allow_policy_from_username", False)),
    )


EXAMPLE_CONFIG = {
    "cert_base_name": "/etc/tdx/tdx",
    "policies": [
        {
            "name": "workers",
            "type": "tdx",
            "description": "workers running an allowed image",
            "tdx_config": {"allowed_image_hashes": ["00" * 32]},
        }
    ],
    "ports": [
        {
            "port": 11001,
            "type": "reverse",
            "policy_name": "workers",
            "destination_host": "127.0.0.1",
            "destination_port": 11101,
            "serialize_info": True,
        },
        {"port": 8116, "type": "socks5", "policy_name": "tdx", "serialize_info": True},
    ],
}
