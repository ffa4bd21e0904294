"""The router over loopback: reverse and SOCKS5 modes, chained like production, with the
preamble checked on the inner side, stats, and failures that stay local to a connection."""

from __future__ import annotations

import functools
import hashlib
import struct

import pytest
import trio

from cocoon.net.preamble import TdxMeasurements, decode_preamble_body, parse_preamble_length
from cocoon.net.socks5 import socks5_connect
from cocoon.ratls.connect import open_ratls_stream, receive_exactly, serve_ratls
from cocoon.ratls.identity import Identity
from cocoon.ratls.policy import builtin_policies
from cocoon.ratls.quote import FAKE_IMAGE_HASH, image_hash
from cocoon.roles.router import PortConfig, PortKind, RouterConfig, run_router

POLICIES = builtin_policies()


class Inner:
    """A plain TCP service behind a router: reads the preamble, then echoes."""

    def __init__(self, *, preamble: bool = True) -> None:
        self.preamble = preamble
        self.infos: list = []
        self.connections = 0

    async def handle(self, stream: trio.SocketStream) -> None:
        self.connections += 1
        rest = b""
        if self.preamble:
            head, rest = await receive_exactly(stream, 4)
            n = parse_preamble_length(head)
            body, rest = await _body(stream, rest, n)
            self.infos.append(decode_preamble_body(body))
        if rest:
            await stream.send_all(rest)
        while data := await stream.receive_some():
            await stream.send_all(data)


async def _body(stream, have: bytes, n: int) -> tuple[bytes, bytes]:
    buf = bytearray(have)
    while len(buf) < n:
        chunk = await stream.receive_some()
        assert chunk, "closed inside the preamble"
        buf += chunk
    return bytes(buf[:n]), bytes(buf[n:])


async def start_inner(nursery, inner: Inner) -> int:
    listeners = await nursery.start(
        functools.partial(trio.serve_tcp, inner.handle, 0, host="127.0.0.1")
    )
    return listeners[0].socket.getsockname()[1]


def fake_cert_base(tmp_path, name: str) -> tuple[str, Identity]:
    identity = Identity.generate("fake")
    base = str(tmp_path / name)
    identity.write(base)
    return base, identity


def router_config(*ports: PortConfig, cert_base=None, **kw) -> RouterConfig:
    return RouterConfig(
        ports=ports,
        policies=POLICIES,
        cert_base=cert_base,
        serialize_info=True,
        pow_difficulty=kw.pop("pow_difficulty", 2),
        handshake_timeout=kw.pop("handshake_timeout", 10),
        **kw,
    )


async def test_reverse_mode(nursery):
    inner = Inner()
    inner_port = await start_inner(nursery, inner)
    cfg = router_config(
        PortConfig(PortKind.REVERSE, 0, "fake_tdx", "127.0.0.1", inner_port, bind_host="127.0.0.1")
    )
    handle = await nursery.start(run_router, cfg)
    (port,) = handle.bound
    client = Identity.generate("fake")
    # the router made its own non-TDX certificate: only `any` accepts it
    stream = await open_ratls_stream("127.0.0.1", port, client, POLICIES["any"])
    assert stream.peer.public_key == handle.identity.identity.public_key
    await stream.send_all(b"ping")
    assert await stream.receive_some() == b"ping"
    (info,) = inner.infos
    assert info.public_key == client.public_key
    assert isinstance(info.attestation, TdxMeasurements)
    assert info.attestation.report_data == hashlib.sha512(client.public_key).digest()
    assert image_hash(info.attestation) == FAKE_IMAGE_HASH
    assert (
        info.source_ip == "127.0.0.1"
        and info.source_port == stream.transport.socket.getsockname()[1]
    )
    assert (info.destination_ip, info.destination_port) == ("127.0.0.1", inner_port)
    assert info.collateral_root_hash == bytes(48)
    await stream.aclose()
    stats = handle.stats()
    assert stats["ports"][str(port)]["established"] == 1
    assert stats["total"]["bytes_in"] == 4 and stats["total"]["bytes_out"] == 4


