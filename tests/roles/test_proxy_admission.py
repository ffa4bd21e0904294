"""The proxy's ports against strangers (hardening item 7): connections waiting to authorize
are capped in all and per address, and their frames are held to 64 KiB until they authorize."""

from __future__ import annotations

import struct
import types
from functools import partial

import pytest
import trio

from cocoon import tl
from cocoon.net.admission import AuthGate
from cocoon.net.framing import FrameDecoder, FrameEncoder
from cocoon.roles.proxy import runner
from cocoon.roles.proxy.config import ProxyConfig


class Handshaker:
    """Stands for a client's handshake: `TestQuery` authorizes, as a successful auth does."""

    def __init__(self, node, peer) -> None:
        self.node = node

    async def on_query(self, session, query):
        session.authorize()
        return tl.TestAnswer(id=query.id)

    async def on_packet(self, session, packet):
        self.node.packets.append(packet)

    def closed(self) -> None:
        pass


class Peer:
    def __init__(self, stream) -> None:
        self.stream = stream
        self.encoder = FrameEncoder()
        self.decoder = FrameDecoder()

    @classmethod
    async def open(cls, port: int) -> Peer:
        return cls(await trio.open_tcp_stream("127.0.0.1", port))

    async def send(self, obj) -> None:
        await self.stream.send_all(self.encoder.encode(tl.encode(obj)))

    async def receive(self):
        """The next packet, or None once the proxy closed the connection."""
        while (payload := self.decoder.next_frame()) is None:
            try:
                data = await self.stream.receive_some()
            except trio.BrokenResourceError:
                return None
            if not data:
                return None
            self.decoder.feed(data)
        return tl.decode(payload, "tcp.Packet")

    async def connect(self) -> bool:
        await self.send(tl.TcpConnect(id=1))
        return isinstance(await self.receive(), tl.TcpConnected)


@pytest.fixture
async def port_with(monkeypatch):
    """A proxy client port served by `runner.serve_connection` with the given gate."""
    monkeypatch.setattr(runner, "ClientSession", Handshaker)
    node = types.SimpleNamespace(connections=set(), packets=[])

    async def start(nursery, gate: AuthGate) -> int:
        async def handle(stream):
            await runner.serve_connection(node, "client", stream, preamble=False, gate=gate)

        listeners = await nursery.start(partial(trio.serve_tcp, handle, 0, host="127.0.0.1"))
        return listeners[0].socket.getsockname()[1]

    start.node = node
    return start


async def test_connections_past_the_per_address_cap_are_closed_at_once(port_with):
    """300 connections waiting in a long authorization were all held."""
    gate = AuthGate(max_waiting=100, max_waiting_per_address=2)
    async with trio.open_nursery() as nursery:
        port = await port_with(nursery, gate)
        first, second = await Peer.open(port), await Peer.open(port)
        assert await first.connect() and await second.connect()
        third = await Peer.open(port)
        with trio.fail_after(10):
            assert not await third.connect()  # closed without an answer
        assert gate.waiting == 2 and gate.refused == 1
        # One authorizes: its place is free at once, while it stays connected.
        await first.send(tl.TcpQuery(id=1, data=tl.encode(tl.TestQuery(id=0))))
        assert isinstance(await first.receive(), tl.TcpQueryAnswer)
        assert gate.waiting == 1
        fourth = await Peer.open(port)
        assert await fourth.connect()
        # One goes away: its place is free too.
        await second.stream.aclose()
        with trio.fail_after(10):
            while gate.waiting != 1:  # noqa: ASYNC110 - the proxy notices the close
                await trio.sleep(0.01)
        fifth = await Peer.open(port)
        assert await fifth.connect()
        nursery.cancel_scope.cancel()


async def test_connections_past_the_total_cap_are_closed_at_once(port_with):
    gate = AuthGate(max_waiting=3, max_waiting_per_address=0)
    async with trio.open_nursery() as nursery:
        port = await port_with(nursery, gate)
        peers = [await Peer.open(port) for _ in range(3)]
        for peer in peers:
            assert await peer.connect()
        extra = await Peer.open(port)
        with trio.fail_after(10):
            assert not await extra.connect()
        nursery.cancel_scope.cancel()


async def test_a_large_frame_before_authorization_closes_the_connection(port_with):
    """Four partial 16 MiB frames took the proxy from 117 to 189 MiB."""
    gate = AuthGate(max_waiting=10, max_waiting_per_address=10)
    async with trio.open_nursery() as nursery:
        port = await port_with(nursery, gate)
        stranger = await Peer.open(port)
        assert await stranger.connect()
        await stranger.stream.send_all(struct.pack("<Ii", 1 << 20, 1) + bytes(1000))
        with trio.fail_after(10):
            assert await stranger.receive() is None
        # After authorizing, the same frame is taken.
        member = await Peer.open(port)
        assert await member.connect()
        await member.send(tl.TcpQuery(id=1, data=tl.encode(tl.TestQuery(id=0))))
        assert isinstance(await member.receive(), tl.TcpQueryAnswer)
        await member.send(tl.TcpPacket(data=tl.encode(tl.HttpRequest(
            method="POST", url="/", http_version="HTTP/1.1", headers=[], payload=bytes(1 << 20)
        ))))  # fmt: skip
        await member.send(tl.TcpPing(id=3))
        with trio.fail_after(10):
            assert await member.receive() == tl.TcpPong(id=3)
        assert len(port_with.node.packets) == 1
        nursery.cancel_scope.cancel()


