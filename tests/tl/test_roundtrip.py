"""Every TL class round-trips (hypothesis), and the decoder is strict and never crashes."""

from __future__ import annotations

import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cocoon import tl

from .strategies import any_object, for_class


@pytest.mark.parametrize("cls", tl.ALL_CLASSES, ids=lambda c: c.TL_NAME)
@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_class_round_trips(cls, data):
    obj = data.draw(for_class(cls))
    encoded = tl.encode(obj)
    decoded = tl.decode(encoded)
    assert decoded == obj
    assert tl.encode(decoded) == encoded
    assert tl.decode_bare(cls, tl.encode_bare(obj)) == obj


@settings(max_examples=300)
@given(obj=any_object, data=st.data())
def test_truncated_or_extended_encodings_are_rejected(obj, data):
    encoded = tl.encode(obj)
    cut = data.draw(st.integers(0, len(encoded) - 1))
    with pytest.raises(tl.TLDecodeError):
        tl.decode(encoded[:cut])
    with pytest.raises(tl.TLTrailingDataError):
        tl.decode(encoded + data.draw(st.binary(min_size=1, max_size=8)))


@settings(max_examples=1000)
@given(st.binary(max_size=200))
def test_random_bytes_only_raise_decode_errors(blob):
    for expect in (None, "tcp.Packet", tl.ClientRunQueryEx):
        try:
            tl.decode(blob, expect)
        except tl.TLDecodeError:
            pass


@settings(max_examples=500)
@given(obj=any_object, data=st.data())
def test_mutated_encodings_only_raise_decode_errors(obj, data):
    encoded = bytearray(tl.encode(obj))
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, max(len(encoded) - 1, 0)))
        op = data.draw(st.sampled_from(["flip", "delete", "insert"]))
        if op == "flip" and encoded:
            encoded[pos] ^= data.draw(st.integers(1, 255))
        elif op == "delete" and encoded:
            del encoded[pos]
        else:
            encoded[pos:pos] = data.draw(st.binary(min_size=1, max_size=4))
    try:
        tl.decode(bytes(encoded))
    except tl.TLDecodeError:
        pass


def _u32(v: int) -> bytes:
    return struct.pack("<I", v)


def test_unknown_constructor_names_the_offset():
    with pytest.raises(tl.TLUnknownConstructorError) as e:
        tl.decode(_u32(0xDEADBEEF))
    assert e.value.offset == 0
    assert "deadbeef" in str(e.value)


def test_wrong_constructor_for_the_expected_type():
    data = tl.encode(tl.TcpPing(id=1))
    with pytest.raises(tl.TLWrongConstructorError) as e:
        tl.decode(data, tl.TcpPong)
    assert "tcp.ping" in str(e.value)
    with pytest.raises(tl.TLWrongConstructorError):
        tl.decode(tl.encode(tl.ClientGetWorkerTypes()), "tcp.Packet")


def test_bad_bool_names_type_and_offset():
    data = bytearray(tl.encode(tl.WorkerProxyHandshakeComplete(is_disabled=True)))
    data[4:8] = _u32(0x12345678)
    with pytest.raises(tl.TLBadBoolError) as e:
        tl.decode(bytes(data))
    assert e.value.offset == 4
    assert e.value.type_name == "worker.proxyHandshakeComplete"
    assert "worker.proxyHandshakeComplete" in str(e.value) and "offset 4" in str(e.value)


def test_length_beyond_the_buffer():
    data = _u32(tl.TcpPacket.TL_ID) + bytes([0xFE, 0xFF, 0xFF, 0x00]) + b"x" * 16
    with pytest.raises(tl.TLTruncatedError) as e:
        tl.decode(data)
    assert e.value.offset == 4 and e.value.type_name == "tcp.packet"


def test_the_0xff_length_form_is_refused():
    with pytest.raises(tl.TLBadLengthError):
        tl.decode(_u32(tl.TcpPacket.TL_ID) + b"\xff" + bytes(11))


def test_vector_count_beyond_the_buffer_allocates_nothing():
    data = _u32(tl.ClientWorkerTypesV2.TL_ID) + _u32(0xFFFFFFFF)
    with pytest.raises(tl.TLBadLengthError) as e:
        tl.decode(data)
    assert e.value.offset == 4


def test_flags_with_bit_31_are_refused():
    obj = tl.ClientRunQueryEx(
        model_name="m",
        query=b"",
        max_coefficient=1,
        max_tokens=1,
        timeout=1.0,
        request_id=bytes(32),
        min_config_version=0,
    )
    data = bytearray(tl.encode(obj))
    data[-4:] = _u32(0x80000000)
    with pytest.raises(tl.TLBadFlagsError):
        tl.decode(bytes(data))


def test_flag_bit_announcing_a_missing_field():
    obj = tl.ClientRunQueryEx(
        model_name="m",
        query=b"",
        max_coefficient=1,
        max_tokens=1,
        timeout=1.0,
        request_id=bytes(32),
        min_config_version=0,
    )
    data = bytearray(tl.encode(obj))
    data[-4:] = _u32(1)  # enable_debug announced, not present
    with pytest.raises(tl.TLTruncatedError):
        tl.decode(bytes(data))


def test_strings_with_invalid_utf8_decode_without_failing():
    # The reference sanitises rather than rejects (spec 10 section 2.2).
    data = _u32(tl.TcpQueryError.TL_ID) + bytes(8) + bytes(4) + b"\x02\xff\xfe\x00"
    assert tl.decode(data).message == "\ufffd\ufffd"
