"""The reference's fake-TON mode: `--disable-ton FAKE_TON_CONFIG` (spec 30 section 13).

The reference's runners can run without a chain: the root's state comes from a JSON file (TL-JSON
`rootConfig.pseudo`, the reference's `spec/fake-ton/fake-ton-config.json` rendered by its launch
script), every contract "deploys" at once, and payments are signed but never settled.

    {"proxy_hashes": ["<base64 of 32 bytes>", ...], "worker_hashes": [...],
     "model_hashes": [...], "model_types": ["name@...", ...],
     "registered_proxies": [{"seqno": 1, "address": "ip:port ip:port"}],
     "price_per_token": 2, "worker_fee_per_token": 1, "last_proxy_seqno": 1,
     "version": 3, "params_version": 1,
     "proxy_sc_code": "<hex BOC>", "worker_sc_code": "...", "client_sc_code": "...",
     "root_owner_address": "0Q..."}

Keys are read as TL-JSON does: a missing key is zero or empty, integers may be digit strings,
unknown keys (the reference file's `model_names`, a proxy's `proxy_hash`) are ignored. An empty
code string is an empty cell, as in the reference. The params the file does not hold are the
ones the reference fills in (`Params.reference_fake`): struct 1, unique id 13, test mode,
delays 600/300 s, stakes 1 TON. With the reference's codes, or cells standing for them by hash
(`codes.code_by_hash`), every address equals the reference's (spec 30 section 16, vector 3).

`FakeTonLedger` is how the roles see that: an in-process chain private to one role, holding the
root (at the configured root address, which the reference never derives) and running the role's
own contracts, so the role code paths stay those of a real chain: the proxy deploys its
contract and anchors its state commits (which makes its signed payments valid), wallets send.
Nothing another node does reaches it, which is what the reference's mode amounts to; the roles
ask `Ledger.fake_ton` for the few places the reference takes a shortcut (spec 30 section 13):
the proxy registers an unknown client on the spot with pseudo funds and offers short auth with
sha256(""), long auth succeeds at once, no charges, payouts or top-ups are sent, and the client
sends no register message.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pytoniq_core import Address, Cell, begin_cell

from cocoon.errors import ConfigError
from cocoon.ton.bodies import NetAddr
from cocoon.ton.cells import friendly, from_boc, parse_address, to_boc
from cocoon.ton.codes import LOCAL_CODES, REFERENCE_FAKE_CODES
from cocoon.ton.constants import ONE_TON
from cocoon.ton.embedded.chain import Chain
from cocoon.ton.embedded.ledger import EmbeddedLedger
from cocoon.ton.errors import CellDecodeError
from cocoon.ton.ledger import AccountState, AccountStatus
from cocoon.ton.params import Params
from cocoon.ton.root import RegisteredProxy, RootConfig

# The identities the reference's `cocoon-launch --local-all` gives its roles, as spec 30
# section 16 (vectors 2 and 3) states them: with them our addresses are the reference's.
LOCAL_ALL_ROOT = "EQBT4hy4vMEZ9uxSCuhw_gBKh9_AwmHXLe7Wo0O4Vh-4kRjJ"
LOCAL_ALL_OWNER = "UQAuz15H1ZHrZ_psVrAra7HealMIVeFq0wguqlmFno1f3B-m"
LOCAL_ALL_PROXY_KEY = base64.b64decode("ml+7xELuOQtfp9q9mSWtHiSWx5aSBV6p3xCfwPmHOwY=")
LOCAL_ALL_CLIENT_WALLET_KEY = base64.b64decode("gaEatwGNgLGOeFI/TRGfPdJG/K4G8picYHQkDHpLQ9w=")

# What the reference's pseudo deploys give every contract and wallet.
FAKE_ACCOUNT_BALANCE = 100 * ONE_TON
# A client the proxy registers on the spot (`ProxyClientInfo` in fake mode, then
# `pseudo_initialize`): balance 10^6 TON; the stake in tokens stays 1 TON / price.
PSEUDO_CLIENT_BALANCE = 10**6 * ONE_TON
PSEUDO_CLIENT_STAKE = ONE_TON
PSEUDO_SECRET_HASH = hashlib.sha256(b"").digest()

_CODE_KEYS = (
    ("proxy_sc_code", "proxy"),
    ("worker_sc_code", "worker"),
    ("client_sc_code", "client"),
)


def _int(data: Mapping[str, Any], key: str) -> int:
    value = data.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"{key}: expected an integer, got {value!r}")
    try:
        return int(value)
    except ValueError as e:
        raise ValueError(f"{key}: expected an integer, got {value!r}") from e


def _list(data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise ValueError(f"{key}: expected a list")
    return value


def _text(value: Any, key: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{key}: expected a string, got {value!r}")
    if "$" in value:
        # The reference's file is a template: its launch script renders it first.
        raise ValueError(f"{key}: {value!r} still holds a $PLACEHOLDER (render the file first)")
    return value


def _int256(value: Any, key: str) -> bytes:
    text = _text(value, key)
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error as e:
        raise ValueError(f"{key}: not base64: {text!r}") from e
    if len(raw) != 32:
        raise ValueError(f"{key}: expected 32 bytes, got {len(raw)}")
    return raw


def _code(value: Any, key: str) -> Cell:
    text = _text(value, key)
    if not text:
        return begin_cell().end_cell()  # the reference's empty code: an empty cell
    try:
        return from_boc(bytes.fromhex(text))
    except (ValueError, CellDecodeError) as e:
        raise ValueError(f"{key}: not a hex BOC: {e}") from e


def model_hash(model_type: str) -> bytes:
    """A `model_types` entry's hash: sha256 of the name before any `@`."""
    return hashlib.sha256(model_type.split("@", 1)[0].encode()).digest()


