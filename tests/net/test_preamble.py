"""The router's AttestedPeerInfo preamble: spec 20 section 6.6 vectors."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from cocoon.net.preamble import (
    AttestedPeerInfo,
    PreambleError,
    SgxMeasurements,
    TdxMeasurements,
    decode_preamble_body,
    encode_preamble,
    parse_preamble_length,
)

SEED = bytes(range(32))
PUBLIC = bytes.fromhex("03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8")


def _info(attestation):
    return AttestedPeerInfo(
        attestation=attestation,
        public_key=PUBLIC,
        source_ip="127.0.0.1",
        source_port=40000,
        destination_ip="10.0.0.2",
        destination_port=11001,
    )


def test_vector_key_matches_the_spec():
    key = Ed25519PrivateKey.from_private_bytes(SEED).public_key()
    assert key.public_bytes(Encoding.Raw, PublicFormat.Raw) == PUBLIC


def test_policy_any_vector():
    frame = encode_preamble(_info(None))
    assert len(frame) == 4 + 120
    assert hashlib.sha256(frame).hexdigest() == (
        "212d695be1743d3200f5b42558a028f50f6c96376e3f5f9d2eb0efd4b5ec5e7d"
    )
    assert decode_preamble_body(frame[4:]) == _info(None)


def test_fake_tdx_vector():
    zero = bytes(48)
    att = TdxMeasurements(
        zero, zero, zero, zero, rtmr=(zero,) * 4, report_data=hashlib.sha512(PUBLIC).digest()
    )
    frame = encode_preamble(_info(att))
    assert len(frame) == 4 + 572
    assert frame.startswith(bytes.fromhex("3c020000 01000000 00000000"))
    assert frame.endswith(
        bytes.fromhex(
            "64125531b8000000 093132372e302e302e31 0000 409c0000 0831302e302e302e32000000 f92a0000"
        )
    )
    assert hashlib.sha256(frame).hexdigest() == (
        "ffb851c813afe845bef8969303ba94b17ca280a8ba94d710bb77beaab09015f3"
    )
    assert decode_preamble_body(frame[4:]) == _info(att)


def test_sgx_variant_round_trips():
    info = _info(SgxMeasurements(mr_enclave=b"\x01" * 32, report_data=b"\x02" * 64))
    assert decode_preamble_body(encode_preamble(info)[4:]) == info


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\x02\x00\x00\x00",  # presence flag neither 0 nor 1
        b"\x01\x00\x00\x00\x07\x00\x00\x00",  # unknown variant
        encode_preamble(_info(None))[4:-1],  # truncated
        encode_preamble(_info(None))[4:] + b"\x00",  # trailing byte
    ],
)
def test_malformed_bodies_raise_preamble_errors(body):
    with pytest.raises(PreambleError):
        decode_preamble_body(body)


def test_oversized_length_is_refused_before_reading():
    with pytest.raises(PreambleError):
        parse_preamble_length((16537).to_bytes(4, "little"))
