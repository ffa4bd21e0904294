"""CocoonWallet internal bodies (spec 30 section 7.3). Externals are in `cocoon.ton.wallet`."""

from __future__ import annotations

import attrs
from pytoniq_core import Cell

from cocoon.ton.bodies._layout import REF, U8, U64, Body, field
from cocoon.ton.constants import Op


@attrs.frozen
class OwnerWalletSendMessage(Body):
    """From the owner: send `message` (a full internal message cell) with `mode`."""

    OP = Op.OWNER_WALLET_SEND_MESSAGE
    query_id: int = field(U64)
    mode: int = field(U8)
    message: Cell = field(REF)
