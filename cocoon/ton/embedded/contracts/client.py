"""The client contract, ported from cocoon_client.fc (mainnet sources); checks in its order."""

from __future__ import annotations

from typing import Any

import attrs
from pytoniq_core import Cell

from cocoon.ton.bodies import (
    ClientProxyRefundForce,
    ClientProxyRefundGranted,
    ClientProxyRegister,
    ClientProxyRequest,
    ClientProxyTopUp,
    ClientStateCell,
)
from cocoon.ton.bodies._layout import Body
from cocoon.ton.cells import MsgAddress, Reader
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
from cocoon.ton.pricing import charge
from cocoon.ton.storage import ClientStorage

NORMAL, CLOSING, CLOSED = ContractState.NORMAL, ContractState.CLOSING, ContractState.CLOSED


def _notify(
    ctx: Context, s: ClientStorage, query_id: int, value: int, mode: int, payload: Body | None
) -> None:
    """`forward_message_to_proxy`: the new state, bounceable, to the proxy contract."""
    state = ClientStateCell(
        state=s.state,
        balance=s.balance,
        stake=s.stake,
        tokens_used=s.tokens_used,
        secret_hash=s.secret_hash,
    )
    body = ClientProxyRequest(query_id=query_id, client_owner=s.owner, state=state, payload=payload)
    ctx.send(create_msg(BOUNCEABLE, s.proxy, value, body.to_cell()), mode)


def _forward_info(ctx: Context, s: ClientStorage, query_id: int, excess: MsgAddress) -> None:
    _notify(ctx, s, query_id, 1, 1, None)
    forward_excesses(ctx, excess, query_id)


def _forward_all(ctx: Context, s: ClientStorage, query_id: int, payload: Body) -> None:
    # forward_balance / forward_refund_granted / forward_refund_force: value 0, mode 128.
    _notify(ctx, s, query_id, 0, 128, payload)


