"""The router role (spec 20 section 6): RA-TLS on the network side, plain TCP toward the
local services, the attested-peer preamble in front of the plain side.

    handle = await nursery.start(run_router, config)
    handle.bound                 # the bound port of each configured port (0 -> a free one)
    handle.stats()               # connections and bytes, per port and in total

Reverse port: accept -> PoW challenge -> TLS server -> policy -> connect HOST:DPORT ->
preamble -> pump. SOCKS5 port (127.0.0.1): SOCKS5 handshake -> TCP to the target ->
"succeeded" -> PoW solve -> TLS client -> policy -> preamble toward the local app -> pump.
Forward port: the same without SOCKS5, to a fixed destination.

Each connection is one task; any failure closes both of its sockets and nothing else.
Set-up steps run under `handshake_timeout`; established tunnels have no idle limit.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import attrs
import trio

from cocoon.errors import CocoonError
from cocoon.net import socks5
from cocoon.net.preamble import AttestedPeerInfo, encode_preamble
from cocoon.net.preamble import SgxMeasurements as PreambleSgx
from cocoon.net.preamble import TdxMeasurements as PreambleTdx
from cocoon.net.tcp import SocketStream, connect_tcp, from_trio, open_tcp_listeners
from cocoon.ratls.connect import RatlsPeer, accept_ratls, ratls_client
from cocoon.ratls.policy import Policy
from cocoon.ratls.quote import SgxMeasurements, TdxMeasurements
from cocoon.ratls.refresh import IdentityHolder
from cocoon.roles.router.config import PortConfig, PortKind, RouterConfig

log = logging.getLogger("cocoon.router")
# As the TLS layer's reads (cocoon.ratls.tls_common.RECEIVE_SIZE): under glibc's mmap
# threshold, and a TLS record holds at most 16 KiB anyway.
PUMP_CHUNK = 64 * 1024


def peer_info(peer: RatlsPeer, source: tuple[str, int], destination: tuple[str, int]) -> bytes:
    """The framed AttestedPeerInfo for the inner service (spec 20 section 6.6)."""
    m = peer.attestation.measurements
    if isinstance(m, TdxMeasurements):
        att: Any = PreambleTdx(
            m.mr_td, m.mr_config_id, m.mr_owner, m.mr_owner_config, m.rtmr, m.report_data
        )
    elif isinstance(m, SgxMeasurements):
        att = PreambleSgx(m.mr_enclave, m.report_data)
    else:
        att = None
    return encode_preamble(
        AttestedPeerInfo(
            attestation=att,
            public_key=peer.public_key,
            source_ip=source[0],
            source_port=source[1],
            destination_ip=destination[0],
            destination_port=destination[1],
            collateral_root_hash=peer.attestation.collateral_root_hash,
        )
    )


@attrs.define
class PortStats:
    accepted: int = 0  # connections accepted on this port
    established: int = 0  # tunnels that passed every check
    rejected: int = 0  # failed set-up (PoW, TLS, policy, SOCKS, destination)
    active: int = 0
    bytes_in: int = 0  # network/remote side -> local service
    bytes_out: int = 0  # local service -> network/remote side


@attrs.define
class RouterHandle:
    """What `run_router` reports once every port is bound."""

    bound: list[int]  # the bound port of each configured port, in config order
    port_stats: dict[int, PortStats]  # by bound port
    identity: IdentityHolder
    started_at: float = attrs.field(factory=time.time)

    def stats(self) -> dict[str, Any]:
        """A snapshot: per port and totals."""
        per_port = {str(p): attrs.asdict(s) for p, s in self.port_stats.items()}
        total = {
            key: sum(getattr(s, key) for s in self.port_stats.values())
            for key in attrs.fields_dict(PortStats)
        }
        return {
            "uptime": time.time() - self.started_at,
            "ports": per_port,
            "total": total,
            "certificate_generation": self.identity.generation,
        }


async def _pump(
    src: trio.abc.ReceiveStream, dst: trio.abc.SendStream, count: Callable[[int], None]
) -> None:
    while data := await src.receive_some(PUMP_CHUNK):
        await dst.send_all(data)
        count(len(data))


async def _tunnel(local: trio.abc.Stream, remote: trio.abc.Stream, stats: PortStats) -> None:
    """Bytes both ways until either side ends; then both are closed (as the reference)."""

    def inbound(n: int) -> None:
        stats.bytes_in += n

    def outbound(n: int) -> None:
        stats.bytes_out += n

    async with trio.open_nursery() as nursery:

        async def one_way(src: trio.abc.Stream, dst: trio.abc.Stream, count: Callable) -> None:
            try:
                await _pump(src, dst, count)
            except (trio.BrokenResourceError, trio.ClosedResourceError, CocoonError) as e:
                log.debug("tunnel ended: %r", e)
            nursery.cancel_scope.cancel()

        nursery.start_soon(one_way, remote, local, inbound)
        nursery.start_soon(one_way, local, remote, outbound)


def _address(stream: trio.abc.Stream, peer: bool) -> tuple[str, int]:
    sock = getattr(stream, "socket", None)
    try:
        host, port = (sock.getpeername() if peer else sock.getsockname())[:2]
        return str(host), int(port)
    except (AttributeError, OSError, ValueError):
        return "0.0.0.0", 0


class _Router:
    def __init__(self, config: RouterConfig, identity: IdentityHolder) -> None:
        self.config = config
        self.identity = identity
        self.stats: dict[int, PortStats] = {}

    async def _guard(self, port: PortConfig, stats: PortStats, tcp: SocketStream, work):
        stats.accepted += 1
        stats.active += 1
        try:
            await work(port, stats, tcp)
        except Exception:  # a bug in one connection must not stop the router
            stats.rejected += 1
            log.exception("router port %d: connection failed", port.port)
        finally:
            stats.active -= 1
            await trio.aclose_forcefully(tcp)

    # --- reverse: network RA-TLS in, plain TCP to the local service ---

    async def reverse(self, port: PortConfig, stats: PortStats, tcp: SocketStream) -> None:
        cfg = self.config
        policy = cfg.policies[port.policy_name]
        tls = await accept_ratls(
            tcp,
            self.identity,
            policy,
            difficulty=cfg.pow_difficulty,
            handshake_timeout=cfg.handshake_timeout,
        )
        if tls is None:
            stats.rejected += 1
            return
        destination = (port.destination_host, port.destination_port)
        try:
            with trio.fail_after(cfg.handshake_timeout):
                local = await connect_tcp(*destination)
        except (OSError, trio.TooSlowError) as e:
            stats.rejected += 1
            log.warning("router port %d: cannot reach %s:%d: %s", port.port, *destination, e)
            await trio.aclose_forcefully(tls)
            return
        stats.established += 1
        try:
            if cfg.serialize_info_for(port):
                source = tls.peer.address or _address(tcp, peer=True)
                await local.send_all(peer_info(tls.peer, source, _address(local, peer=True)))
            await _tunnel(local, tls, stats)
        finally:
            await trio.aclose_forcefully(local)
            await trio.aclose_forcefully(tls)

    # --- SOCKS5 and forward: plain TCP from a local service, RA-TLS out ---

    async def _socks5_handshake(
        self, port: PortConfig, local: SocketStream
    ) -> tuple[tuple[str, int], Policy, bytes, Callable]:
        """The SOCKS5 exchange up to the CONNECT request. Returns the target, the policy,
        early bytes, and a function that sends the reply once the outbound socket exists."""
        buf = bytearray()

        async def read(parse):
            while (parsed := parse(bytes(buf))) is None:
                chunk = await local.receive_some(4096)
                if not chunk:
                    raise socks5.Socks5Error("client closed during the SOCKS5 exchange")
                buf.extend(chunk)
            value, used = parsed
            del buf[:used]
            return value

        greeting = await read(socks5.parse_greeting)
        policy = self.config.policies[port.policy_name]
        if port.allow_policy_from_username and socks5.METHOD_USERNAME in greeting.methods:
            await local.send_all(socks5.encode_method_choice(socks5.METHOD_USERNAME))
            auth = await read(socks5.parse_userpass)
            if auth.username not in self.config.policies:
                raise socks5.Socks5Error(f"unknown policy {auth.username!r} in SOCKS5 username")
            policy = self.config.policies[auth.username]
            await local.send_all(socks5.encode_auth_status(True))
        elif socks5.METHOD_NO_AUTH in greeting.methods:
            await local.send_all(socks5.encode_method_choice(socks5.METHOD_NO_AUTH))
        else:
            await local.send_all(socks5.encode_method_choice(socks5.METHOD_NONE_ACCEPTABLE))
            raise socks5.Socks5Error(f"no acceptable SOCKS5 method in {greeting.methods}")
        try:
            target = await read(socks5.parse_connect)
        except socks5.Socks5Unsupported as e:
            await local.send_all(socks5.encode_failure(e.reply))  # then closed, as RFC 1928 says
            raise

        async def reply(outbound: SocketStream) -> None:
            host, bound_port = _address(outbound, peer=False)
            await local.send_all(socks5.encode_reply(host, bound_port))

        return (target.host, target.port), policy, bytes(buf), reply

    async def forward(self, port: PortConfig, stats: PortStats, local: SocketStream) -> None:
        cfg = self.config
        early = b""
        try:
            with trio.fail_after(cfg.handshake_timeout):
                if port.kind is PortKind.SOCKS5:
                    target, policy, early, reply = await self._socks5_handshake(port, local)
                else:
                    target = (port.destination_host, port.destination_port)
                    policy, reply = cfg.policies[port.policy_name], None
                remote_tcp = await connect_tcp(*target)
                try:
                    if reply is not None:
                        await reply(remote_tcp)  # "succeeded" before PoW/TLS, as the reference
                    tls = await ratls_client(
                        remote_tcp,
                        self.identity,
                        policy,
                        max_pow_difficulty=cfg.max_pow_difficulty,
                        address=target,
                    )
                except BaseException:
                    await trio.aclose_forcefully(remote_tcp)
                    raise
        except (CocoonError, OSError, trio.TooSlowError, trio.BrokenResourceError) as e:
            stats.rejected += 1
            log.info(
                "router port %d: outbound connection failed: %s: %s", port.port, type(e).__name__, e
            )
            return
        stats.established += 1
        try:
            if cfg.serialize_info_for(port):
                source = _address(local, peer=True)
                await local.send_all(peer_info(tls.peer, source, target))
            if early:
                await tls.send_all(early)
                stats.bytes_out += len(early)
            await _tunnel(local, tls, stats)
        finally:
            await trio.aclose_forcefully(tls)

    async def serve_port(
        self, port: PortConfig, *, task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED
    ) -> None:
        listeners = await open_tcp_listeners(port.port, host=port.listen_host)
        bound = listeners[0].socket.getsockname()[1]
        stats = self.stats.setdefault(bound, PortStats())
        work = self.reverse if port.kind is PortKind.REVERSE else self.forward
        log.info("router: %s port %d (policy %s)", port.kind.value, bound, port.policy_name)

        async def handle(tcp: trio.SocketStream) -> None:
            # Our stream, not trio's: trio's yields to the scheduler on every send and
            # receive, a pass per relayed chunk (cocoon.net.tcp).
            await self._guard(port, stats, from_trio(tcp), work)

        async with trio.open_nursery() as nursery:
            await nursery.start(trio.serve_listeners, handle, listeners)
            task_status.started(bound)


async def run_router(
    config: RouterConfig, *, task_status: trio.TaskStatus[RouterHandle] = trio.TASK_STATUS_IGNORED
) -> None:
    """Run the router until cancelled; `task_status.started(handle)` once all ports listen.

    Without `config.cert_base` the router makes its own non-TDX certificate (accepted only
    by `any` peers, as the reference's) and renews it before it expires; with it, the
    certificate files are reloaded when they change.
    """
    if config.cert_base:
        identity = await trio.to_thread.run_sync(IdentityHolder.from_files, config.cert_base)
    else:
        identity = IdentityHolder.generated("none")
    router = _Router(config, identity)
    async with trio.open_nursery() as nursery:
        await nursery.start(
            lambda task_status: identity.run(
                interval=config.refresh_interval, task_status=task_status
            )
        )
        bound = [await nursery.start(router.serve_port, port) for port in config.ports]
        task_status.started(RouterHandle(bound, router.stats, identity))
