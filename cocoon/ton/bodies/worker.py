"""Worker contract bodies (spec 30 section 6)."""

from __future__ import annotations

import attrs

from cocoon.ton.bodies._layout import MSG_ADDRESS, U64, Body, field
from cocoon.ton.bodies.common import SignedBody, TokensPayload
from cocoon.ton.cells import MsgAddress
from cocoon.ton.constants import Op


@attrs.frozen
class WorkerPayoutSigned(SignedBody):
    OP = Op.EXT_WORKER_PAYOUT_REQUEST_SIGNED
    PAYLOAD = TokensPayload


@attrs.frozen
class WorkerLastPayoutSigned(SignedBody):
    OP = Op.EXT_WORKER_LAST_PAYOUT_REQUEST_SIGNED
    PAYLOAD = TokensPayload


@attrs.frozen
class OwnerWorkerRegister(Body):
    OP = Op.OWNER_WORKER_REGISTER
    query_id: int = field(U64)
    send_excesses_to: MsgAddress = field(MSG_ADDRESS)
