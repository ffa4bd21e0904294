"""Contract storage layouts as plain data (spec 30 sections 1.3, 4.1, 5.1, 6, 7.1).

Each class parses a contract's data cell (`from_cell`) and builds it (`to_cell`), bit-exact.
They are also what the observability API returns: balances, tokens settled, stake, state.
"""

from __future__ import annotations

import attrs
from pytoniq_core import Address, Cell, begin_cell

from cocoon.ton.cells import (
    Reader,
    finish,
    store_address,
    store_bytes,
    store_coins,
    store_uint,
)
from cocoon.ton.constants import ContractState
from cocoon.ton.params import MASK_ROOT, Params


def _bytes32(_inst: object, attr: attrs.Attribute, value: bytes) -> None:
    if not isinstance(value, bytes) or len(value) != 32:
        raise ValueError(f"{attr.name} must be 32 bytes")


def _addr(_inst: object, attr: attrs.Attribute, value: Address) -> None:
    if not isinstance(value, Address):
        raise ValueError(f"{attr.name} must be an Address")


def _params(_inst: object, attr: attrs.Attribute, value: Params) -> None:
    if not isinstance(value, Params):
        raise ValueError(f"{attr.name} must be Params")


@attrs.frozen
class ProxyStorage:
    """Proxy contract data. `balance` is the proxy's earnings counter, not its TON balance."""

    owner: Address = attrs.field(validator=_addr)
    public_key: bytes = attrs.field(validator=_bytes32)
    root: Address = attrs.field(validator=_addr)
    params: Params = attrs.field(validator=_params)  # with worker and client code (mask 6)
    state: int = 0
    balance: int = 0
    stake: int = 0
    unlock_ts: int = 0

    @property
    def closing_state(self) -> ContractState:
        return ContractState(self.state)

    def to_cell(self) -> Cell:
        b = begin_cell()
        store_address(b, self.owner)
        store_bytes(b, self.public_key, 32)
        store_address(b, self.root)
        store_uint(b, self.state, 2)
        store_coins(b, self.balance)
        store_coins(b, self.stake)
        store_uint(b, self.unlock_ts, 32)
        b.store_ref(self.params.to_cell(MASK_ROOT))
        return finish(b)

    @classmethod
    def from_cell(cls, cell: Cell) -> ProxyStorage:
        r = Reader(cell, "proxy data")
        value = cls(
            owner=r.address(),
            public_key=r.bytes_(32),
            root=r.address(),
            state=r.uint(2),
            balance=r.coins(),
            stake=r.coins(),
            unlock_ts=r.uint(32),
            params=Params.from_cell(r.ref()),
        )
        r.end()
        return value


@attrs.frozen
class ClientStorage:
    """Client contract data. `balance` is prepaid nano not yet charged; `stake` a threshold."""

    owner: Address = attrs.field(validator=_addr)
    proxy: Address = attrs.field(validator=_addr)
    proxy_public_key: bytes = attrs.field(validator=_bytes32)
    params: Params = attrs.field(validator=_params)  # without codes
    state: int = 0
    balance: int = 0
    stake: int = 0
    tokens_used: int = 0
    unlock_ts: int = 0
    secret_hash: bytes = attrs.field(default=bytes(32), validator=_bytes32)

    @property
    def closing_state(self) -> ContractState:
        return ContractState(self.state)

    def to_cell(self) -> Cell:
        const = begin_cell()
        store_address(const, self.owner)
        store_address(const, self.proxy)
        store_bytes(const, self.proxy_public_key, 32)
        b = begin_cell()
        store_uint(b, self.state, 2)
        store_coins(b, self.balance)
        store_coins(b, self.stake)
        store_uint(b, self.tokens_used, 64)
        store_uint(b, self.unlock_ts, 32)
        store_bytes(b, self.secret_hash, 32)
        b.store_ref(finish(const))
        b.store_ref(self.params.to_cell(MASK_ROOT))
        return finish(b)

    @classmethod
    def from_cell(cls, cell: Cell) -> ClientStorage:
        r = Reader(cell, "client data")
        state = r.uint(2)
        balance = r.coins()
        stake = r.coins()
        tokens_used = r.uint(64)
        unlock_ts = r.uint(32)
        secret_hash = r.bytes_(32)
        c = Reader(r.ref(), "client const data")
        owner, proxy, key = c.address(), c.address(), c.bytes_(32)
        c.end()
        params = Params.from_cell(r.ref())
        r.end()
        return cls(
            owner=owner,
            proxy=proxy,
            proxy_public_key=key,
            params=params,
            state=state,
            balance=balance,
            stake=stake,
            tokens_used=tokens_used,
            unlock_ts=unlock_ts,
            secret_hash=secret_hash,
        )


@attrs.frozen
class WorkerStorage:
    """Worker contract data. `tokens` is the adjusted-token counter already paid out."""

    owner: Address = attrs.field(validator=_addr)
    proxy: Address = attrs.field(validator=_addr)
    proxy_public_key: bytes = attrs.field(validator=_bytes32)
    params: Params = attrs.field(validator=_params)  # without codes
    state: int = 0
    tokens: int = 0

    @property
    def closing_state(self) -> ContractState:
        return ContractState(self.state)

    def to_cell(self) -> Cell:
        b = begin_cell()
        store_address(b, self.owner)
        store_address(b, self.proxy)
        store_bytes(b, self.proxy_public_key, 32)
        store_uint(b, self.state, 2)
        store_uint(b, self.tokens, 64)
        b.store_ref(self.params.to_cell(MASK_ROOT))
        return finish(b)

    @classmethod
    def from_cell(cls, cell: Cell) -> WorkerStorage:
        r = Reader(cell, "worker data")
        value = cls(
            owner=r.address(),
            proxy=r.address(),
            proxy_public_key=r.bytes_(32),
            state=r.uint(2),
            tokens=r.uint(64),
            params=Params.from_cell(r.ref()),
        )
        r.end()
        return value


@attrs.frozen
class WalletStorage:
    """CocoonWallet data. `status` bit 0 = externals blocked."""

    public_key: bytes = attrs.field(validator=_bytes32)
    owner: Address = attrs.field(validator=_addr)
    seqno: int = 0
    subwallet: int = 0
    status: int = 0

    @property
    def blocked(self) -> bool:
        return bool(self.status & 1)

    def to_cell(self) -> Cell:
        b = begin_cell()
        store_uint(b, self.seqno, 32)
        store_uint(b, self.subwallet, 32)
        store_bytes(b, self.public_key, 32)
        store_uint(b, self.status, 32)
        store_address(b, self.owner)
        return finish(b)

    @classmethod
    def from_cell(cls, cell: Cell) -> WalletStorage:
        r = Reader(cell, "wallet data")
        seqno, subwallet = r.uint(32), r.uint(32)
        key, status, owner = r.bytes_(32), r.uint(32), r.address()
        r.end()
        return cls(public_key=key, owner=owner, seqno=seqno, subwallet=subwallet, status=status)
