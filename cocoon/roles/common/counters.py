"""Decayed rate counters for the stats pages (spec 40 section 5.1), sans-IO.

An `AmortCounter` keeps a cumulative total and exponentially decayed sums over 1 s, 10 s,
1 min, 10 min, 1 h and 1 day. Reading a window gives `sum / period`: a per-second rate for
counts, seconds of work per second for durations (so `time / queries` over the same window is
the mean latency). The JSON form is the 7-number array `[total, 1s, 10s, 1m, 10m, 1h, 1d]` the
reference's pages use.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

PERIODS: tuple[float, ...] = (1.0, 10.0, 60.0, 600.0, 3600.0, 86400.0)
WINDOW_NAMES: tuple[str, ...] = ("total", "1s", "10s", "1m", "10m", "1h", "1d")
# Values are gathered per QUANTUM-long tick of the clock and folded into the six decayed sums
# once per tick: decaying six sums on every add cost a few percent of a role's CPU, a dozen
# counters being bumped per request. Within its tick a value keeps its age to first order
# (the sums carry `value * (t - tick start)` too): exp(x) taken as 1 + x for x up to
# QUANTUM / period, so a rate reads at most 0.5% low in the 1 s window (0.005% in the 10 s
# one), and never high.
QUANTUM = 0.1
_TICKS_PER_SECOND = 10  # 1 / QUANTUM, so a tick is `int(now * _TICKS_PER_SECOND)`
# Ticks are whole, so a fold decays by the factors of a whole number of ticks: those of the
# few small gaps (at any steady load the same ones again and again) are computed once, for
# all counters with the same periods, instead of six exp() per fold.
_CACHED_GAPS = 256
_FACTORS: dict[tuple[float, ...], dict[int, list[float]]] = {}


class AmortCounter:
    """One quantity (requests, bytes, seconds). `clock` is monotonic seconds."""

    __slots__ = (
        "_clock",
        "_factors",
        "_inverse",
        "_next_tick_at",
        "_pending",
        "_pending_age",
        "_sums",
        "_tick",
        "_tick_start",
        "periods",
        "total",
    )

    def __init__(
        self, periods: tuple[float, ...] = PERIODS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.periods = periods
        self.total: float = 0
        self._inverse = [1 / p for p in periods]
        self._sums = [0.0] * len(periods)  # decayed to the start of `_tick`
        self._pending: float = 0  # added during `_tick`, not yet in `_sums`
        self._pending_age: float = 0  # sum of value * (time added - `_tick_start`)
        self._clock = clock
        self._tick = int(clock() * _TICKS_PER_SECOND)
        self._tick_start = self._tick * QUANTUM
        self._next_tick_at = (self._tick + 1) * QUANTUM
        self._factors = _FACTORS.setdefault(periods, {})

    def _fold(self, now: float) -> None:
        """Decay the sums (with what was added in the old tick) to the start of the tick of
        `now`."""
        tick = int(now * _TICKS_PER_SECOND)
        gap = tick - self._tick
        if gap <= 0:  # `now` at the very end of a tick, rounded (or a clock gone back)
            return
        factors = self._factors.get(gap)
        if factors is None:
            factors = [math.exp(-gap * QUANTUM / p) for p in self.periods]
            if 0 < gap <= _CACHED_GAPS:
                self._factors[gap] = factors
        pending, age = self._pending, self._pending_age
        self._pending = self._pending_age = 0
        # (zip without strict: the lengths are equal by construction, and strict costs 15%)
        self._sums = [
            (s + pending + age * i) * f
            for s, i, f in zip(self._sums, self._inverse, factors)  # noqa: B905
        ]
        self._tick = tick
        self._tick_start = tick * QUANTUM
        self._next_tick_at = (tick + 1) * QUANTUM

    def add(self, value: float = 1) -> None:
        self.total += value
        now = self._clock()
        if now >= self._next_tick_at:
            self._fold(now)
        self._pending += value
        self._pending_age += value * (now - self._tick_start)

    def rates(self) -> list[float]:
        """Per-second rate over each window, newest decay applied."""
        now = self._clock()
        if now >= self._next_tick_at:
            self._fold(now)
        # Reading changes nothing: the part of the tick already gone is decayed here only.
        into_tick = max(0.0, now - self._tick_start)
        pending, age = self._pending, self._pending_age
        return [
            (s + pending + age / p) * math.exp(-into_tick / p) / p
            for s, p in zip(self._sums, self.periods, strict=True)
        ]

    def rate(self, period: float) -> float:
        return self.rates()[self.periods.index(period)]

    def as_list(self) -> list[float]:
        """`[total, 1s, 10s, 1m, 10m, 1h, 1d]` as the reference's `/jsonstats` shows it."""
        return [self.total, *self.rates()]


class CounterSet(dict[str, AmortCounter]):
    """Named counters created on first use, e.g. `stats["queries"].add()`. A dict, so that
    looking up an existing counter (a dozen times per request) runs no Python code."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self._clock = clock

    def __missing__(self, name: str) -> AmortCounter:
        counter = self[name] = AmortCounter(clock=self._clock)
        return counter

    @property
    def counters(self) -> dict[str, AmortCounter]:
        return self

    def as_json(self) -> dict[str, list[float]]:
        return {name: c.as_list() for name, c in self.items()}


class Ewma:
    """An exponentially weighted mean with a prior used until enough samples arrived."""

    __slots__ = ("alpha", "count", "prior", "value")

    def __init__(self, prior: float, alpha: float = 0.2) -> None:
        self.prior = prior
        self.alpha = alpha
        self.count = 0
        self.value = prior

    def add(self, sample: float) -> None:
        self.count += 1
        self.value = sample if self.count == 1 else self.value + self.alpha * (sample - self.value)
