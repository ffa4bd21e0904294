"""Client contract bodies (spec 30 section 5.3)."""

from __future__ import annotations

import attrs

from cocoon.ton.bodies._layout import BITS256, COINS, MSG_ADDRESS, U64, Body, field
from cocoon.ton.bodies.common import SignedBody, TokensPayload
from cocoon.ton.cells import MsgAddress
from cocoon.ton.constants import Op


@attrs.frozen
class ExtClientTopUp(Body):
    """Add `amount` to the client's balance. Anyone may send it (value >= amount + 0.1 TON)."""

    OP = Op.EXT_CLIENT_TOP_UP
    query_id: int = field(U64)
    amount: int = field(COINS)
    send_excesses_to: MsgAddress = field(MSG_ADDRESS)


@attrs.frozen
class OwnerClientChangeSecretHashAndTopUp(Body):
    OP = Op.OWNER_CLIENT_CHANGE_SECRET_HASH_AND_TOP_UP
    query_id: int = field(U64)
    amount: int = field(COINS)
    secret_hash: bytes = field(BITS256)
    send_excesses_to: MsgAddress = field(MSG_ADDRESS)


@attrs.frozen
class OwnerClientRegister(Body):
    OP = Op.OWNER_CLIENT_REGISTER
    query_id: int = field(U64)
    nonce: int = field(U64)
    send_excesses_to: MsgAddress = field(MSG_ADDRESS)


@attrs.frozen
class OwnerClientChangeSecretHash(Body):
    OP = Op.OWNER_CLIENT_CHANGE_SECRET_HASH
    query_id: int = field(U64)
    secret_hash: bytes = field(BITS256)
    send_excesses_to: MsgAddress = field(MSG_ADDRESS)


@attrs.frozen
class OwnerClientIncreaseStake(Body):
    OP = Op.OWNER_CLIENT_INCREASE_STAKE
    query_id: int = field(U64)
    new_stake: int = field(COINS)
    send_excesses_to: MsgAddress = field(MSG_ADDRESS)


@attrs.frozen
class OwnerClientWithdraw(Body):
    OP = Op.OWNER_CLIENT_WITHDRAW
    query_id: int = field(U64)
    send_excesses_to: MsgAddress = field(MSG_ADDRESS)


@attrs.frozen
class OwnerClientRequestRefund(Body):
    OP = Op.OWNER_CLIENT_REQUEST_REFUND
    query_id: int = field(U64)
    send_excesses_to: MsgAddress = field(MSG_ADDRESS)


@attrs.frozen
class OwnerClientTopUpReopen(Body):
    """Built by the reference but not handled by the contract (unknown op, 1012)."""

    OP = Op.OWNER_CLIENT_TOP_UP_REOPEN
    query_id: int = field(U64)
    amount: int = field(COINS)
    send_excesses_to: MsgAddress = field(MSG_ADDRESS)


@attrs.frozen
class ClientChargeSigned(SignedBody):
    OP = Op.EXT_CLIENT_CHARGE_SIGNED
    PAYLOAD = TokensPayload


@attrs.frozen
class ClientGrantRefundSigned(SignedBody):
    OP = Op.EXT_CLIENT_GRANT_REFUND_SIGNED
    PAYLOAD = TokensPayload
