"""Spec 20 section 7.6 test vector and the wire encodings of sections 7.1-7.2, byte for byte."""

from __future__ import annotations

import hashlib

from cocoon.roles.seal import crypto
from cocoon.roles.seal.enclave import SoftwareEnclave
from cocoon.roles.seal.framing import FrameDecoder, encode_frame
from cocoon.roles.seal.guest import FakeTdxGuest
from cocoon.roles.seal.messages import (
    GET_PERSISTENT_KEY_MAGIC,
    PERSISTENT_KEY_MAGIC,
    GetPersistentKey,
    PersistentKey,
)

CLIENT_SCALAR = 0x148FE603F61DC036B5C596DC09FE3CE3F3D30DC90F024C85F3C82DB2CCAB679D
ENCLAVE_SCALAR = 0x1748358C94BED99B4329ED919659957F5B16F748322C120EF7035EA94560EC48
CLIENT_PUB = bytes.fromhex(
    "b06e9b8185e521575b28eb949c21a9f2e6fb78074a5f23ee69a8b4ca886fc337"
    "336b7ab6c5cfd919ad33d00a54718a71ac7a4d92cc753959ff71ac8d8c7b56f4"
)
ENCLAVE_PUB = bytes.fromhex(
    "3b9e07138b9a23331ece813ee50f2a9594347763b232924917e18ef3982da448"
    "90d0317533617544190843356c3dd2979f39fae614fc65283ffdd818eccaec6f"
)
ECDH_X_BE = bytes.fromhex("636f648a6a18a15d8bba367ea44b4ee2b194e0610021fc38aa3d7c0b87a992d7")
K = bytes.fromhex("8ba82afe8127938cef3a4c6161cd3c8c9296576715e8867071b7b55040d9f9ae")
PLAINTEXT = bytes(range(32))
CIPHERTEXT = bytes.fromhex("c557e55b5ec8248efea35c841f5b6d5896613e3e5a8c5ac1a19512b7ab5e99d1")
PUB_HASH = bytes.fromhex("08575f0295ecb029b27a4d3749fd3661006b6f20557783a28d9c5f8381554273")
SECRET_HASH = bytes.fromhex("52b5d1b8279d7eeb0aeee411b30f8766788140abcd70252e4f82887ea1695327")
DERIVED = bytes.fromhex("da64e6ac452569b2248542adf5c6deb0fc318cbb99321c0c57c549a9ac662dc8")


def test_public_key_encoding_is_little_endian_x_then_y():
    client = crypto.private_key_from_scalar(CLIENT_SCALAR)
    enclave = crypto.private_key_from_scalar(ENCLAVE_SCALAR)
    assert crypto.encode_public_key(client.public_key()) == CLIENT_PUB
    assert crypto.encode_public_key(enclave.public_key()) == ENCLAVE_PUB
    n = client.public_key().public_numbers()
    assert CLIENT_PUB[:32] == n.x.to_bytes(32, "big")[::-1]
    assert crypto.decode_public_key(CLIENT_PUB).public_numbers() == n


def test_ecdh_key_iv_and_ciphertext():
    client = crypto.private_key_from_scalar(CLIENT_SCALAR)
    enclave = crypto.private_key_from_scalar(ENCLAVE_SCALAR)
    shared = crypto.shared_secret(enclave, crypto.decode_public_key(CLIENT_PUB))
    assert shared == ECDH_X_BE[::-1]
    assert crypto.shared_secret(client, crypto.decode_public_key(ENCLAVE_PUB)) == shared
    assert crypto.cipher_key_iv(shared) == (K[:16], K[16:])
    assert crypto.aes_ctr(K[:16], K[16:], PLAINTEXT) == CIPHERTEXT
    encrypted = crypto.encrypt_secret(enclave, CLIENT_PUB, PLAINTEXT)
    assert encrypted == ENCLAVE_PUB + CIPHERTEXT
    assert crypto.decrypt_secret(client, encrypted) == PLAINTEXT


def test_report_data_bindings():
    encrypted = ENCLAVE_PUB + CIPHERTEXT
    assert crypto.tdx_report_data(CLIENT_PUB) == PUB_HASH + bytes(32)
    assert crypto.sgx_report_data(CLIENT_PUB, encrypted) == PUB_HASH + SECRET_HASH


def test_key_derivation_formula():
    derived = crypto.derive_persistent_key(bytes(16), b"\1" * 48, b"\2" * 48, b"disk_encryption")
    assert derived == DERIVED
    # TEE_INFO_HASH comes before TEE_TCB_INFO_HASH; swapping them changes the key.
    assert crypto.derive_persistent_key(bytes(16), b"\2" * 48, b"\1" * 48, b"disk_encryption") != (
        DERIVED
    )


def test_enclave_with_the_vector_keys_reproduces_every_value():
    enclave = SoftwareEnclave(sealing_key=bytes(16))
    report = FakeTdxGuest().make_report(crypto.tdx_report_data(CLIENT_PUB))
    encrypted, report_data = enclave.gen_key(
        report,
        CLIENT_PUB,
        b"disk_encryption",
        ephemeral_key=crypto.private_key_from_scalar(ENCLAVE_SCALAR),
    )
    assert encrypted[:64] == ENCLAVE_PUB
    assert report_data[:32] == PUB_HASH
    assert report_data[32:] == hashlib.sha256(encrypted).digest()
    expected = crypto.derive_persistent_key(
        bytes(16), report[80:128], report[32:80], b"disk_encryption"
    )
    client = crypto.private_key_from_scalar(CLIENT_SCALAR)
    assert crypto.decrypt_secret(client, encrypted) == expected


def test_message_magics_and_layout():
    report = bytes(range(256)) * 4
    request = GetPersistentKey(report, CLIENT_PUB, b"disk_encryption")
    raw = request.to_bytes()
    assert GET_PERSISTENT_KEY_MAGIC == 0x317A821C and PERSISTENT_KEY_MAGIC == 0x163A179A
    assert raw[:4] == bytes.fromhex("1c827a31")
    assert raw[4:8] == bytes.fromhex("fe000400") and raw[8:1032] == report
    assert raw[1032] == 0x40 and raw[1033:1097] == CLIENT_PUB and raw[1097:1100] == bytes(3)
    assert raw[1100] == 15 and raw[1101:1116] == b"disk_encryption" and len(raw) == 1116
    assert GetPersistentKey.from_bytes(raw) == request

    answer = PersistentKey(b"q" * 436, ENCLAVE_PUB + CIPHERTEXT)
    raw = answer.to_bytes()
    assert raw[:4] == bytes.fromhex("9a173a16")
    assert raw[4:8] == bytes.fromhex("feb40100") and raw[8:444] == b"q" * 436
    assert raw[444] == 0x60 and raw[445:541] == ENCLAVE_PUB + CIPHERTEXT
    assert raw[541:] == bytes(3)
    assert PersistentKey.from_bytes(raw) == answer


def test_frames_are_length_prefixed_little_endian():
    assert encode_frame(b"abcd") == b"\x04\0\0\0abcd"
    decoder = FrameDecoder()
    decoder.feed(encode_frame(b"x" * 16536) + encode_frame(b""))
    assert decoder.next_frame() == b"x" * 16536
    assert decoder.next_frame() == b""
    assert decoder.next_frame() is None
