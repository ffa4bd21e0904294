"""Worker contract bodies (spec 30 section 6)."""

from __future__ import annotations

import attrs
from pytoniq_core import Address

from cocoon.ton.bodies._layout import ADDRESS, U64, Body, field
from cocoon.ton.bodies.common import SignedBody, TokensPayload
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
    send_excesses_to: Address = field(ADDRESS)
