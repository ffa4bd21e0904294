"""Frames (sans-IO): `u32 len | i32 seqno | payload`, little-endian, per-direction seqno from 0.

4 <= len <= 2^24. A frame outside those bounds or with an unexpected seqno is a protocol
violation that ends the connection; the decoder raises, the session closes. A receiver may set
a lower bound than 2^24 (`FrameDecoder.max_payload`): the proxy does until a peer has
authorized, since no message before that comes near 1 KiB.
"""

from __future__ import annotations

import struct

from cocoon.errors import EncodeError, ProtocolError

HEADER_SIZE = 8
MIN_PAYLOAD = 4
MAX_PAYLOAD = 1 << 24
# Until a peer has authorized: its largest message (`worker.connectToProxy`) is ~200 bytes.
PREAUTH_MAX_PAYLOAD = 1 << 16
_HEADER = struct.Struct("<Ii")


class FrameError(ProtocolError):
    """The peer sent bytes that are not a valid frame sequence."""


class FrameSizeError(FrameError):
    pass


class FrameSeqnoError(FrameError):
    pass


class FrameEncodeError(EncodeError):
    """A payload we were asked to send does not fit in one frame."""


def _next_seqno(seqno: int) -> int:
    return seqno + 1 if seqno < 0x7FFFFFFF else -0x80000000  # i32 wraps


def encode_frame(seqno: int, payload: bytes) -> bytes:
    n = len(payload)
    if not MIN_PAYLOAD <= n <= MAX_PAYLOAD:
        raise FrameEncodeError(f"a {n}-byte payload does not fit in one frame")
    return _HEADER.pack(n, seqno) + payload


class FrameEncoder:
    """Numbers outgoing frames. Not thread-safe: one writer owns it."""

    __slots__ = ("seqno",)

    def __init__(self) -> None:
        self.seqno = 0

    def encode(self, payload: bytes) -> bytes:
        frame = encode_frame(self.seqno, payload)
        self.seqno = _next_seqno(self.seqno)
        return frame


class FrameDecoder:
    """Feed received bytes, take complete frame payloads out, in order.

    Memory stays bounded by one partial frame (what has arrived of it, never its declared
    length: a peer that announces 16 MiB and sends 10 bytes holds 10 bytes) plus the last
    chunk fed, as the caller takes frames out before feeding more. Once a frame is taken out,
    the space it used is given back at once, not kept for the next one: a connection that
    carried one large request and then idles does not hold that request's memory.
    """

    __slots__ = ("_buf", "_pos", "expected_seqno", "max_payload")

    def __init__(self, max_payload: int = MAX_PAYLOAD) -> None:
        self._buf = bytearray()
        self._pos = 0
        self.expected_seqno = 0
        self.max_payload = max_payload

    @property
    def buffered(self) -> int:
        return len(self._buf) - self._pos

    @property
    def allocated(self) -> int:
        """Bytes the buffer holds on to (its capacity, not only what is in it)."""
        return self._buf.__alloc__()

    def feed(self, data: bytes) -> None:
        self._buf += data

    def next_frame(self) -> bytes | None:
        """The next complete payload, or None until more bytes arrive."""
        buf, pos = self._buf, self._pos
        if len(buf) - pos < HEADER_SIZE:
            return None
        n, seqno = _HEADER.unpack_from(buf, pos)
        if not MIN_PAYLOAD <= n <= self.max_payload:
            raise FrameSizeError(f"frame length {n} outside {MIN_PAYLOAD}..{self.max_payload}")
        if seqno != self.expected_seqno:
            raise FrameSeqnoError(f"frame seqno {seqno}, expected {self.expected_seqno}")
        end = pos + HEADER_SIZE + n
        if len(buf) < end:
            return None
        with memoryview(buf) as view:
            payload = bytes(view[pos + HEADER_SIZE : end])  # one copy, not a slice then a copy
        self.expected_seqno = _next_seqno(seqno)
        # Consumed bytes go as soon as they add up; a new buffer, since `del buf[:end]` keeps
        # the old allocation (it only moves the start).
        if end == len(buf):
            self._buf = bytearray()
            self._pos = 0
        elif end > _COMPACT_AFTER:
            self._buf = buf[end:]
            self._pos = 0
        else:
            self._pos = end
        return payload


_COMPACT_AFTER = 65536


def split_frames(data: bytes, max_payload: int = MAX_PAYLOAD) -> tuple[list[bytes], bytes]:
    """All complete frames of a byte string and the unparsed rest (for tools and tests)."""
    decoder = FrameDecoder(max_payload)
    decoder.feed(data)
    frames = []
    while (frame := decoder.next_frame()) is not None:
        frames.append(frame)
    return frames, bytes(decoder._buf[decoder._pos :])