async def test_reverse_rejects_client_failing_the_policy(nursery):
    inner = Inner()
    inner_port = await start_inner(nursery, inner)
    cfg = router_config(
        PortConfig(PortKind.REVERSE, 0, "fake_tdx", "127.0.0.1", inner_port, bind_host="127.0.0.1")
    )
    handle = await nursery.start(run_router, cfg)
    stream = await open_ratls_stream(
        "127.0.0.1", handle.bound[0], Identity.generate("none"), POLICIES["any"]
    )
    try:
        await stream.send_all(b"let me in")
        assert await stream.receive_some() == b""
    except trio.BrokenResourceError:
        pass
    assert inner.connections == 0  # the inner service never saw the peer
    with trio.fail_after(5):
        while handle.stats()["total"]["active"]:  # noqa: ASYNC110 - polling a counter
            await trio.sleep(0.01)
    assert handle.stats()["total"]["rejected"] == 1


async def test_socks5_mode(nursery):
    remote_id = Identity.generate("fake")
    seen = []

    async def echo(stream):
        seen.append(stream.peer)
        while data := await stream.receive_some():
            await stream.send_all(data)

    listeners = await nursery.start(
        lambda task_status: serve_ratls(
            echo, 0, remote_id, POLICIES["any"], difficulty=2, task_status=task_status
        )
    )
    remote_port = listeners[0].socket.getsockname()[1]
    handle = await nursery.start(
        run_router, router_config(PortConfig(PortKind.SOCKS5, 0, "fake_tdx"))
    )
    local = await trio.open_tcp_stream("127.0.0.1", handle.bound[0])
    stream = await socks5_connect(local, "127.0.0.1", remote_port)
    await stream.send_all(b"early bytes")  # sent before the tunnel is up: buffered, not lost
    head, rest = await receive_exactly(stream, 4)
    body, rest = await _body(stream, rest, parse_preamble_length(head))
    info = decode_preamble_body(body)
    assert info.public_key == remote_id.public_key
    assert image_hash(info.attestation) == FAKE_IMAGE_HASH
    assert (info.destination_ip, info.destination_port) == ("127.0.0.1", remote_port)
    assert info.source_port == local.socket.getsockname()[1]
    got = rest
    with trio.fail_after(5):
        while len(got) < len(b"early bytes"):
            got += await stream.receive_some()
    assert got == b"early bytes"
    (peer,) = seen
    assert (
        peer.public_key == handle.identity.identity.public_key
        and peer.attestation.measurements is None
    )
    await stream.aclose()


async def test_both_modes_chained_with_mutual_fake_tdx(nursery, tmp_path):
    """worker -> SOCKS5 router -> RA-TLS (both sides fake TDX) -> reverse router -> proxy."""
    inner = Inner()
    inner_port = await start_inner(nursery, inner)
    proxy_base, proxy_id = fake_cert_base(tmp_path, "proxy")
    worker_base, worker_id = fake_cert_base(tmp_path, "worker")
    rev = await nursery.start(
        run_router,
        router_config(
            PortConfig(
                PortKind.REVERSE, 0, "fake_tdx", "127.0.0.1", inner_port, bind_host="127.0.0.1"
            ),
            cert_base=proxy_base,
        ),
    )
    fwd = await nursery.start(
        run_router, router_config(PortConfig(PortKind.SOCKS5, 0, "fake_tdx"), cert_base=worker_base)
    )
    local = await trio.open_tcp_stream("127.0.0.1", fwd.bound[0])
    stream = await socks5_connect(local, "127.0.0.1", rev.bound[0])
    head, rest = await receive_exactly(stream, 4)
    body, rest = await _body(stream, rest, parse_preamble_length(head))
    worker_view = decode_preamble_body(body)
    assert worker_view.public_key == proxy_id.public_key  # the worker learns the proxy
    payload = bytes(range(256)) * 4096
    await stream.send_all(payload)
    got = bytearray(rest)
    with trio.fail_after(10):
        while len(got) < len(payload):
            got += await stream.receive_some()
    assert bytes(got) == payload
    (proxy_view,) = inner.infos
    assert proxy_view.public_key == worker_id.public_key  # the proxy learns the worker
    assert image_hash(proxy_view.attestation) == FAKE_IMAGE_HASH
    assert proxy_view.attestation.report_data == hashlib.sha512(worker_id.public_key).digest()
    assert fwd.stats()["total"]["bytes_out"] == len(payload)
    assert rev.stats()["total"]["bytes_in"] == len(payload)
    await stream.aclose()


