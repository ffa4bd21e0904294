"""Decayed stats counters (spec 40 section 5.1)."""

from __future__ import annotations

import math

import pytest

from cocoon.roles.common.counters import AmortCounter, CounterSet, Ewma


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


def test_values_added_close_together_decay_together():
    clock = Clock()
    c = AmortCounter(clock=clock)
    c.add(1)
    clock.now = 0.004  # within one quantum: counted as if added at 0
    c.add(1)
    assert c.rate(1.0) == pytest.approx(2 * math.exp(-0.004))
    clock.now = 1.0
    c.add(3)  # a new quantum
    assert c.rate(1.0) == pytest.approx(2 * math.exp(-1.0) + 3)
    assert c.total == 5