def test_the_caps_are_in_the_config_and_only_the_total_behind_a_router():
    base = {"owner_address": "x", "root_contract_address": "y"}
    cfg = ProxyConfig(**base)
    assert (cfg.max_connections_in_auth, cfg.max_connections_in_auth_per_address) == (512, 32)
    assert runner.auth_gate(cfg).max_waiting_per_address == 32
    routed = ProxyConfig(**base, listen_mode="router", max_connections_in_auth=7)
    gate = runner.auth_gate(routed)
    assert (gate.max_waiting, gate.max_waiting_per_address) == (7, 0)


def test_the_gate_counts_per_address_and_tickets_leave_once():
    gate = AuthGate(max_waiting=3, max_waiting_per_address=2)
    a1, a2 = gate.enter("10.0.0.1"), gate.enter("10.0.0.1")
    assert a1 and a2 and gate.enter("10.0.0.1") is None
    b = gate.enter("10.0.0.2")
    assert b and gate.enter("10.0.0.3") is None  # the total
    a1.leave()
    a1.leave()
    assert gate.waiting == 2 and gate.waiting_from("10.0.0.1") == 1
    assert gate.enter(None) is not None  # an unknown address counts in the total only
    assert gate.refused == 2


OWNER = "UQAuz15H1ZHrZ_psVrAra7HealMIVeFq0wguqlmFno1f3B-m"


@pytest.mark.e2e
async def test_a_worker_may_send_large_frames_once_its_handshake_completed():
    from cocoon.net import Role, open_session
    from cocoon.network import NetworkConfig, open_network
    from cocoon.ratls.policy import builtin_policies
    from cocoon.ratls.refresh import IdentityHolder
    from cocoon.roles.common.transport import Dialer

    # 100 KiB of answer for a request the proxy does not know: dropped, but read whole.
    used = tl.TokensUsed(
        prompt_tokens_used=0, cached_tokens_used=0, completion_tokens_used=0,
        reasoning_tokens_used=0, total_tokens_used=0,
    )  # fmt: skip
    large = tl.ProxyQueryAnswerPart(
        answer=bytes(100_000), is_completed=False, request_id=bytes(32), tokens_used=used
    )
    params = tl.WorkerParams(
        worker_owner_address=OWNER, model="Qwen/Qwen3-8B", coefficient=1000, is_test=True,
        proxy_cnt=1, max_active_requests=4, min_proto_version=1, max_proto_version=2,
    )  # fmt: skip
    dialer = Dialer(
        identity=IdentityHolder.generated("fake_tdx"), policy=builtin_policies()["fake_tdx"]
    )
    async with open_network(NetworkConfig(workers=0, client_http=False)) as net:
        port = net.proxies[0].workers_port
        stream, _ = await dialer.dial("127.0.0.1", port)
        async with open_session(stream, role=Role.DIALER) as early:
            await early.send_packet(large)
            with trio.fail_after(10):
                await early.wait_closed()
        stream, _ = await dialer.dial("127.0.0.1", port)
        async with open_session(stream, role=Role.DIALER) as session:
            await session.query(tl.WorkerConnectToProxy(params=params), timeout=5)
            await session.query(
                tl.WorkerCompareBalanceWithProxy(
                    tokens_committed_to_blockchain=0, tokens_committed_to_db=0, max_tokens=0
                ),
                timeout=5,
            )
            await session.query(tl.WorkerProxyHandshakeComplete(is_disabled=False), timeout=5)
            await session.send_packet(large)
            status = await session.query(tl.WorkerUpdatePaymentStatus(), timeout=5)
            assert isinstance(status, tl.WorkerPaymentStatus) and not session.closed


@pytest.mark.e2e
async def test_a_client_request_larger_than_the_preauth_limit_is_served():
    """An authorized client's frames may be large: its 100 KiB request goes through."""
    from cocoon.network import NetworkConfig, open_network

    from .netutil import chat_body, run_request

    async with open_network(NetworkConfig()) as net:
        body = chat_body(messages=[{"role": "user", "content": "x" * 100_000}])
        out = await run_request(net.clients[0].node, body)
        assert out.failed is None and out.done is not None, out.failed


def test_remote_address_looks_through_tls():
    import socket

    from cocoon.net.admission import remote_address

    with socket.create_server(("127.0.0.1", 0)) as server:
        client = socket.create_connection(server.getsockname())
        accepted, _ = server.accept()
        with client, accepted:
            tls_like = types.SimpleNamespace(transport=types.SimpleNamespace(socket=accepted))
            assert remote_address(tls_like) == "127.0.0.1"
    assert remote_address(types.SimpleNamespace()) is None
