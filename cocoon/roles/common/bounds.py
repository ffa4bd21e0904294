"""Ranges of the signed TL integers that reach accounting (spec 10 sections 6-7, 2.9).

TL `int` and `long` are signed, so a peer can send -2^31 tokens where a count is meant, and
a count near 2^63 overflows the `long` it is sent back in once a few are added up. The
reference checks none of them (a negative `max_tokens` drives a client's reservation below
zero and lifts its balance check). Every role calls `check` on what a peer sends before
any of it is used:

    check(packet)          # raises OutOfRangeError naming the field, for nested objects too

Rules are per TL constructor, so one table covers the proxy (from clients and workers), the
worker (from the proxy) and the client (from the proxy). A field absent from an object (an
optional field whose flag is off) is not checked.
"""

from __future__ import annotations

from functools import cache

from cocoon import tl
from cocoon.roles.common.errors import OutOfRangeError

INT32_MAX = (1 << 31) - 1
# A worker's price coefficient (thousandths): spec 10 section 6.3, `0 <= c < 1e9`.
COEFFICIENT_MAX = 999_999_999
# Adjusted tokens of one request: more than any model produces, and small enough that the
# sums kept in `long` counters (and uint64 contract fields) cannot overflow.
REQUEST_TOKENS_MAX = 1 << 40
# A running total of adjusted tokens (a contract's counters): far below 2^63.
TOTAL_TOKENS_MAX = (1 << 53) - 1

_REQUEST = (0, REQUEST_TOKENS_MAX)
_TOTAL = (0, TOTAL_TOKENS_MAX)
# `max_tokens` 0 is a valid request: the reference client forwards a caller's 0 as it is
# (spec 40 section 2.3), and its reservation still covers the query's bytes.
_CLIENT_QUERY = {"max_tokens": (0, INT32_MAX), "max_coefficient": (0, INT32_MAX)}

RULES: dict[type[tl.TLObject], dict[str, tuple[int, int]]] = {
    # client -> proxy
    tl.ClientRunQuery: _CLIENT_QUERY,
    tl.ClientRunQueryEx: _CLIENT_QUERY,
    # worker -> proxy (the worker's params are checked by the handshake with the
    # reference's texts; its later coefficient changes here)
    tl.WorkerNewCoefficient: {"new_coefficient": (0, COEFFICIENT_MAX)},
    tl.WorkerCompareBalanceWithProxy: {
        "tokens_committed_to_blockchain": _TOTAL,
        "tokens_committed_to_db": _TOTAL,
        "max_tokens": _TOTAL,
    },
    tl.WorkerExtendedCompareBalanceWithProxy: {"tokens_committed_to_db": _TOTAL},
    # in every answer's final info, old and Ex forms, worker -> proxy -> client
    tl.TokensUsed: {
        "prompt_tokens_used": _REQUEST,
        "cached_tokens_used": _REQUEST,
        "completion_tokens_used": _REQUEST,
        "reasoning_tokens_used": _REQUEST,
        "total_tokens_used": _REQUEST,
    },
    # proxy -> worker
    tl.ProxyRunQuery: {"coefficient": (0, COEFFICIENT_MAX)},
    tl.ProxyRunQueryEx: {"coefficient": (0, COEFFICIENT_MAX)},
    tl.ProxyWorkerRequestPayment: {
        "db_tokens": _TOTAL,
        "max_tokens": _TOTAL,
        "request_tokens": _REQUEST,
    },
    tl.WorkerCompareBalanceWithProxyResult: {
        "tokens_committed_to_db": _TOTAL,
        "max_tokens": _TOTAL,
    },
    tl.WorkerPaymentStatus: {"db_tokens": _TOTAL, "max_tokens": _TOTAL},
    # proxy -> client
    tl.ClientAuthorizationWithProxySuccess: {
        "tokens_committed_to_db": _TOTAL,
        "max_tokens": _TOTAL,
    },
    tl.ClientPaymentStatus: {"db_tokens": _TOTAL, "max_tokens": _TOTAL},
    tl.ProxyClientRequestPayment: {
        "db_tokens": _TOTAL,
        "max_tokens": _TOTAL,
        "request_tokens": _REQUEST,
    },
}

_PRIMITIVES = frozenset(
    {"#", "int", "long", "double", "string", "bytes", "int128", "int256", "Bool", "true"}
)

# Per class: the (field, low, high) rules to apply and the fields to descend into.
Plan = tuple[tuple[tuple[str, int, int], ...], tuple[str, ...]]


def _classes_of(kind: str) -> tuple[type[tl.TLObject], ...] | None:
    """The constructors a field of TL type `kind` may hold (None: not known here)."""
    kind = kind.removeprefix("vector ")
    bare = tl.BY_NAME.get(kind)
    if bare is not None:
        return (bare,)
    boxed = tuple(c for c in tl.ALL_CLASSES if c.TL_TYPE == kind)
    return boxed or None


@cache
def _checked() -> frozenset[type[tl.TLObject]]:
    """The classes with a rule, or a field that may hold (at any depth) one that has a rule:
    only these are worth descending into, most of a packet (headers, payloads) is not."""
    checked = set(RULES)
    changed = True
    while changed:
        changed = False
        for cls in tl.ALL_CLASSES:
            if cls in checked:
                continue
            for _, kind, *_ in cls.TL_FIELDS:
                if kind.removeprefix("vector ") in _PRIMITIVES:
                    continue
                held = _classes_of(kind)
                if held is None or any(c in checked for c in held):
                    checked.add(cls)
                    changed = True
                    break
    return frozenset(checked)


@cache
def _plan(cls: type[tl.TLObject]) -> Plan:
    rules = tuple((name, low, high) for name, (low, high) in RULES.get(cls, {}).items())
    if cls in tl.BY_NAME.values() and cls not in _checked():
        return rules, ()
    nested = []
    for name, kind, *_ in cls.TL_FIELDS:
        if kind.removeprefix("vector ") in _PRIMITIVES:
            continue
        held = _classes_of(kind)
        if held is None or any(c in _checked() for c in held):
            nested.append(name)
    return rules, tuple(nested)


def check(obj: tl.TLObject) -> None:
    """Raise `OutOfRangeError` if a field of `obj` (or of an object inside it) is outside the
    range its rule allows."""
    rules, nested = _plan(type(obj))
    for name, low, high in rules:
        value = getattr(obj, name)
        if value is not None and not low <= value <= high:
            raise OutOfRangeError(obj.TL_NAME, name, value, low, high)
    for name in nested:
        value = getattr(obj, name)
        if isinstance(value, tl.TLObject):
            check(value)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, tl.TLObject):
                    check(item)
