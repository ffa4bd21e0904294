"""What each role sends, as `Transfer`s for its CocoonWallet (values from spec 30 section 10.1).

Every function is pure: it returns the transfer; `Wallet.send(...)` puts it on a chain.
Query ids are random non-zero u64 unless given (runners match completions by query id).
"""

from __future__ import annotations

import secrets

from pytoniq_core import Address

from cocoon.ton.bodies import (
    ExtClientTopUp,
    ExtProxyIncreaseStake,
    ExtProxyPayoutRequest,
    OwnerClientChangeSecretHash,
    OwnerClientChangeSecretHashAndTopUp,
    OwnerClientIncreaseStake,
    OwnerClientRegister,
    OwnerClientRequestRefund,
    OwnerClientWithdraw,
    OwnerProxyClose,
    OwnerWorkerRegister,
    ProxySaveState,
    build,
)
from cocoon.ton.constants import (
    CLIENT_OP_VALUE,
    CLIENT_REGISTER_VALUE,
    COMMISSION_ESTIMATE,
    DEPLOY_VALUE_CLIENT,
    DEPLOY_VALUE_PROXY,
    DEPLOY_VALUE_WORKER,
    PROXY_CLOSE_VALUE,
    PROXY_OP_VALUE,
    PROXY_WITHDRAW_VALUE,
    STATE_COMMIT_VALUE,
    WORKER_PAYOUT_VALUE,
)
from cocoon.ton.contracts import ClientContract, ProxyContract, WorkerContract
from cocoon.ton.payments import PaymentKind, SignedPayment
from cocoon.ton.wallet import Transfer


def new_query_id() -> int:
    """A random non-zero u64."""
    return secrets.randbits(64) or 1


def _qid(query_id: int | None) -> int:
    return new_query_id() if query_id is None else query_id


# --- deployment -------------------------------------------------------------------------


def deploy(
    contract: ClientContract | WorkerContract | ProxyContract, value: int | None = None
) -> Transfer:
    """Deploy a proxy, client or worker contract: StateInit, empty body, non-bounceable."""
    if value is None:
        value = {
            ClientContract: DEPLOY_VALUE_CLIENT,
            WorkerContract: DEPLOY_VALUE_WORKER,
            ProxyContract: DEPLOY_VALUE_PROXY,
        }[type(contract)]
    return Transfer(dest=contract.address, value=value, state_init=contract.state_init())


# --- client -----------------------------------------------------------------------------


def client_top_up(
    client_sc: Address,
    amount: int,
    send_excesses_to: Address,
    *,
    query_id: int | None = None,
    extra: int = CLIENT_OP_VALUE,
) -> Transfer:
    """Add `amount` nano to the client's balance (the deposit moves on to the proxy contract)."""
    body = build(
        ExtClientTopUp(query_id=_qid(query_id), amount=amount, send_excesses_to=send_excesses_to)
    )
    return Transfer(dest=client_sc, value=amount + extra, body=body)


def client_change_secret(
    client_sc: Address,
    secret_hash: bytes,
    send_excesses_to: Address,
    *,
    query_id: int | None = None,
) -> Transfer:
    body = build(
        OwnerClientChangeSecretHash(
            query_id=_qid(query_id), secret_hash=secret_hash, send_excesses_to=send_excesses_to
        )
    )
    return Transfer(dest=client_sc, value=CLIENT_OP_VALUE, body=body)


def client_change_secret_and_top_up(
    client_sc: Address,
    amount: int,
    secret_hash: bytes,
    send_excesses_to: Address,
    *,
    query_id: int | None = None,
) -> Transfer:
    body = build(
        OwnerClientChangeSecretHashAndTopUp(
            query_id=_qid(query_id),
            amount=amount,
            secret_hash=secret_hash,
            send_excesses_to=send_excesses_to,
        )
    )
    return Transfer(dest=client_sc, value=amount + CLIENT_OP_VALUE, body=body)


def client_register(
    client_sc: Address, nonce: int, send_excesses_to: Address, *, query_id: int | None = None
) -> Transfer:
    """Long authorization: the client contract forwards `nonce` to the proxy contract."""
    body = build(
        OwnerClientRegister(query_id=_qid(query_id), nonce=nonce, send_excesses_to=send_excesses_to)
    )
    return Transfer(dest=client_sc, value=CLIENT_REGISTER_VALUE, body=body)


def client_increase_stake(
    client_sc: Address, new_stake: int, send_excesses_to: Address, *, query_id: int | None = None
) -> Transfer:
    body = build(
        OwnerClientIncreaseStake(
            query_id=_qid(query_id), new_stake=new_stake, send_excesses_to=send_excesses_to
        )
    )
    return Transfer(dest=client_sc, value=CLIENT_OP_VALUE, body=body)


def client_withdraw(
    client_sc: Address, send_excesses_to: Address, *, query_id: int | None = None
) -> Transfer:
    """Refund everything above the stake to the client's owner."""
    body = build(OwnerClientWithdraw(query_id=_qid(query_id), send_excesses_to=send_excesses_to))
    return Transfer(dest=client_sc, value=CLIENT_OP_VALUE, body=body)


