"""The bounds of `cocoon.openai._json`: nesting (read and written) and number range."""

from __future__ import annotations

import pytest

from cocoon.openai import _json


def nested(depth: int, inner: bytes = b"1") -> bytes:
    return b"[" * depth + inner + b"]" * depth


def test_nesting_up_to_the_limit_reads_and_writes():
    value = _json.loads(nested(_json.MAX_DEPTH))
    assert _json.dumps(value) == nested(_json.MAX_DEPTH)
    assert _json.loads(b"  " + nested(3)) == [[[1]]]  # the decoder's path for leading space


@pytest.mark.parametrize("depth", [_json.MAX_DEPTH + 1, 490, 5000, 100_000])
def test_nesting_beyond_the_limit_is_a_limit_error_not_a_recursion_error(depth):
    for data in (nested(depth), b" " + nested(depth), b'{"a":' * depth + b"1" + b"}" * depth):
        with pytest.raises(_json.JsonLimitError, match="nested deeper than 128"):
            _json.loads(data)


def test_a_smaller_limit_for_records_known_to_be_flat():
    assert _json.loads(nested(8), max_depth=8) == _json.loads(nested(8))
    with pytest.raises(_json.JsonLimitError):
        _json.loads(nested(9), max_depth=8)


def test_writing_is_bounded_too():
    value: list = []
    for _ in range(5000):  # deeper than the interpreter's recursion limit
        value = [value]
    with pytest.raises(_json.JsonLimitError):
        _json.dumps(value)
    with pytest.raises(_json.JsonLimitError):  # also with a float that is not finite
        _json.dumps([value, float("inf")])


@pytest.mark.parametrize("text", [b"1e400", b"-1e400", b"[1e309]", b'{"a":[{"b":1E+999}]}'])
def test_numbers_beyond_double_range_are_refused(text):
    with pytest.raises(_json.JsonLimitError, match="beyond double range"):
        _json.loads(text)


def test_numbers_within_range_and_big_integers_still_read():
    assert _json.loads(b"[1.7976931348623157e308, 5e-324, 1e-400]") == [
        1.7976931348623157e308,
        5e-324,
        0.0,
    ]
    assert _json.loads(b"1" + b"0" * 400) == 10**400  # an integer, exact (nlohmann: a float)
