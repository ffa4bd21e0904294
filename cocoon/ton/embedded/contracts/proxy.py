"""The proxy contract, ported from cocoon_proxy.fc (mainnet sources).

Differences from the text of spec 30 section 4.2, following mainnet (spec section 0.1a):
closing sets `unlock_ts = now + proxy_delay_before_close`, completing requires `now >= unlock_ts`
(1011) and sends everything above 0.01 TON to the owner (mode 128); a top-up reaching a closing
or closed proxy is paid back to the client's owner.
"""

from __future__ import annotations

from typing import Any

import attrs
from pytoniq_core import Address, Cell

from cocoon.ton.cells import MsgAddress, Reader
from cocoon.ton.constants import (
    COMMISSION_ESTIMATE,
    STORAGE_ESTIMATE,
    ContractState,
    ExitCode,
    Op,
)
from cocoon.ton.contracts import ClientContract, WorkerContract
from cocoon.ton.embedded.contracts._common import (
    Port,
    forward_excesses,
    payout_msg,
    same_address,
    unpack_params,
    unpack_signed,
)
from cocoon.ton.embedded.tvm import Context, throw, throw_if, throw_unless
from cocoon.ton.storage import ProxyStorage

NORMAL, CLOSING, CLOSED = ContractState.NORMAL, ContractState.CLOSING, ContractState.CLOSED


