"""The ranges of the signed TL integers that reach accounting (issue 3): one table, checked
on whole received objects, nested final infos included."""

from __future__ import annotations

import pytest

from cocoon import tl
from cocoon.errors import ProtocolError
from cocoon.roles.common import bounds
from cocoon.roles.common.errors import OutOfRangeError

RID = bytes(32)


def tokens(**changes: int) -> tl.TokensUsed:
    base = dict(
        prompt_tokens_used=1, cached_tokens_used=0, completion_tokens_used=2,
        reasoning_tokens_used=0, total_tokens_used=3,
    )  # fmt: skip
    return tl.TokensUsed(**(base | changes))


def run_query(**changes: object) -> tl.ClientRunQueryEx:
    base = dict(
        model_name="m", query=b"", max_coefficient=4000, max_tokens=1000, timeout=30.0,
        request_id=RID, min_config_version=0, enable_debug=False,
    )  # fmt: skip
    return tl.ClientRunQueryEx(**(base | changes))


def payment(**changes: int) -> tl.ProxyClientRequestPayment:
    base = dict(db_tokens=10, max_tokens=12, request_tokens=2)
    return tl.ProxyClientRequestPayment(
        request_id=RID, signed_payment=tl.ProxySignedPaymentEmpty(), **(base | changes)
    )


def test_ordinary_values_pass():
    bounds.check(run_query())
    bounds.check(run_query(max_tokens=2**31 - 1, max_coefficient=0))
    bounds.check(run_query(max_tokens=0))  # the reference client forwards a caller's 0
    bounds.check(payment())
    bounds.check(tl.ProxyQueryFinalInfo(tokens_used=tokens()))
    bounds.check(tl.WorkerNewCoefficient(new_coefficient=999_999_999))


@pytest.mark.parametrize(
    ("obj", "field"),
    [
        (run_query(max_tokens=-(2**31)), "max_tokens"),
        (run_query(max_tokens=-1), "max_tokens"),
        (run_query(max_coefficient=-1), "max_coefficient"),
        (
            tl.ClientRunQuery(
                model_name="m",
                query=b"",
                max_coefficient=4000,
                max_tokens=-5,
                timeout=1.0,
                request_id=RID,
                min_config_version=0,
            ),
            "max_tokens",
        ),
        (payment(db_tokens=-1), "db_tokens"),
        (payment(max_tokens=2**62), "max_tokens"),
        (payment(request_tokens=-(2**63)), "request_tokens"),
        (tl.WorkerNewCoefficient(new_coefficient=10**9), "new_coefficient"),
        (tl.WorkerNewCoefficient(new_coefficient=-1), "new_coefficient"),
        (
            tl.WorkerCompareBalanceWithProxy(
                tokens_committed_to_blockchain=-1, tokens_committed_to_db=0, max_tokens=0
            ),
            "tokens_committed_to_blockchain",
        ),
        (
            tl.ProxyRunQueryEx(
                query=b"",
                signed_payment=tl.ProxySignedPaymentEmpty(),
                coefficient=-1000,
                timeout=1.0,
                request_id=RID,
                enable_debug=False,
            ),
            "coefficient",
        ),
        (
            tl.WorkerPaymentStatus(
                signed_payment=tl.ProxySignedPaymentEmpty(), db_tokens=0, max_tokens=-7
            ),
            "max_tokens",
        ),
        (
            tl.ClientAuthorizationWithProxySuccess(
                signed_payment=tl.ProxySignedPaymentEmpty(),
                tokens_committed_to_db=-1,
                max_tokens=0,
            ),
            "tokens_committed_to_db",
        ),
    ],
)
def test_out_of_range_fields_are_protocol_violations(obj, field):
    with pytest.raises(OutOfRangeError) as e:
        bounds.check(obj)
    assert isinstance(e.value, ProtocolError)
    assert e.value.field == field and e.value.type_name == obj.TL_NAME
    assert field in str(e.value)


def test_nested_token_counts_are_checked():
    bad = tokens(total_tokens_used=-(2**40))
    final = tl.ProxyQueryFinalInfo(tokens_used=bad)
    answers = [
        tl.ProxyQueryAnswerErrorEx(
            request_id=RID, error_code=500, error="x", final_info=final, flags=1
        ),
        tl.ProxyQueryAnswerPartEx(request_id=RID, answer=b"", final_info=final, flags=1),
        tl.ProxyQueryAnswerError(error_code=500, error="x", request_id=RID, tokens_used=bad),
        tl.ClientQueryAnswerErrorEx(
            request_id=RID,
            error_code=1,
            error="x",
            final_info=tl.ClientQueryFinalInfo(tokens_used=bad),
            flags=1,
        ),
    ]
    for answer in answers:
        with pytest.raises(OutOfRangeError) as e:
            bounds.check(answer)
        assert e.value.type_name == "tokensUsed" and e.value.field == "total_tokens_used"
    bounds.check(tl.ProxyQueryAnswerPartEx(request_id=RID, answer=b"", flags=0))  # no final info


def test_descends_only_where_a_rule_can_be_reached():
    """The per-class plan skips fields that cannot hold a ruled object at any depth, and keeps
    every field that can: checked by brute force over the schema's field types."""
    ruled = set(bounds.RULES)
    for cls in tl.ALL_CLASSES:
        _, nested = bounds._plan(cls)
        for name, kind, *_ in cls.TL_FIELDS:
            held = bounds._classes_of(kind)
            if held is None:
                continue
            # Everything reachable from this field, by walking the types.
            seen, todo = set(), list(held)
            while todo:
                c = todo.pop()
                if c in seen:
                    continue
                seen.add(c)
                for _, k, *_ in c.TL_FIELDS:
                    todo.extend(bounds._classes_of(k) or ())
            assert (name in nested) == bool(seen & ruled), (cls.TL_NAME, name)
    assert bounds._plan(tl.HttpRequest) == ((), ())
    assert bounds._plan(tl.ClientQueryAnswerEx)[1] == ("final_info",)
