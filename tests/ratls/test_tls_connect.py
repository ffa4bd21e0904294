"""RA-TLS over loopback and memory streams: mutual handshakes, data, and every attack the
issue lists, each rejected with its own error before any application byte is trusted."""

from __future__ import annotations

import datetime as dt
import logging
import os
import ssl
import time

import pytest
import trio
import trio.testing
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import NameOID

from cocoon.errors import AttestationError
from cocoon.ratls import pow as pow_
from cocoon.ratls.cert import CertificateError, CertInfo, build_cert, raw_public_key
from cocoon.ratls.connect import (
    accept_ratls,
    open_ratls_stream,
    ratls_client,
    serve_ratls,
)
from cocoon.ratls.identity import Identity
from cocoon.ratls.policy import Policy, PolicyConfig, PolicyError, PolicyKind, builtin_policies
from cocoon.ratls.quote import FAKE_IMAGE_HASH, make_fake_quote, report_data_for_key
from cocoon.ratls.tls import PeerCertificateRejected, TlsError
from cocoon.ratls.tls_client import ClientTlsStream, make_client_context
from cocoon.roles.client.config import ClientConfig
from cocoon.roles.common.transport import Dialer

POLICIES = builtin_policies()
FAKE, ANY = POLICIES["fake_tdx"], POLICIES["any"]


class Server:
    def __init__(self) -> None:
        self.peers: list = []
        self.received: list[bytes] = []

    async def echo(self, stream) -> None:
        self.peers.append(stream.peer)
        while data := await stream.receive_some():
            self.received.append(data)
            await stream.send_all(data)


async def start(nursery, identity, policy, **kw):
    server = Server()
    listeners = await nursery.start(
        lambda task_status: serve_ratls(
            server.echo,
            0,
            identity,
            policy,
            difficulty=kw.pop("difficulty", 4),
            task_status=task_status,
            **kw,
        )
    )
    return server, listeners[0].socket.getsockname()[1]


async def test_mutual_fake_tdx_handshake_and_data(nursery):
    server_id, client_id = Identity.generate("fake"), Identity.generate("fake_tdx")
    server, port = await start(nursery, server_id, FAKE)
    stream = await open_ratls_stream("127.0.0.1", port, client_id, FAKE)
    assert isinstance(stream, ClientTlsStream)  # the dialing side runs on the stdlib
    # The certificate checked is the server's own, the one whose key signed the handshake.
    assert stream.peer.certificate.der == server_id.cert_der
    assert stream.peer.public_key == server_id.public_key
    assert stream.peer.image_hash == FAKE_IMAGE_HASH and stream.peer.policy_name == "fake_tdx"
    assert stream.peer.address == ("127.0.0.1", port)
    assert stream.version == "TLSv1.3" and stream.cipher in {
        "TLS_AES_128_GCM_SHA256",
        "TLS_AES_256_GCM_SHA384",
    }
    payload = os.urandom(3 << 20)
    got = bytearray()

    async def reader():
        while len(got) < len(payload):
            got.extend(await stream.receive_some())

    async with trio.open_nursery() as n:
        n.start_soon(reader)
        for i in range(0, len(payload), 100_000):
            await stream.send_all(payload[i : i + 100_000])
    assert bytes(got) == payload
    (peer,) = server.peers
    assert peer.certificate.der == client_id.cert_der  # the stdlib client presented ours
    assert peer.public_key == client_id.public_key and peer.image_hash == FAKE_IMAGE_HASH
    assert peer.attestation.measurements.report_data == report_data_for_key(client_id.public_key)
    await stream.aclose()


async def test_eof_without_close_notify(nursery):
    seen = []
    done = trio.Event()

    async def handler(stream):
        while data := await stream.receive_some():
            seen.append(data)
            await stream.send_all(data)
        seen.append(b"<eof>")
        done.set()

    listeners = await nursery.start(
        lambda task_status: serve_ratls(
            handler, 0, Identity.generate("none"), ANY, difficulty=1, task_status=task_status
        )
    )
    port = listeners[0].socket.getsockname()[1]
    stream = await open_ratls_stream("127.0.0.1", port, Identity.generate("none"), ANY)
    await stream.send_all(b"bye")
    assert await stream.receive_some() == b"bye"
    await stream.aclose()  # no close_notify, just the TCP FIN
    with trio.fail_after(5):
        await done.wait()
    assert b"".join(seen) == b"bye<eof>"


