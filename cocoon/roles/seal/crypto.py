"""The seal protocol's cryptography (sans-IO), spec 20 sections 7.3 and 7.4.

* P-256 public keys travel as 64 bytes: X then Y, each 32 bytes **little-endian** (the SGX
  SDK's `sgx_ec256_public_t`).
* The ECDH shared secret is the X coordinate, also little-endian; `k = SHA-256(shared)`,
  AES-128-CTR with key `k[0:16]` and initial counter block `k[16:32]`.
* `encrypted_secret = enclave public key (64) || AES-128-CTR(persistent key) (32)`.
* Report data: the guest's TDREPORT carries `SHA-256(public key) || 0^32`; the enclave's SGX
  report carries `SHA-256(public key) || SHA-256(encrypted_secret)`.
* persistent key = `SHA-256(sealing key (16) || TEE_INFO_HASH (48) || TEE_TCB_INFO_HASH (48)
  || SHA-256(key name))` — TEE_INFO_HASH first.
"""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from cocoon.roles.seal.errors import SealMessageError, SealRefused

PUBLIC_KEY_SIZE = 64
SECRET_SIZE = 32
ENCRYPTED_SECRET_SIZE = PUBLIC_KEY_SIZE + SECRET_SIZE
SEALING_KEY_SIZE = 16
MAX_KEY_NAME_SIZE = 256  # the enclave accepts names of 1..256 bytes
_CURVE = ec.SECP256R1()


def generate_private_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(_CURVE)


def private_key_from_scalar(scalar: int) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(scalar, _CURVE)


def encode_public_key(key: ec.EllipticCurvePublicKey) -> bytes:
    """64 bytes: X || Y, each coordinate little-endian."""
    n = key.public_numbers()
    return n.x.to_bytes(32, "little") + n.y.to_bytes(32, "little")


def decode_public_key(data: bytes) -> ec.EllipticCurvePublicKey:
    """The inverse of `encode_public_key`; refuses a point that is not on P-256."""
    if len(data) != PUBLIC_KEY_SIZE:
        raise SealMessageError(f"public key must be {PUBLIC_KEY_SIZE} bytes, got {len(data)}")
    x = int.from_bytes(data[:32], "little")
    y = int.from_bytes(data[32:], "little")
    try:
        return ec.EllipticCurvePublicNumbers(x, y, _CURVE).public_key()
    except ValueError as e:
        raise SealRefused(f"public key is not a P-256 point: {e}") from e


def shared_secret(private: ec.EllipticCurvePrivateKey, peer: ec.EllipticCurvePublicKey) -> bytes:
    """ECDH X coordinate, byte-reversed to little-endian (what the enclave hashes)."""
    return private.exchange(ec.ECDH(), peer)[::-1]


def cipher_key_iv(shared_le: bytes) -> tuple[bytes, bytes]:
    k = hashlib.sha256(shared_le).digest()
    return k[:16], k[16:]


def aes_ctr(key: bytes, iv: bytes, data: bytes) -> bytes:
    """AES-128-CTR with a full 16-byte initial counter block (encrypt == decrypt)."""
    ctx = Cipher(algorithms.AES(key), modes.CTR(iv)).encryptor()
    return ctx.update(data) + ctx.finalize()


def encrypt_secret(
    enclave_key: ec.EllipticCurvePrivateKey, client_public_key: bytes, secret: bytes
) -> bytes:
    """What the enclave sends: its public key, then the secret under the ECDH-derived key."""
    if len(secret) != SECRET_SIZE:
        raise ValueError(f"secret must be {SECRET_SIZE} bytes")
    shared = shared_secret(enclave_key, decode_public_key(client_public_key))
    ciphertext = aes_ctr(*cipher_key_iv(shared), secret)
    return encode_public_key(enclave_key.public_key()) + ciphertext


def decrypt_secret(client_key: ec.EllipticCurvePrivateKey, encrypted_secret: bytes) -> bytes:
    if len(encrypted_secret) != ENCRYPTED_SECRET_SIZE:
        raise SealMessageError(
            f"encrypted secret must be {ENCRYPTED_SECRET_SIZE} bytes, got {len(encrypted_secret)}"
        )
    enclave_public = decode_public_key(encrypted_secret[:PUBLIC_KEY_SIZE])
    shared = shared_secret(client_key, enclave_public)
    return aes_ctr(*cipher_key_iv(shared), encrypted_secret[PUBLIC_KEY_SIZE:])


def tdx_report_data(public_key: bytes) -> bytes:
    """The guest's TDREPORT REPORTDATA: binds the report to its ephemeral key."""
    return hashlib.sha256(public_key).digest() + bytes(32)


def sgx_report_data(public_key: bytes, encrypted_secret: bytes) -> bytes:
    """The enclave's SGX REPORTDATA: binds the answer to the request's key and to its bytes."""
    return hashlib.sha256(public_key).digest() + hashlib.sha256(encrypted_secret).digest()


def derive_persistent_key(
    sealing_key: bytes, tee_info_hash: bytes, tee_tcb_info_hash: bytes, key_name: bytes
) -> bytes:
    """The enclave's key formula (spec 20 section 7.4)."""
    if len(sealing_key) != SEALING_KEY_SIZE:
        raise ValueError(f"sealing key must be {SEALING_KEY_SIZE} bytes")
    if len(tee_info_hash) != 48 or len(tee_tcb_info_hash) != 48:
        raise ValueError("TEE_INFO_HASH and TEE_TCB_INFO_HASH must be 48 bytes each")
    check_key_name(key_name)
    h = hashlib.sha256(sealing_key)
    h.update(tee_info_hash)
    h.update(tee_tcb_info_hash)
    h.update(hashlib.sha256(key_name).digest())
    return h.digest()


def check_key_name(key_name: bytes) -> None:
    if not 1 <= len(key_name) <= MAX_KEY_NAME_SIZE:
        raise SealRefused(f"key name must be 1..{MAX_KEY_NAME_SIZE} bytes, got {len(key_name)}")