def client_close(
    client_sc: Address, send_excesses_to: Address, *, query_id: int | None = None
) -> Transfer:
    """`owner_client_request_refund`: first call starts closing, a call after unlock_ts closes."""
    body = build(
        OwnerClientRequestRefund(query_id=_qid(query_id), send_excesses_to=send_excesses_to)
    )
    return Transfer(dest=client_sc, value=CLIENT_OP_VALUE, body=body)


# --- signed payments --------------------------------------------------------------------

_PAYMENT_VALUES = {
    PaymentKind.CLIENT_CHARGE: PROXY_OP_VALUE,
    PaymentKind.CLIENT_GRANT_REFUND: PROXY_OP_VALUE,
    PaymentKind.WORKER_PAYOUT: PROXY_OP_VALUE,
    PaymentKind.WORKER_LAST_PAYOUT: PROXY_OP_VALUE,
    PaymentKind.PROXY_CLOSE_REQUEST: PROXY_CLOSE_VALUE,
    PaymentKind.PROXY_CLOSE_COMPLETE: PROXY_CLOSE_VALUE,
}


def submit_payment(
    payment: SignedPayment,
    *,
    send_excesses_to: Address | None = None,
    value: int | None = None,
) -> Transfer:
    """Put a signed message on chain (to the contract it names), re-wrapped with
    `send_excesses_to` when given. Default values: 0.7 TON (1 TON for proxy close ops)."""
    if send_excesses_to is not None:
        payment = payment.repack(send_excesses_to)
    amount = _PAYMENT_VALUES[payment.kind] if value is None else value
    return Transfer(dest=payment.address, value=amount, body=payment.body.to_cell())


def client_charge(payment: SignedPayment, send_excesses_to: Address | None = None) -> Transfer:
    """A charge signed by the proxy, submitted by the proxy (0.7 TON) or the client itself."""
    if payment.kind is not PaymentKind.CLIENT_CHARGE:
        raise ValueError(f"not a client charge: {payment.kind.name}")
    return submit_payment(payment, send_excesses_to=send_excesses_to)


def worker_payout(
    payment: SignedPayment, send_excesses_to: Address | None = None, *, by_worker: bool = True
) -> Transfer:
    """A payout signed by the proxy: 0.5 TON when the worker submits it, 0.7 TON for the proxy."""
    if payment.kind not in (PaymentKind.WORKER_PAYOUT, PaymentKind.WORKER_LAST_PAYOUT):
        raise ValueError(f"not a worker payout: {payment.kind.name}")
    value = WORKER_PAYOUT_VALUE if by_worker else PROXY_OP_VALUE
    return submit_payment(payment, send_excesses_to=send_excesses_to, value=value)


def worker_register(
    worker_sc: Address, send_excesses_to: Address, *, query_id: int | None = None
) -> Transfer:
    body = build(OwnerWorkerRegister(query_id=_qid(query_id), send_excesses_to=send_excesses_to))
    return Transfer(dest=worker_sc, value=WORKER_PAYOUT_VALUE, body=body)


# --- proxy ------------------------------------------------------------------------------


def proxy_state_commit(
    proxy_sc: Address, seqno: int, session_hash: bytes, *, query_id: int | None = None
) -> Transfer:
    """Section 11.1: a 1-nano do_not_process that anchors DB-write `seqno` on chain."""
    body = build(ProxySaveState(query_id=_qid(query_id), seqno=seqno, session_hash=session_hash))
    return Transfer(dest=proxy_sc, value=STATE_COMMIT_VALUE, body=body)


def proxy_withdraw(
    proxy_sc: Address, send_excesses_to: Address, *, query_id: int | None = None
) -> Transfer:
    """`ext_proxy_payout_request`: pay the proxy's earnings to its owner."""
    body = build(ExtProxyPayoutRequest(query_id=_qid(query_id), send_excesses_to=send_excesses_to))
    return Transfer(dest=proxy_sc, value=PROXY_WITHDRAW_VALUE, body=body)


def proxy_increase_stake(
    proxy_sc: Address, grams: int, send_excesses_to: Address, *, query_id: int | None = None
) -> Transfer:
    body = build(
        ExtProxyIncreaseStake(
            query_id=_qid(query_id), grams=grams, send_excesses_to=send_excesses_to
        )
    )
    return Transfer(dest=proxy_sc, value=grams + 2 * COMMISSION_ESTIMATE, body=body)


def proxy_close(payment: SignedPayment, send_excesses_to: Address | None = None) -> Transfer:
    """A signed close request or close completion for the proxy's own contract (1 TON)."""
    if payment.kind not in (PaymentKind.PROXY_CLOSE_REQUEST, PaymentKind.PROXY_CLOSE_COMPLETE):
        raise ValueError(f"not a proxy close: {payment.kind.name}")
    return submit_payment(payment, send_excesses_to=send_excesses_to)


def proxy_owner_close(
    proxy_sc: Address, send_excesses_to: Address, *, query_id: int | None = None
) -> Transfer:
    """`owner_proxy_close`, from the proxy's human owner."""
    body = build(OwnerProxyClose(query_id=_qid(query_id), send_excesses_to=send_excesses_to))
    return Transfer(dest=proxy_sc, value=PROXY_WITHDRAW_VALUE, body=body)
