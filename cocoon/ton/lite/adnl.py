"""ADNL over TCP, the transport of TON liteservers: the handshake and the packet codec, sans-IO,
for the client and for the server side (`cocoon.ton.lite.connection` runs them over a stream).

The format (TON's `adnl/adnl-ext-connection.cpp`, `adnl-ext-client.cpp`, `adnl-ext-server.cpp`):

- The client picks 160 random bytes, the session parameters. Bytes 0..32 and 64..80 are the
  AES-256-CTR key and counter of the server-to-client stream; 32..64 and 80..96 those of the
  client-to-server stream; the rest is padding.
- Its first 256 bytes, unframed: the server's key id (sha256 of the TL `pub.ed25519` of its
  public key), a fresh ed25519 public key of the client, sha256 of the parameters, then the
  parameters encrypted with AES-CTR under a key and counter made from the x25519 secret of the
  two keys and that hash (TON's ed25519 `Encryptor`: key = secret[0:16] ++ hash[16:32],
  counter = hash[0:4] ++ secret[20:32]). The server checks the key id and the hash.
- From then on each direction is one AES-CTR stream. A packet is a 4-byte little-endian length,
  then that many bytes: a 32-byte random nonce, the payload, sha256(nonce ++ payload). The
  length counts nonce, payload and hash, so it is at least 64 and at most 2^24.
- The server answers the handshake with an empty packet; empty packets are keepalives.
"""

from __future__ import annotations

import hashlib
import os

import attrs
from nacl.exceptions import CryptoError
from nacl.signing import SigningKey, VerifyKey
from pytoniq_core.crypto.ciphers import (
    create_aes_ctr_cipher,
    create_aes_ctr_sipher_from_key_n_data,
    get_shared_key,
)

from cocoon.ton.lite import tl
from cocoon.ton.lite.errors import (
    LiteChecksumError,
    LiteHandshakeError,
    LitePacketSizeError,
    LiteTransportError,
)

HANDSHAKE_SIZE = 256
PARAMS_SIZE = 160
NONCE_SIZE = 32
HASH_SIZE = 32
MIN_PACKET_SIZE = NONCE_SIZE + HASH_SIZE
MAX_PACKET_SIZE = 1 << 24  # TON refuses longer packets, on both sides


def key_id(public_key: bytes) -> bytes:
    """The short id of an ed25519 public key: sha256 of its TL `pub.ed25519` encoding."""
    if len(public_key) != 32:
        raise ValueError("an ed25519 public key is 32 bytes")
    return hashlib.sha256(tl.encode("pub.ed25519", {"key": public_key})).digest()


def public_key_of(private_key: bytes) -> bytes:
    """The ed25519 public key of a 32-byte private key (seed)."""
    return bytes(SigningKey(private_key).verify_key)


def _x25519_secret(private_key: bytes, peer_public_key: bytes) -> bytes:
    """TON's ed25519 ECDH: x25519 between the Montgomery forms of the two ed25519 keys."""
    ours = SigningKey(private_key).to_curve25519_private_key().encode()
    theirs = VerifyKey(peer_public_key).to_curve25519_public_key().encode()
    return get_shared_key(ours, theirs)