class ProxyPort(Port):
    kind = "proxy"

    def storage(self, data: Cell) -> ProxyStorage:
        return ProxyStorage.from_cell(data)

    def internal(self, ctx: Context, body: Cell, data: Cell) -> Cell | None:
        to_leave = max(ctx.my_balance - ctx.msg_value, STORAGE_ESTIMATE)
        if ctx.bounced:
            return None
        r = Reader(body, "proxy message")
        op = r.uint(32)
        if op == Op.DO_NOT_PROCESS:
            return None
        query_id = r.uint(64) if op != 0 else 0
        s = ProxyStorage.from_cell(data)
        value = ctx.msg_value

        if op == Op.WORKER_PROXY_REQUEST:
            worker_owner = r.msg_address()
            r.uint(66)  # state + tokens
            if not r.bit():
                r.end()
                return None
            payload = Reader(r.ref(), "worker payload")
            r.end()
            params = unpack_params(s.params)
            expected = self._child_address(WorkerContract, worker_owner, ctx.my_address, s, params)
            throw_unless(ExitCode.CONTRACT_ADDRESS_MISMATCH, same_address(ctx.sender, expected))
            if payload.uint(32) != Op.WORKER_PROXY_PAYOUT_REQUEST:
                throw(ExitCode.UNKNOWN_OP)
            to_pay = payload.coins()
            to_save = payload.coins()
            excess = payload.msg_address()
            payload.end()
            throw_if(ExitCode.CLOSED, s.state == CLOSED)
            s = attrs.evolve(s, balance=s.balance + to_save)
            ctx.raw_reserve(to_leave - to_pay, 0)
            ctx.send(payout_msg(worker_owner, to_pay, query_id), 1)
            forward_excesses(ctx, excess, query_id)

        elif op == Op.CLIENT_PROXY_REQUEST:
            client_owner = r.msg_address()
            r.ref()  # the client's state, for the runner
            if not r.bit():
                r.end()
                return None
            payload = Reader(r.ref(), "client payload")
            r.end()
            params = unpack_params(s.params)
            expected = self._child_address(ClientContract, client_owner, ctx.my_address, s, params)
            throw_unless(ExitCode.CONTRACT_ADDRESS_MISMATCH, same_address(ctx.sender, expected))
            inner = payload.uint(32)
            if inner == Op.CLIENT_PROXY_TOP_UP:
                coins = payload.coins()
                excess = payload.msg_address()
                payload.end()
                if s.state == NORMAL:
                    ctx.raw_reserve(to_leave + coins, 0)
                else:
                    ctx.raw_reserve(to_leave, 0)
                    ctx.send(payout_msg(client_owner, coins, query_id), 0)
                forward_excesses(ctx, excess, query_id)
            elif inner == Op.CLIENT_PROXY_REGISTER:
                return None  # nothing to do on chain; the runner reads the nonce
            elif inner == Op.CLIENT_PROXY_REFUND_GRANTED:
                coins = payload.coins()
                excess = payload.msg_address()
                payload.end()
                throw_if(ExitCode.CLOSED, s.state == CLOSED)
                ctx.raw_reserve(to_leave - coins, 0)
                ctx.send(payout_msg(client_owner, coins, query_id), 1)
                forward_excesses(ctx, excess, query_id)
            elif inner == Op.CLIENT_PROXY_REFUND_FORCE:
                coins = payload.coins()
                excess = payload.msg_address()
                payload.end()
                throw_if(ExitCode.CLOSED, s.state == CLOSED)
                coins = min(coins, s.stake)
                s = attrs.evolve(s, stake=s.stake - coins)
                ctx.raw_reserve(to_leave - coins, 0)
                ctx.send(payout_msg(client_owner, coins, query_id), 1)
                forward_excesses(ctx, excess, query_id)
            else:
                throw(ExitCode.UNKNOWN_OP)

        elif op == Op.EXT_PROXY_PAYOUT_REQUEST:
            excess = r.msg_address()
            r.end()
            throw_unless(ExitCode.LOW_MSG_VALUE, value >= COMMISSION_ESTIMATE)
            throw_if(ExitCode.CLOSED, s.state == CLOSED)
            ctx.raw_reserve(to_leave - s.balance, 0)
            ctx.send(payout_msg(s.owner, s.balance, query_id), 1)
            s = attrs.evolve(s, balance=0)
            forward_excesses(ctx, excess, query_id)

        elif op == Op.EXT_PROXY_INCREASE_STAKE:
            grams = r.coins()
            excess = r.msg_address()
            r.end()
            throw_unless(ExitCode.LOW_MSG_VALUE, value >= COMMISSION_ESTIMATE + grams)
            throw_if(ExitCode.CLOSED, s.state == CLOSED)
            s = attrs.evolve(s, stake=s.stake + grams)
            ctx.raw_reserve(to_leave + grams, 0)
            forward_excesses(ctx, excess, query_id)

        elif op in (Op.EXT_PROXY_CLOSE_REQUEST_SIGNED, Op.EXT_PROXY_CLOSE_COMPLETE_REQUEST_SIGNED):
            payload, excess = unpack_signed(r, op, query_id, s.public_key)
            expected_me = payload.msg_address()
            payload.end()
            throw_unless(ExitCode.LOW_MSG_VALUE, value >= COMMISSION_ESTIMATE)
            wanted = NORMAL if op == Op.EXT_PROXY_CLOSE_REQUEST_SIGNED else CLOSING
            throw_unless(ExitCode.CLOSED, s.state == wanted)
            throw_unless(ExitCode.EXPECTED_MY_ADDRESS, same_address(expected_me, ctx.my_address))
            s = self._close(ctx, s, query_id, excess, to_leave)

        elif op == Op.OWNER_PROXY_CLOSE:
            excess = r.msg_address()
            r.end()
            throw_unless(ExitCode.LOW_MSG_VALUE, value >= COMMISSION_ESTIMATE)
            throw_unless(ExitCode.CLOSED, s.state == NORMAL)
            throw_unless(ExitCode.EXPECTED_MESSAGE_FROM_OWNER, same_address(ctx.sender, s.owner))
            s = self._close(ctx, s, query_id, excess, to_leave)

        elif op == 0:
            action = r.uint(8)
            r.end()
            if action == ord("c"):
                throw_unless(ExitCode.LOW_MSG_VALUE, value >= COMMISSION_ESTIMATE)
                throw_unless(ExitCode.CLOSED, s.state == NORMAL)
                throw_unless(
                    ExitCode.EXPECTED_MESSAGE_FROM_OWNER, same_address(ctx.sender, s.owner)
                )
                s = self._close(ctx, s, query_id, s.owner, to_leave)
            elif action == ord("w"):
                throw_unless(ExitCode.LOW_MSG_VALUE, value >= COMMISSION_ESTIMATE)
                throw_if(ExitCode.CLOSED, s.state == CLOSED)
                throw_unless(
                    ExitCode.EXPECTED_MESSAGE_FROM_OWNER, same_address(ctx.sender, s.owner)
                )
                ctx.raw_reserve(to_leave - s.balance, 0)
                s = attrs.evolve(s, balance=0)
                # As in the contract: the message says 0 and mode 128 carries what is left.
                ctx.send(payout_msg(s.owner, s.balance, query_id), 128)
            else:
                throw(ExitCode.UNKNOWN_TEXT_OP)

        else:
            throw(ExitCode.UNKNOWN_OP)

        return s.to_cell()

    @staticmethod
    def _child_address(
        kind: type[ClientContract] | type[WorkerContract],
        owner: MsgAddress,
        me: Address,
        s: ProxyStorage,
        params: Any,
    ) -> Address | None:
        code = params.client_sc_code if kind is ClientContract else params.worker_sc_code
        if code is None:
            return None  # no code: the computed address matches no sender
        if not isinstance(owner, Address):
            # No contract holds a non-standard owner here (their storage reads addr_std), so
            # no sender can match: 1014, as the FunC gives for such a request.
            return None
        return kind(owner=owner, proxy=me, proxy_public_key=s.public_key, params=params).address

    @staticmethod
    def _close(
        ctx: Context, s: ProxyStorage, query_id: int, excess: MsgAddress, to_leave: int
    ) -> ProxyStorage:
        if s.state == NORMAL:
            ctx.raw_reserve(to_leave, 0)
            params = unpack_params(s.params)
            forward_excesses(ctx, excess, query_id)
            return attrs.evolve(
                s, state=CLOSING, unlock_ts=ctx.now + params.proxy_delay_before_close
            )
        if s.state == CLOSING:
            throw_unless(ExitCode.NOT_UNLOCKED_YET, ctx.now >= s.unlock_ts)
            ctx.raw_reserve(STORAGE_ESTIMATE, 0)
            ctx.send(payout_msg(s.owner, 0, query_id), 128)
            return attrs.evolve(s, state=CLOSED, unlock_ts=0, balance=0, stake=0)
        throw(ExitCode.CLOSED)

    def get_method(self, name: str, data: Cell, args: tuple[Any, ...]) -> list[Any]:
        if name != "get_cocoon_proxy_data":
            return super().get_method(name, data, args)
        s = ProxyStorage.from_cell(data)
        p = unpack_params(s.params)
        return [
            s.owner,
            int.from_bytes(s.public_key, "big"),
            s.root,
            s.state,
            s.balance,
            s.stake,
            s.unlock_ts,
            p.price_per_token,
            p.worker_fee_per_token,
            p.min_proxy_stake,
            p.min_client_stake,
            p.params_version,
        ]
