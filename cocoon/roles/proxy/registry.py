"""The proxy's registry of worker connections and its worker choice (sans-IO).

Spec 40 section 4. A connection is registered under its model's base name when its
`worker.connectToProxy` is accepted, initially not eligible; it becomes eligible when the
handshake completes and the worker is not disabled. Each connection has a capacity of
`ceil(max_active_requests / proxy_cnt)` requests routed by this proxy.

Choice, better than the reference's (which does no balancing at low traffic, ignores failures
and never retries): among eligible connections with a free slot and
`coefficient <= max_coefficient`, the lowest `(running + 1) * latency * price_factor`, where
`latency` is an EWMA of this proxy's measured request times (until a connection has samples:
the mean of its measured peers, or a prior)
and `price_factor = 1 + price_weight * (coef - min_coef) / max(min_coef, 1000)`; ties are
broken at random. A connection that failed `exclude_after_failures` times in a row is left out
for `exclude_for` seconds; failures the request caused itself (its deadline, its invalid input,
its client leaving) do not count. The caller may pass connections to avoid (a retry).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable

import attrs

from cocoon import tl
from cocoon.net import codes
from cocoon.roles.common.counters import AmortCounter, Ewma
from cocoon.roles.common.errors import RequestError

INT32_MAX = 2147483647
STATS_PERIOD = (600.0,)


def base_model_name(model: str) -> str:
    """`Qwen/Qwen3-8B@commit:verity` -> `Qwen/Qwen3-8B` (spec 40 section 3.2)."""
    return model.split("@", 1)[0]


@attrs.frozen
class SelectionPolicy:
    latency_prior: float = 2.0  # seconds, until a connection has its own samples
    price_weight: float = 0.0  # 0: price is a filter only, as in the reference
    exclude_after_failures: int = 3
    exclude_for: float = 30.0


@attrs.define(eq=False)
class WorkerConnection:
    """The proxy's view of one worker connection."""

    conn_id: int
    owner_address: str
    model: str
    coefficient: int
    capacity: int
    proto_version: int
    image_hash: bytes = bytes(32)
    enabled: bool = False  # handshake completed and the worker is not disabled
    running: int = 0
    latency: Ewma = attrs.field(factory=lambda: Ewma(2.0))
    consecutive_failures: int = 0
    excluded_until: float = 0.0
    queries: AmortCounter = attrs.field(factory=lambda: AmortCounter(STATS_PERIOD))
    query_time: AmortCounter = attrs.field(factory=lambda: AmortCounter(STATS_PERIOD))
    successes: AmortCounter = attrs.field(factory=lambda: AmortCounter(STATS_PERIOD))
    failures: AmortCounter = attrs.field(factory=lambda: AmortCounter(STATS_PERIOD))

    @property
    def base_model(self) -> str:
        return base_model_name(self.model)

    def record_result(
        self,
        ok: bool,
        seconds: float,
        now: float,
        policy: SelectionPolicy,
        *,
        request_fault: bool = False,
    ) -> None:
        """One request's outcome. A failure the request caused itself (`request_fault`: its
        deadline, its invalid input) counts neither way: a caller must not be able to exclude
        a worker by sending requests that cannot succeed."""
        self.queries.add()
        self.query_time.add(seconds)
        if request_fault and not ok:
            return
        if ok:
            self.successes.add()
            self.latency.add(seconds)
            self.consecutive_failures = 0
        else:
            self.failures.add()
            self.consecutive_failures += 1
            if self.consecutive_failures >= policy.exclude_after_failures:
                self.excluded_until = now + policy.exclude_for


class WorkersBusy(RequestError):
    """Every worker that could serve the request is at its capacity (the request may wait
    for a slot instead of being refused)."""


