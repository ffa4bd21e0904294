"""Dial and serve RA-TLS: TCP, then proof of work, then mutual TLS 1.3, then the RA-TLS
certificate rules and the attestation policy, in trio's style.

    stream = await open_ratls_stream("10.0.0.2", 11001, identity, policy)
    stream.peer.image_hash                       # verified before this returns

    async def handler(stream: TlsStream) -> None:
        stream.peer.attestation ...
    await nursery.start(serve_ratls, handler, 11001, identity, policy)

The accepting side challenges, the dialing side solves (spec 20 section 6.3). Both sides
present certificates and both verify. No application byte is exchanged before the peer has
passed the policy: a failing peer's connection is closed right after the handshake. Every
step up to that point runs under a deadline (`handshake_timeout`), so a stalled peer never
holds a task for long; once connected, the stream has no idle timeout (sessions above have
their own pings).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Protocol

import attrs
import trio

from cocoon.errors import AttestationError, CocoonError, ProtocolError
from cocoon.net.tcp import connect_tcp, from_trio, open_tcp_listeners
from cocoon.ratls import pow as pow_
from cocoon.ratls.cert import CertInfo, Purpose, inspect_cert
from cocoon.ratls.identity import Identity
from cocoon.ratls.policy import Policy
from cocoon.ratls.quote import AttestationData
from cocoon.ratls.tls_client import ClientTlsStream, make_client_context

if TYPE_CHECKING:
    # The accepting side runs on pyOpenSSL, imported on first accept: a role that only dials
    # (the client, the worker) never loads it.
    from cocoon.ratls.tls import TlsStream

log = logging.getLogger("cocoon.ratls")

DEFAULT_HANDSHAKE_TIMEOUT = 60.0
POW_SLICE = 50_000  # nonces per worker-thread call: bounds the work left after a cancel


@attrs.frozen
class RatlsPeer:
    """The verified other side of an RA-TLS connection."""

    public_key: bytes  # 32 raw Ed25519 bytes (the certificate's user claims)
    attestation: AttestationData
    policy_name: str
    certificate: CertInfo
    address: tuple[str, int] | None = None  # the TCP peer, when known

    @property
    def image_hash(self) -> bytes:
        return self.attestation.image_hash


class IdentitySource(Protocol):
    """Anything that knows our current identity (refreshed certificates: `IdentityHolder`)."""

    @property
    def identity(self) -> Identity: ...


def current_identity(identity: Identity | IdentitySource) -> Identity:
    return identity if isinstance(identity, Identity) else identity.identity


async def receive_exactly(stream: trio.abc.ReceiveStream, n: int) -> tuple[bytes, bytes]:
    """`n` bytes from `stream` and whatever arrived after them in the same reads."""
    buf = bytearray()
    while len(buf) < n:
        chunk = await stream.receive_some(max(n - len(buf), 4096))
        if not chunk:
            raise trio.BrokenResourceError(f"peer closed after {len(buf)} of {n} bytes")
        buf += chunk
    return bytes(buf[:n]), bytes(buf[n:])


async def solve_pow(challenge: pow_.Challenge) -> int:
    """Solve in a worker thread, in slices, so that cancelling stops the work quickly."""
    start = 0
    while True:
        found = await trio.to_thread.run_sync(
            lambda s=start: pow_.solve(challenge, start=s, limit=POW_SLICE)
        )
        if found is not None:
            return found
        start += POW_SLICE


async def verify_peer(
    tls: TlsStream | ClientTlsStream,
    policy: Policy,
    *,
    clock: Callable[[], float] = time.time,
    address: tuple[str, int] | None = None,
) -> RatlsPeer:
    """The RA-TLS checks on a finished handshake (spec 20 section 5.2 step 2)."""
    der = tls.peer_certificate_der()
    if der is None:
        raise AttestationError("peer presented no certificate")
    now = clock()
    purpose = Purpose.CLIENT if tls.server_side else Purpose.SERVER
    info = inspect_cert(der, now=now, purpose=purpose)
    if policy.may_block:
        attestation = await trio.to_thread.run_sync(
            lambda: policy.validate(info.quote, info.public_key, now=int(now))
        )
    else:
        attestation = policy.validate(info.quote, info.public_key, now=int(now))
    return RatlsPeer(info.public_key, attestation, policy.name, info, address)


async def ratls_client(
    transport: trio.abc.Stream,
    identity: Identity | IdentitySource,
    policy: Policy,
    *,
    max_pow_difficulty: int = pow_.DEFAULT_MAX_DIFFICULTY,
    clock: Callable[[], float] = time.time,
    address: tuple[str, int] | None = None,
) -> ClientTlsStream:
    """The dialing side on an open transport: solve the PoW, TLS client (stdlib `ssl`, see
    `cocoon.ratls.tls_client`), verify the server. The caller owns `transport` on failure (and
    applies its deadline)."""
    data, surplus = await receive_exactly(transport, pow_.CHALLENGE_SIZE)
    challenge = pow_.Challenge.decode(data)
    pow_.check_difficulty(challenge, max_pow_difficulty)
    if surplus:
        raise ProtocolError("the server sent data before our proof of work")
    nonce = await solve_pow(challenge)
    await transport.send_all(pow_.encode_answer(nonce))
    tls = ClientTlsStream(transport, make_client_context(current_identity(identity)))
    await tls.do_handshake()
    tls.peer = await verify_peer(tls, policy, clock=clock, address=address)
    return tls


async def ratls_server(
    transport: trio.abc.Stream,
    identity: Identity | IdentitySource,
    policy: Policy,
    *,
    difficulty: int = pow_.DEFAULT_DIFFICULTY,
    clock: Callable[[], float] = time.time,
    address: tuple[str, int] | None = None,
) -> TlsStream:
    """The accepting side on an open transport: challenge, TLS server, verify the client."""
    from cocoon.ratls.tls import TlsStream, make_context

    challenge = pow_.Challenge.new(difficulty)
    await transport.send_all(challenge.encode())
    answer, surplus = await receive_exactly(transport, pow_.ANSWER_SIZE)
    challenge.verify_answer(answer)
    context = make_context(current_identity(identity), server_side=True)
    tls = TlsStream(transport, context, server_side=True, initial_data=surplus)
    await tls.do_handshake()
    tls.peer = await verify_peer(tls, policy, clock=clock, address=address)
    return tls


def _peer_address(stream: trio.abc.Stream) -> tuple[str, int] | None:
    sock = getattr(stream, "socket", None)
    try:
        host, port = sock.getpeername()[:2]
    except (AttributeError, OSError, ValueError):
        return None
    return str(host), int(port)


async def open_ratls_stream(
    host: str,
    port: int,
    identity: Identity | IdentitySource,
    policy: Policy,
    *,
    max_pow_difficulty: int = pow_.DEFAULT_MAX_DIFFICULTY,
    handshake_timeout: float = DEFAULT_HANDSHAKE_TIMEOUT,
    clock: Callable[[], float] = time.time,
) -> ClientTlsStream:
    """Connect, solve the PoW, handshake and verify the server against `policy`.

    Raises TooSlowError when it takes longer than `handshake_timeout`, AttestationError when
    the server is not acceptable, ProtocolError (PowError, TlsError) or OSError otherwise.
    """
    with trio.fail_after(handshake_timeout):
        tcp = await connect_tcp(host, port)
        try:
            return await ratls_client(
                tcp,
                identity,
                policy,
                max_pow_difficulty=max_pow_difficulty,
                clock=clock,
                address=_peer_address(tcp),
            )
        except BaseException:
            await trio.aclose_forcefully(tcp)
            raise


Handler = Callable[["TlsStream"], Awaitable[object]]


async def accept_ratls(
    tcp: trio.abc.Stream,
    identity: Identity | IdentitySource,
    policy: Policy,
    *,
    difficulty: int = pow_.DEFAULT_DIFFICULTY,
    handshake_timeout: float = DEFAULT_HANDSHAKE_TIMEOUT,
    clock: Callable[[], float] = time.time,
) -> TlsStream | None:
    """Server side of one accepted connection; None (connection closed, reason logged)
    when the peer fails, stalls or goes away."""
    address = _peer_address(tcp)
    try:
        with trio.fail_after(handshake_timeout):
            return await ratls_server(
                tcp, identity, policy, difficulty=difficulty, clock=clock, address=address
            )
    except (CocoonError, trio.TooSlowError, trio.BrokenResourceError, OSError) as e:
        log.info("RA-TLS peer %s rejected: %s", address, _reason(e))
    await trio.aclose_forcefully(tcp)
    return None


def _reason(e: BaseException) -> str:
    if isinstance(e, trio.TooSlowError):
        return "handshake timed out"
    return f"{type(e).__name__}: {e}"


async def serve_ratls(
    handler: Handler,
    port: int,
    identity: Identity | IdentitySource,
    policy: Policy,
    *,
    host: str | None = "127.0.0.1",
    difficulty: int = pow_.DEFAULT_DIFFICULTY,
    handshake_timeout: float = DEFAULT_HANDSHAKE_TIMEOUT,
    clock: Callable[[], float] = time.time,
    task_status: trio.TaskStatus[list[trio.SocketListener]] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Accept RA-TLS connections forever; `handler(stream)` runs for each verified peer
    (its stream is closed when it returns). `task_status.started(listeners)` once bound
    (port 0 picks a free port: read it from `listeners[0].socket.getsockname()`).
    A failing handler ends its connection only."""
    # The accepting side's TLS (pyOpenSSL) is loaded here, before the first peer arrives, not
    # during its handshake.
    import cocoon.ratls.tls  # noqa: F401

    listeners = await open_tcp_listeners(port, host=host)

    async def one(accepted: trio.SocketStream) -> None:
        tcp = from_trio(accepted)
        try:
            tls = await accept_ratls(
                tcp,
                identity,
                policy,
                difficulty=difficulty,
                handshake_timeout=handshake_timeout,
                clock=clock,
            )
        except Exception:  # a bug on one connection must not stop the server
            log.exception("RA-TLS accept failed")
            await trio.aclose_forcefully(tcp)
            return
        if tls is None:
            return
        try:
            await handler(tls)
        except Exception:
            log.exception("RA-TLS handler for %s failed", tls.peer.address if tls.peer else None)
        finally:
            await trio.aclose_forcefully(tls)

    async with trio.open_nursery() as nursery:
        task_status.started(listeners)
        await nursery.start(trio.serve_listeners, one, listeners)
