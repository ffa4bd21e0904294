"""The specialised codecs of the hot constructors (cocoon.tl.fast) against the generic one:
the same bytes, the same objects, and the same errors on damaged input or bad values."""

from __future__ import annotations

import contextlib
import struct
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cocoon import tl
from cocoon.tl import fast

from .strategies import for_class

FAST = [c for c in tl.ALL_CLASSES if "_read_generic" in c.__dict__]


def test_the_hot_constructors_are_specialised():
    assert {c.TL_NAME for c in FAST} == set(fast.HOT_CONSTRUCTORS)


@contextlib.contextmanager
def generic_codec() -> Iterator[None]:
    """Every class on its generated `_read`/`_write`, nested ones included."""
    saved = [(c, c.__dict__["_read"], c.__dict__["_write"]) for c in FAST]
    for c in FAST:
        c._read = c.__dict__["_read_generic"]
        c._write = c.__dict__["_write_generic"]
    try:
        yield
    finally:
        for c, read, write in saved:
            c._read, c._write = read, write


def outcome(fn, *args):
    """What a call returns or raises, comparable between the two codecs."""
    try:
        value = fn(*args)
    except tl.TLDecodeError as e:
        return ("error", type(e), str(e), e.offset, e.type_name)
    except tl.TLEncodeError as e:
        return ("error", type(e), str(e))
    return ("ok", type(value), repr(value))  # repr: a flipped byte may make a NaN


def _fields(obj):
    """The field values with their exact types (== alone would take 1 for True)."""
    return [(name, type(getattr(obj, name)), getattr(obj, name)) for name, *_ in obj.TL_FIELDS]


@pytest.mark.parametrize("cls", FAST, ids=lambda c: c.TL_NAME)
@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_same_bytes_and_objects_as_the_generic_codec(cls, data):
    obj = data.draw(for_class(cls))
    encoded = tl.encode(obj)
    with generic_codec():
        assert tl.encode(obj) == encoded
        expected = tl.decode(encoded, cls)
    decoded = tl.decode(encoded, cls)
    assert decoded == expected == obj
    assert _fields(decoded) == _fields(expected)
    # nested objects are the generic codec's objects too
    assert repr(decoded) == repr(expected)


@pytest.mark.parametrize("cls", FAST, ids=lambda c: c.TL_NAME)
@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_same_errors_on_damaged_input(cls, data):
    encoded = bytearray(tl.encode(data.draw(for_class(cls))))
    for _ in range(data.draw(st.integers(1, 3))):
        pos = data.draw(st.integers(4, max(len(encoded) - 1, 4)))
        op = data.draw(st.sampled_from(["flip", "delete", "insert", "cut"]))
        if op == "flip" and pos < len(encoded):
            encoded[pos] ^= data.draw(st.integers(1, 255))
        elif op == "delete" and pos < len(encoded):
            del encoded[pos]
        elif op == "cut":
            del encoded[pos:]
        else:
            encoded[pos:pos] = data.draw(st.binary(min_size=1, max_size=4))
    blob = bytes(encoded)
    got = outcome(tl.decode, blob, cls)
    with generic_codec():
        assert outcome(tl.decode, blob, cls) == got


def _u32(v: int) -> bytes:
    return struct.pack("<I", v)


@pytest.mark.parametrize(
    "blob",
    [
        # a flags word with bit 31 (client.queryAnswerEx: request_id, answer, flags)
        _u32(tl.ClientQueryAnswerEx.TL_ID) + b"\0" * 32 + b"\0\0\0\0" + _u32(1 << 31),
        # flag bit 0 announces final_info, which is missing
        _u32(tl.ClientQueryAnswerEx.TL_ID) + b"\0" * 32 + b"\0\0\0\0" + _u32(1),
        # the 0xff length form
        _u32(tl.TcpPacket.TL_ID) + b"\xff\0\0\0",
        # a vector count that cannot fit (http.response headers)
        _u32(tl.HttpResponse.TL_ID) + b"\0\0\0\0" + _u32(200) + b"\0\0\0\0" + _u32(1 << 30),
        # a bad Bool (proxy.runQueryEx enable_debug)
        _u32(tl.ProxyRunQueryEx.TL_ID)
        + b"\0\0\0\0"
        + _u32(tl.ProxySignedPaymentEmpty.TL_ID)
        + b"\0" * 16
        + b"\0" * 32
        + _u32(1)
        + _u32(12345),
        # a constructor of the wrong type where proxy.SignedPayment belongs
        _u32(tl.ProxyRunQueryEx.TL_ID) + b"\0\0\0\0" + _u32(tl.TcpPing.TL_ID) + b"\0" * 8,
        # a long length form running past the end
        _u32(tl.TcpPacket.TL_ID) + b"\xfe\x00\x01\x00" + b"x" * 10,
    ],
)
def test_same_errors_on_crafted_input(blob):
    got = outcome(tl.decode, blob, None)
    assert got[0] == "error"
    with generic_codec():
        assert outcome(tl.decode, blob, None) == got


def _valid(cls):
    hdr = tl.HttpHeader(name="a", value="b")
    payment = tl.ProxySignedPayment(data=b"p")
    return {
        tl.ClientRunQueryEx: lambda: tl.ClientRunQueryEx(
            model_name="m",
            query=b"q",
            max_coefficient=1,
            max_tokens=2,
            timeout=3.0,
            request_id=b"r" * 32,
            min_config_version=4,
        ),
        tl.ProxyRunQueryEx: lambda: tl.ProxyRunQueryEx(
            query=b"q", signed_payment=payment, coefficient=1, timeout=2.0, request_id=b"r" * 32
        ),
        tl.HttpResponse: lambda: tl.HttpResponse(
            http_version="HTTP/1.1", status_code=200, reason="OK", headers=(hdr,), payload=b""
        ),
        tl.ClientQueryAnswerEx: lambda: tl.ClientQueryAnswerEx(request_id=b"r" * 32, answer=b""),
        tl.TcpPacket: lambda: tl.TcpPacket(data=b""),
    }[cls]()


def _forged(cls, **values):
    """An object carrying values its constructor would refuse (as a bug would)."""
    obj = _valid(cls)
    for name, value in values.items():
        object.__setattr__(obj, name, value)
    return obj


@pytest.mark.parametrize(
    ("cls", "values"),
    [
        (tl.ClientRunQueryEx, {"max_tokens": 1 << 40}),
        (tl.ClientRunQueryEx, {"request_id": b"short"}),
        (tl.ClientRunQueryEx, {"model_name": b"bytes, not str"}),
        (tl.ClientRunQueryEx, {"query": "str, not bytes"}),
        (tl.ClientRunQueryEx, {"model_name": "\ud800"}),
        (tl.ProxyRunQueryEx, {"enable_debug": 1, "flags": 1}),
        (tl.ProxyRunQueryEx, {"signed_payment": tl.TcpPing(id=1)}),
        (tl.ProxyRunQueryEx, {"timeout": "soon"}),
        (tl.HttpResponse, {"headers": (tl.HttpHeader(name="a", value="b"), "not a header")}),
        (tl.ClientQueryAnswerEx, {"flags": -1}),
        (tl.ClientQueryAnswerEx, {"flags": 1 << 31}),
        (tl.TcpPacket, {"data": b"x" * (1 << 24)}),
    ],
)
def test_same_errors_on_bad_values(cls, values):
    obj = _forged(cls, **values)
    got = outcome(tl.encode, obj)
    assert got[0] == "error"
    with generic_codec():
        assert outcome(tl.encode, obj) == got
