"""Proof of work: byte-exact vectors, the captured reference exchange, and bad answers."""

from __future__ import annotations

import pytest

from cocoon.ratls import pow as p

SALT = bytes(range(1, 17))


def test_spec_vectors():
    assert (
        p.Challenge(20, SALT).encode().hex() == "91128e41140000000102030405060708090a0b0c0d0e0f10"
    )
    assert p.solve(p.Challenge(12, SALT)) == 1480
    assert p.leading_zero_bits(SALT, 1480) == 14
    nonce = p.solve(p.Challenge(20, SALT), start=64000)
    assert nonce == 64547
    assert p.encode_answer(nonce).hex() == "1973820123fc000000000000"
    assert p.Challenge(20, SALT).verify_answer(bytes.fromhex("1973820123fc000000000000")) == 64547


def test_captured_reference_exchange(shared_data):
    wire = shared_data / "ref-wire"
    server = (wire / "router-11002_to_router-dialer_pow-tls.bin").read_bytes()
    client = (wire / "router-dialer_to_router-11002_pow-tls.bin").read_bytes()
    challenge = p.Challenge.decode(server[: p.CHALLENGE_SIZE])
    assert challenge.difficulty == 20
    nonce = challenge.verify_answer(client[: p.ANSWER_SIZE])
    # the reference's solver counts from 0, so its nonce is the first valid one
    assert p.solve(challenge, start=nonce - 3000) == nonce
    # TLS 1.3 follows directly (handshake records), nothing in between
    assert server[24:27] == b"\x16\x03\x03" and client[12:15] == b"\x16\x03\x01"
    with pytest.raises(p.PowError, match="verification failed"):
        challenge.verify_answer(p.encode_answer(nonce - 1))


def test_wrong_answers():
    challenge = p.Challenge(16, SALT)
    good = p.solve(challenge)
    bad = next(n for n in range(good + 1, good + 100000) if not challenge.check(n))
    with pytest.raises(p.PowError, match="verification failed"):
        challenge.verify_answer(p.encode_answer(bad))
    with pytest.raises(p.PowError, match="magic"):
        challenge.verify_answer(b"\x00" * 12)
    with pytest.raises(p.PowError, match="12 bytes"):
        challenge.verify_answer(p.encode_answer(good)[:11])
    with pytest.raises(p.PowError, match="magic"):
        p.Challenge.decode(b"\x16\x03\x01" + bytes(21))


def test_difficulty_limits():
    with pytest.raises(p.PowError, match="exceeds our limit of 28"):
        p.check_difficulty(p.Challenge(29, SALT), 28)
    p.check_difficulty(p.Challenge(28, SALT), 28)
    with pytest.raises(ValueError, match=r"0\.\.64"):
        p.Challenge.new(65)
    zero = p.Challenge.new(0)
    assert p.solve(zero) == 0 and zero.check(12345)
    assert p.solve(p.Challenge(64, SALT), limit=1000) is None
