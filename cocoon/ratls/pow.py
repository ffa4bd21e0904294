"""The pre-TLS proof of work (sans-IO), spec 20 section 6.3 / spec 10 section 1.3.

The accepting side sends a 24-byte challenge, the dialer answers with 12 bytes:

    challenge: u32 0x418e1291 | i32 difficulty_bits | 16-byte salt       (little-endian)
    answer:    u32 0x01827319 | i64 nonce

The answer is valid iff the first 8 bytes of SHA-256(salt || nonce as 8 LE bytes), read as a
little-endian u64, have at least `difficulty_bits` leading zero bits (so hash bytes 7, 6, ...
must be zero). Solvers try nonces 0, 1, 2, ... like the reference.
"""

from __future__ import annotations

import hashlib
import secrets
import struct

import attrs

from cocoon.errors import ProtocolError

CHALLENGE_MAGIC = 0x418E1291
ANSWER_MAGIC = 0x01827319
CHALLENGE_SIZE = 24
ANSWER_SIZE = 12
DEFAULT_DIFFICULTY = 20  # what every reference server asks (its routers' default)
# What a dialer solves at most. The reference's dialers accept up to 28, but no reference
# server asks more than 20, and 28 bits cost a Python dialer a whole core for ~20 s per
# attempt: a hostile server's way to burn our CPU. Raise it (config / router -m) only to
# reach a server configured harder than the reference's default.
DEFAULT_MAX_DIFFICULTY = DEFAULT_DIFFICULTY
_CHALLENGE = struct.Struct("<Ii16s")
_ANSWER = struct.Struct("<Iq")


class PowError(ProtocolError):
    """A malformed, wrong or too hard proof of work."""


@attrs.frozen
class Challenge:
    difficulty: int
    salt: bytes = attrs.field(validator=lambda _i, _a, v: _check_salt(v))

    @classmethod
    def new(cls, difficulty: int = DEFAULT_DIFFICULTY) -> Challenge:
        if not 0 <= difficulty <= 64:
            raise ValueError(f"PoW difficulty must be 0..64, got {difficulty}")
        return cls(difficulty, secrets.token_bytes(16))

    def encode(self) -> bytes:
        return _CHALLENGE.pack(CHALLENGE_MAGIC, self.difficulty, self.salt)

    @classmethod
    def decode(cls, data: bytes) -> Challenge:
        if len(data) != CHALLENGE_SIZE:
            raise PowError(f"PoW challenge must be 24 bytes, got {len(data)}")
        magic, difficulty, salt = _CHALLENGE.unpack(data)
        if magic != CHALLENGE_MAGIC:
            raise PowError(f"not a PoW challenge (magic {magic:#010x})")
        return cls(difficulty, salt)

    def check(self, nonce: int) -> bool:
        return leading_zero_bits(self.salt, nonce) >= self.difficulty

    def verify_answer(self, data: bytes) -> int:
        """The nonce of a valid 12-byte answer, else PowError."""
        nonce = decode_answer(data)
        if not self.check(nonce):
            raise PowError("PoW verification failed")
        return nonce


def _check_salt(value: bytes) -> None:
    if not isinstance(value, bytes) or len(value) != 16:
        raise ValueError("PoW salt must be 16 bytes")


def leading_zero_bits(salt: bytes, nonce: int) -> int:
    digest = hashlib.sha256(salt + struct.pack("<q", nonce)).digest()
    v = int.from_bytes(digest[:8], "little")
    return 64 - v.bit_length()


def encode_answer(nonce: int) -> bytes:
    return _ANSWER.pack(ANSWER_MAGIC, nonce)


def decode_answer(data: bytes) -> int:
    if len(data) != ANSWER_SIZE:
        raise PowError(f"PoW answer must be 12 bytes, got {len(data)}")
    magic, nonce = _ANSWER.unpack(data)
    if magic != ANSWER_MAGIC:
        raise PowError(f"not a PoW answer (magic {magic:#010x})")
    return nonce


def check_difficulty(challenge: Challenge, max_difficulty: int) -> None:
    """The dialer's guard: refuse work above its limit (the reference closes)."""
    if challenge.difficulty > max_difficulty:
        raise PowError(
            f"PoW difficulty {challenge.difficulty} exceeds our limit of {max_difficulty}"
        )


def solve(challenge: Challenge, *, start: int = 0, limit: int | None = None) -> int | None:
    """The first nonce >= start that satisfies the challenge, trying at most `limit` nonces
    (None: no limit). Pure CPU: run it in a worker thread."""
    if challenge.difficulty <= 0:
        return start
    base = hashlib.sha256(challenge.salt)
    # The first 8 digest bytes as LE u64 must be below this bound.
    bound = 1 << (64 - challenge.difficulty) if challenge.difficulty < 64 else 1
    pack = struct.Struct("<q").pack
    end = start + limit if limit is not None else 1 << 63
    for nonce in range(start, end):
        h = base.copy()
        h.update(pack(nonce))
        if int.from_bytes(h.digest()[:8], "little") < bound:
            return nonce
    return None
