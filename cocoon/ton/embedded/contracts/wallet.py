"""CocoonWallet, ported from cocoon_wallet.fc (= the disassembly of spec 30 section 7)."""

from __future__ import annotations

from typing import Any

import attrs
from pytoniq_core import Cell, begin_cell

from cocoon.ton.cells import Reader, cell_hash
from cocoon.ton.constants import BOUNCEABLE, ONE_TON, WALLET_MIN_BALANCE, ExitCode, Op
from cocoon.ton.embedded.contracts._common import Port, create_msg, inc_u32, same_address
from cocoon.ton.embedded.tvm import Context, throw_if, throw_unless
from cocoon.ton.keys import verify
from cocoon.ton.storage import WalletStorage

_IGNORED = (Op.EXCESSES, Op.PAYOUT, Op.DO_NOT_PROCESS)


class WalletPort(Port):
    kind = "wallet"

    def storage(self, data: Cell) -> WalletStorage:
        return WalletStorage.from_cell(data)

    def external(self, ctx: Context, body: Cell, data: Cell) -> Cell | None:
        r = Reader(body, "wallet external")
        signature = r.bytes_(64)
        signed = r.rest()
        cs = Reader(signed, "wallet order")
        subwallet, valid_until, seqno = cs.uint(32), cs.uint(32), cs.uint(32)
        throw_if(ExitCode.WALLET_EXPIRED, valid_until <= ctx.now)
        s = WalletStorage.from_cell(data)
        throw_if(ExitCode.WALLET_BLOCKED, s.status & 1)
        throw_unless(ExitCode.WALLET_BAD_SEQNO, seqno == s.seqno)
        throw_unless(ExitCode.WALLET_BAD_SUBWALLET, subwallet == s.subwallet)
        throw_unless(
            ExitCode.WALLET_BAD_SIGNATURE, verify(s.public_key, cell_hash(signed), signature)
        )
        throw_if(ExitCode.WALLET_LOW_BALANCE, ctx.my_balance < WALLET_MIN_BALANCE)
        ctx.accept_message()
        while cs.refs_left:
            mode = cs.uint(8)
            ctx.send(cs.ref(), mode)
        # Stored after accepting and sending: at seqno 2^32 - 1 the compute phase fails (exit 5)
        # with gas paid and the sends dropped.
        return attrs.evolve(s, seqno=inc_u32(s.seqno)).to_cell()

    def internal(self, ctx: Context, body: Cell, data: Cell) -> Cell | None:
        if ctx.bounced:
            return None
        r = Reader(body, "wallet message")
        op = r.uint(32)
        if op in _IGNORED:
            return None
        s = WalletStorage.from_cell(data)
        throw_unless(ExitCode.WALLET_NOT_FROM_OWNER, same_address(ctx.sender, s.owner))
        if op == Op.OWNER_WALLET_SEND_MESSAGE:
            r.uint(64)  # query_id
            mode = r.uint(8)
            ctx.send(r.ref(), mode)
            return None
        throw_unless(ExitCode.WALLET_BAD_OP, op == 0)
        action = r.uint(8)
        r.end()
        throw_unless(ExitCode.WALLET_BAD_OP, action in (ord("w"), ord("b"), ord("u")))
        if action == ord("w"):
            # Keep up to 0.01 TON so the wallet stays alive; send the rest to the owner.
            ctx.raw_reserve(ONE_TON // 100, 2)
            comment = begin_cell().store_uint(0, 32).store_uint(ord("w"), 8).end_cell()
            assert ctx.sender is not None
            ctx.send(create_msg(BOUNCEABLE, ctx.sender, 0, comment), 128)
            return None
        if action == ord("b"):
            return attrs.evolve(s, status=s.status | 1).to_cell()
        return attrs.evolve(s, status=s.status & 0xFFFFFFFE).to_cell()

    def get_method(self, name: str, data: Cell, args: tuple[Any, ...]) -> list[Any]:
        s = WalletStorage.from_cell(data)
        if name == "seqno":
            return [s.seqno]
        if name == "get_public_key":
            return [int.from_bytes(s.public_key, "big")]
        if name == "get_owner_address":
            return [s.owner]
        return super().get_method(name, data, args)
