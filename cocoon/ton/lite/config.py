"""The TON global config (the JSON that mainnet and testnet publish, `liteclient.config.global`
in TON's `ton_api.tl`): the liteservers to ask and the validator section that anchors trust.

    {"liteservers": [{"ip": 84478511, "port": 19949,
                      "id": {"@type": "pub.ed25519", "key": "<base64 of 32 bytes>"}}],
     "validator": {"@type": "validator.config.global",
                   "zero_state": {"workchain": -1, "shard": -9223372036854775808, "seqno": 0,
                                  "root_hash": "<base64>", "file_hash": "<base64>"},
                   "init_block": {...same form...},
                   "hardforks": [...]}}

`ip` is the IPv4 address as a signed 32-bit integer (big-endian octets). Other sections (`dht`,
`liteservers_v2`) are ignored. Every problem raises `LiteConfigError` naming the JSON path.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from cocoon.ton.lite.adnl import key_id
from cocoon.ton.lite.errors import LiteConfigError
from cocoon.ton.lite.types import BlockIdExt

_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)


def ip_from_int(value: int) -> str:
    """The dotted IPv4 of a config's signed 32-bit `ip` (`-1062731775` -> `192.168.0.1`)."""
    return str(ipaddress.IPv4Address(value & 0xFFFFFFFF))


def ip_to_int(host: str) -> int:
    """The signed 32-bit `ip` a config writes for a dotted IPv4."""
    value = int(ipaddress.IPv4Address(host))
    return value - (1 << 32) if value >= 1 << 31 else value


@attrs.frozen
class LiteServerConfig:
    host: str
    port: int
    public_key: bytes = attrs.field(repr=lambda k: base64.b64encode(k).decode())

    @property
    def key_id(self) -> bytes:
        return key_id(self.public_key)

    @property
    def name(self) -> str:
        return f"{self.host}:{self.port}"

    def to_json(self) -> dict[str, Any]:
        return {
            "ip": ip_to_int(self.host),
            "port": self.port,
            "id": {"@type": "pub.ed25519", "key": base64.b64encode(self.public_key).decode()},
        }


@attrs.frozen
class ValidatorConfig:
    zero_state: BlockIdExt
    init_block: BlockIdExt | None  # the trusted block to start from; the zero state if absent
    hardforks: tuple[BlockIdExt, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "@type": "validator.config.global",
            "zero_state": _block_to_json(self.zero_state),
        }
        if self.init_block is not None:
            out["init_block"] = _block_to_json(self.init_block)
        out["hardforks"] = [_block_to_json(b) for b in self.hardforks]
        return out


@attrs.frozen
class GlobalConfig:
    liteservers: tuple[LiteServerConfig, ...]
    validator: ValidatorConfig

    def to_json(self) -> dict[str, Any]:
        return {
            "@type": "config.global",
            "liteservers": [s.to_json() for s in self.liteservers],
            "validator": self.validator.to_json(),
        }


def load_global_config(path: str | Path) -> GlobalConfig:
    """Read and parse a global config file."""
    try:
        text = Path(path).read_text()
    except OSError as e:
        raise LiteConfigError(f"cannot read the TON global config {path}: {e.strerror}") from e
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise LiteConfigError(f"{path}: not JSON ({e})") from e
    return parse_global_config(data)


def parse_global_config(data: Any) -> GlobalConfig:
    """Parse the decoded JSON of a global config."""
    root = _mapping(data, "the config")
    servers_json = root.get("liteservers")
    if not isinstance(servers_json, list) or not servers_json:
        raise LiteConfigError("liteservers: a non-empty list is required")
    servers = tuple(_liteserver(s, f"liteservers[{i}]") for i, s in enumerate(servers_json))
    seen: set[tuple[str, int]] = set()
    for s in servers:
        if (s.host, s.port) in seen:
            raise LiteConfigError(f"liteservers: {s.name} is listed twice")
        seen.add((s.host, s.port))
    if "validator" not in root:
        raise LiteConfigError("validator: missing")
    return GlobalConfig(servers, _validator(root["validator"], "validator"))


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise LiteConfigError(f"{where}: an object is required")
    return value


def _int(obj: Mapping[str, Any], key: str, where: str, bounds: tuple[int, int]) -> int:
    value = obj.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise LiteConfigError(f"{where}.{key}: an integer is required")
    low, high = bounds
    if not low <= value <= high:
        raise LiteConfigError(f"{where}.{key}: {value} out of range")
    return value


def _b64_32(obj: Mapping[str, Any], key: str, where: str) -> bytes:
    value = obj.get(key)
    if not isinstance(value, str):
        raise LiteConfigError(f"{where}.{key}: a base64 string is required")
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise LiteConfigError(f"{where}.{key}: not valid base64") from None
    if len(raw) != 32:
        raise LiteConfigError(f"{where}.{key}: {len(raw)} bytes, 32 expected")
    return raw


def _liteserver(value: Any, where: str) -> LiteServerConfig:
    obj = _mapping(value, where)
    # The int is signed in TON's configs; accept the unsigned spelling some tools write.
    ip = _int(obj, "ip", where, (-(2**31), 2**32 - 1))
    port = _int(obj, "port", where, (1, 65535))
    key = _mapping(obj.get("id"), f"{where}.id")
    if key.get("@type") != "pub.ed25519":
        raise LiteConfigError(f"{where}.id.@type: only pub.ed25519 keys are supported")
    return LiteServerConfig(ip_from_int(ip), port, _b64_32(key, "key", f"{where}.id"))


def _block(value: Any, where: str) -> BlockIdExt:
    obj = _mapping(value, where)
    return BlockIdExt(
        workchain=_int(obj, "workchain", where, _INT32),
        shard=_int(obj, "shard", where, _INT64),
        seqno=_int(obj, "seqno", where, (0, 2**31 - 1)),
        root_hash=_b64_32(obj, "root_hash", where),
        file_hash=_b64_32(obj, "file_hash", where),
    )


def _validator(value: Any, where: str) -> ValidatorConfig:
    obj = _mapping(value, where)
    if "zero_state" not in obj:
        raise LiteConfigError(f"{where}.zero_state: missing")
    zero_state = _block(obj["zero_state"], f"{where}.zero_state")
    init = obj.get("init_block")
    init_block = None if init is None else _block(init, f"{where}.init_block")
    forks = obj.get("hardforks", [])
    if not isinstance(forks, list):
        raise LiteConfigError(f"{where}.hardforks: a list is required")
    hardforks = tuple(_block(b, f"{where}.hardforks[{i}]") for i, b in enumerate(forks))
    return ValidatorConfig(zero_state, init_block, hardforks)


def _block_to_json(block: BlockIdExt) -> dict[str, Any]:
    return {
        "workchain": block.workchain,
        "shard": block.shard,
        "seqno": block.seqno,
        "root_hash": base64.b64encode(block.root_hash).decode(),
        "file_hash": base64.b64encode(block.file_hash).decode(),
    }
