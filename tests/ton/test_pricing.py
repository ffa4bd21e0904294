"""Pricing and charge arithmetic (spec 30 sections 5.4, 6, 8)."""

from __future__ import annotations

import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from cocoon import ton
from cocoon.ton.pricing import CreditView, reserve_for_query, safe_div


def test_worked_example_of_section_8_3() -> None:
    usage = ton.TokenUsage(prompt=1000, cached=200, completion=500, reasoning=100)
    adj = ton.adjusted_tokens(usage, 1500, ton.Multipliers())
    assert (adj.prompt, adj.cached, adj.completion, adj.reasoning) == (1200, 300, 600, 150)
    assert adj.total == 2250
    assert ton.client_price(adj.total, 2) == 4500
    assert ton.worker_fee(adj.total, 1) == 2250
    assert ton.proxy_commission(adj.total, 2, 1) == 2250


def _c_double_formula(n: int, coef: int, mult: int) -> int:
    # The reference expression, evaluated step by step through IEEE doubles (struct round trips
    # make every intermediate an explicit 64-bit double).
    def d(x: float) -> float:
        return struct.unpack("<d", struct.pack("<d", x))[0]

    v = d(d(d(float(n)) * d(d(float(coef)) * 0.001)) * d(float(mult)))
    v = d(v * 0.0001)
    return int(v)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 10**9), st.integers(0, 10**6), st.integers(0, 10**6))
def test_adjust_tokens_is_the_double_formula(n: int, coef: int, mult: int) -> None:
    assert ton.adjust_tokens(n, coef, mult) == _c_double_formula(n, coef, mult)


def test_double_rounding_is_kept_where_integers_differ() -> None:
    # Exact products whose double evaluation lands just below the integer: the reference
    # truncates to one less, and so must we (found by search; rare at realistic sizes).
    for n, coef, mult, exact in [
        (55_200_000, 593_516, 99_425, 325_737_012_216),
        (188_750_000, 565_896, 6_265, 66_918_263_055),
        (995_000_000, 522_665, 12_458, 647_880_376_715),
    ]:
        assert n * coef * mult // 10**7 == exact
        assert ton.adjust_tokens(n, coef, mult) == exact - 1


def test_negative_category_truncates_toward_zero() -> None:
    # cached > prompt happens with odd backends; the reference does not clamp.
    adj = ton.adjusted_tokens(ton.TokenUsage(prompt=1, cached=5), 1000, ton.Multipliers())
    assert adj.prompt == -4


def test_charge_arithmetic() -> None:
    c = ton.charge(tokens_used=10, balance=100, new_tokens_used=30, price_per_token=2)
    assert (c.tokens_used, c.balance, c.charged, c.shortfall) == (30, 60, 40, 0)
    c = ton.charge(tokens_used=10, balance=100, new_tokens_used=60, price_per_token=2)
    assert (c.tokens_used, c.balance, c.charged, c.shortfall) == (
        60,
        0,
        100,
        0,
    )  # cost == balance -> 0
    c = ton.charge(tokens_used=10, balance=100, new_tokens_used=100, price_per_token=2)
    assert (c.balance, c.charged, c.shortfall) == (0, 100, 80)
    c = ton.charge(tokens_used=10, balance=100, new_tokens_used=5, price_per_token=2)
    assert (c.tokens_used, c.balance) == (10, 100)


def test_payout_split_and_credit_view() -> None:
    split = ton.payout_split(1000, 5, 3)
    assert (split.worker_part, split.proxy_part) == (3000, 2000)
    view = CreditView(sc_balance=100, sc_stake=40, sc_tokens_used=7, price_per_token=3)
    assert view.tokens_payed == 33 + 7 and view.tokens_stake == 13
    assert view.available(reserved=5, tokens_max=7) == min(40, 20) - 12
    assert safe_div(5, 0) == 10**12
    assert reserve_for_query(1000, 200, 4000) == 4800


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, 10**12), st.integers(0, 10**15), st.integers(0, 10**12), st.integers(1, 10**6)
)
def test_charge_never_goes_below_zero_nor_refunds(
    used: int, balance: int, new: int, price: int
) -> None:
    c = ton.charge(used, balance, new, price)
    assert 0 <= c.balance <= balance
    assert c.charged == balance - c.balance
    assert c.tokens_used == max(used, new)
