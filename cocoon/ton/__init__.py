"""TON layer: addresses, contract layouts (pytoniq-core cells), signed payments, pricing, and
the `Ledger` interface with its embedded, in-process implementation.

A local network on the embedded ledger, end to end::

    import trio
    from pytoniq_core import Address
    from cocoon import ton
    from cocoon.ton import flows

    async def main() -> None:
        chain = ton.Chain(clock=ton.ManualClock())
        ledger = ton.EmbeddedLedger(chain)
        governance = chain.create_user(Address((0, b"\\x01" * 32)), 10 * ton.ONE_TON)
        root = ton.deploy_root(chain, owner=governance, proxies=["127.0.0.1:8801"])
        config = await ton.read_root_config(ledger, root)          # RootConfig

        operator = chain.create_user(Address((0, b"\\x02" * 32)))
        # Wallets with the chain's wallet code (here: our compiled CocoonWallet).
        proxy_wallet = await ton.open_wallet(ledger, seed=b"\\x0a" * 32, owner=operator)
        client_wallet = await ton.open_wallet(ledger, seed=b"\\x0b" * 32, owner=operator)
        chain.mint(proxy_wallet.address, 10 * ton.ONE_TON)        # faucet
        chain.mint(client_wallet.address, 50 * ton.ONE_TON)

        signer = ton.PaymentSigner(b"\\x0c" * 32)                 # the proxy's key
        proxy = ton.ProxyContract(operator, signer.public_key, root, config.params)
        client = proxy.client(client_wallet.address)              # owner = client's wallet
        await proxy_wallet.send(flows.deploy(proxy))
        await client_wallet.send(
            flows.deploy(client),
            flows.client_top_up(client.address, 20 * ton.ONE_TON, client_wallet.address),
        )

        # The proxy signs a charge (cumulative tokens); bytes for proxy.signedPayment.data:
        data = signer.client_charge(client.address, 1_000, proxy_wallet.address).to_boc()
        payment = ton.verify_payment(data, kind=ton.PaymentKind.CLIENT_CHARGE,
                                     proxy_public_key=signer.public_key,
                                     contract=client.address)
        await proxy_wallet.send(flows.client_charge(payment))
        state = await ton.read_contract(ledger, client.address, "client")  # ClientStorage
        assert state.tokens_used == 1_000

    trio.run(main)

Import rule: everything here but `Wallet`, `open_wallet` and `EmbeddedLedger` is pure (no
trio); those, and the embedded chain's names (`Chain`, the fees, `deploy_root`...), are loaded
on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from cocoon.ton import flows
from cocoon.ton.bodies import NetAddr, parse_body
from cocoon.ton.cells import (
    address_of,
    cell_hash,
    friendly,
    from_boc,
    parse_address,
    raw,
    state_init,
    to_boc,
)
from cocoon.ton.codes import (
    COCOON_WALLET_CODE,
    LOCAL_CODES,
    REFERENCE_FAKE_CODES,
    ContractCodes,
    code_by_hash,
    local_code,
)
from cocoon.ton.constants import ONE_TON, ContractState, ExitCode, Op
from cocoon.ton.contracts import ClientContract, ProxyContract, WalletContract, WorkerContract
from cocoon.ton.counters import CounterOrderError, PaymentCounters
from cocoon.ton.errors import (
    BadPaymentSignatureError,
    CellDecodeError,
    CellEncodeError,
    ExternalRejectedError,
    InsufficientFundsError,
    LedgerError,
    MalformedPaymentError,
    StalePaymentError,
    UnknownOpcodeError,
    WrongPaymentContractError,
    WrongPaymentOpError,
)
from cocoon.ton.ledger import (
    AccountState,
    AccountStatus,
    Ledger,
    MessageInfo,
    Transaction,
    read_contract,
    read_root_config,
)
from cocoon.ton.messages import ExternalMessage, InternalMessage
from cocoon.ton.params import MASK_NONE, MASK_PROXY, MASK_ROOT, Params
from cocoon.ton.payments import (
    PaymentKind,
    PaymentSigner,
    SignedPayment,
    parse_payment,
    verify_payment,
)
from cocoon.ton.pricing import (
    AdjustedTokens,
    CreditView,
    Multipliers,
    TokenUsage,
    adjust_tokens,
    adjusted_tokens,
    charge,
    client_price,
    payout_split,
    proxy_commission,
    worker_fee,
)
from cocoon.ton.root import RegisteredProxy, RootConfig
from cocoon.ton.storage import ClientStorage, ProxyStorage, WalletStorage, WorkerStorage
from cocoon.ton.wallet import Transfer, build_wallet_external, wallet_address

_LAZY = {
    "Wallet": "cocoon.ton.wallet_client",
    "open_wallet": "cocoon.ton.wallet_client",
    "EmbeddedLedger": "cocoon.ton.embedded.ledger",
    "SqliteStore": "cocoon.ton.embedded.store",
    **dict.fromkeys(("Chain", "ContractView", "ManualClock"), "cocoon.ton.embedded.chain"),
    **dict.fromkeys(
        (
            "MAINNET_FEES",
            "MAINNET_FLOOR",
            "ZERO_FEES",
            "FeeConfig",
            "ForwardPrices",
            "GasPrices",
            "GasTable",
            "StoragePrices",
        ),
        "cocoon.ton.embedded.fees",
    ),
    **dict.fromkeys(("deploy_root", "local_params", "root_command"), "cocoon.ton.embedded.local"),
}


def __getattr__(name: str) -> Any:
    # trio-based names load on first use, so the pure layers never pull trio in; so does the
    # embedded chain (its contracts and emulator), which a role on a real or remote chain
    # never runs.
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'cocoon.ton' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "COCOON_WALLET_CODE",
    "LOCAL_CODES",
    "MAINNET_FEES",
    "MAINNET_FLOOR",
    "MASK_NONE",
    "MASK_PROXY",
    "MASK_ROOT",
    "ONE_TON",
    "REFERENCE_FAKE_CODES",
    "ZERO_FEES",
    "AccountState",
    "AccountStatus",
    "AdjustedTokens",
    "BadPaymentSignatureError",
    "CellDecodeError",
    "CellEncodeError",
    "Chain",
    "ClientContract",
    "ClientStorage",
    "ContractCodes",
    "ContractState",
    "ContractView",
    "CounterOrderError",
    "CreditView",
    "EmbeddedLedger",
    "ExitCode",
    "ExternalMessage",
    "ExternalRejectedError",
    "FeeConfig",
    "ForwardPrices",
    "GasPrices",
    "GasTable",
    "InsufficientFundsError",
    "InternalMessage",
    "Ledger",
    "LedgerError",
    "MalformedPaymentError",
    "ManualClock",
    "MessageInfo",
    "Multipliers",
    "NetAddr",
    "Op",
    "Params",
    "PaymentCounters",
    "PaymentKind",
    "PaymentSigner",
    "ProxyContract",
    "ProxyStorage",
    "RegisteredProxy",
    "RootConfig",
    "SignedPayment",
    "SqliteStore",
    "StalePaymentError",
    "StoragePrices",
    "TokenUsage",
    "Transaction",
    "Transfer",
    "UnknownOpcodeError",
    "Wallet",
    "WalletContract",
    "WalletStorage",
    "WorkerContract",
    "WorkerStorage",
    "WrongPaymentContractError",
    "WrongPaymentOpError",
    "address_of",
    "adjust_tokens",
    "adjusted_tokens",
    "build_wallet_external",
    "cell_hash",
    "charge",
    "client_price",
    "code_by_hash",
    "deploy_root",
    "flows",
    "friendly",
    "from_boc",
    "local_code",
    "local_params",
    "open_wallet",
    "parse_address",
    "parse_body",
    "parse_payment",
    "payout_split",
    "proxy_commission",
    "raw",
    "read_contract",
    "read_root_config",
    "root_command",
    "state_init",
    "to_boc",
    "verify_payment",
    "wallet_address",
    "worker_fee",
]
