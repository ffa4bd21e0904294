"""The root contract's storage as plain data: `RootConfig` (spec 30 sections 3.1 and 3.3).

`RootConfig.from_data(cell)` parses the root's data cell (versions 3 and 4; a v4 key-manager ref
is kept as is), `to_data()` builds it back bit for bit.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

import attrs
from pytoniq_core import Builder, Cell, begin_cell
from pytoniq_core.boc.hashmap.hashmap import HashMap
from pytoniq_core.boc.hashmap.utils import serialize_dict

from cocoon.ton.bodies.root import NETADDR, NetAddr
from cocoon.ton.cells import MsgAddress, Reader, finish, store_msg_address, store_uint
from cocoon.ton.errors import CellDecodeError
from cocoon.ton.params import MASK_ROOT, Params


def _endpoint(text: str) -> tuple[str, int] | None:
    """`ip:port` -> (ip, port) as the reference reads it (IPv4 only); None when unusable."""
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    host, sep, port = text.partition(":")
    if not sep or not port.isdigit() or int(port) > 0xFFFF:
        return None
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        return None
    return host, int(port)


@attrs.frozen
class RegisteredProxy:
    """One entry of the root's proxy registry, key = proxy seqno."""

    seqno: int
    address: NetAddr

    @property
    def usable(self) -> bool:
        """Whether the reference would list it (type 0 and both endpoints parse as IPv4)."""
        return (
            self.address.kind == 0
            and self.workers_endpoint is not None
            and self.clients_endpoint is not None
        )

    @property
    def workers_endpoint(self) -> tuple[str, int] | None:
        return _endpoint(self.address.for_workers)

    @property
    def clients_endpoint(self) -> tuple[str, int] | None:
        return _endpoint(self.address.for_clients)


def _hash_set(values: Iterable[bytes]) -> frozenset[bytes]:
    out = frozenset(values)
    for v in out:
        if not isinstance(v, bytes) or len(v) != 32:
            raise ValueError(f"hashes are 32 bytes, got {v!r}")
    return out


def _store_hash_dict(b: Builder, hashes: frozenset[bytes]) -> None:
    if not hashes:
        b.store_bit(0)
        return
    mapping = {int.from_bytes(h, "big"): None for h in hashes}
    b.store_maybe_ref(serialize_dict(mapping, 256, lambda _src, _dest: None).end_cell())


def _parse_dict(cell: Cell | None, key_bits: int, what: str) -> dict[int, Cell]:
    if cell is None:
        return {}
    try:
        parsed = HashMap.parse(cell.begin_parse(), key_bits)
    except Exception as exc:  # pytoniq raises assorted errors on malformed dictionaries
        raise CellDecodeError(f"{what}: malformed dictionary: {exc}") from exc
    if parsed is None:
        raise CellDecodeError(f"{what}: dictionary root is not an ordinary cell")
    return {key: value.to_cell() for key, value in parsed.items()}


@attrs.frozen
class RootConfig:
    """Everything the root holds: registry, allowed hashes, prices, delays, stakes and codes."""

    # Any MsgAddress: root_change_owner stores what it is given, so a root whose owner is
    # addr_none (None) or an OtherAddress is locked for good (no sender ever equals it).
    owner: MsgAddress
    params: Params
    version: int = 1
    last_proxy_seqno: int = 0
    proxy_hashes: frozenset[bytes] = attrs.field(default=frozenset(), converter=_hash_set)
    worker_hashes: frozenset[bytes] = attrs.field(default=frozenset(), converter=_hash_set)
    model_hashes: frozenset[bytes] = attrs.field(default=frozenset(), converter=_hash_set)
    registered_proxies: tuple[RegisteredProxy, ...] = attrs.field(
        default=(), converter=lambda v: tuple(sorted(v, key=lambda p: p.seqno))
    )
    key_manager: Cell | None = attrs.field(default=None, eq=False)

    # Shortcuts to the params most readers want.
    @property
    def params_version(self) -> int:
        return self.params.params_version

    @property
    def struct_version(self) -> int:
        return self.params.struct_version

    @property
    def price_per_token(self) -> int:
        return self.params.price_per_token

    @property
    def worker_fee_per_token(self) -> int:
        return self.params.worker_fee_per_token

    @property
    def is_test(self) -> bool:
        return self.params.is_test

    @property
    def proxies(self) -> tuple[RegisteredProxy, ...]:
        """Registered proxies the reference would use (type 0, parseable endpoints)."""
        return tuple(p for p in self.registered_proxies if p.usable)

    def proxy(self, seqno: int) -> RegisteredProxy | None:
        for p in self.registered_proxies:
            if p.seqno == seqno:
                return p
        return None

    def to_data(self) -> Cell:
        """The root's data cell."""
        d = begin_cell()
        _store_hash_dict(d, self.proxy_hashes)
        if self.registered_proxies:
            mapping = {p.seqno: p.address for p in self.registered_proxies}
            d.store_maybe_ref(
                serialize_dict(mapping, 32, lambda src, dest: NETADDR.store(dest, src)).end_cell()
            )
        else:
            d.store_bit(0)
        store_uint(d, self.last_proxy_seqno, 32)
        _store_hash_dict(d, self.worker_hashes)
        _store_hash_dict(d, self.model_hashes)
        top = begin_cell()
        store_msg_address(top, self.owner)
        store_uint(top, self.version, 32)
        top.store_ref(finish(d))
        top.store_ref(self.params.to_cell(MASK_ROOT))
        if self.key_manager is not None:
            top.store_ref(self.key_manager)
        return finish(top)

    @classmethod
    def from_data(cls, cell: Cell) -> RootConfig:
        top = Reader(cell, "root data")
        owner = top.msg_address()
        data_cell = top.ref()
        params = Params.from_cell(top.ref())
        version = top.uint(32)
        key_manager = top.ref() if top.refs_left else None
        top.end()

        d = Reader(data_cell, "root registry")
        proxy_hashes = _parse_dict(d.maybe_ref(), 256, "proxy_hashes")
        proxies_raw = _parse_dict(d.maybe_ref(), 32, "registered_proxies")
        last_proxy_seqno = d.uint(32)
        worker_hashes = _parse_dict(d.maybe_ref(), 256, "worker_hashes")
        model_hashes = _parse_dict(d.maybe_ref(), 256, "model_hashes")
        d.end()

        proxies = []
        for seqno, value in proxies_raw.items():
            r = Reader(value, f"registered proxy {seqno}")
            proxies.append(RegisteredProxy(seqno=seqno, address=NETADDR.load(r)))
        return cls(
            owner=owner,
            params=params,
            version=version,
            last_proxy_seqno=last_proxy_seqno,
            proxy_hashes=(k.to_bytes(32, "big") for k in proxy_hashes),
            worker_hashes=(k.to_bytes(32, "big") for k in worker_hashes),
            model_hashes=(k.to_bytes(32, "big") for k in model_hashes),
            registered_proxies=proxies,
            key_manager=key_manager,
        )