class AdnlCodec:
    """One side of an established session (sans-IO): frames payloads, parses what arrives.

    Both directions are single AES-CTR streams, so incoming bytes are decrypted as they come,
    in whatever chunks, and packets are cut from the plaintext.
    """

    def __init__(
        self, params: bytes, *, is_client: bool, max_packet_size: int = MAX_PACKET_SIZE
    ) -> None:
        if len(params) != PARAMS_SIZE:
            raise ValueError(f"session parameters are {PARAMS_SIZE} bytes")
        if not MIN_PACKET_SIZE <= max_packet_size <= MAX_PACKET_SIZE:
            raise ValueError("max_packet_size out of range")
        server_to_client = create_aes_ctr_cipher(params[0:32], params[64:80])
        client_to_server = create_aes_ctr_cipher(params[32:64], params[80:96])
        if is_client:
            self._in, self._out = server_to_client, client_to_server
        else:
            self._in, self._out = client_to_server, server_to_client
        self.max_packet_size = max_packet_size
        self._plain = bytearray()
        self._failed: LiteTransportError | None = None

    def frame(self, payload: bytes, *, nonce: bytes | None = None) -> bytes:
        """The encrypted bytes that carry `payload` as the next packet."""
        size = NONCE_SIZE + len(payload) + HASH_SIZE
        if size > self.max_packet_size:
            raise LitePacketSizeError(
                f"packet of {size} bytes over the {self.max_packet_size} limit"
            )
        nonce = os.urandom(NONCE_SIZE) if nonce is None else nonce
        if len(nonce) != NONCE_SIZE:
            raise ValueError("the nonce is 32 bytes")
        body = nonce + payload
        plain = size.to_bytes(4, "little") + body + hashlib.sha256(body).digest()
        return self._out.encrypt(plain)

    def feed(self, data: bytes) -> None:
        """Take bytes as they came off the wire."""
        self._plain += self._in.encrypt(data)

    def next_packet(self) -> bytes | None:
        """The payload of the next complete packet, or None until more bytes are fed.

        A bad length or checksum raises, and keeps raising: the stream is out of step for good.
        """
        if self._failed is not None:
            raise self._failed
        plain = self._plain
        if len(plain) < 4:
            return None
        size = int.from_bytes(plain[:4], "little")
        if not MIN_PACKET_SIZE <= size <= self.max_packet_size:
            self._failed = LitePacketSizeError(
                f"packet length {size} outside {MIN_PACKET_SIZE}..{self.max_packet_size}"
            )
            raise self._failed
        if len(plain) < 4 + size:
            return None
        body = bytes(plain[4 : 4 + size - HASH_SIZE])
        digest = bytes(plain[4 + size - HASH_SIZE : 4 + size])
        del plain[: 4 + size]
        if hashlib.sha256(body).digest() != digest:
            self._failed = LiteChecksumError("packet checksum mismatch")
            raise self._failed
        return body[NONCE_SIZE:]


@attrs.frozen
class ClientHello:
    """What a client sends first, and the codec of the session it opens."""

    packet: bytes  # the 256 unframed bytes
    params: bytes  # the 160 session parameters, kept for tests


def client_hello(
    server_public_key: bytes,
    *,
    params: bytes | None = None,
    ephemeral_key: bytes | None = None,
) -> ClientHello:
    """The handshake packet for a server with this ed25519 public key (sans-IO)."""
    params = os.urandom(PARAMS_SIZE) if params is None else params
    ephemeral_key = os.urandom(32) if ephemeral_key is None else ephemeral_key
    if len(params) != PARAMS_SIZE:
        raise ValueError(f"session parameters are {PARAMS_SIZE} bytes")
    try:
        secret = _x25519_secret(ephemeral_key, server_public_key)
    except (CryptoError, ValueError, TypeError) as e:
        raise LiteHandshakeError("the server public key is not a valid ed25519 key") from e
    digest = hashlib.sha256(params).digest()
    cipher = create_aes_ctr_sipher_from_key_n_data(secret, digest)
    packet = (
        key_id(server_public_key) + public_key_of(ephemeral_key) + digest + cipher.encrypt(params)
    )
    return ClientHello(packet=packet, params=params)


def client_codec(hello: ClientHello, *, max_packet_size: int = MAX_PACKET_SIZE) -> AdnlCodec:
    return AdnlCodec(hello.params, is_client=True, max_packet_size=max_packet_size)


def server_accept(
    packet: bytes, private_key: bytes, *, max_packet_size: int = MAX_PACKET_SIZE
) -> AdnlCodec:
    """Check a client's 256-byte handshake against our key; the session codec (sans-IO)."""
    if len(packet) != HANDSHAKE_SIZE:
        raise LiteHandshakeError(f"a handshake is {HANDSHAKE_SIZE} bytes, got {len(packet)}")
    if packet[:32] != key_id(public_key_of(private_key)):
        raise LiteHandshakeError("the handshake is for another server key")
    client_key, digest, encrypted = packet[32:64], packet[64:96], packet[96:]
    try:
        secret = _x25519_secret(private_key, client_key)
    except (CryptoError, ValueError, TypeError) as e:
        raise LiteHandshakeError("the client key is not a valid ed25519 key") from e
    params = create_aes_ctr_sipher_from_key_n_data(secret, digest).decrypt(encrypted)
    if hashlib.sha256(params).digest() != digest:
        raise LiteHandshakeError("the session parameters do not decrypt")
    return AdnlCodec(params, is_client=False, max_packet_size=max_packet_size)
