"""The router's `AttestedPeerInfo` preamble (sans-IO codec), spec 10 section 3.

A local router that terminated RA-TLS writes one preamble toward the inner runner before
relaying bytes: `u32 LE length N`, then N bytes of a TON `td::serialize` value:

    i32 has_attestation (0/1)
    if 1: i32 variant (0 = TDX, 1 = SGX), then
          TDX: mr_td, mr_config_id, mr_owner, mr_owner_config, rtmr0..3 (8 x 48 raw bytes),
               report_data (64)
          SGX: mr_enclave (32), report_data (64)
    collateral_root_hash (48 raw bytes, always present; zeros without attestation)
    user claims: TL bytes holding the peer's 32-byte Ed25519 public key
    source_ip (TL string), source_port (i32), destination_ip (TL string), destination_port (i32)

The captured reference session (policy `any`) carries a 120-byte preamble of this shape.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

import attrs

from cocoon.errors import DecodeError
from cocoon.tl.codec import Reader, Writer
from cocoon.tl.errors import TLDecodeError, TLEncodeError

MAX_PREAMBLE = 16536  # the reference FramedPipe's limit
TDX_VARIANT = 0
SGX_VARIANT = 1


class PreambleError(DecodeError):
    """The router preamble is missing, oversized or malformed."""


def _sized(n: int) -> Callable[[object, attrs.Attribute, bytes], None]:
    def check(instance: object, attribute: attrs.Attribute, value: bytes) -> None:
        if not isinstance(value, bytes) or len(value) != n:
            raise ValueError(f"{attribute.name} must be {n} bytes")

    return check


@attrs.frozen
class TdxMeasurements:
    """The TDX measurement registers and report data of the peer's quote."""

    mr_td: bytes = attrs.field(validator=_sized(48))
    mr_config_id: bytes = attrs.field(validator=_sized(48))
    mr_owner: bytes = attrs.field(validator=_sized(48))
    mr_owner_config: bytes = attrs.field(validator=_sized(48))
    rtmr: tuple[bytes, bytes, bytes, bytes] = attrs.field(converter=tuple)
    report_data: bytes = attrs.field(validator=_sized(64))

    @rtmr.validator
    def _check_rtmr(self, attribute: attrs.Attribute, value: tuple[bytes, ...]) -> None:
        if len(value) != 4 or any(not isinstance(r, bytes) or len(r) != 48 for r in value):
            raise ValueError("rtmr must be four 48-byte registers")


@attrs.frozen
class SgxMeasurements:
    mr_enclave: bytes = attrs.field(validator=_sized(32))
    report_data: bytes = attrs.field(validator=_sized(64))


@attrs.frozen
class AttestedPeerInfo:
    """What the router learned about the remote peer from its RA-TLS handshake."""

    attestation: TdxMeasurements | SgxMeasurements | None
    public_key: bytes  # the peer's Ed25519 key (the certificate's user claims)
    source_ip: str
    source_port: int
    destination_ip: str
    destination_port: int
    collateral_root_hash: bytes = attrs.field(default=bytes(48), validator=_sized(48))


def encode_preamble_body(info: AttestedPeerInfo) -> bytes:
    w = Writer()
    try:
        att = info.attestation
        if att is None:
            w.int(0)
        elif isinstance(att, TdxMeasurements):
            w.int(1)
            w.int(TDX_VARIANT)
            for reg in (att.mr_td, att.mr_config_id, att.mr_owner, att.mr_owner_config, *att.rtmr):
                w.raw(reg, 48)
            w.raw(att.report_data, 64)
        else:
            w.int(1)
            w.int(SGX_VARIANT)
            w.raw(att.mr_enclave, 32)
            w.raw(att.report_data, 64)
        w.raw(info.collateral_root_hash, 48)
        w.bytes(info.public_key)
        w.string(info.source_ip)
        w.int(info.source_port)
        w.string(info.destination_ip)
        w.int(info.destination_port)
    except TLEncodeError as e:
        raise PreambleError(f"cannot encode the preamble: {e}") from e
    return w.getvalue()


def encode_preamble(info: AttestedPeerInfo) -> bytes:
    """The preamble as written on the wire, length prefix included."""
    body = encode_preamble_body(info)
    if len(body) > MAX_PREAMBLE:
        raise PreambleError(f"preamble of {len(body)} bytes exceeds {MAX_PREAMBLE}")
    return struct.pack("<I", len(body)) + body


def decode_preamble_body(body: bytes) -> AttestedPeerInfo:
    r = Reader(body)
    try:
        has = r.int()
        attestation: TdxMeasurements | SgxMeasurements | None
        if has == 0:
            attestation = None
        elif has == 1:
            variant = r.int()
            if variant == TDX_VARIANT:
                regs = [r.raw(48) for _ in range(8)]
                attestation = TdxMeasurements(
                    *regs[:4], rtmr=tuple(regs[4:]), report_data=r.raw(64)
                )
            elif variant == SGX_VARIANT:
                attestation = SgxMeasurements(mr_enclave=r.raw(32), report_data=r.raw(64))
            else:
                raise PreambleError(f"unknown attestation variant {variant}")
        else:
            raise PreambleError(f"bad attestation presence flag {has}")
        collateral = r.raw(48)
        info = AttestedPeerInfo(
            attestation=attestation,
            collateral_root_hash=collateral,
            public_key=r.bytes(),
            source_ip=r.string(),
            source_port=r.int(),
            destination_ip=r.string(),
            destination_port=r.int(),
        )
        r.finish()
    except TLDecodeError as e:
        raise PreambleError(f"malformed preamble: {e}") from e
    return info


def parse_preamble_length(header: bytes) -> int:
    """The body length from the 4-byte prefix, checked against the limit."""
    (n,) = struct.unpack("<I", header)
    if n > MAX_PREAMBLE:
        raise PreambleError(f"preamble length {n} exceeds {MAX_PREAMBLE}")
    return n
