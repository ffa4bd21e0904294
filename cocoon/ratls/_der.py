"""The few DER encoders the certificate builder needs (X.690), nothing more.

We write the TBSCertificate ourselves because the reference's certificates are X.509
version 1 carrying extensions, which no high-level builder produces.
"""

from __future__ import annotations

import datetime as dt


def tlv(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        return bytes((tag, n)) + content
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(size))) + size + content


def sequence(*items: bytes) -> bytes:
    return tlv(0x30, b"".join(items))


def integer(value: int) -> bytes:
    if value < 0:
        raise ValueError("only non-negative integers are needed here")
    body = value.to_bytes(value.bit_length() // 8 + 1, "big")  # leading 0x00 keeps it positive
    if len(body) > 1 and body[0] == 0 and body[1] < 0x80:
        body = body[1:]
    return tlv(0x02, body)


def oid(dotted: str) -> bytes:
    parts = [int(p) for p in dotted.split(".")]
    out = bytearray([40 * parts[0] + parts[1]])
    for p in parts[2:]:
        chunk = [p & 0x7F]
        p >>= 7
        while p:
            chunk.append(0x80 | (p & 0x7F))
            p >>= 7
        out += bytes(reversed(chunk))
    return tlv(0x06, bytes(out))


def boolean(value: bool) -> bytes:
    return tlv(0x01, b"\xff" if value else b"\x00")


def octet_string(value: bytes) -> bytes:
    return tlv(0x04, value)


def bit_string(value: bytes, unused_bits: int = 0) -> bytes:
    return tlv(0x03, bytes((unused_bits,)) + value)


def explicit(number: int, content: bytes) -> bytes:
    return tlv(0xA0 | number, content)


def implicit_primitive(number: int, content: bytes) -> bytes:
    return tlv(0x80 | number, content)


def time(value: dt.datetime) -> bytes:
    """UTCTime before 2050, GeneralizedTime from then on (RFC 5280 4.1.2.5)."""
    value = value.astimezone(dt.UTC)
    if value.year < 2050:
        return tlv(0x17, value.strftime("%y%m%d%H%M%SZ").encode())
    return tlv(0x18, value.strftime("%Y%m%d%H%M%SZ").encode())
