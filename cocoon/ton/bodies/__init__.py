"""Every message body of the five contracts, built and parsed with exact layouts.

`parse_body(cell, "client")` returns the typed body for what the client contract accepts (or
what is sent to it); an unknown opcode is `UnknownOpcodeError`, a malformed body
`CellDecodeError`. Each class's `to_cell()` builds it.
"""

from __future__ import annotations

from collections.abc import Callable

from pytoniq_core import Cell

from cocoon.ton.bodies._layout import Body, Struct, build, peek_op
from cocoon.ton.bodies.client import (
    ClientChargeSigned,
    ClientGrantRefundSigned,
    ExtClientTopUp,
    OwnerClientChangeSecretHash,
    OwnerClientChangeSecretHashAndTopUp,
    OwnerClientIncreaseStake,
    OwnerClientRegister,
    OwnerClientRequestRefund,
    OwnerClientTopUpReopen,
    OwnerClientWithdraw,
)
from cocoon.ton.bodies.common import (
    AddressPayload,
    DoNotProcess,
    Excesses,
    Payout,
    ProxySaveState,
    SignedBody,
    TextCommand,
    TokensPayload,
)
from cocoon.ton.bodies.proxy import (
    ClientProxyRefundForce,
    ClientProxyRefundGranted,
    ClientProxyRegister,
    ClientProxyRequest,
    ClientProxyTopUp,
    ClientStateCell,
    ExtProxyIncreaseStake,
    ExtProxyPayoutRequest,
    OwnerProxyClose,
    ProxyCloseCompleteSigned,
    ProxyCloseRequestSigned,
    WorkerProxyPayoutRequest,
    WorkerProxyRequest,
)
from cocoon.ton.bodies.root import (
    ROOT_BODIES,
    NetAddr,
    RootAddModelType,
    RootAddProxyType,
    RootAddWorkerType,
    RootChangeOwner,
    RootChangeParams,
    RootChangePrice,
    RootDelModelType,
    RootDelProxyType,
    RootDelWorkerType,
    RootRegisterProxy,
    RootReset,
    RootUnregisterProxy,
    RootUpdateProxy,
    RootUpgrade,
    RootUpgradeContracts,
    RootUpgradeFull,
    load_netaddr,
)
from cocoon.ton.bodies.wallet import OwnerWalletSendMessage
from cocoon.ton.bodies.worker import OwnerWorkerRegister, WorkerLastPayoutSigned, WorkerPayoutSigned
from cocoon.ton.constants import Op
from cocoon.ton.errors import CellDecodeError, UnknownOpcodeError


def _do_not_process(cell: Cell) -> Body:
    # A proxy state commit is a do_not_process with a known inner layout; anything else is opaque.
    try:
        return ProxySaveState.from_cell(cell)
    except CellDecodeError:
        return DoNotProcess.from_cell(cell)


def _table(*classes: type[Body]) -> dict[int, Callable[[Cell], Body]]:
    table: dict[int, Callable[[Cell], Body]] = {int(cls.OP): cls.from_cell for cls in classes}
    table[int(Op.DO_NOT_PROCESS)] = _do_not_process
    return table


CONTRACT_BODIES: dict[str, dict[int, Callable[[Cell], Body]]] = {
    "root": _table(*ROOT_BODIES),
    "proxy": _table(
        ClientProxyRequest,
        WorkerProxyRequest,
        ExtProxyPayoutRequest,
        ExtProxyIncreaseStake,
        OwnerProxyClose,
        ProxyCloseRequestSigned,
        ProxyCloseCompleteSigned,
        TextCommand,
    ),
    "client": _table(
        ExtClientTopUp,
        OwnerClientChangeSecretHashAndTopUp,
        OwnerClientRegister,
        OwnerClientChangeSecretHash,
        OwnerClientIncreaseStake,
        OwnerClientWithdraw,
        OwnerClientRequestRefund,
        OwnerClientTopUpReopen,
        ClientChargeSigned,
        ClientGrantRefundSigned,
    ),
    "worker": _table(WorkerPayoutSigned, WorkerLastPayoutSigned, OwnerWorkerRegister),
    # What a CocoonWallet (or any owner wallet) receives: its own ops and what contracts pay out.
    "wallet": _table(OwnerWalletSendMessage, TextCommand, Excesses, Payout),
}


def parse_body(cell: Cell, contract: str) -> Body:
    """The typed body of a message to `contract` ("root", "proxy", "client", "worker", "wallet")."""
    table = CONTRACT_BODIES.get(contract)
    if table is None:
        raise ValueError(f"unknown contract kind {contract!r}")
    op = peek_op(cell)
    parser = table.get(op)
    if parser is None:
        raise UnknownOpcodeError(op, contract)
    return parser(cell)


__all__ = [
    "CONTRACT_BODIES",
    "AddressPayload",
    "Body",
    "ClientChargeSigned",
    "ClientGrantRefundSigned",
    "ClientProxyRefundForce",
    "ClientProxyRefundGranted",
    "ClientProxyRegister",
    "ClientProxyRequest",
    "ClientProxyTopUp",
    "ClientStateCell",
    "DoNotProcess",
    "Excesses",
    "ExtClientTopUp",
    "ExtProxyIncreaseStake",
    "ExtProxyPayoutRequest",
    "NetAddr",
    "OwnerClientChangeSecretHash",
    "OwnerClientChangeSecretHashAndTopUp",
    "OwnerClientIncreaseStake",
    "OwnerClientRegister",
    "OwnerClientRequestRefund",
    "OwnerClientTopUpReopen",
    "OwnerClientWithdraw",
    "OwnerProxyClose",
    "OwnerWalletSendMessage",
    "OwnerWorkerRegister",
    "Payout",
    "ProxyCloseCompleteSigned",
    "ProxyCloseRequestSigned",
    "ProxySaveState",
    "RootAddModelType",
    "RootAddProxyType",
    "RootAddWorkerType",
    "RootChangeOwner",
    "RootChangeParams",
    "RootChangePrice",
    "RootDelModelType",
    "RootDelProxyType",
    "RootDelWorkerType",
    "RootRegisterProxy",
    "RootReset",
    "RootUnregisterProxy",
    "RootUpdateProxy",
    "RootUpgrade",
    "RootUpgradeContracts",
    "RootUpgradeFull",
    "SignedBody",
    "Struct",
    "TextCommand",
    "TokensPayload",
    "WorkerLastPayoutSigned",
    "WorkerPayoutSigned",
    "WorkerProxyPayoutRequest",
    "WorkerProxyRequest",
    "build",
    "load_netaddr",
    "parse_body",
]
