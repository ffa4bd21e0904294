"""ADNL over TCP: the handshake and packet codec (sans-IO), then both sides over memory streams."""

from __future__ import annotations

import hashlib

import pytest
import trio
import trio.testing
from pytoniq_core.crypto.ciphers import create_aes_ctr_cipher

from cocoon.ton.lite import adnl, connection, tl
from cocoon.ton.lite.errors import (
    LiteChecksumError,
    LiteHandshakeError,
    LitePacketSizeError,
    LiteTransportError,
)

SERVER_KEY = bytes(range(1, 33))
SERVER_PUB = adnl.public_key_of(SERVER_KEY)
PARAMS = bytes((7 * i + 3) % 256 for i in range(160))


def _session(params: bytes = PARAMS) -> tuple[adnl.AdnlCodec, adnl.AdnlCodec]:
    hello = adnl.client_hello(SERVER_PUB, params=params, ephemeral_key=b"\x09" * 32)
    return adnl.client_codec(hello), adnl.server_accept(hello.packet, SERVER_KEY)


def test_key_id_is_sha256_of_tl_pub_ed25519() -> None:
    expected = hashlib.sha256(bytes.fromhex("c6b41348") + SERVER_PUB).digest()
    assert adnl.key_id(SERVER_PUB) == expected


def test_hello_layout() -> None:
    hello = adnl.client_hello(SERVER_PUB, params=PARAMS, ephemeral_key=b"\x09" * 32)
    packet = hello.packet
    assert len(packet) == 256
    assert packet[:32] == adnl.key_id(SERVER_PUB)
    assert packet[32:64] == adnl.public_key_of(b"\x09" * 32)
    assert packet[64:96] == hashlib.sha256(PARAMS).digest()
    assert packet[96:] != PARAMS  # encrypted


def test_session_streams_use_the_documented_parameter_slices() -> None:
    client, server = _session()
    # Client-to-server: key params[32:64], counter params[80:96].
    wire = client.frame(b"abc", nonce=b"\x01" * 32)
    plain = create_aes_ctr_cipher(PARAMS[32:64], PARAMS[80:96]).decrypt(wire)
    body = b"\x01" * 32 + b"abc"
    assert plain == (32 + 3 + 32).to_bytes(4, "little") + body + hashlib.sha256(body).digest()
    # Server-to-client: key params[0:32], counter params[64:80].
    wire = server.frame(b"", nonce=b"\x02" * 32)
    plain = create_aes_ctr_cipher(PARAMS[0:32], PARAMS[64:80]).decrypt(wire)
    assert plain[:4] == (64).to_bytes(4, "little")


def test_round_trip_both_ways_in_any_chunks() -> None:
    client, server = _session()
    payloads = [b"", b"x", bytes(range(256)) * 40, b"last"]
    wire = b"".join(client.frame(p) for p in payloads)
    got = []
    for i in range(0, len(wire), 7):  # dribble the bytes in
        server.feed(wire[i : i + 7])
        while (packet := server.next_packet()) is not None:
            got.append(packet)
    assert got == payloads
    server_wire = server.frame(b"answer")
    client.feed(server_wire)
    assert client.next_packet() == b"answer"
    assert client.next_packet() is None


def test_tampered_payload_fails_the_checksum_for_good() -> None:
    client, server = _session()
    wire = bytearray(client.frame(b"hello world"))
    wire[40] ^= 0x01  # a payload byte
    server.feed(bytes(wire) + client.frame(b"next"))
    with pytest.raises(LiteChecksumError):
        server.next_packet()
    with pytest.raises(LiteChecksumError):
        server.next_packet()


@pytest.mark.parametrize(
    ("size", "limit"),
    [(63, adnl.MAX_PACKET_SIZE), (100, 90), ((1 << 24) + 1, adnl.MAX_PACKET_SIZE)],
)
def test_bad_lengths_are_refused(size: int, limit: int) -> None:
    _, server = _session()
    server.max_packet_size = limit
    # Write a raw length under the client's stream.
    keystream = create_aes_ctr_cipher(PARAMS[32:64], PARAMS[80:96]).encrypt(bytes(4))
    server.feed(bytes(a ^ b for a, b in zip(size.to_bytes(4, "little"), keystream, strict=True)))
    with pytest.raises(LitePacketSizeError):
        server.next_packet()


def test_oversize_frame_refused_before_sending() -> None:
    client = adnl.AdnlCodec(PARAMS, is_client=True, max_packet_size=100)
    client.frame(bytes(36))
    with pytest.raises(LitePacketSizeError):
        client.frame(bytes(37))


def test_handshake_for_another_key_is_refused() -> None:
    other = adnl.public_key_of(b"\x05" * 32)
    hello = adnl.client_hello(other)
    with pytest.raises(LiteHandshakeError, match="another server key"):
        adnl.server_accept(hello.packet, SERVER_KEY)


def test_handshake_with_tampered_parameters_is_refused() -> None:
    hello = adnl.client_hello(SERVER_PUB)
    packet = bytearray(hello.packet)
    packet[200] ^= 0x80
    with pytest.raises(LiteHandshakeError, match="do not decrypt"):
        adnl.server_accept(bytes(packet), SERVER_KEY)
    with pytest.raises(LiteHandshakeError):
        adnl.server_accept(hello.packet[:255], SERVER_KEY)


def test_server_needs_the_private_key_of_the_id() -> None:
    # Same key id in the packet, but a server holding another key cannot decrypt: the id check
    # refuses it first, so forge the id to reach the decryption.
    impostor = b"\x06" * 32
    hello = adnl.client_hello(SERVER_PUB)
    forged = adnl.key_id(adnl.public_key_of(impostor)) + hello.packet[32:]
    with pytest.raises(LiteHandshakeError, match="do not decrypt"):
        adnl.server_accept(forged, impostor)


async def test_both_sides_over_a_memory_stream() -> None:
    a, b = trio.testing.memory_stream_pair()
    results: dict[str, connection.AdnlConnection] = {}

    async def server() -> None:
        results["server"] = await connection.handshake_server(b, SERVER_KEY)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(server)
        results["client"] = await connection.handshake_client(a, SERVER_PUB)
    client, srv = results["client"], results["server"]
    ping = tl.encode("tcp.ping", {"random_id": 42})
    await client.send(ping)
    assert await srv.receive() == ping
    await srv.send(b"pong")
    assert await client.receive() == b"pong"
    await srv.aclose()
    with pytest.raises(LiteTransportError, match="closed"):
        await client.receive()


async def test_client_with_wrong_key_gets_a_handshake_error() -> None:
    a, b = trio.testing.memory_stream_pair()

    async def server() -> None:
        with pytest.raises(LiteHandshakeError):
            await connection.handshake_server(b, SERVER_KEY)
        await b.aclose()  # what a liteserver does: close without a word

    async with trio.open_nursery() as nursery:
        nursery.start_soon(server)
        with pytest.raises(LiteHandshakeError, match="no handshake answer"):
            await connection.handshake_client(a, adnl.public_key_of(b"\x05" * 32))


async def test_query_pipelined_behind_the_handshake_is_kept() -> None:
    a, b = trio.testing.memory_stream_pair()
    hello = adnl.client_hello(SERVER_PUB)
    codec = adnl.client_codec(hello)
    await a.send_all(hello.packet + codec.frame(b"early query"))
    srv = await connection.handshake_server(b, SERVER_KEY)
    assert await srv.receive() == b"early query"
