"""Decode a captured one-direction byte stream of a COCOON connection (sans-IO).

A plain (post-TLS) stream is, in order: an optional SOCKS5 exchange with the local router, an
optional router preamble (`AttestedPeerInfo`), then frames each holding one boxed `tcp.Packet`.
`decode_capture` splits it and decodes every layer, the TL objects carried inside bytes fields
included (spec 10 section 7.1): application objects in `tcp.packet`/`tcp.query`/`tcp.queryAnswer`,
the `http.request` in a request's `query`, the `http.response` in a first answer's `answer`.
Used by `cocoon wire decode` and by the tests that replay the reference's captures.
"""

from __future__ import annotations

import struct

import attrs

from cocoon import tl
from cocoon.errors import DecodeError
from cocoon.net import socks5
from cocoon.net.framing import FrameDecoder, FrameError
from cocoon.net.preamble import MAX_PREAMBLE, AttestedPeerInfo, PreambleError, decode_preamble_body

# Bytes fields that carry one boxed TL object: class -> (field, the type it must decode as).
# `None` means "any constructor" (the caller knows the type only from context).
CARRIED: dict[type[tl.TLObject], tuple[str, type[tl.TLObject] | None]] = {
    tl.TcpPacket: ("data", None),
    tl.TcpQuery: ("data", None),
    tl.TcpQueryAnswer: ("data", None),
    tl.ClientRunQuery: ("query", tl.HttpRequest),
    tl.ClientRunQueryEx: ("query", tl.HttpRequest),
    tl.ProxyRunQuery: ("query", tl.HttpRequest),
    tl.ProxyRunQueryEx: ("query", tl.HttpRequest),
    tl.ClientQueryAnswer: ("answer", tl.HttpResponse),
    tl.ClientQueryAnswerEx: ("answer", tl.HttpResponse),
    tl.ProxyQueryAnswer: ("answer", tl.HttpResponse),
    tl.ProxyQueryAnswerEx: ("answer", tl.HttpResponse),
}


class CaptureError(DecodeError):
    """A captured stream that does not decode completely."""


@attrs.frozen
class Carried:
    """A TL object found inside a bytes field, and the objects inside it in turn."""

    field: str
    raw: bytes
    obj: tl.TLObject
    inner: tuple[Carried, ...] = ()


@attrs.frozen
class CapturedFrame:
    seqno: int
    payload: bytes
    packet: tl.TLObject
    inner: tuple[Carried, ...] = ()


@attrs.frozen
class Capture:
    socks: tuple[object, ...]
    preamble: AttestedPeerInfo | None
    frames: tuple[CapturedFrame, ...]


def decode_carried(obj: tl.TLObject) -> tuple[Carried, ...]:
    """The TL objects carried in `obj`'s bytes fields, recursively. Raises `TLDecodeError`."""
    spec = CARRIED.get(type(obj))
    if spec is None:
        return ()
    field, expect = spec
    raw = getattr(obj, field)
    inner = tl.decode(raw, expect)
    return (Carried(field, raw, inner, decode_carried(inner)),)


def _split_socks(data: bytes) -> tuple[tuple[object, ...], int]:
    """A SOCKS5 prefix (client side: greeting [+ auth] + CONNECT; router side: choice + reply)."""
    if len(data) < 2 or data[0] != socks5.VERSION:
        return (), 0
    parsed: list[object] = []
    pos = 0
    if data[1] in (socks5.METHOD_NO_AUTH, socks5.METHOD_USERNAME) and data[2:3] == b"\x05":
        # Router side: method choice, optional auth status, then the CONNECT reply.
        choice = socks5.parse_method_choice(data)
        assert choice is not None
        method, pos = choice
        parsed.append(("method", method))
        if method == socks5.METHOD_USERNAME:
            status = socks5.parse_auth_status(data[pos:])
            if status is None:
                raise CaptureError("truncated SOCKS5 auth status")
            parsed.append(("auth_ok", status[0]))
            pos += status[1]
        reply = socks5.parse_reply(data[pos:])
        if reply is None:
            raise CaptureError("truncated SOCKS5 reply")
        parsed.append(reply[0])
        return tuple(parsed), pos + reply[1]
    greeting = socks5.parse_greeting(data)
    if greeting is None:
        raise CaptureError("truncated SOCKS5 greeting")
    parsed.append(greeting[0])
    pos = greeting[1]
    if data[pos : pos + 1] == bytes([socks5.AUTH_VERSION]):
        auth = socks5.parse_userpass(data[pos:])
        if auth is None:
            raise CaptureError("truncated SOCKS5 authentication")
        parsed.append(auth[0])
        pos += auth[1]
    request = socks5.parse_connect(data[pos:])
    if request is None:
        raise CaptureError("truncated SOCKS5 CONNECT request")
    parsed.append(request[0])
    return tuple(parsed), pos + request[1]


def _starts_with_frames(data: bytes) -> bool:
    try:
        decoder = FrameDecoder()
        decoder.feed(data[:64])
        first = decoder.next_frame()
        return first is not None and isinstance(
            tl.decode(first, "tcp.Packet"), tl.TcpConnect | tl.TcpConnected
        )
    except (FrameError, tl.TLDecodeError):
        return False


def _split_preamble(data: bytes) -> tuple[AttestedPeerInfo | None, int]:
    if len(data) < 4 or _starts_with_frames(data):
        return None, 0
    (n,) = struct.unpack_from("<I", data)
    if n > MAX_PREAMBLE or len(data) < 4 + n:
        return None, 0
    try:
        return decode_preamble_body(data[4 : 4 + n]), 4 + n
    except PreambleError:
        return None, 0


def decode_capture(data: bytes) -> Capture:
    """Decode a whole plain stream; every byte must be accounted for."""
    socks, pos = _split_socks(data)
    preamble, used = _split_preamble(data[pos:])
    pos += used
    decoder = FrameDecoder()
    decoder.feed(data[pos:])
    frames: list[CapturedFrame] = []
    try:
        while (payload := decoder.next_frame()) is not None:
            packet = tl.decode(payload, "tcp.Packet")
            frames.append(CapturedFrame(len(frames), payload, packet, decode_carried(packet)))
    except (FrameError, tl.TLDecodeError) as e:
        raise CaptureError(f"frame {len(frames)}: {e}") from e
    if decoder.buffered:
        raise CaptureError(f"{decoder.buffered} bytes after the last complete frame")
    return Capture(socks=socks, preamble=preamble, frames=tuple(frames))


def reencode_mismatches(capture: Capture) -> list[str]:
    """Every place where re-encoding a decoded object does not give back the captured bytes."""
    problems = []

    def check(where: str, obj: tl.TLObject, raw: bytes, inner: tuple[Carried, ...]) -> None:
        if tl.encode(obj) != raw:
            problems.append(f"{where}: {obj.TL_NAME} re-encodes differently")
        for c in inner:
            check(f"{where}.{c.field}", c.obj, c.raw, c.inner)

    for frame in capture.frames:
        check(f"frame {frame.seqno}", frame.packet, frame.payload, frame.inner)
    return problems
