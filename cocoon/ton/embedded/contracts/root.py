"""The root contract, ported from cocoon_root.fc (mainnet sources)."""

from __future__ import annotations

from typing import Any

import attrs
from pytoniq_core import Cell

from cocoon.ton.bodies.root import NetAddr
from cocoon.ton.cells import Reader, cell_hash
from cocoon.ton.constants import STORAGE_ESTIMATE, ExitCode, Op
from cocoon.ton.embedded.contracts._common import (
    Port,
    forward_excesses,
    inc_u32,
    same_address,
    unpack_params,
)
from cocoon.ton.embedded.tvm import Context, throw, throw_unless
from cocoon.ton.root import RegisteredProxy, RootConfig

_HASH_OPS = {
    Op.ROOT_ADD_WORKER_TYPE: ("worker_hashes", True),
    Op.ROOT_DEL_WORKER_TYPE: ("worker_hashes", False),
    Op.ROOT_ADD_MODEL_TYPE: ("model_hashes", True),
    Op.ROOT_DEL_MODEL_TYPE: ("model_hashes", False),
    Op.ROOT_ADD_PROXY_TYPE: ("proxy_hashes", True),
    Op.ROOT_DEL_PROXY_TYPE: ("proxy_hashes", False),
}


def _bool(value: bool) -> int:
    return -1 if value else 0


