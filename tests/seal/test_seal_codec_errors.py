"""Malformed bytes at the sans-IO layers: frames and TL messages."""

from __future__ import annotations

import struct

import pytest

from cocoon.errors import DecodeError, ProtocolError
from cocoon.roles.seal.errors import SealFrameError, SealMessageError
from cocoon.roles.seal.framing import MAX_FRAME_PAYLOAD, FrameDecoder, encode_frame
from cocoon.roles.seal.messages import GetPersistentKey, PersistentKey


def test_oversized_frame_is_refused_from_its_header_alone():
    decoder = FrameDecoder()
    decoder.feed(struct.pack("<I", MAX_FRAME_PAYLOAD + 1))
    with pytest.raises(SealFrameError, match="16537 exceeds 16536"):
        decoder.next_frame()
    with pytest.raises(SealFrameError, match="exceeds"):
        encode_frame(bytes(MAX_FRAME_PAYLOAD + 1))


@pytest.mark.parametrize("cut", [1, 3, 4, 10])
def test_truncated_frame_is_reported_at_eof(cut):
    decoder = FrameDecoder()
    decoder.feed(encode_frame(b"0123456789")[:cut])
    assert decoder.next_frame() is None
    with pytest.raises(SealFrameError, match="truncated frame"):
        decoder.check_eof()
    assert issubclass(SealFrameError, ProtocolError)


def test_clean_eof_between_frames():
    decoder = FrameDecoder()
    decoder.feed(encode_frame(b"abcd"))
    assert decoder.next_frame() == b"abcd"
    decoder.check_eof()


def test_frames_split_anywhere_reassemble():
    data = encode_frame(b"first") + encode_frame(b"second!")
    decoder = FrameDecoder()
    out = []
    for i in range(len(data)):
        decoder.feed(data[i : i + 1])
        while (frame := decoder.next_frame()) is not None:
            out.append(frame)
    assert out == [b"first", b"second!"] and decoder.buffered == 0


def test_messages_refuse_wrong_magic_trailing_and_truncated_bytes():
    request = GetPersistentKey(bytes(1024), bytes(64), b"k").to_bytes()
    answer = PersistentKey(bytes(436), bytes(96)).to_bytes()
    with pytest.raises(SealMessageError, match="unexpected magic"):
        GetPersistentKey.from_bytes(answer)
    with pytest.raises(SealMessageError, match="unexpected magic"):
        PersistentKey.from_bytes(request)
    with pytest.raises(SealMessageError, match="trailing"):
        PersistentKey.from_bytes(answer + bytes(4))
    with pytest.raises(SealMessageError, match="not enough data"):
        PersistentKey.from_bytes(answer[:-8])
    with pytest.raises(SealMessageError):
        GetPersistentKey.from_bytes(b"")
    assert issubclass(SealMessageError, DecodeError)
