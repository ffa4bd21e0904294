"""The proxy's worker registry and choice (spec 40 section 4), sans-IO."""

from __future__ import annotations

import random

import pytest

from cocoon import tl
from cocoon.roles.common.errors import RequestError
from cocoon.roles.proxy.registry import (
    SelectionPolicy,
    WorkerConnection,
    WorkerRegistry,
    WorkersBusy,
    base_model_name,
    capacity_for,
)


def conn(cid, model="m", coef=1000, cap=4, enabled=True):
    c = WorkerConnection(
        conn_id=cid, owner_address="o", model=model, coefficient=coef, capacity=cap, proto_version=2
    )
    c.enabled = enabled
    return c


def registry(*conns, **policy):
    reg = WorkerRegistry(SelectionPolicy(**policy), rng=random.Random(1))
    for c in conns:
        reg.add(c, now=0)
    return reg


def test_base_name_and_capacity():
    assert base_model_name("Qwen/Qwen3-8B@abc:000") == "Qwen/Qwen3-8B"
    assert capacity_for(60, 1) == 60 and capacity_for(60, 7) == 9


def test_reference_error_texts():
    reg = registry(conn(1, coef=5000))
    with pytest.raises(RequestError) as e:
        reg.choose("other", 4000, now=0)
    assert (e.value.code, e.value.message) == (621, "unknown model other")
    with pytest.raises(RequestError) as e:
        reg.choose("m", 4000, now=0)
    assert (e.value.code, e.value.message) == (651, "can run this query with coefficient=5000")
    reg.connections[1].enabled = False
    with pytest.raises(RequestError) as e:
        reg.choose("m", 9000, now=0)
    assert e.value.message == "no ready workers for model m"  # the reference's lacks the space
    assert not isinstance(e.value, WorkersBusy)  # a disabled worker frees no slot: no wait
    reg.remove(1)
    with pytest.raises(RequestError) as e:
        reg.choose("m", 9000, now=0)
    assert (e.value.code, e.value.message) == (651, "no workers for model m")


def test_load_is_balanced_even_at_low_traffic():
    a, b = conn(1), conn(2)
    reg = registry(a, b)
    picks = []
    for _ in range(4):
        c = reg.choose("m", 4000, now=0)
        c.running += 1
        picks.append(c.conn_id)
    assert sorted(picks) == [1, 1, 2, 2]


def test_full_connections_are_skipped():
    a, b = conn(1, cap=1), conn(2, cap=1)
    reg = registry(a, b)
    a.running = 1
    assert reg.choose("m", 4000, now=0) is b
    b.running = 1
    with pytest.raises(WorkersBusy, match="no ready workers for model m"):
        reg.choose("m", 4000, now=0)  # the caller may wait for a slot
    with pytest.raises(RequestError) as e:
        reg.choose("m", 4000, now=0, avoid=[1, 2])
    assert not isinstance(e.value, WorkersBusy)  # nothing busy it may use


def test_slower_worker_gets_less_traffic():
    fast, slow = conn(1), conn(2)
    reg = registry(fast, slow)
    for _ in range(5):
        fast.record_result(True, 0.1, now=0, policy=reg.policy)
        slow.record_result(True, 1.0, now=0, policy=reg.policy)
    slow.running = 0
    fast.running = 3  # (3+1)*0.1 < (0+1)*1.0
    assert reg.choose("m", 4000, now=0) is fast


def test_price_is_a_filter_or_a_preference():
    cheap, dear = conn(1, coef=1000), conn(2, coef=3000)
    assert registry(cheap, dear).choose("m", 2000, now=0) is cheap
    reg = registry(cheap, dear, price_weight=1.0)
    assert all(reg.choose("m", 4000, now=0) is cheap for _ in range(10))


def test_repeated_failures_exclude_a_connection_for_a_while():
    bad, good = conn(1), conn(2)
    reg = registry(bad, good, exclude_after_failures=2, exclude_for=30)
    for _ in range(2):
        bad.record_result(False, 0.01, now=100, policy=reg.policy)
    assert all(reg.choose("m", 4000, now=110) is good for _ in range(5))
    assert reg.choose("m", 4000, now=131, avoid=[2]) is bad


def test_failures_the_request_caused_never_exclude_a_connection():
    only = conn(1)
    reg = registry(only, exclude_after_failures=2, exclude_for=30)
    only.record_result(False, 0.01, now=100, policy=reg.policy)  # one real failure
    for _ in range(5):  # then a caller's own deadlines or bad input, as often as it likes
        only.record_result(False, 0.01, now=100, policy=reg.policy, request_fault=True)
    assert reg.choose("m", 4000, now=100) is only
    assert only.consecutive_failures == 1 and only.queries.total == 6
    only.record_result(True, 0.01, now=100, policy=reg.policy, request_fault=True)
    assert only.consecutive_failures == 0  # a success is a success


def test_retry_avoids_the_failed_connection():
    a, b = conn(1), conn(2)
    reg = registry(a, b)
    assert reg.choose("m", 4000, now=0, avoid=[1]) is b


def test_model_lists():
    reg = registry(
        conn(1, model="b@x", coef=3000),
        conn(2, model="b", coef=1000),
        conn(3, model="a", enabled=False),
    )
    reg.connections[1].running = 2
    v2 = reg.worker_types_v2()
    assert [t.name for t in v2.types] == ["a", "b"]
    assert v2.types[0].workers == ()  # a disabled worker is not listed, the model is
    assert [
        (w.coefficient, w.active_requests, w.max_active_requests) for w in v2.types[1].workers
    ] == [
        (1000, 0, 4),
        (3000, 2, 4),
    ]
    v1 = reg.worker_types_v1()
    assert v1.types[1] == tl.ClientWorkerType(
        name="b",
        active_workers=2,
        coefficient_min=1000,
        coefficient_bucket50=3000,
        coefficient_max=3000,
    )
    assert tl.decode(tl.encode(v2)) == v2


def test_a_new_worker_gets_traffic_next_to_a_measured_one():
    old, new = conn(1), conn(2)
    reg = registry(old, new)
    for _ in range(20):
        old.record_result(True, 0.01, now=0, policy=reg.policy)
    picks = []
    for _ in range(4):
        c = reg.choose("m", 4000, now=0)
        c.running += 1
        picks.append(c.conn_id)
    assert sorted(picks) == [1, 1, 2, 2]
