"""Frames: `u32 len | i32 seqno | payload`, spec 10 section 4 (sans-IO)."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cocoon.net.framing import (
    MAX_PAYLOAD,
    FrameDecoder,
    FrameEncodeError,
    FrameEncoder,
    FrameSeqnoError,
    FrameSizeError,
    encode_frame,
    split_frames,
)


def test_encoder_numbers_frames_from_zero():
    enc = FrameEncoder()
    frames = [enc.encode(b"abcd"), enc.encode(b"efgh")]
    assert frames == [
        struct.pack("<Ii", 4, 0) + b"abcd",
        struct.pack("<Ii", 4, 1) + b"efgh",
    ]


@pytest.mark.parametrize("size", [0, 3, MAX_PAYLOAD + 1])
def test_payload_outside_limits_is_not_sent(size):
    with pytest.raises(FrameEncodeError):
        encode_frame(0, b"x" * size)


@settings(max_examples=200)
@given(payloads=st.lists(st.binary(min_size=4, max_size=300), max_size=8), data=st.data())
def test_decoder_reassembles_any_split(payloads, data):
    enc = FrameEncoder()
    stream = b"".join(enc.encode(p) for p in payloads)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=6)))
    dec = FrameDecoder()
    out = []
    last = 0
    for cut in [*cuts, len(stream)]:
        dec.feed(stream[last:cut])
        last = cut
        while (frame := dec.next_frame()) is not None:
            out.append(frame)
    assert out == payloads
    assert dec.buffered == 0


@pytest.mark.parametrize("length", [0, 3, MAX_PAYLOAD + 1, 0xFFFFFFFF])
def test_bad_length_is_a_violation_before_the_payload_arrives(length):
    dec = FrameDecoder()
    dec.feed(struct.pack("<Ii", length, 0))
    with pytest.raises(FrameSizeError):
        dec.next_frame()


def test_max_payload_is_accepted_and_limit_is_configurable():
    dec = FrameDecoder(max_payload=16)
    dec.feed(struct.pack("<Ii", 17, 0))
    with pytest.raises(FrameSizeError):
        dec.next_frame()
    header = struct.pack("<Ii", MAX_PAYLOAD, 0)
    dec = FrameDecoder()
    dec.feed(header)
    assert dec.next_frame() is None  # waits for the payload, does not reject


def test_wrong_seqno_is_a_violation():
    dec = FrameDecoder()
    dec.feed(encode_frame(0, b"aaaa") + encode_frame(2, b"bbbb"))
    assert dec.next_frame() == b"aaaa"
    with pytest.raises(FrameSeqnoError):
        dec.next_frame()


def test_seqno_wraps_as_i32():
    enc = FrameEncoder()
    enc.seqno = 0x7FFFFFFF
    a, b = enc.encode(b"aaaa"), enc.encode(b"bbbb")
    dec = FrameDecoder()
    dec.expected_seqno = 0x7FFFFFFF
    dec.feed(a + b)
    assert [dec.next_frame(), dec.next_frame()] == [b"aaaa", b"bbbb"]


def test_split_frames_returns_the_rest():
    frames, rest = split_frames(encode_frame(0, b"abcd") + b"\x10\x00")
    assert frames == [b"abcd"] and rest == b"\x10\x00"


def test_decoder_memory_is_bounded_by_what_is_unconsumed():
    dec = FrameDecoder()
    enc = FrameEncoder()
    for _ in range(2000):
        dec.feed(enc.encode(b"x" * 100))
        assert dec.next_frame() == b"x" * 100
    assert len(dec._buf) < 200_000