async def test_server_reads_records_already_buffered_without_waiting_for_more(nursery):
    """Records that arrived in one transport read are all handed out before the accepting side
    waits on the transport again, also when each read takes only a few bytes; then a
    close_notify ends the stream."""
    got = bytearray()
    done = trio.Event()

    async def handler(stream):
        with trio.fail_after(5):  # waiting on the transport with records buffered would hang
            while len(got) < 3000:
                got.extend(await stream.receive_some(7))
            assert await stream.receive_some(7) == b""  # close_notify
        done.set()

    listeners = await nursery.start(
        lambda task_status: serve_ratls(
            handler, 0, Identity.generate("none"), ANY, difficulty=1, task_status=task_status
        )
    )
    port = listeners[0].socket.getsockname()[1]
    stream = await open_ratls_stream("127.0.0.1", port, Identity.generate("none"), ANY)
    records = [bytes([i]) * 100 for i in range(30)]
    for record in records:
        stream._write(record)  # one TLS record each, all sent in one transport write below
    try:
        stream._obj.unwrap()
    except ssl.SSLWantReadError:
        pass  # close_notify is written; the server's reply is not awaited
    await stream.transport.send_all(stream._drain())
    with trio.fail_after(5):
        await done.wait()
    assert bytes(got) == b"".join(records)
    await stream.aclose()


async def test_server_rejects_client_without_quote(nursery, caplog):
    caplog.set_level(logging.INFO, "cocoon.ratls")
    server, port = await start(nursery, Identity.generate("fake"), FAKE)
    # The client finishes its side of TLS 1.3 first, then the server checks and closes.
    stream = await open_ratls_stream("127.0.0.1", port, Identity.generate("none"), FAKE)
    try:
        await stream.send_all(b"secret")
        assert await stream.receive_some() == b""
    except trio.BrokenResourceError:
        pass
    assert server.peers == [] and server.received == []
    assert "requires a TDX quote" in caplog.text


async def test_client_rejects_server_without_quote(nursery):
    await start(nursery, Identity.generate("none"), ANY)
    with pytest.raises(PolicyError, match="requires a TDX quote"):
        await open_ratls_stream(
            "127.0.0.1",
            (await start(nursery, Identity.generate("none"), ANY))[1],
            Identity.generate("none"),
            FAKE,
        )


def _identity_from(key, der: bytes) -> Identity:
    # Bypasses our own checks on purpose: this is an attacker's certificate.
    pub = raw_public_key(key) if isinstance(key, ed25519.Ed25519PrivateKey) else b""
    now = dt.datetime.now(dt.UTC)
    return Identity(key, der, CertInfo(der, pub, None, now, now, 3))


async def test_quote_reused_with_another_key(nursery):
    victim = Identity.generate("fake")
    thief = ed25519.Ed25519PrivateKey.generate()
    der = build_cert(thief, victim.quote, not_before=int(time.time()) - 60)
    _, port = await start(nursery, _identity_from(thief, der), ANY)
    with pytest.raises(PolicyError, match="report data mismatch"):
        await open_ratls_stream("127.0.0.1", port, Identity.generate("none"), FAKE)


async def test_policy_any_refuses_a_quote_bound_to_another_key(nursery):
    """`any` checks no attestation, but a certificate carrying another machine's quote is a
    forgery: refused both ways (the proxy's client port runs `any`)."""
    victim = Identity.generate("fake")
    thief = ed25519.Ed25519PrivateKey.generate()
    forged = _identity_from(
        thief, build_cert(thief, victim.quote, not_before=int(time.time()) - 60)
    )
    _, port = await start(nursery, forged, ANY)
    with pytest.raises(PolicyError, match="report data mismatch"):
        await open_ratls_stream("127.0.0.1", port, Identity.generate("none"), ANY)
    server, port = await start(nursery, Identity.generate("none"), ANY)
    try:
        stream = await open_ratls_stream("127.0.0.1", port, forged, ANY)
        await stream.send_all(b"ping")
        echoed = await stream.receive_some()  # TLS 1.3: the server refuses after its finish
    except (trio.BrokenResourceError, TlsError, OSError):
        echoed = b""
    assert echoed == b""
    assert server.peers == []
    # Without a quote, or with one bound to the key, `any` still accepts.
    for identity in (Identity.generate("none"), Identity.generate("fake")):
        server, port = await start(nursery, identity, ANY)
        stream = await open_ratls_stream("127.0.0.1", port, Identity.generate("fake"), ANY)
        await stream.send_all(b"ok")
        assert await stream.receive_some() == b"ok"
        assert server.peers and server.peers[0].attestation.measurements is None
        await stream.aclose()


