"""Signed payments: signing, the checks a receiver makes, repacking."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pytoniq_core import begin_cell

from cocoon import ton
from cocoon.ton.cells import from_boc
from tests.ton.helpers import addr

SIGNER = ton.PaymentSigner(b"\x21" * 32)
CLIENT, WORKER, PROXY_WALLET = addr(30), addr(31), addr(32)


def test_charge_verifies_and_reports_tokens() -> None:
    data = SIGNER.client_charge(CLIENT, 5000, PROXY_WALLET).to_boc()
    p = ton.verify_payment(
        data,
        kind=ton.PaymentKind.CLIENT_CHARGE,
        proxy_public_key=SIGNER.public_key,
        contract=CLIENT,
    )
    assert (p.tokens, p.address, p.body.send_excesses_to) == (5000, CLIENT, PROXY_WALLET)
    # No index, no CRC: the reference's std_boc_serialize default.
    assert data[:4] == bytes.fromhex("b5ee9c72") and data[4] & 0xC0 == 0


def test_query_ids_are_random() -> None:
    a = SIGNER.client_charge(CLIENT, 1, PROXY_WALLET)
    b = SIGNER.client_charge(CLIENT, 1, PROXY_WALLET)
    assert a.query_id != b.query_id


def test_fewer_tokens_than_known_is_refused() -> None:
    data = SIGNER.worker_payout(WORKER, 100, PROXY_WALLET).to_boc()
    kw = {
        "kind": ton.PaymentKind.WORKER_PAYOUT,
        "proxy_public_key": SIGNER.public_key,
        "contract": WORKER,
    }
    assert ton.verify_payment(data, known_tokens=100, **kw).tokens == 100
    with pytest.raises(ton.StalePaymentError):
        ton.verify_payment(data, known_tokens=101, **kw)


def test_payment_for_another_contract_is_refused() -> None:
    data = SIGNER.client_charge(CLIENT, 1, PROXY_WALLET).to_boc()
    with pytest.raises(ton.WrongPaymentContractError):
        ton.verify_payment(
            data,
            kind=ton.PaymentKind.CLIENT_CHARGE,
            proxy_public_key=SIGNER.public_key,
            contract=WORKER,
        )


def test_other_kinds_are_refused() -> None:
    refund = SIGNER.client_grant_refund(CLIENT, 1, PROXY_WALLET).to_boc()
    with pytest.raises(ton.WrongPaymentOpError):
        ton.verify_payment(
            refund,
            kind=ton.PaymentKind.CLIENT_CHARGE,
            proxy_public_key=SIGNER.public_key,
            contract=CLIENT,
        )
    not_signed = begin_cell().store_uint(ton.Op.EXT_CLIENT_TOP_UP, 32).end_cell()
    with pytest.raises(ton.WrongPaymentOpError):
        ton.parse_payment(ton.to_boc(not_signed))


def test_bad_signature_is_refused() -> None:
    other = ton.PaymentSigner(b"\x22" * 32)
    data = other.client_charge(CLIENT, 1, PROXY_WALLET).to_boc()
    with pytest.raises(ton.BadPaymentSignatureError):
        ton.verify_payment(
            data,
            kind=ton.PaymentKind.CLIENT_CHARGE,
            proxy_public_key=SIGNER.public_key,
            contract=CLIENT,
        )


def test_tampered_payload_is_refused() -> None:
    p = SIGNER.client_charge(CLIENT, 10, PROXY_WALLET)
    forged_payload = ton.bodies.TokensPayload(
        op=p.kind.op, query_id=p.query_id, tokens=10**9, address=CLIENT
    )
    import attrs

    forged = attrs.evolve(p.body, payload=forged_payload.to_cell())
    with pytest.raises(ton.BadPaymentSignatureError):
        ton.verify_payment(
            ton.to_boc(forged.to_cell()),
            kind=ton.PaymentKind.CLIENT_CHARGE,
            proxy_public_key=SIGNER.public_key,
            contract=CLIENT,
        )


def test_repack_keeps_the_signature_valid() -> None:
    p = SIGNER.client_charge(CLIENT, 42, PROXY_WALLET).repack(CLIENT)
    back = ton.verify_payment(
        p.to_boc(),
        kind=ton.PaymentKind.CLIENT_CHARGE,
        proxy_public_key=SIGNER.public_key,
        contract=CLIENT,
    )
    assert back.body.send_excesses_to == CLIENT and back.tokens == 42


def test_mismatched_envelope_is_malformed() -> None:
    p = SIGNER.client_charge(CLIENT, 1, PROXY_WALLET)
    import attrs

    moved = attrs.evolve(p.body, query_id=(p.query_id + 1) % 2**64)
    with pytest.raises(ton.MalformedPaymentError):
        ton.parse_payment(ton.to_boc(moved.to_cell()))


def test_proxy_close_payloads_carry_no_tokens() -> None:
    p = SIGNER.proxy_close_request(addr(40), PROXY_WALLET)
    assert p.tokens is None
    assert len(p.body.payload.bits) == 32 + 64 + 267
    assert ton.parse_payment(p.to_boc()).kind is ton.PaymentKind.PROXY_CLOSE_REQUEST
    with pytest.raises(ValueError):
        SIGNER.sign(
            ton.PaymentKind.PROXY_CLOSE_REQUEST, addr(40), send_excesses_to=PROXY_WALLET, tokens=5
        )


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200))
def test_garbage_is_always_a_payment_error(data: bytes) -> None:
    with pytest.raises(ton.errors.PaymentError):
        ton.verify_payment(
            data,
            kind=ton.PaymentKind.CLIENT_CHARGE,
            proxy_public_key=SIGNER.public_key,
            contract=CLIENT,
        )


def test_garbage_boc_is_malformed() -> None:
    cell = begin_cell().store_uint(ton.Op.EXT_CLIENT_CHARGE_SIGNED, 32).store_uint(1, 10).end_cell()
    with pytest.raises(ton.MalformedPaymentError):
        ton.parse_payment(ton.to_boc(cell))
    assert from_boc(ton.to_boc(cell)).hash == cell.hash


def test_a_payment_verified_before_is_checked_again_for_its_context() -> None:
    """The outcome kept for bytes already verified never widens what they are accepted for."""
    data = SIGNER.worker_payout(WORKER, 100, PROXY_WALLET).to_boc()
    kw = {"kind": ton.PaymentKind.WORKER_PAYOUT, "proxy_public_key": SIGNER.public_key}
    first = ton.verify_payment(data, contract=WORKER, **kw)
    assert ton.verify_payment(data, contract=WORKER, **kw) is first
    with pytest.raises(ton.StalePaymentError):
        ton.verify_payment(data, contract=WORKER, known_tokens=101, **kw)
    with pytest.raises(ton.WrongPaymentContractError):
        ton.verify_payment(data, contract=CLIENT, **kw)
    with pytest.raises(ton.BadPaymentSignatureError):
        ton.verify_payment(
            data,
            kind=ton.PaymentKind.WORKER_PAYOUT,
            proxy_public_key=ton.PaymentSigner(b"\x22" * 32).public_key,
            contract=WORKER,
        )


def test_a_payment_is_serialised_once() -> None:
    p = SIGNER.client_charge(CLIENT, 7, PROXY_WALLET)
    assert p.to_boc() is p.to_boc()
    assert p.to_boc() == ton.to_boc(p.body.to_cell())
    assert p.repack(CLIENT).to_boc() != p.to_boc()