class ClientPort(Port):
    kind = "client"

    def storage(self, data: Cell) -> ClientStorage:
        return ClientStorage.from_cell(data)

    def internal(self, ctx: Context, body: Cell, data: Cell) -> Cell | None:
        to_leave = max(ctx.my_balance - ctx.msg_value, CLIENT_MIN_RESERVE)
        if ctx.bounced:
            return None
        r = Reader(body, "client message")
        op = r.uint(32)
        if op == Op.DO_NOT_PROCESS:
            return None
        query_id = r.uint(64)
        s = ClientStorage.from_cell(data)
        sender = ctx.sender
        value, my_balance = ctx.msg_value, ctx.my_balance

        def check_value(extra: int = 0) -> None:
            throw_unless(ExitCode.LOW_MSG_VALUE, extra + COMMISSION_ESTIMATE <= value)
            throw_unless(
                ExitCode.LOW_SMC_BALANCE, extra + COMMISSION_ESTIMATE + to_leave <= my_balance
            )

        if op == Op.EXT_CLIENT_TOP_UP:
            amount = r.coins()
            excess = r.msg_address()
            r.end()
            throw_if(ExitCode.CLOSED, s.state == CLOSED)
            check_value(amount)
            s = attrs.evolve(s, balance=s.balance + amount)
            ctx.raw_reserve(to_leave, 0)
            _forward_all(ctx, s, query_id, ClientProxyTopUp(coins=amount, send_excesses_to=excess))

        elif op == Op.OWNER_CLIENT_CHANGE_SECRET_HASH_AND_TOP_UP:
            amount = r.coins()
            secret = r.bytes_(32)
            excess = r.msg_address()
            r.end()
            throw_if(ExitCode.CLOSED, s.state == CLOSED)
            check_value(amount)
            throw_unless(ExitCode.EXPECTED_MESSAGE_FROM_OWNER, same_address(sender, s.owner))
            s = attrs.evolve(s, balance=s.balance + amount, secret_hash=secret)
            ctx.raw_reserve(to_leave, 0)
            _forward_all(ctx, s, query_id, ClientProxyTopUp(coins=amount, send_excesses_to=excess))

        elif op == Op.OWNER_CLIENT_REGISTER:
            nonce = r.uint(64)
            excess = r.msg_address()
            r.end()
            throw_if(ExitCode.CLOSED, s.state == CLOSED)
            check_value()
            throw_unless(ExitCode.EXPECTED_MESSAGE_FROM_OWNER, same_address(sender, s.owner))
            ctx.raw_reserve(to_leave, 0)
            _notify(ctx, s, query_id, 1, 1, ClientProxyRegister(nonce=nonce))
            forward_excesses(ctx, excess, query_id)

        elif op == Op.OWNER_CLIENT_CHANGE_SECRET_HASH:
            secret = r.bytes_(32)
            excess = r.msg_address()
            r.end()
            throw_if(ExitCode.CLOSED, s.state == CLOSED)
            check_value()
            throw_unless(ExitCode.EXPECTED_MESSAGE_FROM_OWNER, same_address(sender, s.owner))
            s = attrs.evolve(s, secret_hash=secret)
            ctx.raw_reserve(to_leave, 0)
            _forward_info(ctx, s, query_id, excess)

        elif op == Op.OWNER_CLIENT_INCREASE_STAKE:
            new_stake = r.coins()
            excess = r.msg_address()
            r.end()
            throw_if(ExitCode.CLOSED, s.state == CLOSED)
            check_value()
            throw_unless(ExitCode.EXPECTED_MESSAGE_FROM_OWNER, same_address(sender, s.owner))
            throw_unless(ExitCode.LOW_MSG_VALUE, new_stake > s.stake)
            s = attrs.evolve(s, stake=new_stake)
            ctx.raw_reserve(to_leave, 0)
            _forward_info(ctx, s, query_id, excess)

        elif op == Op.OWNER_CLIENT_WITHDRAW:
            excess = r.msg_address()
            r.end()
            throw_unless(ExitCode.CLOSED, s.state == NORMAL)
            check_value()
            throw_unless(ExitCode.EXPECTED_OWNER, same_address(sender, s.owner))
            throw_unless(ExitCode.LOW_SMC_BALANCE, s.balance > s.stake)
            refund = s.balance - s.stake
            s = attrs.evolve(s, balance=s.stake)
            ctx.raw_reserve(to_leave, 0)
            _forward_all(
                ctx, s, query_id, ClientProxyRefundGranted(coins=refund, send_excesses_to=excess)
            )

        elif op == Op.OWNER_CLIENT_REQUEST_REFUND:
            excess = r.msg_address()
            r.end()
            throw_if(ExitCode.CLOSED, s.state == CLOSED)
            check_value()
            throw_unless(ExitCode.EXPECTED_OWNER, same_address(sender, s.owner))
            if s.state == NORMAL:
                params = unpack_params(s.params)
                s = attrs.evolve(
                    s, state=CLOSING, unlock_ts=ctx.now + params.client_delay_before_close
                )
                ctx.raw_reserve(to_leave, 0)
                if s.balance > s.stake:
                    refund = s.balance - s.stake
                    s = attrs.evolve(s, balance=s.stake)
                    _forward_all(
                        ctx,
                        s,
                        query_id,
                        ClientProxyRefundGranted(coins=refund, send_excesses_to=excess),
                    )
                else:
                    _forward_info(ctx, s, query_id, excess)
            else:
                throw_unless(ExitCode.NOT_UNLOCKED_YET, s.unlock_ts < ctx.now)
                refund = s.balance
                s = attrs.evolve(s, state=CLOSED, balance=0)
                ctx.raw_reserve(to_leave, 0)
                _forward_all(
                    ctx, s, query_id, ClientProxyRefundForce(coins=refund, send_excesses_to=excess)
                )

        elif op == Op.EXT_CLIENT_CHARGE_SIGNED:
            payload, excess = unpack_signed(r, op, query_id, s.proxy_public_key)
            new_tokens = payload.uint(64)
            expected = payload.msg_address()
            payload.end()
            throw_if(ExitCode.CLOSED, s.state == CLOSED)
            check_value()
            throw_unless(ExitCode.OLD_MESSAGE, s.tokens_used < new_tokens)
            throw_unless(ExitCode.EXPECTED_MY_ADDRESS, same_address(expected, ctx.my_address))
            s = self._update_balance(s, new_tokens)
            ctx.raw_reserve(to_leave, 0)
            _forward_info(ctx, s, query_id, excess)

        elif op == Op.EXT_CLIENT_GRANT_REFUND_SIGNED:
            payload, excess = unpack_signed(r, op, query_id, s.proxy_public_key)
            new_tokens = payload.uint(64)
            expected = payload.msg_address()
            payload.end()
            throw_if(ExitCode.CLOSED, s.state == CLOSED and s.balance == 0)
            check_value()
            throw_unless(ExitCode.OLD_MESSAGE, s.tokens_used <= new_tokens)
            throw_unless(ExitCode.EXPECTED_MY_ADDRESS, same_address(expected, ctx.my_address))
            s = self._update_balance(s, new_tokens)
            refund = s.balance
            s = attrs.evolve(s, state=CLOSED, unlock_ts=0, balance=0)
            ctx.raw_reserve(STORAGE_ESTIMATE, 0)
            _forward_all(
                ctx, s, query_id, ClientProxyRefundGranted(coins=refund, send_excesses_to=excess)
            )

        else:
            throw(ExitCode.UNKNOWN_OP)

        return s.to_cell()

    @staticmethod
    def _update_balance(s: ClientStorage, new_tokens: int) -> ClientStorage:
        if new_tokens <= s.tokens_used:
            return s
        params = unpack_params(s.params)
        result = charge(s.tokens_used, s.balance, new_tokens, params.price_per_token)
        return attrs.evolve(s, tokens_used=result.tokens_used, balance=result.balance)

    def get_method(self, name: str, data: Cell, args: tuple[Any, ...]) -> list[Any]:
        if name != "get_cocoon_client_data":
            return super().get_method(name, data, args)
        s = ClientStorage.from_cell(data)
        return [
            s.owner,
            s.proxy,
            int.from_bytes(s.proxy_public_key, "big"),
            s.state,
            s.balance,
            s.stake,
            s.tokens_used,
            s.unlock_ts,
            int.from_bytes(s.secret_hash, "big"),
        ]
