"""Proxy contract bodies (spec 30 section 4.2): notifications from client and worker contracts,
and the proxy-control messages."""

from __future__ import annotations

import attrs
from pytoniq_core import Address

from cocoon.ton.bodies._layout import (
    ADDRESS,
    BITS256,
    COINS,
    MSG_ADDRESS,
    U2,
    U64,
    Body,
    MaybeBodyRef,
    Struct,
    StructRef,
    field,
)
from cocoon.ton.bodies.common import AddressPayload, SignedBody
from cocoon.ton.cells import MsgAddress
from cocoon.ton.constants import Op

# Payloads carried by a client contract's notification.


@attrs.frozen
class ClientProxyTopUp(Body):
    OP = Op.CLIENT_PROXY_TOP_UP
    coins: int = field(COINS)
    send_excesses_to: MsgAddress = field(MSG_ADDRESS)


@attrs.frozen
class ClientProxyRegister(Body):
    OP = Op.CLIENT_PROXY_REGISTER
    nonce: int = field(U64)


@attrs.frozen
class ClientProxyRefundGranted(Body):
    OP = Op.CLIENT_PROXY_REFUND_GRANTED
    coins: int = field(COINS)
    send_excesses_to: MsgAddress = field(MSG_ADDRESS)


@attrs.frozen
class ClientProxyRefundForce(Body):
    OP = Op.CLIENT_PROXY_REFUND_FORCE
    coins: int = field(COINS)
    send_excesses_to: MsgAddress = field(MSG_ADDRESS)


CLIENT_PAYLOADS = {
    cls.OP: cls
    for cls in (
        ClientProxyTopUp,
        ClientProxyRegister,
        ClientProxyRefundGranted,
        ClientProxyRefundForce,
    )
}


@attrs.frozen
class ClientStateCell(Struct):
    """The client contract's new state as it tells the proxy (no unlock_ts)."""

    state: int = field(U2)
    balance: int = field(COINS)
    stake: int = field(COINS)
    tokens_used: int = field(U64)
    secret_hash: bytes = field(BITS256)


@attrs.frozen
class ClientProxyRequest(Body):
    """client contract -> proxy contract, bounceable, after every successful client operation."""

    OP = Op.CLIENT_PROXY_REQUEST
    query_id: int = field(U64)
    client_owner: Address = field(ADDRESS)
    state: ClientStateCell = field(StructRef(ClientStateCell))
    payload: Body | None = field(MaybeBodyRef(lambda: CLIENT_PAYLOADS, "client->proxy"))


@attrs.frozen
class WorkerProxyPayoutRequest(Body):
    OP = Op.WORKER_PROXY_PAYOUT_REQUEST
    coins_to_pay: int = field(COINS)
    coins_to_save: int = field(COINS)
    send_excesses_to: MsgAddress = field(MSG_ADDRESS)


WORKER_PAYLOADS = {WorkerProxyPayoutRequest.OP: WorkerProxyPayoutRequest}


@attrs.frozen
class WorkerProxyRequest(Body):
    """worker contract -> proxy contract."""

    OP = Op.WORKER_PROXY_REQUEST
    query_id: int = field(U64)
    worker_owner: Address = field(ADDRESS)
    state: int = field(U2)
    tokens: int = field(U64)
    payload: Body | None = field(MaybeBodyRef(lambda: WORKER_PAYLOADS, "worker->proxy"))


@attrs.frozen
class ExtProxyPayoutRequest(Body):
    """Pay the proxy's earnings (`balance`) to its owner. Anyone may send it."""

    OP = Op.EXT_PROXY_PAYOUT_REQUEST
    query_id: int = field(U64)
    send_excesses_to: MsgAddress = field(MSG_ADDRESS)


@attrs.frozen
class ExtProxyIncreaseStake(Body):
    OP = Op.EXT_PROXY_INCREASE_STAKE
    query_id: int = field(U64)
    grams: int = field(COINS)
    send_excesses_to: MsgAddress = field(MSG_ADDRESS)


@attrs.frozen
class OwnerProxyClose(Body):
    OP = Op.OWNER_PROXY_CLOSE
    query_id: int = field(U64)
    send_excesses_to: MsgAddress = field(MSG_ADDRESS)


@attrs.frozen
class ProxyCloseRequestSigned(SignedBody):
    OP = Op.EXT_PROXY_CLOSE_REQUEST_SIGNED
    PAYLOAD = AddressPayload


@attrs.frozen
class ProxyCloseCompleteSigned(SignedBody):
    OP = Op.EXT_PROXY_CLOSE_COMPLETE_REQUEST_SIGNED
    PAYLOAD = AddressPayload
