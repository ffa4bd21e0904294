"""Who a contract is: its initial data, StateInit and address (spec 30 sections 1.2, 1.3).

Every proxy, client and worker address depends on the root params (they sit inside the data),
so derive them from the same `Params` the root holds:

    proxy = ProxyContract(owner=..., public_key=..., root=root_address, params=root.params)
    client = proxy.client(client_wallet_address)      # ClientContract
    worker = proxy.worker(worker_owner)               # WorkerContract
    proxy.address, client.address, worker.address
"""

from __future__ import annotations

import functools

import attrs
from pytoniq_core import Address, Cell

from cocoon.errors import ConfigError
from cocoon.ton.cells import address_of, cell_hash, state_init
from cocoon.ton.params import Params
from cocoon.ton.storage import ClientStorage, ProxyStorage, WalletStorage, WorkerStorage


def _code(code: Cell | None, kind: str) -> Cell:
    if code is None:
        raise ConfigError(f"the root params carry no {kind} contract code")
    return code


def _no_codes(params: Params) -> Params:
    return params.without_codes()


def _proxy_params(params: Params) -> Params:
    # The proxy keeps worker and client code (mask 6) to check the addresses of its children.
    return attrs.evolve(params, proxy_sc_code=None)


@attrs.frozen
class WalletContract:
    """A node's CocoonWallet: keyed by its Ed25519 public key and the human owner, made with
    `code`. No default code: the chain says which (`Ledger.wallet_code()`); mainnet's and the
    reference's fake-TON wallets are `codes.COCOON_WALLET_CODE`, a local network's our own."""

    public_key: bytes
    owner: Address
    subwallet: int = 0
    code: Cell = attrs.field(kw_only=True, eq=cell_hash)  # by identity: any cell of that hash

    def initial_storage(self) -> WalletStorage:
        return WalletStorage(public_key=self.public_key, owner=self.owner, subwallet=self.subwallet)

    def state_init(self) -> Cell:
        return state_init(self.code, self.initial_storage().to_cell())

    @functools.cached_property
    def address(self) -> Address:  # once: hashing the StateInit is slow
        return address_of(self.state_init())


@attrs.frozen
class ProxyContract:
    """A proxy's contract: (owner, proxy key, root, root params). `params` are the root's."""

    owner: Address
    public_key: bytes
    root: Address
    params: Params

    def initial_storage(self) -> ProxyStorage:
        return ProxyStorage(
            owner=self.owner,
            public_key=self.public_key,
            root=self.root,
            params=_proxy_params(self.params),
        )

    def state_init(self) -> Cell:
        return state_init(
            _code(self.params.proxy_sc_code, "proxy"), self.initial_storage().to_cell()
        )

    @functools.cached_property
    def address(self) -> Address:  # once: hashing the StateInit is slow
        return address_of(self.state_init())

    def client(self, owner: Address) -> ClientContract:
        """The client contract of `owner` (the client's CocoonWallet address) at this proxy."""
        return ClientContract(
            owner=owner, proxy=self.address, proxy_public_key=self.public_key, params=self.params
        )

    def worker(self, owner: Address) -> WorkerContract:
        return WorkerContract(
            owner=owner, proxy=self.address, proxy_public_key=self.public_key, params=self.params
        )


@attrs.frozen
class ClientContract:
    """A client's contract at one proxy. `owner` is the client's CocoonWallet address."""

    owner: Address
    proxy: Address
    proxy_public_key: bytes
    params: Params

    def initial_storage(self) -> ClientStorage:
        return ClientStorage(
            owner=self.owner,
            proxy=self.proxy,
            proxy_public_key=self.proxy_public_key,
            params=_no_codes(self.params),
            stake=self.params.min_client_stake,
        )

    def state_init(self) -> Cell:
        return state_init(
            _code(self.params.client_sc_code, "client"), self.initial_storage().to_cell()
        )

    @functools.cached_property
    def address(self) -> Address:  # once: hashing the StateInit is slow
        return address_of(self.state_init())


@attrs.frozen
class WorkerContract:
    """A worker's contract at one proxy. `owner` is the worker operator's wallet."""

    owner: Address
    proxy: Address
    proxy_public_key: bytes
    params: Params

    def initial_storage(self) -> WorkerStorage:
        return WorkerStorage(
            owner=self.owner,
            proxy=self.proxy,
            proxy_public_key=self.proxy_public_key,
            params=_no_codes(self.params),
        )

    def state_init(self) -> Cell:
        return state_init(
            _code(self.params.worker_sc_code, "worker"), self.initial_storage().to_cell()
        )

    @functools.cached_property
    def address(self) -> Address:  # once: hashing the StateInit is slow
        return address_of(self.state_init())