def capacity_for(max_active_requests: int, proxy_cnt: int) -> int:
    return -(-max_active_requests // proxy_cnt)


class WorkerRegistry:
    def __init__(
        self, policy: SelectionPolicy | None = None, rng: random.Random | None = None
    ) -> None:
        self.policy = policy or SelectionPolicy()
        self._rng = rng or random.Random()
        self.connections: dict[int, WorkerConnection] = {}
        self.models_first_seen: dict[str, float] = {}  # base name -> time first registered

    def add(self, conn: WorkerConnection, now: float) -> None:
        conn.latency = Ewma(self.policy.latency_prior)
        self.connections[conn.conn_id] = conn
        self.models_first_seen.setdefault(conn.base_model, now)

    def remove(self, conn_id: int) -> WorkerConnection | None:
        return self.connections.pop(conn_id, None)

    def for_model(self, base_model: str) -> list[WorkerConnection]:
        return [c for c in self.connections.values() if c.base_model == base_model]

    def eligible(self, conn: WorkerConnection, now: float) -> bool:
        return conn.enabled and conn.running < conn.capacity and conn.excluded_until <= now

    def choose(
        self,
        base_model: str,
        max_coefficient: int,
        now: float,
        avoid: Iterable[int] = (),
    ) -> WorkerConnection:
        """The connection to send a request to, or `RequestError` with the reference's code
        and text: unknown model 621, no connections 651, none eligible 651."""
        if base_model not in self.models_first_seen:
            raise RequestError(codes.PROTOVIOLATION, f"unknown model {base_model}")
        conns = self.for_model(base_model)
        if not conns:
            raise RequestError(codes.NOTREADY, f"no workers for model {base_model}")
        avoid = set(avoid)
        ready = [c for c in conns if c.conn_id not in avoid and self.eligible(c, now)]
        affordable = [c for c in ready if c.coefficient <= max_coefficient]
        if not affordable:
            busy = any(
                c.conn_id not in avoid
                and c.enabled
                and c.excluded_until <= now
                and c.coefficient <= max_coefficient
                for c in conns
            )  # each at its capacity (else it would be ready): a slot frees soon
            if busy:
                raise WorkersBusy(codes.NOTREADY, f"no ready workers for model {base_model}")
            if ready:
                cheapest = min(c.coefficient for c in ready)
                raise RequestError(
                    codes.NOTREADY, f"can run this query with coefficient={cheapest}"
                )
            # The reference writes "modelQwen/..." (no space); nothing parses the text.
            raise RequestError(codes.NOTREADY, f"no ready workers for model {base_model}")
        min_coef = min(c.coefficient for c in affordable)
        weight = self.policy.price_weight
        # A connection without samples is assumed as fast as its measured peers (or the prior
        # when none is measured), so a new worker gets traffic instead of waiting forever
        # behind a measured one.
        measured = [c.latency.value for c in affordable if c.latency.count]
        unmeasured = sum(measured) / len(measured) if measured else self.policy.latency_prior

        def score(c: WorkerConnection) -> float:
            price = 1.0 + weight * (c.coefficient - min_coef) / max(min_coef, 1000)
            latency = c.latency.value if c.latency.count else unmeasured
            return (c.running + 1) * latency * price

        best = min(score(c) for c in affordable)
        tied = [c for c in affordable if math.isclose(score(c), best, rel_tol=1e-9)]
        return tied[0] if len(tied) == 1 else self._rng.choice(tied)

    # ------------------------------------------------------------------ model lists

    def _models(self) -> list[str]:
        return sorted(self.models_first_seen)

    def worker_types_v2(self) -> tl.ClientWorkerTypesV2:
        """Per model, the enabled connections sorted by coefficient (spec 40 section 4.5)."""
        types = []
        for model in self._models():
            conns = sorted(
                (c for c in self.for_model(model) if c.enabled), key=lambda c: c.coefficient
            )
            workers = [
                tl.ClientWorkerInstanceV2(
                    coefficient=c.coefficient,
                    active_requests=c.running,
                    max_active_requests=c.capacity,
                )
                for c in conns
            ]
            types.append(tl.ClientWorkerTypeV2(name=model, workers=workers))
        return tl.ClientWorkerTypesV2(types=types)

    def worker_types_v1(self) -> tl.ClientWorkerTypes:
        """Per model: connection count and coefficient min/median/max over the real values
        (the reference adds an INT32_MAX sentinel to the list; we do not)."""
        types = []
        for model in self._models():
            coefs = sorted(c.coefficient for c in self.for_model(model))
            types.append(
                tl.ClientWorkerType(
                    name=model,
                    active_workers=len(coefs),
                    coefficient_min=coefs[0] if coefs else 0,
                    coefficient_bucket50=coefs[len(coefs) // 2] if coefs else 0,
                    coefficient_max=coefs[-1] if coefs else 0,
                )
            )
        return tl.ClientWorkerTypes(types=types)