async def test_wrong_image_hash(nursery):
    _, port = await start(nursery, Identity.generate("fake"), ANY)
    strict = Policy("prod", PolicyKind.FAKE_TDX, PolicyConfig(allowed_image_hashes=[b"\x01" * 32]))
    with pytest.raises(PolicyError, match=r"image hash 5c55c8f4\w+ is not allowed by policy prod"):
        await open_ratls_stream("127.0.0.1", port, Identity.generate("none"), strict)
    mrtd = Policy("m", PolicyKind.FAKE_TDX, PolicyConfig(allowed_mrtd=[b"\x02" * 48]))
    with pytest.raises(PolicyError, match="MRTD"):
        await open_ratls_stream("127.0.0.1", port, Identity.generate("none"), mrtd)


async def _refused_by_server(nursery, client_identity, caplog) -> str:
    """Dial a `policy any` server with `client_identity`: the stdlib client finishes its side
    of TLS 1.3, the server's OpenSSL verification refuses the certificate and closes. The
    server's log line."""
    caplog.set_level(logging.INFO, "cocoon.ratls")
    caplog.clear()
    server, port = await start(nursery, Identity.generate("fake"), ANY)
    try:
        stream = await open_ratls_stream("127.0.0.1", port, client_identity, ANY)
        await stream.send_all(b"secret")
        assert await stream.receive_some() == b""
    except (trio.BrokenResourceError, TlsError):
        pass
    assert server.peers == [] and server.received == []
    return caplog.text


@pytest.mark.parametrize(("offset", "message"), [(-2 * 86400, "expired"), (3600, "not yet valid")])
async def test_certificate_out_of_validity(nursery, offset, message, caplog):
    stale = Identity.generate("fake", now=int(time.time()) + offset)
    # A client checks the server's dates in Python (cocoon.ratls.tls_client) ...
    _, port = await start(nursery, stale, ANY)
    with pytest.raises(CertificateError, match=message):
        await open_ratls_stream("127.0.0.1", port, Identity.generate("none"), FAKE)
    # ... a server in OpenSSL's verification, before its handshake ends.
    log = await _refused_by_server(nursery, stale, caplog)
    assert "PeerCertificateRejected" in log and message in log


async def test_pinned_clock_applies_to_the_python_checks(nursery):
    _, port = await start(nursery, Identity.generate("fake"), ANY)
    with pytest.raises(CertificateError, match="expired"):
        await open_ratls_stream(
            "127.0.0.1",
            port,
            Identity.generate("none"),
            FAKE,
            clock=lambda: time.time() + 2 * 86400,
        )


def _x509_builder(key, issuer_name=None):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    start = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name or name)
        .public_key(key.public_key())
        .serial_number(7)
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=1))
    )


async def test_chain_instead_of_self_signed(nursery, caplog):
    ca, leaf = ed25519.Ed25519PrivateKey.generate(), ed25519.Ed25519PrivateKey.generate()
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "evil CA")])
    der = _x509_builder(leaf, ca_name).sign(ca, None).public_bytes(serialization.Encoding.DER)
    _, port = await start(nursery, _identity_from(leaf, der), ANY)
    with pytest.raises(CertificateError, match="only self-signed"):
        await open_ratls_stream("127.0.0.1", port, Identity.generate("none"), ANY)
    log = await _refused_by_server(nursery, _identity_from(leaf, der), caplog)
    assert "PeerCertificateRejected" in log and "not self-signed" in log


async def test_non_ed25519_key(nursery):
    key = ec.generate_private_key(ec.SECP256R1())
    der = (
        _x509_builder(key)
        .sign(
            key,
            hashes.SHA256(),
        )
        .public_bytes(serialization.Encoding.DER)
    )
    _, port = await start(nursery, _identity_from(key, der), ANY)
    with pytest.raises(CertificateError, match="Ed25519"):
        await open_ratls_stream("127.0.0.1", port, Identity.generate("none"), ANY)


