"""A small local network on a synchronous `Chain`, for tests that do not need trio."""

from __future__ import annotations

import attrs
from pytoniq_core import Address

from cocoon.ton import (
    ONE_TON,
    Chain,
    ClientContract,
    ManualClock,
    PaymentSigner,
    ProxyContract,
    RootConfig,
    Transfer,
    WalletContract,
    WalletStorage,
    WorkerContract,
    build_wallet_external,
    deploy_root,
    flows,
    local_params,
    to_boc,
)
from cocoon.ton.keys import public_key
from cocoon.ton.ledger import Transaction


def addr(n: int) -> Address:
    return Address((0, bytes([n]) * 32))


class SyncWallet:
    """A CocoonWallet driven directly on a `Chain` (what `Wallet` does, without trio)."""

    def __init__(self, chain: Chain, seed: bytes, owner: Address) -> None:
        self.chain = chain
        self.seed = seed
        self.contract = WalletContract(
            public_key=public_key(seed), owner=owner, code=chain.wallet_code
        )
        self.address = self.contract.address

    @property
    def seqno(self) -> int:
        state = self.chain.state(self.address)
        if not state.active or state.data is None:
            return 0
        return WalletStorage.from_cell(state.data).seqno

    def external(
        self,
        *transfers: Transfer,
        seqno: int | None = None,
        valid_for: int = 3600,
        seed: bytes | None = None,
    ) -> bytes:
        state = self.chain.state(self.address)
        ext = build_wallet_external(
            self.contract,
            seed or self.seed,
            seqno=self.seqno if seqno is None else seqno,
            valid_until=self.chain.now() + valid_for,
            transfers=transfers,
            with_state_init=not state.active,
        )
        return to_boc(ext.to_cell())

    def send(self, *transfers: Transfer) -> list[Transaction]:
        return self.chain.submit_external(self.external(*transfers))


@attrs.define
class Net:
    """Root, a proxy (contract not deployed yet), and the wallets of its three roles."""

    chain: Chain
    clock: ManualClock
    governance: Address
    root: Address
    config: RootConfig
    signer: PaymentSigner
    proxy_owner: Address
    client_human: Address
    worker_owner: Address
    proxy_wallet: SyncWallet
    client_wallet: SyncWallet
    worker_wallet: SyncWallet
    proxy: ProxyContract
    client: ClientContract
    worker: WorkerContract

    def deploy_all(self, top_up: int = 20 * ONE_TON) -> None:
        self.proxy_wallet.send(flows.deploy(self.proxy))
        self.client_wallet.send(
            flows.deploy(self.client),
            flows.client_top_up(self.client.address, top_up, self.client_wallet.address),
        )
        self.worker_wallet.send(flows.deploy(self.worker))


def make_net(**params: object) -> Net:
    clock = ManualClock()
    chain = Chain(clock=clock)
    governance = chain.create_user(addr(1), 10 * ONE_TON)
    root = deploy_root(
        chain,
        owner=governance,
        params=local_params(**params) if params else None,
        proxies=["127.0.0.1:8801 127.0.0.1:8802"],
    )
    config = chain.storage(root)
    proxy_owner, client_human, worker_owner = (
        chain.create_user(addr(i), 5 * ONE_TON) for i in (2, 3, 4)
    )
    proxy_wallet = SyncWallet(chain, bytes([10]) * 32, proxy_owner)
    client_wallet = SyncWallet(chain, bytes([11]) * 32, client_human)
    worker_wallet = SyncWallet(chain, bytes([12]) * 32, worker_owner)
    for wallet, amount in ((proxy_wallet, 50), (client_wallet, 100), (worker_wallet, 10)):
        chain.mint(wallet.address, amount * ONE_TON)
    signer = PaymentSigner(bytes([20]) * 32)
    proxy = ProxyContract(proxy_owner, signer.public_key, root, config.params)
    return Net(
        chain=chain,
        clock=clock,
        governance=governance,
        root=root,
        config=config,
        signer=signer,
        proxy_owner=proxy_owner,
        client_human=client_human,
        worker_owner=worker_owner,
        proxy_wallet=proxy_wallet,
        client_wallet=client_wallet,
        worker_wallet=worker_wallet,
        proxy=proxy,
        client=proxy.client(client_wallet.address),
        worker=proxy.worker(worker_owner),
    )
