"""Writes contracts/tests/vectors/{client,worker,wallet}.json: messages built by our Python
builders (cocoon/ton/bodies, payments, wallet) for contracts derived by cocoon/ton/contracts.py
from our compiled codes, each with what the Python port of the contract does with it.

The node tests send these exact messages to the FunC contracts in @ton/sandbox and compare.
Run from the repository root after a build:
    PYTHONPATH=$PWD python contracts/scripts/make_payment_vectors.py
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import attrs
from pytoniq_core import Address, Cell, begin_cell

from cocoon.ton.bodies import client as cb
from cocoon.ton.bodies import worker as wb
from cocoon.ton.bodies.common import Excesses
from cocoon.ton.bodies.wallet import OwnerWalletSendMessage
from cocoon.ton.constants import ONE_TON, ContractState
from cocoon.ton.contracts import ClientContract, ProxyContract, WalletContract, WorkerContract
from cocoon.ton.embedded.contracts._common import Port
from cocoon.ton.embedded.contracts.client import ClientPort
from cocoon.ton.embedded.contracts.wallet import WalletPort
from cocoon.ton.embedded.contracts.worker import WorkerPort
from cocoon.ton.embedded.tvm import Context, ContractError, Reserve
from cocoon.ton.errors import CellDecodeError
from cocoon.ton.keys import public_key
from cocoon.ton.messages import InternalMessage
from cocoon.ton.params import Params
from cocoon.ton.payments import PaymentSigner
from cocoon.ton.storage import ClientStorage, WorkerStorage
from cocoon.ton.wallet import Transfer, build_wallet_external

HERE = Path(__file__).resolve().parent.parent / "tests" / "vectors"
BUILD = HERE.parent.parent / "build"
NOW = 1_700_000_000
PROXY_SEED = bytes(range(32))
OTHER_SEED = bytes([7]) * 32
WALLET_SEED = bytes([42]) * 32


def code(name: str) -> Cell:
    return Cell.one_from_boc((BUILD / f"{name}.boc").read_bytes())


def addr(n: int) -> Address:
    return Address((0, bytes([n]) * 32))


def hexboc(cell: Cell) -> str:
    return cell.to_boc().hex()


PARAMS = Params(
    params_version=1,
    unique_id=13,
    is_test=True,
    price_per_token=40,
    worker_fee_per_token=30,
    proxy_delay_before_close=7200,
    client_delay_before_close=3600,
    worker_sc_code=code("worker"),
    client_sc_code=code("client"),
)
PROXY = addr(0xA1)
HUMAN = addr(0xB2)
STRANGER = addr(0xC3)
EXCESS = addr(0xD4)
WALLET = WalletContract(public_key=public_key(WALLET_SEED), owner=HUMAN, code=code("wallet"))
CLIENT = ClientContract(
    owner=WALLET.address, proxy=PROXY, proxy_public_key=public_key(PROXY_SEED), params=PARAMS
)
WORKER = WorkerContract(
    owner=HUMAN, proxy=PROXY, proxy_public_key=public_key(PROXY_SEED), params=PARAMS
)
SIGNER = PaymentSigner(PROXY_SEED)
FORGER = PaymentSigner(OTHER_SEED)


def run_port(
    port: Port,
    me: Address,
    data: Cell,
    body: Cell,
    *,
    sender: Address | None,
    value: int,
    balance: int,
    now: int,
) -> dict[str, Any]:
    """What the port does with `body`: exit code, new data, reserves and sends."""
    ctx = Context(
        my_address=me, my_balance=balance + value, msg_value=value, sender=sender, now=now
    )
    try:
        if sender is None:
            new = port.external(ctx, body, data)
        else:
            new = port.internal(ctx, body, data)
    except ContractError as exc:
        return {"exit_code": exc.exit_code}
    except CellDecodeError:
        return {"exit_code": 9}
    out: list[dict[str, Any]] = []
    for action in ctx.actions:
        if isinstance(action, Reserve):
            out.append({"reserve": str(action.amount), "mode": action.mode})
            continue
        msg = action.message
        if isinstance(msg, Cell):
            msg = InternalMessage.from_cell(msg)
        out.append(
            {
                "mode": action.mode,
                "dest": msg.dest.to_str(is_user_friendly=False),
                "value": str(msg.value),
                "bounce": msg.bounce,
                "body": hexboc(msg.body) if msg.body is not None else None,
            }
        )
    return {
        "exit_code": 0,
        "accepted": ctx.accepted,
        "data": hexboc(new if new is not None else data),
        "actions": out,
    }


def case(
    port: Port,
    me: Address,
    name: str,
    data: Cell,
    body: Cell,
    *,
    sender: Address | None,
    value: int = 0,
    balance: int = ONE_TON,
    now: int = NOW,
) -> dict[str, Any]:
    return {
        "name": name,
        "data": hexboc(data),
        "body": hexboc(body),
        "sender": None if sender is None else sender.to_str(is_user_friendly=False),
        "value": str(value),
        "balance": str(balance),
        "now": now,
        "expect": run_port(
            port, me, data, body, sender=sender, value=value, balance=balance, now=now
        ),
    }


def client_vectors() -> dict[str, Any]:
    port, me = ClientPort(), CLIENT.address
    base = CLIENT.initial_storage()
    funded = attrs.evolve(base, balance=5 * ONE_TON, tokens_used=1000)
    closing = attrs.evolve(funded, state=ContractState.CLOSING, unlock_ts=NOW - 10)
    closed = attrs.evolve(funded, state=ContractState.CLOSED, balance=0)
    old_params = attrs.evolve(funded, params=attrs.evolve(base.params, struct_version=2))
    d0, d1 = base.to_cell(), funded.to_cell()
    secret = bytes(range(100, 132))
    owner = CLIENT.owner
    T = ONE_TON

    def charge(tokens: int, signer: PaymentSigner = SIGNER, to: Address = me) -> Cell:
        return signer.client_charge(to, tokens, EXCESS, query_id=77).body.to_cell()

    def refund(tokens: int) -> Cell:
        return SIGNER.client_grant_refund(me, tokens, EXCESS, query_id=78).body.to_cell()

    signed = SIGNER.client_charge(me, 5000, EXCESS, query_id=78).body
    swapped = cb.ClientGrantRefundSigned(
        query_id=78, send_excesses_to=EXCESS, signature=signed.signature, payload=signed.payload
    ).to_cell()
    top_up = cb.ExtClientTopUp(query_id=1, amount=2 * T, send_excesses_to=EXCESS).to_cell()
    c = [
        case(port, me, "top_up", d0, top_up, sender=STRANGER, value=2 * T + T // 5),
        case(port, me, "top_up_low_value", d0, top_up, sender=STRANGER, value=2 * T),
        case(
            port,
            me,
            "top_up_low_balance",
            d0,
            top_up,
            sender=STRANGER,
            value=2 * T + T // 10,
            balance=T // 20,
        ),
        case(port, me, "top_up_closed", closed.to_cell(), top_up, sender=STRANGER, value=3 * T),
        case(
            port,
            me,
            "secret_and_top_up",
            d0,
            cb.OwnerClientChangeSecretHashAndTopUp(
                query_id=2, amount=T, secret_hash=secret, send_excesses_to=EXCESS
            ).to_cell(),
            sender=owner,
            value=2 * T,
        ),
        case(
            port,
            me,
            "secret_and_top_up_not_owner",
            d0,
            cb.OwnerClientChangeSecretHashAndTopUp(
                query_id=2, amount=T, secret_hash=secret, send_excesses_to=EXCESS
            ).to_cell(),
            sender=STRANGER,
            value=2 * T,
        ),
        case(
            port,
            me,
            "register",
            d0,
            cb.OwnerClientRegister(query_id=3, nonce=0xDEADBEEF, send_excesses_to=EXCESS).to_cell(),
            sender=owner,
            value=T // 2,
        ),
        case(
            port,
            me,
            "register_not_owner",
            d0,
            cb.OwnerClientRegister(query_id=3, nonce=5, send_excesses_to=EXCESS).to_cell(),
            sender=STRANGER,
            value=T // 2,
        ),
        case(
            port,
            me,
            "change_secret",
            d1,
            cb.OwnerClientChangeSecretHash(
                query_id=4, secret_hash=secret, send_excesses_to=EXCESS
            ).to_cell(),
            sender=owner,
            value=T // 2,
        ),
        case(
            port,
            me,
            "increase_stake",
            d1,
            cb.OwnerClientIncreaseStake(
                query_id=5, new_stake=3 * T, send_excesses_to=EXCESS
            ).to_cell(),
            sender=owner,
            value=T // 2,
        ),
        case(
            port,
            me,
            "increase_stake_not_more",
            d1,
            cb.OwnerClientIncreaseStake(query_id=5, new_stake=T, send_excesses_to=EXCESS).to_cell(),
            sender=owner,
            value=T // 2,
        ),
        case(
            port,
            me,
            "withdraw",
            d1,
            cb.OwnerClientWithdraw(query_id=6, send_excesses_to=EXCESS).to_cell(),
            sender=owner,
            value=T // 2,
            balance=6 * T,
        ),
        case(
            port,
            me,
            "withdraw_not_owner",
            d1,
            cb.OwnerClientWithdraw(query_id=6, send_excesses_to=EXCESS).to_cell(),
            sender=STRANGER,
            value=T // 2,
            balance=6 * T,
        ),
        case(
            port,
            me,
            "withdraw_nothing",
            d0,
            cb.OwnerClientWithdraw(query_id=6, send_excesses_to=EXCESS).to_cell(),
            sender=owner,
            value=T // 2,
        ),
        case(
            port,
            me,
            "withdraw_closing",
            closing.to_cell(),
            cb.OwnerClientWithdraw(query_id=6, send_excesses_to=EXCESS).to_cell(),
            sender=owner,
            value=T // 2,
        ),
        case(
            port,
            me,
            "request_refund_normal_refund",
            d1,
            cb.OwnerClientRequestRefund(query_id=7, send_excesses_to=EXCESS).to_cell(),
            sender=owner,
            value=T // 2,
            balance=6 * T,
        ),
        case(
            port,
            me,
            "request_refund_normal_info",
            d0,
            cb.OwnerClientRequestRefund(query_id=7, send_excesses_to=EXCESS).to_cell(),
            sender=owner,
            value=T // 2,
        ),
        case(
            port,
            me,
            "request_refund_closing",
            closing.to_cell(),
            cb.OwnerClientRequestRefund(query_id=7, send_excesses_to=EXCESS).to_cell(),
            sender=owner,
            value=T // 2,
            balance=6 * T,
        ),
        case(
            port,
            me,
            "request_refund_not_unlocked",
            closing.to_cell(),
            cb.OwnerClientRequestRefund(query_id=7, send_excesses_to=EXCESS).to_cell(),
            sender=owner,
            value=T // 2,
            now=NOW - 10,
        ),
        case(
            port,
            me,
            "request_refund_damaged_params",
            old_params.to_cell(),
            cb.OwnerClientRequestRefund(query_id=7, send_excesses_to=EXCESS).to_cell(),
            sender=owner,
            value=T // 2,
        ),
        case(
            port,
            me,
            "charge",
            d1,
            charge(1000 + 10**6),
            sender=STRANGER,
            value=T // 5,
            balance=6 * T,
        ),
        case(
            port,
            me,
            "charge_over_balance",
            d1,
            charge(1000 + 10**9),
            sender=STRANGER,
            value=T // 5,
            balance=6 * T,
        ),
        # cost == balance: the balance goes to 0 (cost < balance is strict); one token less: 40 left
        case(
            port,
            me,
            "charge_equal_balance",
            d1,
            charge(1000 + 5 * T // 40),
            sender=STRANGER,
            value=T // 5,
            balance=6 * T,
        ),
        case(
            port,
            me,
            "charge_one_token_less",
            d1,
            charge(999 + 5 * T // 40),
            sender=STRANGER,
            value=T // 5,
            balance=6 * T,
        ),
        case(port, me, "charge_old", d1, charge(1000), sender=STRANGER, value=T // 5),
        case(
            port,
            me,
            "charge_bad_signature",
            d1,
            charge(2000, FORGER),
            sender=STRANGER,
            value=T // 5,
        ),
        case(
            port,
            me,
            "charge_other_contract",
            d1,
            charge(2000, to=STRANGER),
            sender=STRANGER,
            value=T // 5,
        ),
        case(
            port, me, "charge_closed", closed.to_cell(), charge(2000), sender=STRANGER, value=T // 5
        ),
        case(
            port, me, "grant_refund", d1, refund(5000), sender=STRANGER, value=T // 5, balance=6 * T
        ),
        case(
            port,
            me,
            "grant_refund_same_tokens",
            closing.to_cell(),
            refund(1000),
            sender=STRANGER,
            value=T // 5,
            balance=6 * T,
        ),
        case(port, me, "grant_refund_old", d1, refund(999), sender=STRANGER, value=T // 5),
        # a charge's signed payload inside a grant-refund envelope: op copy mismatch (1005)
        case(port, me, "grant_refund_op_mismatch", d1, swapped, sender=STRANGER, value=T // 5),
        case(
            port,
            me,
            "top_up_reopen_unknown",
            d1,
            cb.OwnerClientTopUpReopen(query_id=9, amount=T, send_excesses_to=EXCESS).to_cell(),
            sender=owner,
            value=2 * T,
        ),
        case(
            port,
            me,
            "do_not_process",
            d1,
            begin_cell().store_uint(0x9A1247C0, 32).end_cell(),
            sender=STRANGER,
            value=T // 20,
        ),
    ]
    return {"address": me.to_str(is_user_friendly=False), "cases": c + client_walk(port, me)}


def client_walk(port: Port, me: Address, steps: int = 120) -> list[dict[str, Any]]:
    """A seeded random walk: each step's data is what the port made of the previous one (failed
    steps keep it), so the FunC is checked on the states a contract really goes through."""
    rng = random.Random(14)
    data = CLIENT.initial_storage().to_cell()
    now, tokens, T = NOW, 0, ONE_TON
    out = []
    for i in range(steps):
        now += rng.choice((0, 1, 600, 3601))
        sender = rng.choice((CLIENT.owner, CLIENT.owner, STRANGER))
        value = rng.choice((T // 20, T // 5, T // 2, 3 * T))
        excess = rng.choice((EXCESS, CLIENT.owner))
        qid = rng.randrange(1 << 64)
        kinds = ("top_up",) * 4 + ("secret_top_up", "register", "secret", "stake", "withdraw")
        kinds += ("refund",) + ("charge",) * 6
        kind = rng.choice(kinds) if rng.random() > 0.03 else "grant"
        if kind in ("charge", "grant"):
            tokens = max(0, tokens + rng.choice((-5, 0, 1, 1000, 10**6, 10**8)))
            fn = SIGNER.client_charge if kind == "charge" else SIGNER.client_grant_refund
            body = fn(me, tokens, excess, query_id=qid).body.to_cell()
        elif kind == "top_up":
            amount = rng.choice((0, T // 10, T, 2 * T))
            body = cb.ExtClientTopUp(query_id=qid, amount=amount, send_excesses_to=excess)
        elif kind == "secret_top_up":
            body = cb.OwnerClientChangeSecretHashAndTopUp(
                query_id=qid,
                amount=T // 10,
                secret_hash=rng.randbytes(32),
                send_excesses_to=excess,
            )
        elif kind == "register":
            body = cb.OwnerClientRegister(
                query_id=qid, nonce=rng.randrange(1 << 64), send_excesses_to=excess
            )
        elif kind == "secret":
            body = cb.OwnerClientChangeSecretHash(
                query_id=qid, secret_hash=rng.randbytes(32), send_excesses_to=excess
            )
        elif kind == "stake":
            body = cb.OwnerClientIncreaseStake(
                query_id=qid, new_stake=rng.choice((T // 2, 2 * T, 3 * T)), send_excesses_to=excess
            )
        elif kind == "withdraw":
            body = cb.OwnerClientWithdraw(query_id=qid, send_excesses_to=excess)
        else:
            body = cb.OwnerClientRequestRefund(query_id=qid, send_excesses_to=excess)
        cell = body if isinstance(body, Cell) else body.to_cell()
        step = case(
            port,
            me,
            f"walk_{i:03d}_{kind}",
            data,
            cell,
            sender=sender,
            value=value,
            balance=rng.choice((T // 20, T, 4 * T)),
            now=now,
        )
        out.append(step)
        if step["expect"]["exit_code"] == 0:
            data = Cell.one_from_boc(bytes.fromhex(step["expect"]["data"]))
        if ClientStorage.from_cell(data).state == ContractState.CLOSED and rng.random() < 0.7:
            data, tokens = CLIENT.initial_storage().to_cell(), 0  # a new client, mostly
    return out


def worker_walk(port: Port, me: Address, steps: int = 60) -> list[dict[str, Any]]:
    rng = random.Random(15)
    data = WORKER.initial_storage().to_cell()
    tokens, T = 0, ONE_TON
    out = []
    for i in range(steps):
        sender = rng.choice((HUMAN, STRANGER))
        value = rng.choice((T // 10, T // 5, T))
        qid = rng.randrange(1 << 64)
        kind = rng.choice(("payout",) * 6 + ("last", "register"))
        if kind == "register":
            cell = wb.OwnerWorkerRegister(query_id=qid, send_excesses_to=EXCESS).to_cell()
        else:
            tokens = max(0, tokens + rng.choice((-3, 0, 1, 500, 10**6)))
            fn = SIGNER.worker_last_payout if kind == "last" else SIGNER.worker_payout
            cell = fn(me, tokens, EXCESS, query_id=qid).body.to_cell()
        step = case(port, me, f"walk_{i:03d}_{kind}", data, cell, sender=sender, value=value)
        out.append(step)
        if step["expect"]["exit_code"] == 0:
            data = Cell.one_from_boc(bytes.fromhex(step["expect"]["data"]))
        if WorkerStorage.from_cell(data).state == ContractState.CLOSED and rng.random() < 0.7:
            data, tokens = WORKER.initial_storage().to_cell(), 0
    return out


def worker_vectors() -> dict[str, Any]:
    port, me = WorkerPort(), WORKER.address
    base = WORKER.initial_storage()
    used = attrs.evolve(base, tokens=1000).to_cell()
    closed = attrs.evolve(base, state=ContractState.CLOSED, tokens=1000).to_cell()
    old_params = attrs.evolve(
        base, tokens=1000, params=attrs.evolve(base.params, struct_version=2)
    ).to_cell()
    T = ONE_TON

    def payout(
        tokens: int, *, last: bool = False, signer: PaymentSigner = SIGNER, to: Address = me
    ) -> Cell:
        fn = signer.worker_last_payout if last else signer.worker_payout
        return fn(to, tokens, EXCESS, query_id=91).body.to_cell()

    # the payout signature inside the last-payout envelope: op copy mismatch (1005)
    good = SIGNER.worker_payout(me, 5000, EXCESS, query_id=91).body
    swapped = wb.WorkerLastPayoutSigned(
        query_id=91, send_excesses_to=EXCESS, signature=good.signature, payload=good.payload
    ).to_cell()
    register = wb.OwnerWorkerRegister(query_id=3, send_excesses_to=EXCESS).to_cell()
    c = [
        case(port, me, "payout", used, payout(5000), sender=STRANGER, value=T // 5),
        case(port, me, "payout_old", used, payout(1000), sender=STRANGER, value=T // 5),
        case(port, me, "payout_low_value", used, payout(5000), sender=STRANGER, value=T // 10),
        case(
            port,
            me,
            "payout_other_contract",
            used,
            payout(5000, to=STRANGER),
            sender=STRANGER,
            value=T // 5,
        ),
        case(
            port,
            me,
            "payout_bad_signature",
            used,
            payout(5000, signer=FORGER),
            sender=STRANGER,
            value=T // 5,
        ),
        case(port, me, "payout_op_mismatch", used, swapped, sender=STRANGER, value=T // 5),
        case(port, me, "payout_closed", closed, payout(5000), sender=STRANGER, value=T // 5),
        case(
            port,
            me,
            "payout_damaged_params",
            old_params,
            payout(5000),
            sender=STRANGER,
            value=T // 5,
        ),
        case(port, me, "last_payout", used, payout(7000, last=True), sender=STRANGER, value=T // 5),
        case(
            port,
            me,
            "last_payout_same_tokens",
            used,
            payout(1000, last=True),
            sender=STRANGER,
            value=T // 5,
        ),
        case(port, me, "register", used, register, sender=HUMAN, value=T // 5),
        case(port, me, "register_not_owner", used, register, sender=STRANGER, value=T // 5),
        case(
            port,
            me,
            "unknown_op",
            used,
            begin_cell().store_uint(0x12345678, 32).store_uint(0, 64).end_cell(),
            sender=HUMAN,
            value=T // 5,
        ),
    ]
    return {"address": me.to_str(is_user_friendly=False), "cases": c + worker_walk(port, me)}


def wallet_vectors() -> dict[str, Any]:
    port, me = WalletPort(), WALLET.address
    d0 = WALLET.initial_storage().to_cell()
    d5 = attrs.evolve(WALLET.initial_storage(), seqno=5).to_cell()
    blocked = attrs.evolve(WALLET.initial_storage(), status=1).to_cell()
    T = ONE_TON
    transfers = [
        Transfer(
            dest=CLIENT.address,
            value=T // 2,
            body=cb.OwnerClientRegister(query_id=3, nonce=9, send_excesses_to=me).to_cell(),
        ),
        Transfer(dest=PROXY, value=1, body=begin_cell().store_uint(0x9A1247C0, 32).end_cell()),
    ]

    def ext(seqno: int, valid_until: int = NOW + 3600, seed: bytes = WALLET_SEED) -> Cell:
        return build_wallet_external(
            WALLET, seed, seqno=seqno, valid_until=valid_until, transfers=transfers
        ).body

    def text(ch: str) -> Cell:
        return begin_cell().store_uint(0, 32).store_uint(ord(ch), 8).end_cell()

    other_sub = attrs.evolve(WALLET.initial_storage(), subwallet=1).to_cell()
    four = [
        Transfer(dest=addr(0x10 + i), value=(i + 1) * T // 10, body=Excesses(query_id=i).to_cell())
        for i in range(4)
    ]
    batch = build_wallet_external(
        WALLET, WALLET_SEED, seqno=0, valid_until=NOW + 60, transfers=four
    )
    raw = InternalMessage(dest=STRANGER, value=T, body=None, bounce=False).to_cell()
    c = [
        case(port, me, "external", d0, ext(0), sender=None, balance=3 * T),
        case(port, me, "external_seqno5", d5, ext(5), sender=None, balance=3 * T),
        case(port, me, "external_bad_seqno", d5, ext(4), sender=None, balance=3 * T),
        case(port, me, "external_bad_subwallet", other_sub, ext(0), sender=None, balance=3 * T),
        case(port, me, "external_batch_of_4", d0, batch.body, sender=None, balance=5 * T),
        case(port, me, "external_expired", d0, ext(0, valid_until=NOW), sender=None, balance=3 * T),
        case(port, me, "external_blocked", blocked, ext(0), sender=None, balance=3 * T),
        case(
            port,
            me,
            "external_bad_signature",
            d0,
            ext(0, seed=OTHER_SEED),
            sender=None,
            balance=3 * T,
        ),
        case(port, me, "external_low_balance", d0, ext(0), sender=None, balance=T),
        case(
            port,
            me,
            "owner_send_message",
            d0,
            OwnerWalletSendMessage(query_id=1, mode=1, message=raw).to_cell(),
            sender=HUMAN,
            value=T // 10,
            balance=3 * T,
        ),
        case(
            port,
            me,
            "send_message_not_owner",
            d0,
            OwnerWalletSendMessage(query_id=1, mode=1, message=raw).to_cell(),
            sender=STRANGER,
            value=T // 10,
            balance=3 * T,
        ),
        case(port, me, "withdraw_w", d0, text("w"), sender=HUMAN, value=T // 10, balance=3 * T),
        case(port, me, "block_b", d0, text("b"), sender=HUMAN, value=T // 10),
        case(port, me, "unblock_u", blocked, text("u"), sender=HUMAN, value=T // 10),
        case(port, me, "bad_text", d0, text("x"), sender=HUMAN, value=T // 10),
        case(
            port,
            me,
            "bad_op",
            d0,
            begin_cell().store_uint(5, 32).end_cell(),
            sender=HUMAN,
            value=T // 10,
        ),
        case(
            port,
            me,
            "excesses_from_anyone",
            d0,
            Excesses(query_id=1).to_cell(),
            sender=STRANGER,
            value=T,
        ),
    ]
    return {
        "address": me.to_str(is_user_friendly=False),
        "state_init": hexboc(WALLET.state_init()),
        # the whole external of a fresh wallet (seqno 0: StateInit attached), as the roles send it
        "deploy_external": hexboc(batch.to_cell()),
        "deploy_value": str(5 * T),
        # seqno 2^32 - 1: FunC fails storing seqno + 1 in 32 bits (exit 5) after accepting
        "seqno_overflow": {
            "data": hexboc(attrs.evolve(WALLET.initial_storage(), seqno=(1 << 32) - 1).to_cell()),
            "body": hexboc(ext((1 << 32) - 1)),
        },
        "cases": c,
    }


def lifecycle_vectors() -> dict[str, Any]:
    """One proxy with one client and one worker, all derived by cocoon/ton/contracts.py from
    our BOCs (the proxy checks its children's addresses), and the messages of a payment cycle."""
    params = attrs.evolve(PARAMS, proxy_sc_code=code("proxy"))
    proxy = ProxyContract(
        owner=addr(0x51), public_key=public_key(PROXY_SEED), root=addr(0x52), params=params
    )
    client = proxy.client(addr(0x53))
    worker = proxy.worker(addr(0x54))
    T, tokens = ONE_TON, 10**6
    return {
        "proxy": {"address": raw(proxy.address), "data": hexboc(proxy.initial_storage().to_cell())},
        "client": {
            "address": raw(client.address),
            "owner": raw(client.owner),
            "data": hexboc(client.initial_storage().to_cell()),
        },
        "worker": {
            "address": raw(worker.address),
            "owner": raw(worker.owner),
            "data": hexboc(worker.initial_storage().to_cell()),
        },
        "excess": raw(EXCESS),
        "tokens": tokens,
        "steps": {
            "top_up": hexboc(
                cb.ExtClientTopUp(query_id=1, amount=2 * T, send_excesses_to=EXCESS).to_cell()
            ),
            "charge": hexboc(
                SIGNER.client_charge(client.address, tokens, EXCESS, query_id=2).body.to_cell()
            ),
            "payout": hexboc(
                SIGNER.worker_payout(worker.address, tokens, EXCESS, query_id=3).body.to_cell()
            ),
            "grant_refund": hexboc(
                SIGNER.client_grant_refund(
                    client.address, tokens, EXCESS, query_id=4
                ).body.to_cell()
            ),
        },
    }


def raw(a: Address) -> str:
    return a.to_str(is_user_friendly=False)


def main() -> None:
    for name, fn in (
        ("lifecycle", lifecycle_vectors),
        ("client", client_vectors),
        ("worker", worker_vectors),
        ("wallet", wallet_vectors),
    ):
        path = HERE / f"{name}.json"
        path.write_text(json.dumps(fn(), indent=1) + "\n")
        print(path)


if __name__ == "__main__":
    main()
