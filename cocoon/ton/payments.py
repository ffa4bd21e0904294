"""Signed payments (spec 30 sections 2.2 and 9).

The proxy signs, with its Ed25519 key, the representation hash of a small payload cell
`(op, query_id, [tokens], expected_address)` and wraps it in an envelope
`(op, query_id, send_excesses_to, signature, ^payload)`. The BOC of that envelope is what
`proxy.signedPayment.data` carries. A client or worker checks it (`verify_payment`) and may
submit it on-chain itself after re-wrapping it with its own excess address (`repack`).

    signer = PaymentSigner(proxy_seed)
    data = signer.client_charge(client_sc, tokens=1000, send_excesses_to=proxy_wallet).to_boc()
    payment = verify_payment(data, kind=PaymentKind.CLIENT_CHARGE,
                             proxy_public_key=key, contract=client_sc, known_tokens=900)
"""

from __future__ import annotations

import enum
import functools
import secrets

import attrs
from pytoniq_core import Address

from cocoon.ton.bodies import (
    AddressPayload,
    ClientChargeSigned,
    ClientGrantRefundSigned,
    ProxyCloseCompleteSigned,
    ProxyCloseRequestSigned,
    SignedBody,
    TokensPayload,
    WorkerLastPayoutSigned,
    WorkerPayoutSigned,
)
from cocoon.ton.cells import Reader, cell_hash, from_boc, to_boc
from cocoon.ton.errors import (
    BadPaymentSignatureError,
    CellDecodeError,
    MalformedPaymentError,
    StalePaymentError,
    WrongPaymentContractError,
    WrongPaymentOpError,
)
from cocoon.ton.keys import public_key, sign, verify

U64_MAX = (1 << 64) - 1


class PaymentKind(enum.Enum):
    """What a signed message authorises, by its opcode."""

    CLIENT_CHARGE = ClientChargeSigned
    CLIENT_GRANT_REFUND = ClientGrantRefundSigned
    WORKER_PAYOUT = WorkerPayoutSigned
    WORKER_LAST_PAYOUT = WorkerLastPayoutSigned
    PROXY_CLOSE_REQUEST = ProxyCloseRequestSigned
    PROXY_CLOSE_COMPLETE = ProxyCloseCompleteSigned

    @property
    def op(self) -> int:
        return int(self.value.OP)

    @property
    def has_tokens(self) -> bool:
        return self.value.PAYLOAD is TokensPayload


_BY_OP = {kind.op: kind for kind in PaymentKind}


@attrs.frozen
class SignedPayment:
    """A parsed signed message: the envelope plus what its payload says."""

    kind: PaymentKind
    body: SignedBody
    tokens: int | None  # None for proxy close ops
    address: Address  # the contract it is for

    @property
    def query_id(self) -> int:
        return self.body.query_id

    @functools.cached_property
    def boc(self) -> bytes:
        """The bytes of `proxy.signedPayment.data` (serialised once: the proxy sends the same
        payment with every request until its counters move)."""
        return to_boc(self.body.to_cell())

    def to_boc(self) -> bytes:
        return self.boc

    def repack(self, send_excesses_to: Address) -> SignedPayment:
        """The same signature with another excess address (the signature does not cover it)."""
        return attrs.evolve(self, body=self.body.with_excesses_to(send_excesses_to))


def _random_query_id() -> int:
    return secrets.randbits(64)


