"""The two seal TL messages (sans-IO), exactly as the reference's `common.h` writes them:

    getPersistentKey#317a821c tdx_report:bytes public_key:bytes key_name:string = PersistentKey;
    persistentKey#163a179a sgx_quote:bytes encrypted_secret:bytes = PersistentKey;

The magics are the reference's fixed constants (not CRC-32s of these lines), written as u32
LE. `key_name` is raw bytes on the wire (a `string` encodes identically). Decoding is strict
like td's `unserialize`: the right magic, and no bytes after the last field.
"""

from __future__ import annotations

import attrs

from cocoon.roles.seal.errors import SealMessageError
from cocoon.tl.codec import Reader, Writer
from cocoon.tl.errors import TLDecodeError

GET_PERSISTENT_KEY_MAGIC = 0x317A821C
PERSISTENT_KEY_MAGIC = 0x163A179A


def _bytes(value: object) -> bytes:
    if not isinstance(value, bytes | bytearray | memoryview):
        raise TypeError(f"bytes expected, got {type(value).__name__}")
    return bytes(value)


def _read(payload: bytes, magic: int, name: str, fields: int) -> list[bytes]:
    r = Reader(payload)
    try:
        got = r.uint()
        if got != magic:
            raise SealMessageError(f"{name}: unexpected magic {got:#010x}, want {magic:#010x}")
        values = [r.bytes() for _ in range(fields)]
        r.finish()
    except TLDecodeError as e:
        raise SealMessageError(f"{name}: {e}") from e
    return values


@attrs.frozen
class GetPersistentKey:
    """The guest's request: its TDREPORT, its ephemeral P-256 key (LE X || LE Y), a key name."""

    tdx_report: bytes = attrs.field(converter=_bytes, repr=False)
    public_key: bytes = attrs.field(converter=_bytes)
    key_name: bytes = attrs.field(converter=_bytes)

    def to_bytes(self) -> bytes:
        w = Writer()
        w.uint(GET_PERSISTENT_KEY_MAGIC)
        w.bytes(self.tdx_report)
        w.bytes(self.public_key)
        w.bytes(self.key_name)
        return w.getvalue()

    @classmethod
    def from_bytes(cls, payload: bytes) -> GetPersistentKey:
        return cls(*_read(payload, GET_PERSISTENT_KEY_MAGIC, "getPersistentKey", 3))


@attrs.frozen
class PersistentKey:
    """The enclave's answer: an SGX quote and `enclave public key (64) || ciphertext (32)`."""

    sgx_quote: bytes = attrs.field(converter=_bytes, repr=False)
    encrypted_secret: bytes = attrs.field(converter=_bytes)

    def to_bytes(self) -> bytes:
        w = Writer()
        w.uint(PERSISTENT_KEY_MAGIC)
        w.bytes(self.sgx_quote)
        w.bytes(self.encrypted_secret)
        return w.getvalue()

    @classmethod
    def from_bytes(cls, payload: bytes) -> PersistentKey:
        return cls(*_read(payload, PERSISTENT_KEY_MAGIC, "persistentKey", 2))
