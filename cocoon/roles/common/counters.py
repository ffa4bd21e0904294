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
# Values added within this long of each other are decayed together, as if added at the start
# of that span (at most 1% off in the 1 s window): decaying six sums on every add cost a few
# percent of a role's CPU, a dozen counters being bumped per request.
QUANTUM = 0.01


class AmortCounter:
    """One quantity (requests, bytes, seconds). `clock` is monotonic seconds."""

    __slots__ = ("_clock", "_last", "_pending", "_sums", "periods", "total")

    def __init__(
        self, periods: tuple[float, ...] = PERIODS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.periods = periods
        self.total: float = 0
        self._sums = [0.0] * len(periods)
        self._pending: float = 0  # added since `_last`, not yet in `_sums`
        self._clock = clock
        self._last = clock()

    def _decay(self, now: float) -> None:
        dt = now - self._last
        if dt > 0:
            pending, self._pending = self._pending, 0
            self._sums = [
                (s + pending) * math.exp(-dt / p)
                for s, p in zip(self._sums, self.periods, strict=True)
            ]
            self._last = now
        elif self._pending:
            pending, self._pending = self._pending, 0
            self._sums = [s + pending for s in self._sums]

    def add(self, value: float = 1) -> None:
        self.total += value
        now = self._clock()
        if now - self._last >= QUANTUM:
            self._decay(now)
        self._pending += value

    def rates(self) -> list[float]:
        """Per-second rate over each window, newest decay applied."""
        self._decay(self._clock())
        return [s / p for s, p in zip(self._sums, self.periods, strict=True)]

    def rate(self, period: float) -> float:
        return self.rates()[self.periods.index(period)]

    def as_list(self) -> list[float]:
        """`[total, 1s, 10s, 1m, 10m, 1h, 1d]` as the reference's `/jsonstats` shows it."""
        return [self.total, *self.rates()]


class CounterSet:
    """Named counters created on first use, e.g. `stats["queries"].add()`."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.counters: dict[str, AmortCounter] = {}

    def __getitem__(self, name: str) -> AmortCounter:
        counter = self.counters.get(name)
        if counter is None:
            counter = self.counters[name] = AmortCounter(clock=self._clock)
        return counter

    def as_json(self) -> dict[str, list[float]]:
        return {name: c.as_list() for name, c in self.counters.items()}


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