async def test_unknown_critical_extension(nursery):
    key = ed25519.Ed25519PrivateKey.generate()
    ext = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.2.3.4.5"), b"\x05\x00")
    der = (
        _x509_builder(key)
        .add_extension(ext, critical=True)
        .sign(key, None)
        .public_bytes(serialization.Encoding.DER)
    )
    _, port = await start(nursery, _identity_from(key, der), ANY)
    with pytest.raises(CertificateError, match=r"unknown critical extension 1\.2\.3\.4\.5"):
        await open_ratls_stream("127.0.0.1", port, Identity.generate("none"), ANY)


async def test_pow_too_hard(nursery):
    _, port = await start(nursery, Identity.generate("none"), ANY, difficulty=30)
    with pytest.raises(pow_.PowError, match="difficulty 30 exceeds our limit of 20"):
        await open_ratls_stream("127.0.0.1", port, Identity.generate("none"), ANY)
    _, port = await start(nursery, Identity.generate("none"), ANY, difficulty=9)
    with pytest.raises(pow_.PowError, match="exceeds our limit of 8"):
        await open_ratls_stream(
            "127.0.0.1", port, Identity.generate("none"), ANY, max_pow_difficulty=8
        )


async def test_a_hostile_servers_hard_pow_is_refused_before_any_work(nursery, monkeypatch):
    """Difficulty 28 (what the reference's dialers still accept) costs a Python dialer a core
    for ~20 s: clients and workers refuse anything above the reference servers' 20 unsolved."""

    def no_work(*args, **kwargs):
        raise AssertionError("the dialer started solving")

    monkeypatch.setattr(pow_, "solve", no_work)
    _, port = await start(nursery, Identity.generate("none"), ANY, difficulty=28)
    dialer = Dialer(identity=Identity.generate("none"), policy=ANY)  # clients' and workers'
    with pytest.raises(pow_.PowError, match="difficulty 28 exceeds our limit of 20"):
        await dialer.dial("127.0.0.1", port)
    with pytest.raises(pow_.PowError, match="difficulty 21 exceeds our limit of 20"):
        pow_.check_difficulty(pow_.Challenge(21, bytes(16)), pow_.DEFAULT_MAX_DIFFICULTY)
    assert ClientConfig.__attrs_attrs__.max_pow_difficulty.default == pow_.DEFAULT_DIFFICULTY


async def _raw(port: int) -> tuple[trio.SocketStream, pow_.Challenge]:
    tcp = await trio.open_tcp_stream("127.0.0.1", port)
    data = b""
    while len(data) < 24:
        data += await tcp.receive_some(24 - len(data))
    return tcp, pow_.Challenge.decode(data)


async def _closed_by_peer(tcp: trio.SocketStream) -> bytes:
    got = b""
    with trio.fail_after(5):
        try:
            while chunk := await tcp.receive_some():
                got += chunk
        except trio.BrokenResourceError:
            pass
    return got


async def test_wrong_pow_answer(nursery, caplog):
    caplog.set_level(logging.INFO, "cocoon.ratls")
    server, port = await start(nursery, Identity.generate("none"), ANY, difficulty=16)
    tcp, challenge = await _raw(port)
    bad = next(n for n in range(100000) if not challenge.check(n))
    await tcp.send_all(pow_.encode_answer(bad) + b"\x16\x03\x01")
    assert await _closed_by_peer(tcp) == b""
    assert "PoW verification failed" in caplog.text and server.peers == []


async def test_plaintext_to_the_tls_port(nursery, caplog):
    caplog.set_level(logging.INFO, "cocoon.ratls")
    server, port = await start(nursery, Identity.generate("none"), ANY, difficulty=1)
    # without any proof of work
    tcp, _ = await _raw(port)
    await tcp.send_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert await _closed_by_peer(tcp) == b""
    assert "not a PoW answer" in caplog.text
    # with a valid proof of work, then plaintext where TLS should be
    tcp, challenge = await _raw(port)
    await tcp.send_all(pow_.encode_answer(pow_.solve(challenge)) + b"GET / HTTP/1.1\r\n\r\n")
    reply = await _closed_by_peer(tcp)
    assert not reply or reply[0] == 0x15  # nothing, or a TLS alert record
    assert "TlsError" in caplog.text and server.peers == []


async def test_late_pow_answer_times_out(autojump_clock):
    server_side, client_side = trio.testing.memory_stream_pair()
    t0 = trio.current_time()
    result = await accept_ratls(
        server_side, Identity.generate("none"), ANY, difficulty=1, handshake_timeout=30
    )
    assert result is None and trio.current_time() - t0 == pytest.approx(30)
    assert len(await client_side.receive_some()) == 24


