"""A new root's contents from a TOML or JSON file and `--set KEY=VALUE` flags.

    # root.toml: every key optional; amounts in nano-TON, multipliers x10000, delays seconds
    unique_id = 4242
    is_test = true
    price_per_token = 20
    worker_fee_per_token = 10
    prompt_tokens_price_multiplier = 10000
    min_client_stake = 1000000000
    owner = "UQ..."                       # default: the wallet that deploys it
    proxies = ["203.0.113.7:8801 203.0.113.7:8802"]
    worker_hashes = ["<64 hex>"]          # allowed worker image hashes
    proxy_hashes = ["<64 hex>"]           # allowed proxy image hashes
    models = ["Qwen/Qwen3-0.6B"]          # model names (their sha256 is stored)

What is not given comes from the local network's params (`local_params`: test mode, network
id 13, price 2, fee 1, delays 600/300 s, stakes 1 TON); the codes are this project's compiled
proxy, worker and client. A key not listed here is an error, so a typo is not a default.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs
from pytoniq_core import Address

from cocoon.errors import ConfigError
from cocoon.ton.bodies import NetAddr
from cocoon.ton.cells import parse_address
from cocoon.ton.codes import LOCAL_CODES
from cocoon.ton.embedded.local import local_params
from cocoon.ton.params import Params
from cocoon.ton.root import RegisteredProxy, RootConfig

INT_PARAMS = (
    "unique_id",
    "price_per_token",
    "worker_fee_per_token",
    "prompt_tokens_price_multiplier",
    "cached_tokens_price_multiplier",
    "completion_tokens_price_multiplier",
    "reasoning_tokens_price_multiplier",
    "proxy_delay_before_close",
    "client_delay_before_close",
    "min_proxy_stake",
    "min_client_stake",
)
BOOL_PARAMS = ("is_test",)
LIST_KEYS = ("proxies", "worker_hashes", "proxy_hashes", "models", "model_hashes")


@attrs.frozen
class RootPlan:
    """What a new root will hold, before its owner is known."""

    params: Params
    owner: Address | None = None
    proxies: tuple[str, ...] = ()
    worker_hashes: frozenset[bytes] = frozenset()
    proxy_hashes: frozenset[bytes] = frozenset()
    model_hashes: frozenset[bytes] = frozenset()

    def config(self, default_owner: Address) -> RootConfig:
        return RootConfig(
            owner=self.owner or default_owner,
            params=self.params,
            version=1,
            last_proxy_seqno=len(self.proxies),
            registered_proxies=[
                RegisteredProxy(i + 1, NetAddr(text)) for i, text in enumerate(self.proxies)
            ],
            worker_hashes=self.worker_hashes,
            proxy_hashes=self.proxy_hashes,
            model_hashes=self.model_hashes,
        )


def read_table(path: Path) -> dict[str, Any]:
    try:
        text = path.read_bytes()
    except OSError as e:
        raise ConfigError(f"cannot read {path}: {e.strerror}") from e
    try:
        data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text.decode())
    except (ValueError, UnicodeDecodeError) as e:
        raise ConfigError(
            f"{path}: not valid {'JSON' if path.suffix == '.json' else 'TOML'}: {e}"
        ) from e
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a table of keys")
    return data


def parse_sets(sets: Sequence[str]) -> dict[str, Any]:
    """`["price_per_token=20", "is_test=false"]` -> {"price_per_token": "20", ...}."""
    out: dict[str, Any] = {}
    for item in sets:
        name, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"--set takes KEY=VALUE, got {item!r}")
        out[name.strip()] = value.strip()
    return out


def _int(name: str, value: Any) -> int:
    if isinstance(value, bool):
        raise ConfigError(f"{name} is a number, got {value!r}")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} is a whole number, got {value!r}") from None


def _bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes"):
        return True
    if text in ("0", "false", "no"):
        return False
    raise ConfigError(f"{name} is true or false, got {value!r}")


def _hash(name: str, value: Any) -> bytes:
    try:
        h = bytes.fromhex(str(value))
    except ValueError:
        h = b""
    if len(h) != 32:
        raise ConfigError(f"{name}: a hash is 64 hex digits, got {value!r}")
    return h


def model_hash(name: str) -> bytes:
    """What the root stores for a model: sha256 of its name (as workers and proxies check)."""
    return hashlib.sha256(name.encode()).digest()


def root_plan(table: dict[str, Any]) -> RootPlan:
    unknown = set(table) - {*INT_PARAMS, *BOOL_PARAMS, *LIST_KEYS, "owner"}
    if unknown:
        raise ConfigError(f"unknown root keys: {', '.join(sorted(unknown))}")
    changes: dict[str, Any] = {}
    for name in INT_PARAMS:
        if name in table:
            changes[name] = _int(name, table[name])
    for name in BOOL_PARAMS:
        if name in table:
            changes[name] = _bool(name, table[name])
    try:
        params = local_params(LOCAL_CODES, **changes)
    except ValueError as e:
        raise ConfigError(f"root params: {e}") from e
    lists: dict[str, list[Any]] = {}
    for name in LIST_KEYS:
        value = table.get(name, [])
        if not isinstance(value, list):
            raise ConfigError(f"{name} is a list")
        lists[name] = value
    try:
        proxies = tuple(NetAddr(str(p)).address for p in lists["proxies"])
    except ValueError as e:
        raise ConfigError(f"proxies: {e}") from e
    owner = None
    if table.get("owner"):
        owner = parse_address(str(table["owner"]))
    return RootPlan(
        params=params,
        owner=owner,
        proxies=proxies,
        worker_hashes=frozenset(_hash("worker_hashes", h) for h in lists["worker_hashes"]),
        proxy_hashes=frozenset(_hash("proxy_hashes", h) for h in lists["proxy_hashes"]),
        model_hashes=frozenset(
            [model_hash(str(m)) for m in lists["models"]]
            + [_hash("model_hashes", h) for h in lists["model_hashes"]]
        ),
    )


def load_root_plan(path: Path | None, sets: Sequence[str]) -> RootPlan:
    table = read_table(path) if path is not None else {}
    table.update(parse_sets(sets))
    return root_plan(table)