def root_from_pseudo(data: Mapping[str, Any]) -> RootConfig:
    """The root a fake-TON config file describes (`RootContractConfig::load_from_tl`)."""
    proxies = []
    for i, entry in enumerate(_list(data, "registered_proxies")):
        if not isinstance(entry, Mapping):
            raise ValueError(f"registered_proxies[{i}]: expected an object")
        address = _text(entry.get("address", ""), f"registered_proxies[{i}].address")
        proxy = RegisteredProxy(_int(entry, "seqno"), NetAddr(address))
        if not proxy.usable:
            raise ValueError(f"registered_proxies[{i}]: cannot parse address {address!r}")
        proxies.append(proxy)
    models = [_int256(h, "model_hashes") for h in _list(data, "model_hashes")]
    models += [model_hash(_text(t, "model_types")) for t in _list(data, "model_types")]
    codes = {kind: _code(data.get(k, ""), k) for k, kind in _CODE_KEYS}
    params = Params.reference_fake(
        params_version=_int(data, "params_version"),
        price_per_token=_int(data, "price_per_token"),
        worker_fee_per_token=_int(data, "worker_fee_per_token"),
        proxy_sc_code=codes["proxy"],
        worker_sc_code=codes["worker"],
        client_sc_code=codes["client"],
    )
    owner = _text(data.get("root_owner_address", ""), "root_owner_address")
    return RootConfig(
        owner=parse_address(owner),
        params=params,
        version=_int(data, "version"),
        last_proxy_seqno=_int(data, "last_proxy_seqno"),
        proxy_hashes=[_int256(h, "proxy_hashes") for h in _list(data, "proxy_hashes")],
        worker_hashes=[_int256(h, "worker_hashes") for h in _list(data, "worker_hashes")],
        model_hashes=models,
        registered_proxies=proxies,
    )


def load_fake_ton_config(path: str | Path) -> RootConfig:
    """Read a fake-TON config file; `ConfigError` naming the file and the key on any fault."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except OSError as e:
        raise ConfigError(f"{path}: cannot read: {e.strerror or e}") from e
    except json.JSONDecodeError as e:
        raise ConfigError(f"{path}: not valid JSON: {e}") from e
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a JSON object at the top level")
    try:
        return root_from_pseudo(data)
    except ValueError as e:
        raise ConfigError(f"{path}: {e}") from e


def pseudo_config(root: RootConfig) -> dict[str, Any]:
    """The fake-TON config file's JSON for `root` (the inverse of `root_from_pseudo` for the
    fields the file has; model hashes are written as `model_hashes`)."""
    p = root.params

    def code(cell: Cell | None) -> str:
        return "" if cell is None else to_boc(cell).hex()

    def b64(values: frozenset[bytes]) -> list[str]:
        return [base64.b64encode(h).decode() for h in sorted(values)]

    return {
        "proxy_hashes": b64(root.proxy_hashes),
        "worker_hashes": b64(root.worker_hashes),
        "model_hashes": b64(root.model_hashes),
        "registered_proxies": [
            {"seqno": r.seqno, "address": r.address.address} for r in root.registered_proxies
        ],
        "price_per_token": p.price_per_token,
        "worker_fee_per_token": p.worker_fee_per_token,
        "last_proxy_seqno": root.last_proxy_seqno,
        "version": root.version,
        "params_version": p.params_version,
        "proxy_sc_code": code(p.proxy_sc_code),
        "worker_sc_code": code(p.worker_sc_code),
        "client_sc_code": code(p.client_sc_code),
        "root_owner_address": friendly(root.owner, testnet=True, bounceable=False),
    }


class FakeTonLedger(EmbeddedLedger):
    """One role's private pseudo chain (see the module text). Every account it is asked
    about holds `FAKE_ACCOUNT_BALANCE`, as the reference's pseudo deploys do."""

    fake_ton = True

    def __init__(
        self, root: RootConfig, root_address: Address, *, clock: Callable[[], float] | None = None
    ) -> None:
        # Wallets are the reference's, so their addresses (and the client contracts' keyed
        # by them) are those the reference's runners compute in this mode.
        chain = Chain(clock=clock, wallet_code=REFERENCE_FAKE_CODES.wallet)
        p = root.params
        for code, kind in (
            (p.proxy_sc_code, "proxy"),
            (p.worker_sc_code, "worker"),
            (p.client_sc_code, "client"),
        ):
            if code is not None and (len(code.bits) or code.refs):
                chain.register_code(code, kind)
        # A new chain at each start: its logical times begin above any earlier run's, so a
        # restarted proxy (whose database remembers the last lt it saw) sees its new commits.
        chain.lt = time.time_ns() // 1000
        chain.place(root_address, LOCAL_CODES.root, root.to_data())
        super().__init__(chain)
        self.root = root
        self.root_address = root_address

    async def get_account(self, address: Address) -> AccountState:
        state = await super().get_account(address)
        if state.status is AccountStatus.NONEXIST:
            self.chain.mint(address, FAKE_ACCOUNT_BALANCE)
            state = self.chain.state(address)
        return state


def open_fake_ton(path: str | Path, root_address: str) -> FakeTonLedger:
    """A role's pseudo chain: its fake-TON config file and its `root_contract_address`."""
    root = load_fake_ton_config(path)
    if not root_address:
        raise ConfigError(
            "fake-TON mode needs root_contract_address (any address: it names the root)"
        )
    try:
        address = parse_address(root_address)
    except ValueError as e:
        raise ConfigError(f"root_contract_address: {e}") from e
    return FakeTonLedger(root, address)