async def test_peer_stalling_mid_handshake(autojump_clock):
    server_side, client_side = trio.testing.memory_stream_pair()

    async def stalling_client():
        challenge = pow_.Challenge.decode(await client_side.receive_some(24))
        # a valid answer and half a ClientHello, then nothing
        await client_side.send_all(
            pow_.encode_answer(pow_.solve(challenge)) + b"\x16\x03\x01\x00\xff\x01"
        )

    async with trio.open_nursery() as n:
        n.start_soon(stalling_client)
        t0 = trio.current_time()
        result = await accept_ratls(
            server_side, Identity.generate("none"), ANY, difficulty=1, handshake_timeout=20
        )
    assert result is None and trio.current_time() - t0 == pytest.approx(20)


async def test_server_stalling_after_challenge(autojump_clock):
    client_side, server_side = trio.testing.memory_stream_pair()
    await server_side.send_all(pow_.Challenge.new(1).encode())
    with pytest.raises(trio.TooSlowError):
        with trio.fail_after(15):
            await ratls_client(client_side, Identity.generate("none"), ANY)


async def test_peer_closing_mid_handshake():
    client_side, server_side = trio.testing.memory_stream_pair()
    await server_side.send_all(pow_.Challenge.new(1).encode())

    async def hang_up():
        await server_side.receive_some(12)
        await server_side.aclose()

    async with trio.open_nursery() as n:
        n.start_soon(hang_up)
        with pytest.raises(trio.BrokenResourceError):
            await ratls_client(client_side, Identity.generate("none"), ANY)


async def test_fake_quote_of_wrong_size_in_cert(nursery):
    key = ed25519.Ed25519PrivateKey.generate()
    quote = make_fake_quote(report_data_for_key(raw_public_key(key)))[:40]
    der = build_cert(key, quote, not_before=int(time.time()) - 60)
    _, port = await start(nursery, _identity_from(key, der), ANY)
    with pytest.raises(AttestationError, match="fake quote size"):
        await open_ratls_stream("127.0.0.1", port, Identity.generate("none"), FAKE)


def test_tls_error_types():
    assert issubclass(PeerCertificateRejected, AttestationError)
    assert issubclass(PeerCertificateRejected, TlsError)


async def test_send_nowait_on_both_sides_keeps_order_through_a_full_socket(nursery):
    """`send_nowait` makes the records `send_all` would: what the socket does not take waits
    in the stream and goes first on the next `send_all`; it takes nothing while a rest is
    pending. Both TLS sides (stdlib dialing, pyOpenSSL accepting)."""
    got_server: list = []
    server_done = trio.Event()

    async def server_side(stream) -> None:
        got_server.append(stream)
        await server_done.wait()

    listeners = await nursery.start(
        lambda task_status: serve_ratls(
            server_side, 0, Identity.generate("none"), ANY, difficulty=1, task_status=task_status
        )
    )
    port = listeners[0].socket.getsockname()[1]
    client = await open_ratls_stream("127.0.0.1", port, Identity.generate("none"), ANY)
    await trio.testing.wait_all_tasks_blocked()
    (server,) = got_server
    for sender, receiver in ((client, server), (server, client)):
        parts = [os.urandom(n) for n in (100, 6_000_000, 50, 200_000, 10)]
        assert sender.send_nowait(parts[0])
        assert sender.send_nowait(parts[1])  # more than the socket buffers: a rest waits
        assert sender.send_pending
        assert not sender.send_nowait(parts[2])  # takes nothing while the rest waits
        got = bytearray()
        expected = b"".join(parts)

        async def read(receiver=receiver, got=got, n=len(expected)) -> None:
            while len(got) < n:
                got.extend(await receiver.receive_some())

        async with trio.open_nursery() as n:
            n.start_soon(read)
            await sender.send_all(parts[2])  # the rest first, then this
            assert not sender.send_pending
            await trio.testing.wait_all_tasks_blocked()
            assert sender.send_nowait(parts[3])
            await sender.send_all(b"")  # finishes a rest, if there is one
            assert sender.send_nowait(parts[4])
            await sender.send_all(b"")
        assert bytes(got) == expected
    server_done.set()
    await client.aclose()


async def test_send_nowait_declines_over_a_transport_without_it():
    a, _b = trio.testing.memory_stream_pair()
    stream = ClientTlsStream(a, make_client_context(Identity.generate("none")))
    assert not stream.send_nowait(b"data") and not stream.send_pending