class RootPort(Port):
    kind = "root"

    def storage(self, data: Cell) -> RootConfig:
        return RootConfig.from_data(data)

    def internal(self, ctx: Context, body: Cell, data: Cell) -> Cell | None:
        ctx.raw_reserve(max(ctx.my_balance - ctx.msg_value, STORAGE_ESTIMATE), 0)
        if ctx.bounced:
            return None
        r = Reader(body, "root message")
        op = r.uint(32)
        if op == Op.DO_NOT_PROCESS:
            return None
        query_id = r.uint(64)
        root = RootConfig.from_data(data)
        throw_unless(ExitCode.EXPECTED_MESSAGE_FROM_OWNER, same_address(ctx.sender, root.owner))
        bump_version = True  # version + 1 is stored at the end (u32: exit 5 at 2^32 - 1)

        if op in _HASH_OPS:
            name, add = _HASH_OPS[Op(op)]
            h = r.bytes_(32)
            r.end()
            current: frozenset[bytes] = getattr(root, name)
            root = attrs.evolve(root, **{name: current | {h} if add else current - {h}})
        elif op == Op.ROOT_REGISTER_PROXY:
            kind = r.uint(1)
            throw_unless(ExitCode.MSG_FORMAT_MISMATCH, kind == 0)
            length = r.uint(7)
            raw = r.bytes_(length)
            r.end()
            seqno = inc_u32(root.last_proxy_seqno)  # the dictionary key is a u32 too
            entry = RegisteredProxy(seqno, _netaddr(raw))
            root = attrs.evolve(
                root,
                last_proxy_seqno=seqno,
                registered_proxies=[
                    *[p for p in root.registered_proxies if p.seqno != seqno],
                    entry,
                ],
            )
        elif op == Op.ROOT_UNREGISTER_PROXY:
            seqno = r.uint(32)
            r.end()
            root = attrs.evolve(
                root, registered_proxies=[p for p in root.registered_proxies if p.seqno != seqno]
            )
        elif op == Op.ROOT_UPDATE_PROXY:
            seqno = r.uint(32)
            kind = r.uint(1)
            throw_unless(ExitCode.MSG_FORMAT_MISMATCH, kind == 0)
            length = r.uint(7)
            raw = r.bytes_(length)
            r.end()
            throw_unless(ExitCode.UNKNOWN_PROXY_TYPE, root.proxy(seqno) is not None)
            others = [p for p in root.registered_proxies if p.seqno != seqno]
            root = attrs.evolve(
                root, registered_proxies=[*others, RegisteredProxy(seqno, _netaddr(raw))]
            )
        elif op == Op.ROOT_CHANGE_PRICE:
            params = unpack_params(root.params)
            price, fee = r.coins(), r.coins()
            r.end()
            root = attrs.evolve(
                root,
                params=attrs.evolve(
                    params,
                    price_per_token=price,
                    worker_fee_per_token=fee,
                    params_version=inc_u32(params.params_version),
                ),
            )
        elif op == Op.ROOT_CHANGE_PARAMS:
            params = unpack_params(root.params)
            price, fee = r.coins(), r.coins()
            proxy_delay, client_delay = r.uint(32), r.uint(32)
            min_proxy_stake, min_client_stake = r.coins(), r.coins()
            r.end()
            root = attrs.evolve(
                root,
                params=attrs.evolve(
                    params,
                    price_per_token=price,
                    worker_fee_per_token=fee,
                    proxy_delay_before_close=proxy_delay,
                    client_delay_before_close=client_delay,
                    min_proxy_stake=min_proxy_stake,
                    min_client_stake=min_client_stake,
                    params_version=inc_u32(params.params_version),
                ),
            )
        elif op == Op.ROOT_UPGRADE_CONTRACTS:
            params = unpack_params(root.params)
            proxy_code, worker_code, client_code = r.ref(), r.ref(), r.ref()
            r.end()
            root = attrs.evolve(
                root,
                params=attrs.evolve(
                    params,
                    proxy_sc_code=proxy_code,
                    worker_sc_code=worker_code,
                    client_sc_code=client_code,
                    params_version=inc_u32(params.params_version),
                ),
            )
        elif op == Op.ROOT_UPGRADE:
            code = r.ref()
            r.end()
            ctx.set_code(code)
            bump_version = False
        elif op == Op.ROOT_RESET:
            r.end()
            root = attrs.evolve(
                root,
                proxy_hashes=frozenset(),
                worker_hashes=frozenset(),
                model_hashes=frozenset(),
                registered_proxies=(),
            )
        elif op == Op.ROOT_UPGRADE_FULL:
            new_data, new_code = r.ref(), r.ref()
            r.end()
            ctx.set_code(new_code)
            forward_excesses(ctx, ctx.sender, query_id)
            return new_data
        elif op == Op.ROOT_CHANGE_OWNER:
            owner = r.msg_address()  # any form: addr_none or addr_extern lock the root for good
            r.end()
            root = attrs.evolve(root, owner=owner)
        else:
            throw(ExitCode.UNKNOWN_OP)

        forward_excesses(ctx, ctx.sender, query_id)
        if bump_version:
            root = attrs.evolve(root, version=inc_u32(root.version))
        return root.to_data()

    def get_method(self, name: str, data: Cell, args: tuple[Any, ...]) -> list[Any]:
        root = RootConfig.from_data(data)
        if name == "get_cocoon_data":
            p = unpack_params(root.params)
            return [
                root.version,
                root.last_proxy_seqno,
                p.params_version,
                p.unique_id,
                int(p.is_test),
                p.price_per_token,
                p.worker_fee_per_token,
                p.min_proxy_stake,
                p.min_client_stake,
                root.owner,
            ]
        if name == "last_proxy_seqno":
            return [root.last_proxy_seqno]
        if name in ("proxy_hash_is_valid", "worker_hash_is_valid", "model_hash_is_valid"):
            (value,) = args
            key = value.to_bytes(32, "big") if isinstance(value, int) else bytes(value)
            pool = {
                "proxy_hash_is_valid": root.proxy_hashes,
                "worker_hash_is_valid": root.worker_hashes,
                "model_hash_is_valid": root.model_hashes,
            }[name]
            return [_bool(key in pool)]
        if name == "get_cur_params":
            p = unpack_params(root.params)

            def code_hash(code: Cell | None) -> int:
                return 0 if code is None else int.from_bytes(cell_hash(code), "big")

            return [
                p.params_version,
                p.unique_id,
                int(p.is_test),
                p.price_per_token,
                p.worker_fee_per_token,
                p.cached_tokens_price_multiplier,
                p.reasoning_tokens_price_multiplier,
                p.proxy_delay_before_close,
                p.client_delay_before_close,
                p.min_proxy_stake,
                p.min_client_stake,
                code_hash(p.proxy_sc_code),
                code_hash(p.worker_sc_code),
                code_hash(p.client_sc_code),
            ]
        return super().get_method(name, data, args)


def _netaddr(raw: bytes) -> NetAddr:
    return NetAddr(address=raw.decode("latin-1"), kind=0)
