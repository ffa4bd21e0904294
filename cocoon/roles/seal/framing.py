"""The seal transport's framing (sans-IO): `u32 LE length` then the payload.

This is td's `framed_write`/`framed_read`, not the session framing of `cocoon.net` (no
sequence number). Both directions cap a payload at 16536 bytes; a larger length is fatal at
once, before any of its payload is buffered.
"""

from __future__ import annotations

import struct

from cocoon.roles.seal.errors import SealFrameError

MAX_FRAME_PAYLOAD = 16536  # td's DEFAULT_MAX_FRAMED_MESSAGE_SIZE
HEADER_SIZE = 4
_LENGTH = struct.Struct("<I")


def encode_frame(payload: bytes) -> bytes:
    if len(payload) > MAX_FRAME_PAYLOAD:
        raise SealFrameError(f"frame of {len(payload)} bytes exceeds {MAX_FRAME_PAYLOAD}")
    return _LENGTH.pack(len(payload)) + payload


class FrameDecoder:
    """Feed bytes, take complete payloads out. Holds at most one frame plus the last chunk."""

    __slots__ = ("_buf",)

    def __init__(self) -> None:
        self._buf = bytearray()

    @property
    def buffered(self) -> int:
        return len(self._buf)

    def feed(self, data: bytes) -> None:
        self._buf += data

    def next_frame(self) -> bytes | None:
        """The next complete payload, or None until more bytes arrive."""
        if len(self._buf) < HEADER_SIZE:
            return None
        (n,) = _LENGTH.unpack_from(self._buf, 0)
        if n > MAX_FRAME_PAYLOAD:
            raise SealFrameError(f"frame length {n} exceeds {MAX_FRAME_PAYLOAD}")
        if len(self._buf) < HEADER_SIZE + n:
            return None
        payload = bytes(self._buf[HEADER_SIZE : HEADER_SIZE + n])
        del self._buf[: HEADER_SIZE + n]
        return payload

    def check_eof(self) -> None:
        """At end of stream: raise if a frame was cut short."""
        if self._buf:
            need = HEADER_SIZE
            if len(self._buf) >= HEADER_SIZE:
                need += _LENGTH.unpack_from(self._buf, 0)[0]
            raise SealFrameError(
                f"truncated frame: the peer closed after {len(self._buf)} of {need} bytes"
            )
