"""Local networks on the embedded ledger: a root contract, funded wallets, governance.

chain = Chain(clock=ManualClock())
governance = chain.create_user(some_address, 100 * ONE_TON)
root = deploy_root(chain, owner=governance, proxies=["127.0.0.1:8801 127.0.0.1:8802"])
chain.mint(wallet_address, 10 * ONE_TON)          # faucet
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs
from pytoniq_core import Address, Cell

from cocoon.ton.bodies import Body, NetAddr, build
from cocoon.ton.cells import state_init
from cocoon.ton.codes import LOCAL_CODES, ContractCodes
from cocoon.ton.constants import COMMISSION_ESTIMATE, ONE_TON
from cocoon.ton.embedded.chain import USER, Chain, key
from cocoon.ton.ledger import Transaction
from cocoon.ton.params import Params
from cocoon.ton.root import RegisteredProxy, RootConfig

DEFAULT_ROOT_BALANCE = ONE_TON


def local_params(codes: ContractCodes = LOCAL_CODES, **changes: object) -> Params:
    """Params for a local network: struct v3, the given codes, test mode, small prices."""
    base = Params(
        params_version=1,
        unique_id=13,
        is_test=True,
        price_per_token=2,
        worker_fee_per_token=1,
        proxy_delay_before_close=600,
        client_delay_before_close=300,
        proxy_sc_code=codes.proxy,
        worker_sc_code=codes.worker,
        client_sc_code=codes.client,
    )
    return attrs.evolve(base, **changes)


def deploy_root(
    chain: Chain,
    *,
    owner: Address,
    params: Params | None = None,
    codes: ContractCodes = LOCAL_CODES,
    proxies: Iterable[str] = (),
    proxy_hashes: Iterable[bytes] = (),
    worker_hashes: Iterable[bytes] = (),
    model_hashes: Iterable[bytes] = (),
    balance: int = DEFAULT_ROOT_BALANCE,
) -> Address:
    """Deploy a root contract at genesis and return its address. `owner` becomes a user
    account if it is not one; `proxies` are NetAddr texts registered with seqnos 1, 2, ..."""
    params = params or local_params(codes)
    for code, kind in (
        (params.proxy_sc_code, "proxy"),
        (params.worker_sc_code, "worker"),
        (params.client_sc_code, "client"),
    ):
        if code is not None:
            chain.register_code(code, kind)
    chain.register_code(codes.root, "root")
    registered = [RegisteredProxy(i + 1, NetAddr(text)) for i, text in enumerate(proxies)]
    config = RootConfig(
        owner=owner,
        params=params,
        version=1,
        last_proxy_seqno=len(registered),
        registered_proxies=registered,
        proxy_hashes=proxy_hashes,
        worker_hashes=worker_hashes,
        model_hashes=model_hashes,
    )
    acc = chain.accounts.get(key(owner))
    if acc is None or acc.kind != USER:
        chain.create_user(owner)
    return chain.deploy(state_init(codes.root, config.to_data()), balance)


def root_command(
    chain: Chain,
    owner: Address,
    root: Address,
    body: Body | Cell,
    value: int = 2 * COMMISSION_ESTIMATE,
) -> list[Transaction]:
    """The root's owner sends a governance message (e.g. `RootAddWorkerType(...)`)."""
    cell = body if isinstance(body, Cell) else build(body)
    return chain.send_from_user(owner, root, value, cell)


def read_root(chain: Chain, root: Address) -> RootConfig:
    return chain.storage(root)
