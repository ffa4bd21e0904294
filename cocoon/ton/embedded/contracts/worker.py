"""The worker contract, ported from cocoon_worker.fc (mainnet sources)."""

from __future__ import annotations

from typing import Any

import attrs
from pytoniq_core import Cell

from cocoon.ton.bodies import WorkerProxyPayoutRequest, WorkerProxyRequest
from cocoon.ton.cells import Reader
from cocoon.ton.constants import (
    BOUNCEABLE,
    CLIENT_MIN_RESERVE,
    COMMISSION_ESTIMATE,
    STORAGE_ESTIMATE,
    ContractState,
    ExitCode,
    Op,
)
from cocoon.ton.embedded.contracts._common import (
    Port,
    create_msg,
    forward_excesses,
    same_address,
    unpack_params,
    unpack_signed,
)
from cocoon.ton.embedded.tvm import Context, throw, throw_if, throw_unless
from cocoon.ton.pricing import payout_split
from cocoon.ton.storage import WorkerStorage


def _notify(
    ctx: Context,
    s: WorkerStorage,
    query_id: int,
    tokens: int,
    value: int,
    mode: int,
    payload: WorkerProxyPayoutRequest | None,
) -> None:
    body = WorkerProxyRequest(
        query_id=query_id, worker_owner=s.owner, state=s.state, tokens=tokens, payload=payload
    )
    ctx.send(create_msg(BOUNCEABLE, s.proxy, value, body.to_cell()), mode)


class WorkerPort(Port):
    kind = "worker"

    def storage(self, data: Cell) -> WorkerStorage:
        return WorkerStorage.from_cell(data)

    def internal(self, ctx: Context, body: Cell, data: Cell) -> Cell | None:
        to_leave = max(ctx.my_balance - ctx.msg_value, CLIENT_MIN_RESERVE)
        if ctx.bounced:
            return None
        r = Reader(body, "worker message")
        op = r.uint(32)
        if op == Op.DO_NOT_PROCESS:
            return None
        query_id = r.uint(64)
        s = WorkerStorage.from_cell(data)
        throw_if(ExitCode.CLOSED, s.state == ContractState.CLOSED)

        if op in (Op.EXT_WORKER_PAYOUT_REQUEST_SIGNED, Op.EXT_WORKER_LAST_PAYOUT_REQUEST_SIGNED):
            payload, excess = unpack_signed(r, op, query_id, s.proxy_public_key)
            new_tokens = payload.uint(64)
            expected = payload.msg_address()
            payload.end()
            throw_unless(ExitCode.LOW_MSG_VALUE, ctx.msg_value > COMMISSION_ESTIMATE)
            throw_unless(ExitCode.EXPECTED_MY_ADDRESS, same_address(expected, ctx.my_address))
            params = unpack_params(s.params)
            if op == Op.EXT_WORKER_PAYOUT_REQUEST_SIGNED:
                throw_unless(ExitCode.OLD_MESSAGE, s.tokens < new_tokens)
                ctx.raw_reserve(to_leave, 0)
            else:
                throw_unless(ExitCode.OLD_MESSAGE, s.tokens <= new_tokens)
                s = attrs.evolve(s, state=ContractState.CLOSED)
                ctx.raw_reserve(STORAGE_ESTIMATE, 0)
            split = payout_split(
                new_tokens - s.tokens, params.price_per_token, params.worker_fee_per_token
            )
            payout = WorkerProxyPayoutRequest(
                coins_to_pay=split.worker_part,
                coins_to_save=split.proxy_part,
                send_excesses_to=excess,
            )
            _notify(ctx, s, query_id, new_tokens, 0, 128, payout)
            return attrs.evolve(s, tokens=new_tokens).to_cell()

        if op == Op.OWNER_WORKER_REGISTER:
            throw_unless(ExitCode.LOW_MSG_VALUE, ctx.msg_value > COMMISSION_ESTIMATE)
            throw_unless(ExitCode.EXPECTED_MESSAGE_FROM_OWNER, same_address(ctx.sender, s.owner))
            excess = r.msg_address()
            r.end()
            ctx.raw_reserve(to_leave, 0)
            _notify(ctx, s, query_id, s.tokens, 1, 1, None)
            forward_excesses(ctx, excess, query_id)
            return None

        throw(ExitCode.UNKNOWN_OP)

    def get_method(self, name: str, data: Cell, args: tuple[Any, ...]) -> list[Any]:
        if name != "get_cocoon_worker_data":
            return super().get_method(name, data, args)
        s = WorkerStorage.from_cell(data)
        return [s.owner, s.proxy, int.from_bytes(s.proxy_public_key, "big"), s.state, s.tokens]