class PaymentSigner:
    """The proxy's signing side: one Ed25519 seed, one random query_id per signature."""

    def __init__(self, seed: bytes) -> None:
        self._seed = seed
        self.public_key = public_key(seed)

    def sign(
        self,
        kind: PaymentKind,
        contract: Address,
        *,
        send_excesses_to: Address,
        tokens: int | None = None,
        query_id: int | None = None,
    ) -> SignedPayment:
        qid = _random_query_id() if query_id is None else query_id
        if kind.has_tokens:
            if tokens is None or not 0 <= tokens <= U64_MAX:
                raise ValueError(f"{kind.name} needs tokens in 0..2^64-1, got {tokens!r}")
            payload = TokensPayload(op=kind.op, query_id=qid, tokens=tokens, address=contract)
        else:
            if tokens is not None:
                raise ValueError(f"{kind.name} carries no tokens")
            payload = AddressPayload(op=kind.op, query_id=qid, address=contract)
        payload_cell = payload.to_cell()
        signature = sign(self._seed, cell_hash(payload_cell))
        body = kind.value(
            query_id=qid,
            send_excesses_to=send_excesses_to,
            signature=signature,
            payload=payload_cell,
        )
        return SignedPayment(kind=kind, body=body, tokens=tokens, address=contract)

    def client_charge(
        self,
        client_sc: Address,
        tokens: int,
        send_excesses_to: Address,
        query_id: int | None = None,
    ) -> SignedPayment:
        return self.sign(
            PaymentKind.CLIENT_CHARGE,
            client_sc,
            tokens=tokens,
            send_excesses_to=send_excesses_to,
            query_id=query_id,
        )

    def client_grant_refund(
        self,
        client_sc: Address,
        tokens: int,
        send_excesses_to: Address,
        query_id: int | None = None,
    ) -> SignedPayment:
        return self.sign(
            PaymentKind.CLIENT_GRANT_REFUND,
            client_sc,
            tokens=tokens,
            send_excesses_to=send_excesses_to,
            query_id=query_id,
        )

    def worker_payout(
        self,
        worker_sc: Address,
        tokens: int,
        send_excesses_to: Address,
        query_id: int | None = None,
    ) -> SignedPayment:
        return self.sign(
            PaymentKind.WORKER_PAYOUT,
            worker_sc,
            tokens=tokens,
            send_excesses_to=send_excesses_to,
            query_id=query_id,
        )

    def worker_last_payout(
        self,
        worker_sc: Address,
        tokens: int,
        send_excesses_to: Address,
        query_id: int | None = None,
    ) -> SignedPayment:
        return self.sign(
            PaymentKind.WORKER_LAST_PAYOUT,
            worker_sc,
            tokens=tokens,
            send_excesses_to=send_excesses_to,
            query_id=query_id,
        )

    def proxy_close_request(
        self, proxy_sc: Address, send_excesses_to: Address, query_id: int | None = None
    ) -> SignedPayment:
        return self.sign(
            PaymentKind.PROXY_CLOSE_REQUEST,
            proxy_sc,
            send_excesses_to=send_excesses_to,
            query_id=query_id,
        )

    def proxy_close_complete(
        self, proxy_sc: Address, send_excesses_to: Address, query_id: int | None = None
    ) -> SignedPayment:
        return self.sign(
            PaymentKind.PROXY_CLOSE_COMPLETE,
            proxy_sc,
            send_excesses_to=send_excesses_to,
            query_id=query_id,
        )


def parse_payment(data: bytes) -> SignedPayment:
    """Parse signed-payment bytes (any of the six kinds) without checking the signature."""
    try:
        cell = from_boc(data)
        op = Reader(cell, "signed payment").uint(32)
        kind = _BY_OP.get(op)
        if kind is None:
            raise WrongPaymentOpError(f"opcode 0x{op:08x} is not a signed payment")
        body = kind.value.from_cell(cell)
        payload = body.payload_data()
    except CellDecodeError as exc:
        raise MalformedPaymentError(str(exc)) from exc
    if payload.op != body.OP or payload.query_id != body.query_id:
        raise MalformedPaymentError("payload op/query_id differ from the envelope's")
    tokens = payload.tokens if kind.has_tokens else None
    return SignedPayment(kind=kind, body=body, tokens=tokens, address=payload.address)


def verify_payment(
    data: bytes,
    *,
    kind: PaymentKind,
    proxy_public_key: bytes,
    contract: Address,
    known_tokens: int = 0,
) -> SignedPayment:
    """Check a signed payment the way the receiving contract and runner do.

    Refuses (each a `PaymentError` subclass): bytes that do not parse, another kind of
    message (e.g. a refund offered as a charge), a payload for another contract, a bad
    signature, and fewer tokens than `known_tokens` (what is already settled or held).
    """
    payment = _verified(bytes(data), kind, proxy_public_key, contract)
    if payment.tokens is not None and payment.tokens < known_tokens:
        raise StalePaymentError(
            f"payment for {payment.tokens} tokens, {known_tokens} already known"
        )
    return payment


# A proxy sends the same signed payment with every request until its counters move: the
# outcome of a successful check is kept for those exact bytes (failures are not kept).
@functools.lru_cache(maxsize=256)
def _verified(
    data: bytes, kind: PaymentKind, proxy_public_key: bytes, contract: Address
) -> SignedPayment:
    payment = parse_payment(data)
    if payment.kind is not kind:
        raise WrongPaymentOpError(f"expected {kind.name}, got {payment.kind.name}")
    if payment.address != contract:
        raise WrongPaymentContractError(
            f"payment is for {payment.address.to_str(False)}, not {contract.to_str(False)}"
        )
    if not verify(proxy_public_key, payment.body.signed_hash(), payment.body.signature):
        raise BadPaymentSignatureError("the proxy's signature does not verify")
    return payment


__all__ = [
    "PaymentKind",
    "PaymentSigner",
    "SignedPayment",
    "parse_payment",
    "verify_payment",
]