async def test_socks5_username_selects_the_policy(nursery):
    remote = Identity.generate("none")

    async def echo(stream):
        while data := await stream.receive_some():
            await stream.send_all(data)

    listeners = await nursery.start(
        lambda task_status: serve_ratls(
            echo, 0, remote, POLICIES["any"], difficulty=2, task_status=task_status
        )
    )
    remote_port = listeners[0].socket.getsockname()[1]
    port = PortConfig(PortKind.SOCKS5, 0, "fake_tdx", allow_policy_from_username=True)
    handle = await nursery.start(run_router, router_config(port))
    # by the port's policy (fake_tdx) the non-TDX remote is refused ...
    local = await trio.open_tcp_stream("127.0.0.1", handle.bound[0])
    stream = await socks5_connect(local, "127.0.0.1", remote_port)
    with trio.fail_after(5):
        assert await stream.receive_some() == b""
    # ... with the username "any" it is accepted
    local = await trio.open_tcp_stream("127.0.0.1", handle.bound[0])
    stream = await socks5_connect(local, "127.0.0.1", remote_port, username="any")
    head, rest = await receive_exactly(stream, 4)
    body, _ = await _body(stream, rest, parse_preamble_length(head))
    assert decode_preamble_body(body).attestation is None
    await stream.aclose()


async def test_garbage_does_not_stop_the_router(nursery):
    inner = Inner(preamble=False)
    inner_port = await start_inner(nursery, inner)
    cfg = RouterConfig(
        ports=[
            PortConfig(PortKind.SOCKS5, 0, "any"),
            PortConfig(PortKind.REVERSE, 0, "any", "127.0.0.1", inner_port, bind_host="127.0.0.1"),
        ],
        pow_difficulty=1,
    )
    handle = await nursery.start(run_router, cfg)
    socks_port, rev_port = handle.bound
    for port, junk in ((socks_port, b"\x04\x01garbage"), (rev_port, b"GET / HTTP/1.0\r\n\r\n")):
        tcp = await trio.open_tcp_stream("127.0.0.1", port)
        await tcp.send_all(junk)
        with trio.fail_after(5):
            try:
                while await tcp.receive_some():
                    pass
            except trio.BrokenResourceError:
                pass
    stream = await open_ratls_stream(
        "127.0.0.1", rev_port, Identity.generate("none"), POLICIES["any"]
    )
    await stream.send_all(b"still serving")
    assert await stream.receive_some() == b"still serving"
    await stream.aclose()
    assert handle.stats()["total"]["rejected"] >= 2


SOCKS5_REFUSALS = {
    # RFC 1928 section 6: a failure reply, then the connection closed (it was `05 00`, EOF).
    "BIND": (b"\x05\x01\x00", b"\x05\x02\x00\x01\x7f\x00\x00\x01\x00\x50", 0x07),
    "UDP ASSOCIATE": (b"\x05\x01\x00", b"\x05\x03\x00\x01\x00\x00\x00\x00\x00\x00", 0x07),
    "domain name": (b"\x05\x01\x00", b"\x05\x01\x00\x03\x09localhost\x00\x50", 0x08),
    "IPv6": (b"\x05\x01\x00", b"\x05\x01\x00\x04" + bytes(15) + b"\x01\x00\x50", 0x08),
    "unknown ATYP": (b"\x05\x01\x00", b"\x05\x01\x00\x09\x00\x50", 0x08),
}


@pytest.mark.parametrize("case", SOCKS5_REFUSALS, ids=list(SOCKS5_REFUSALS))
async def test_socks5_requests_outside_connect_ipv4_get_their_failure_reply(nursery, case):
    greeting, request, code = SOCKS5_REFUSALS[case]
    handle = await nursery.start(
        run_router, RouterConfig(ports=[PortConfig(PortKind.SOCKS5, 0, "any")])
    )
    tcp = await trio.open_tcp_stream("127.0.0.1", handle.bound[0])
    await tcp.send_all(greeting)
    assert await _read(tcp, 2) == b"\x05\x00"
    await tcp.send_all(request)
    assert await _read_to_eof(tcp) == bytes([5, code, 0, 1, 0, 0, 0, 0, 0, 0])


