"""The proxy's token counters (spec 30 section 9.2): ordering, and signing only what is committed."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cocoon import ton
from tests.ton.helpers import addr

SIGNER = ton.PaymentSigner(b"\x31" * 32)
CLIENT, EXCESS = addr(50), addr(51)

operations = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.integers(0, 10_000)),
        st.tuples(st.just("db"), st.just(0)),
        st.tuples(st.just("chain"), st.integers(0, 3)),
        st.tuples(st.just("observe"), st.integers(0, 100)),
        st.tuples(st.just("sign"), st.just(0)),
    ),
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(operations)
def test_counters_stay_ordered_and_signatures_never_exceed_committed(ops) -> None:
    c = ton.PaymentCounters()
    seqno = 0
    settled = 0
    for op, value in ops:
        if op == "add":
            c.add(value)
        elif op == "db":
            seqno += 1
            c.committed_to_db(seqno)
        elif op == "chain":
            c.committed_to_blockchain(max(0, seqno - value))
        elif op == "observe":
            # The chain can only settle what was signed, i.e. what was committed.
            settled = max(settled, min(c.tokens_committed_to_blockchain, settled + value))
            c.observe_chain(settled)
        else:
            payment = c.signed_payment(SIGNER, ton.PaymentKind.CLIENT_CHARGE, CLIENT, EXCESS)
            assert payment.tokens == c.tokens_committed_to_blockchain
            assert payment.tokens <= c.tokens_committed_to_db <= c.tokens_max
            ton.verify_payment(
                payment.to_boc(),
                kind=ton.PaymentKind.CLIENT_CHARGE,
                proxy_public_key=SIGNER.public_key,
                contract=CLIENT,
            )
        c.check()


def test_commit_protocol_by_hand() -> None:
    c = ton.PaymentCounters()
    c.add(10)
    c.committed_to_db(1)
    c.add(5)
    c.committed_to_db(2)
    assert (c.tokens_committed_to_db, c.tokens_committed_to_blockchain) == (15, 0)
    c.committed_to_blockchain(1)
    assert c.tokens_committed_to_blockchain == 10
    first = c.signed_payment(SIGNER, ton.PaymentKind.CLIENT_CHARGE, CLIENT, EXCESS)
    again = c.signed_payment(SIGNER, ton.PaymentKind.CLIENT_CHARGE, CLIENT, EXCESS)
    assert first.query_id == again.query_id  # cached until the committed value moves
    assert again is first  # the same message, serialised once
    other = c.signed_payment(SIGNER, ton.PaymentKind.CLIENT_CHARGE, CLIENT, CLIENT)
    assert other.query_id == first.query_id and other.body.send_excesses_to == CLIENT
    c.committed_to_blockchain(2)
    third = c.signed_payment(SIGNER, ton.PaymentKind.CLIENT_CHARGE, CLIENT, EXCESS)
    assert third.tokens == 15 and third.query_id != first.query_id
    c.committed_to_db(3)  # nothing new: no entry
    assert c.tokens_committed_to_db == 15


def test_chain_ahead_of_commits_is_detected() -> None:
    c = ton.PaymentCounters.restored(100)
    c.observe_chain(100)
    with pytest.raises(ton.CounterOrderError):
        c.observe_chain(101)
    with pytest.raises(ValueError):
        c.add(-1)
