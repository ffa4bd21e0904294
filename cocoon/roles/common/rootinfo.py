"""The root contract's configuration as the stats pages show it (spec 40 section 5.5): the
reference's `root_contract_config` keys, raw values (multipliers 10000 = x1, stakes in
nano-TON), hashes in hex, addresses user-friendly (a locked root's owner in its TL-B form)."""

from __future__ import annotations

from typing import Any

from cocoon.ton.cells import describe_address
from cocoon.ton.root import RootConfig


def _code_hash(cell: Any) -> str | None:
    return cell.hash.hex() if cell is not None else None


def root_config_json(root: RootConfig | None, *, testnet: bool = False) -> dict[str, Any]:
    if root is None:
        return {}
    p = root.params
    return {
        "owner_address": describe_address(root.owner, testnet=testnet, bounceable=True),
        "proxy_hashes": sorted(h.hex() for h in root.proxy_hashes),
        "registered_proxies": [
            {
                "seqno": r.seqno,
                "address_for_clients": r.address.for_clients,
                "address_for_workers": r.address.for_workers,
            }
            for r in root.registered_proxies
        ],
        "last_proxy_seqno": root.last_proxy_seqno,
        "worker_hashes": sorted(h.hex() for h in root.worker_hashes),
        "model_hashes": sorted(h.hex() for h in root.model_hashes),
        "version": root.version,
        "struct_version": p.struct_version,
        "params_version": p.params_version,
        "unique_id": p.unique_id,
        "is_test": p.is_test,
        "price_per_token": p.price_per_token,
        "worker_fee_per_token": p.worker_fee_per_token,
        "prompt_tokens_price_multiplier": p.prompt_tokens_price_multiplier,
        "cached_tokens_price_multiplier": p.cached_tokens_price_multiplier,
        "completion_tokens_price_multiplier": p.completion_tokens_price_multiplier,
        "reasoning_tokens_price_multiplier": p.reasoning_tokens_price_multiplier,
        "proxy_delay_before_close": p.proxy_delay_before_close,
        "client_delay_before_close": p.client_delay_before_close,
        "proxy_min_stake": p.min_proxy_stake,
        "client_min_stake": p.min_client_stake,
        "proxy_sc_code_hash": _code_hash(p.proxy_sc_code),
        "worker_sc_code_hash": _code_hash(p.worker_sc_code),
        "client_sc_code_hash": _code_hash(p.client_sc_code),
    }