async def test_socks5_greeting_without_an_acceptable_method_gets_ff(nursery):
    handle = await nursery.start(
        run_router, RouterConfig(ports=[PortConfig(PortKind.SOCKS5, 0, "any")])
    )
    tcp = await trio.open_tcp_stream("127.0.0.1", handle.bound[0])
    await tcp.send_all(b"\x05\x01\x02")  # username/password only, not allowed on this port
    assert await _read_to_eof(tcp) == b"\x05\xff"


async def _read(stream, n: int) -> bytes:
    data = b""
    with trio.fail_after(10):
        while len(data) < n:
            chunk = await stream.receive_some(n - len(data))
            assert chunk, f"closed after {data!r}"
            data += chunk
    return data


async def _read_to_eof(stream) -> bytes:
    data = b""
    with trio.fail_after(10):
        try:
            while chunk := await stream.receive_some():
                data += chunk
        except trio.BrokenResourceError:
            pass
    return data


async def test_socks5_target_refusing_pow(nursery):
    async def never(stream):
        raise AssertionError("no handler should run")

    listeners = await nursery.start(
        lambda task_status: serve_ratls(
            never,
            0,
            Identity.generate("none"),
            POLICIES["any"],
            difficulty=40,
            task_status=task_status,
        )
    )
    handle = await nursery.start(run_router, router_config(PortConfig(PortKind.SOCKS5, 0, "any")))
    local = await trio.open_tcp_stream("127.0.0.1", handle.bound[0])
    stream = await socks5_connect(local, "127.0.0.1", listeners[0].socket.getsockname()[1])
    with trio.fail_after(5):
        assert await stream.receive_some() == b""
    assert handle.stats()["total"]["rejected"] == 1


def test_preamble_vectors_of_the_spec():
    """Spec 20 section 6.6: the frame the router writes for a fake-TDX and an `any` peer."""
    from cryptography.hazmat.primitives.asymmetric import ed25519

    from cocoon.ratls.cert import raw_public_key
    from cocoon.ratls.connect import RatlsPeer
    from cocoon.ratls.quote import AttestationData, fake_quote_attestation, report_data_for_key
    from cocoon.roles.router import peer_info

    key = raw_public_key(ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
    fake = fake_quote_attestation(report_data_for_key(key))
    src, dst = ("127.0.0.1", 40000), ("10.0.0.2", 11001)
    frame = peer_info(RatlsPeer(key, fake, "fake_tdx", certificate=None), src, dst)
    assert struct.unpack_from("<I", frame)[0] == len(frame) - 4 == 572
    assert frame.startswith(bytes.fromhex("3c020000 01000000 00000000"))
    assert frame.endswith(
        bytes.fromhex(
            "64125531b8000000 093132372e302e302e31 0000 409c0000 0831302e302e302e32000000 f92a0000"
        )
    )
    assert (
        hashlib.sha256(frame).hexdigest()
        == "ffb851c813afe845bef8969303ba94b17ca280a8ba94d710bb77beaab09015f3"
    )
    frame = peer_info(RatlsPeer(key, AttestationData(None), "any", certificate=None), src, dst)
    assert len(frame) - 4 == 120
    assert (
        hashlib.sha256(frame).hexdigest()
        == "212d695be1743d3200f5b42558a028f50f6c96376e3f5f9d2eb0efd4b5ec5e7d"
    )


@pytest.mark.parametrize("kind", [PortKind.REVERSE, PortKind.FORWARD])
def test_port_needs_destination(kind):
    from cocoon.errors import ConfigError

    with pytest.raises(ConfigError, match="destination"):
        PortConfig(kind, 11001, "any")


async def test_router_reloads_its_certificate_without_dropping_tunnels(nursery, tmp_path):
    import os

    inner = Inner()
    inner_port = await start_inner(nursery, inner)
    base, first = fake_cert_base(tmp_path, "proxy")
    cfg = router_config(
        PortConfig(PortKind.REVERSE, 0, "any", "127.0.0.1", inner_port, bind_host="127.0.0.1"),
        cert_base=base,
        refresh_interval=0.05,
    )
    handle = await nursery.start(run_router, cfg)
    client = Identity.generate("none")
    old = await open_ratls_stream("127.0.0.1", handle.bound[0], client, POLICIES["fake_tdx"])
    assert old.peer.public_key == first.public_key
    second = Identity.generate("fake")
    second.write(base)
    for path in (tmp_path / "proxy_cert.pem", tmp_path / "proxy_key.pem"):
        st = path.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**10))
    with trio.fail_after(5):
        while handle.identity.generation == 0:  # noqa: ASYNC110 - polling the reload task
            await trio.sleep(0.02)
    new = await open_ratls_stream("127.0.0.1", handle.bound[0], client, POLICIES["fake_tdx"])
    assert new.peer.public_key == second.public_key
    for stream in (old, new):
        await stream.send_all(b"alive")
        assert await stream.receive_some() == b"alive"
        await stream.aclose()
    assert handle.stats()["certificate_generation"] == 1


