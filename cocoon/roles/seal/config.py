"""Seal configs: where to listen or connect, and what a client accepts.

Addresses are `vsock:CID:PORT` (the deployment: guest -> host CID 2, port 12345) or
`tcp:HOST:PORT` (local runs and tests). The defaults use VSOCK where the platform has it.
"""

from __future__ import annotations

import math
import socket
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from cocoon.errors import ConfigError
from cocoon.roles.seal import crypto
from cocoon.roles.seal.enclave import SoftwareEnclave
from cocoon.roles.seal.errors import SealRefused
from cocoon.roles.seal.guest import FakeTdxGuest
from cocoon.roles.seal.insecure import INSECURE_FAKE_MR_ENCLAVE
from cocoon.roles.seal.request import EnclavePolicy, SealMode

DEFAULT_PORT = 12345
VSOCK_CID_HOST = 2
VSOCK_CID_ANY = 0xFFFFFFFF
HAVE_VSOCK = hasattr(socket, "AF_VSOCK")
TRANSPORTS = ("vsock", "tcp")


def _port(instance: object, attribute: attrs.Attribute, value: int) -> None:
    if not isinstance(value, int) or not 0 <= value <= 65535:
        raise ConfigError(f"port must be 0..65535, got {value!r}")


@attrs.frozen
class SealAddress:
    transport: str
    host: str  # tcp: an IP address or host name; vsock: the CID in decimal
    port: int = attrs.field(validator=_port)

    def __attrs_post_init__(self) -> None:
        if self.transport not in TRANSPORTS:
            raise ConfigError(f"transport must be vsock or tcp, got {self.transport!r}")
        if self.transport == "vsock":
            if not self.host.isdigit() or int(self.host) > VSOCK_CID_ANY:
                raise ConfigError(f"a VSOCK CID is a 32-bit number, got {self.host!r}")
        elif not self.host:
            raise ConfigError("a TCP address needs a host")

    @classmethod
    def vsock(cls, cid: int = VSOCK_CID_HOST, port: int = DEFAULT_PORT) -> SealAddress:
        return cls("vsock", str(cid), port)

    @classmethod
    def tcp(cls, host: str = "127.0.0.1", port: int = DEFAULT_PORT) -> SealAddress:
        return cls("tcp", host, port)

    @classmethod
    def parse(cls, text: str) -> SealAddress:
        """`vsock:CID:PORT` or `tcp:HOST:PORT` (an IPv6 host in brackets)."""
        transport, _, rest = text.partition(":")
        host, _, port = rest.rpartition(":")
        if not host or not port.isdigit():
            raise ConfigError(f"seal address must be vsock:CID:PORT or tcp:HOST:PORT: {text!r}")
        return cls(transport, host.removeprefix("[").removesuffix("]"), int(port))

    @property
    def cid(self) -> int:
        return int(self.host)

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.transport}:{host}:{self.port}"


def default_client_address() -> SealAddress:
    return SealAddress.vsock() if HAVE_VSOCK else SealAddress.tcp()


def default_server_address() -> SealAddress:
    return SealAddress.vsock(VSOCK_CID_ANY) if HAVE_VSOCK else SealAddress.tcp()


def _address(value: SealAddress | str) -> SealAddress:
    return value if isinstance(value, SealAddress) else SealAddress.parse(value)


def _key_name(value: bytes | str) -> bytes:
    name = value.encode() if isinstance(value, str) else bytes(value)
    try:
        crypto.check_key_name(name)
    except SealRefused as e:
        raise ConfigError(str(e)) from None
    return name


def _mr_enclaves(values: Iterable[bytes | str]) -> frozenset[bytes]:
    if isinstance(values, str | bytes):
        raise ConfigError("mr_enclave must be a list of values")
    out = set()
    for v in values:
        if isinstance(v, str):
            try:
                v = bytes.fromhex(v)
            except ValueError:
                raise ConfigError(f"MRENCLAVE is not hex: {v!r:.80}") from None
        if not isinstance(v, bytes) or len(v) != 32:
            raise ConfigError(f"MRENCLAVE must be 32 bytes (64 hex characters): {v!r:.80}")
        out.add(v)
    return frozenset(out)


def _mode(value: SealMode | str) -> SealMode:
    try:
        return SealMode(value)
    except ValueError:
        raise ConfigError(f"seal mode must be real or fake, got {value!r}") from None


def _timeout(instance: object, attribute: attrs.Attribute, value: float) -> None:
    if not isinstance(value, int | float) or not 0 < value < math.inf:
        raise ConfigError(f"{attribute.name} must be a positive number of seconds, got {value!r}")


def _optional_path(value: str | Path | None) -> Path | None:
    return None if value is None else Path(value)


@attrs.frozen
class SealClientConfig:
    """What `get_persistent_key` needs. In fake mode an empty `mr_enclave` means the software
    enclave's INSECURE identity; in real mode it must be given (or `skip_validation`)."""

    key_name: bytes = attrs.field(converter=_key_name)
    address: SealAddress = attrs.field(factory=default_client_address, converter=_address)
    mode: SealMode = attrs.field(default=SealMode.REAL, converter=_mode)
    mr_enclave: frozenset[bytes] = attrs.field(default=frozenset(), converter=_mr_enclaves)
    skip_validation: bool = attrs.field(default=False, validator=attrs.validators.instance_of(bool))
    fake_guest: FakeTdxGuest = attrs.field(factory=FakeTdxGuest)
    collateral: Path | None = attrs.field(default=None, converter=_optional_path)
    timeout: float = attrs.field(default=30.0, validator=_timeout)

    def __attrs_post_init__(self) -> None:
        if self.mode is SealMode.REAL and not self.mr_enclave and not self.skip_validation:
            raise ConfigError("real seal mode needs allowed MRENCLAVE values (or skip_validation)")

    @property
    def policy(self) -> EnclavePolicy:
        allowed = self.mr_enclave
        if self.mode is SealMode.FAKE and not allowed:
            allowed = frozenset({INSECURE_FAKE_MR_ENCLAVE})
        return EnclavePolicy(allowed, self.skip_validation)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SealClientConfig:
        data = dict(data)
        if isinstance(data.get("fake_guest"), Mapping):
            data["fake_guest"] = FakeTdxGuest.from_dict(data["fake_guest"])
        return _construct(cls, data, "seal client")


@attrs.frozen
class SealServerConfig:
    """The software-mode seal server (`SoftwareEnclave`). A hardware host runs the reference's
    seal-server with its SGX enclave instead; both speak the same bytes. `timeout` bounds how
    long a connection may take to deliver each request and to take its answer."""

    address: SealAddress = attrs.field(factory=default_server_address, converter=_address)
    enclave: SoftwareEnclave = attrs.field(factory=SoftwareEnclave)
    timeout: float = attrs.field(default=10.0, validator=_timeout)


def _construct(cls: type, data: dict[str, Any], what: str) -> Any:
    names = {f.name for f in attrs.fields(cls)}
    unknown = set(data) - names
    if unknown:
        raise ConfigError(f"unknown {what} settings: {', '.join(sorted(unknown))}")
    try:
        return cls(**data)
    except TypeError as e:
        raise ConfigError(f"bad {what} settings: {e}") from None
