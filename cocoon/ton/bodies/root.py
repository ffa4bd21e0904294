"""Root contract bodies (spec 30 section 3.4). All must come from the root's owner."""

from __future__ import annotations

from typing import Any

import attrs
from pytoniq_core import Builder, Cell

from cocoon.ton.bodies._layout import (
    BITS256,
    COINS,
    MSG_ADDRESS,
    REF,
    U32,
    U64,
    Body,
    Codec,
    field,
)
from cocoon.ton.cells import MsgAddress, Reader
from cocoon.ton.constants import Op


@attrs.frozen
class NetAddr:
    """A registered proxy's network address: `type:u1` (0 = text), `len:u7`, `len` bytes.

    The text is `"ip:port"` or `"ip_for_workers:port ip_for_clients:port"`. Bytes are kept
    as latin-1 text so that any stored value round-trips exactly.
    """

    address: str = attrs.field()
    kind: int = attrs.field(default=0)

    @address.validator
    def _check(self, _attr: attrs.Attribute, value: str) -> None:
        try:
            raw = value.encode("latin-1")
        except UnicodeEncodeError as exc:
            raise ValueError("proxy address must be single-byte text") from exc
        if len(raw) > 127:
            raise ValueError("proxy address is longer than 127 bytes")

    @kind.validator
    def _check_kind(self, _attr: attrs.Attribute, value: int) -> None:
        if value not in (0, 1):
            raise ValueError("NetAddr type is one bit")

    @property
    def for_workers(self) -> str:
        return self.address.split(" ", 1)[0]

    @property
    def for_clients(self) -> str:
        parts = self.address.split(" ", 1)
        return parts[1] if len(parts) == 2 else parts[0]


class NetAddrCodec(Codec):
    def store(self, b: Builder, value: NetAddr) -> None:
        raw = value.address.encode("latin-1")
        b.store_uint(value.kind, 1).store_uint(len(raw), 7).store_bytes(raw)

    def load(self, r: Reader) -> NetAddr:
        kind = r.uint(1)
        length = r.uint(7)
        return NetAddr(address=r.bytes_(length).decode("latin-1"), kind=kind)

    def validate(self, value: Any) -> None:
        if not isinstance(value, NetAddr):
            raise ValueError(f"expected a NetAddr, got {value!r}")


NETADDR = NetAddrCodec()


def load_netaddr(cell: Cell) -> NetAddr:
    r = Reader(cell, "NetAddr")
    value = NETADDR.load(r)
    r.end()
    return value


@attrs.frozen
class RootAddWorkerType(Body):
    OP = Op.ROOT_ADD_WORKER_TYPE
    query_id: int = field(U64)
    hash: bytes = field(BITS256)


@attrs.frozen
class RootDelWorkerType(Body):
    OP = Op.ROOT_DEL_WORKER_TYPE
    query_id: int = field(U64)
    hash: bytes = field(BITS256)


@attrs.frozen
class RootAddModelType(Body):
    OP = Op.ROOT_ADD_MODEL_TYPE
    query_id: int = field(U64)
    hash: bytes = field(BITS256)


@attrs.frozen
class RootDelModelType(Body):
    OP = Op.ROOT_DEL_MODEL_TYPE
    query_id: int = field(U64)
    hash: bytes = field(BITS256)


@attrs.frozen
class RootAddProxyType(Body):
    OP = Op.ROOT_ADD_PROXY_TYPE
    query_id: int = field(U64)
    hash: bytes = field(BITS256)


@attrs.frozen
class RootDelProxyType(Body):
    OP = Op.ROOT_DEL_PROXY_TYPE
    query_id: int = field(U64)
    hash: bytes = field(BITS256)


@attrs.frozen
class RootRegisterProxy(Body):
    OP = Op.ROOT_REGISTER_PROXY
    query_id: int = field(U64)
    address: NetAddr = field(NETADDR)


@attrs.frozen
class RootUnregisterProxy(Body):
    OP = Op.ROOT_UNREGISTER_PROXY
    query_id: int = field(U64)
    seqno: int = field(U32)


@attrs.frozen
class RootUpdateProxy(Body):
    OP = Op.ROOT_UPDATE_PROXY
    query_id: int = field(U64)
    seqno: int = field(U32)
    address: NetAddr = field(NETADDR)


@attrs.frozen
class RootChangePrice(Body):
    OP = Op.ROOT_CHANGE_PRICE
    query_id: int = field(U64)
    price_per_token: int = field(COINS)
    worker_fee_per_token: int = field(COINS)


@attrs.frozen
class RootChangeParams(Body):
    OP = Op.ROOT_CHANGE_PARAMS
    query_id: int = field(U64)
    price_per_token: int = field(COINS)
    worker_fee_per_token: int = field(COINS)
    proxy_delay_before_close: int = field(U32)
    client_delay_before_close: int = field(U32)
    min_proxy_stake: int = field(COINS)
    min_client_stake: int = field(COINS)


@attrs.frozen
class RootUpgradeContracts(Body):
    OP = Op.ROOT_UPGRADE_CONTRACTS
    query_id: int = field(U64)
    proxy_sc_code: Cell = field(REF)
    worker_sc_code: Cell = field(REF)
    client_sc_code: Cell = field(REF)


@attrs.frozen
class RootUpgrade(Body):
    OP = Op.ROOT_UPGRADE
    query_id: int = field(U64)
    code: Cell = field(REF)


@attrs.frozen
class RootReset(Body):
    OP = Op.ROOT_RESET
    query_id: int = field(U64)


@attrs.frozen
class RootUpgradeFull(Body):
    OP = Op.ROOT_UPGRADE_FULL
    query_id: int = field(U64)
    data: Cell = field(REF)
    code: Cell = field(REF)


@attrs.frozen
class RootChangeOwner(Body):
    OP = Op.ROOT_CHANGE_OWNER
    query_id: int = field(U64)
    owner: MsgAddress = field(MSG_ADDRESS)


ROOT_BODIES: tuple[type[Body], ...] = (
    RootAddWorkerType,
    RootDelWorkerType,
    RootAddModelType,
    RootDelModelType,
    RootAddProxyType,
    RootDelProxyType,
    RootRegisterProxy,
    RootUnregisterProxy,
    RootUpdateProxy,
    RootChangePrice,
    RootChangeParams,
    RootUpgradeContracts,
    RootUpgrade,
    RootReset,
    RootUpgradeFull,
    RootChangeOwner,
)