async def _chained(nursery, inner_handler) -> tuple:
    """A SOCKS5 router and a reverse router in front of `inner_handler` (plain TCP, no
    preamble expected); returns both handles and the local app's stream past the preamble."""
    listeners = await nursery.start(
        functools.partial(trio.serve_tcp, inner_handler, 0, host="127.0.0.1")
    )
    inner_port = listeners[0].socket.getsockname()[1]
    rev = await nursery.start(
        run_router,
        RouterConfig(
            ports=[
                PortConfig(
                    PortKind.REVERSE, 0, "any", "127.0.0.1", inner_port, bind_host="127.0.0.1"
                )
            ],
            pow_difficulty=1,
        ),
    )
    fwd = await nursery.start(
        run_router, RouterConfig(ports=[PortConfig(PortKind.SOCKS5, 0, "any")])
    )
    local = await trio.open_tcp_stream("127.0.0.1", fwd.bound[0])
    return fwd, rev, await socks5_connect(local, "127.0.0.1", rev.bound[0])


async def _until_idle(*handles) -> None:
    with trio.fail_after(5):
        while any(h.stats()["total"]["active"] for h in handles):  # noqa: ASYNC110
            await trio.sleep(0.01)


async def test_inner_close_reaches_the_local_app_through_both_routers(nursery):
    async def answer_then_close(stream):
        assert await _read(stream, 5) == b"hello"
        await stream.send_all(b"bye")
        await stream.aclose()

    fwd, rev, stream = await _chained(nursery, answer_then_close)
    await stream.send_all(b"hello")
    assert await _read_to_eof(stream) == b"bye"
    await _until_idle(fwd, rev)
    await stream.aclose()


async def test_local_close_reaches_the_inner_service_through_both_routers(nursery):
    received = bytearray()
    ended = trio.Event()

    async def collect(stream):
        received.extend(await _read_to_eof(stream))
        ended.set()

    fwd, rev, stream = await _chained(nursery, collect)
    payload = bytes(range(256)) * 1024  # several relay reads
    await stream.send_all(payload)
    await stream.aclose()
    with trio.fail_after(5):
        await ended.wait()
    assert received == payload
    await _until_idle(fwd, rev)
    assert fwd.stats()["total"]["bytes_out"] == rev.stats()["total"]["bytes_in"] == len(payload)


async def test_reverse_destination_down_rejects_the_peer(nursery):
    closed = trio.socket.socket()
    await closed.bind(("127.0.0.1", 0))
    down_port = closed.getsockname()[1]  # bound, never listening: connections are refused
    cfg = router_config(
        PortConfig(PortKind.REVERSE, 0, "any", "127.0.0.1", down_port, bind_host="127.0.0.1")
    )
    handle = await nursery.start(run_router, cfg)
    stream = await open_ratls_stream(
        "127.0.0.1", handle.bound[0], Identity.generate("none"), POLICIES["any"]
    )
    assert await _read_to_eof(stream) == b""
    await _until_idle(handle)
    assert handle.stats()["total"]["rejected"] == 1
    assert handle.stats()["total"]["established"] == 0
    closed.close()
