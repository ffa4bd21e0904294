"""Decayed stats counters (spec 40 section 5.1)."""

from __future__ import annotations

import math
import random

import pytest

from cocoon.roles.common.counters import PERIODS, QUANTUM, AmortCounter, CounterSet, Ewma


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_rates_decay_per_window():
    clock = Clock()
    c = AmortCounter(clock=clock)
    for _ in range(10):
        c.add()
    assert c.as_list()[0] == 10
    assert c.rate(10.0) == pytest.approx(1.0)  # 10 events / 10 s
    clock.now = 10.0
    assert c.rate(10.0) == pytest.approx(math.exp(-1))
    assert c.rate(1.0) == pytest.approx(10 * math.exp(-10))
    assert c.total == 10  # the total never decays


def test_counter_set_json_shape():
    s = CounterSet(clock=Clock())
    s["queries"].add()
    s["time"].add(0.5)
    out = s.as_json()
    assert set(out) == {"queries", "time"} and all(len(v) == 7 for v in out.values())


def test_ewma_uses_prior_until_first_sample():
    e = Ewma(prior=2.0, alpha=0.5)
    assert e.value == 2.0
    e.add(1.0)
    assert e.value == 1.0
    e.add(3.0)
    assert e.value == 2.0


def test_values_added_within_a_tick_keep_their_age():
    clock = Clock()
    c = AmortCounter(clock=clock)
    c.add(1)
    clock.now = 0.004  # the same tick: one fold later, but its age is kept (to first order)
    c.add(1)
    exact = math.exp(-0.004) + 1
    assert c.rate(1.0) == pytest.approx(exact, rel=1e-5)
    clock.now = 1.0
    c.add(3)  # a new tick
    assert c.rate(1.0) == pytest.approx(math.exp(-1.0) + math.exp(-0.996) + 3, rel=1e-5)
    assert c.total == 5


def test_rates_stay_within_one_quantum_of_exact_decay():
    """Against the exact sums (each value decayed from the moment it was added): within its
    tick a value's age is kept to first order (exp(x) as 1 + x, x <= QUANTUM / period), so
    every window reads between (1 + x) exp(-x) of the exact figure (0.5% in the 1 s window)
    and the exact figure, whatever the spacing of adds and reads."""
    rng = random.Random(17)
    clock = Clock()
    clock.now = 1234.5678
    c = AmortCounter(clock=clock)
    added: list[tuple[float, float]] = []
    for step in range(3000):
        clock.now += rng.choice((0.0, 0.0003, 0.004, 0.0101, 0.037, 0.5, 3.0, 70.0))
        value = rng.choice((1, 0.25, 4096))
        c.add(value)
        added.append((clock.now, value))
        if step % 97 == 0:
            clock.now += rng.random() * 0.02
            got = c.rates()
            for period, rate in zip(PERIODS, got, strict=True):
                exact = sum(v * math.exp(-(clock.now - t) / period) for t, v in added) / period
                x = QUANTUM / period
                low = exact * (1 + x) * math.exp(-x)
                assert low >= exact * 0.995
                assert low * (1 - 1e-9) <= rate <= exact * (1 + 1e-9), (step, period)
    assert c.total == sum(v for _, v in added)


def test_reading_does_not_change_later_rates():
    clock, other = Clock(), Clock()
    read, unread = AmortCounter(clock=clock), AmortCounter(clock=other)
    for step in range(200):
        for cl in (clock, other):
            cl.now += 0.0037 * (step % 5)
        read.add(step)
        unread.add(step)
        read.rates()
    assert read.rates() == unread.rates()


def test_counter_set_creates_counters_on_first_use():
    s = CounterSet(clock=Clock())
    assert "queries" not in s
    s["queries"].add(2)
    assert s["queries"] is s["queries"] and s["queries"].total == 2
    assert list(s.as_json()) == ["queries"]
