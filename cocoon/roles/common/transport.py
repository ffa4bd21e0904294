"""How clients and workers reach a proxy, and what they learn about it.

Two ways, as in the reference (spec 10 section 1.2): RA-TLS dialled in-process (PoW, TLS 1.3,
the attestation policy; no preamble follows), or through a local router's SOCKS5 port (the
router does RA-TLS and writes the `AttestedPeerInfo` preamble, which the session reads first).
Either way the role gets the stream to run its session on and, once known, the peer's
attested identity.
"""

from __future__ import annotations

import attrs
import trio

from cocoon.errors import ConfigError
from cocoon.net.preamble import AttestedPeerInfo
from cocoon.net.socks5 import socks5_connect
from cocoon.ratls.connect import IdentitySource, open_ratls_stream
from cocoon.ratls.identity import Identity
from cocoon.ratls.policy import Policy
from cocoon.ratls.pow import DEFAULT_MAX_DIFFICULTY
from cocoon.ratls.quote import image_hash


def parse_endpoint(text: str) -> tuple[str, int]:
    """`host:port` (or `[v6]:port`) -> (host, port)."""
    host, sep, port = text.strip().rpartition(":")
    if not sep or not port.isdigit() or not host or not 0 < int(port) <= 65535:
        raise ConfigError(f"expected <host>:<port> (port 1 to 65535), got {text!r}")
    return host.strip("[]"), int(port)


@attrs.frozen
class PeerInfo:
    """The attested other end of a connection."""

    image_hash: bytes
    public_key: bytes
    attested: bool  # False for policy `any` (no attestation)


def peer_from_preamble(info: AttestedPeerInfo) -> PeerInfo:
    """What a router's preamble says about the peer it verified."""
    att = info.attestation
    return PeerInfo(
        image_hash=image_hash(att), public_key=info.public_key, attested=att is not None
    )


def peer_of_stream(stream: trio.abc.Stream) -> PeerInfo | None:
    """The verified peer of an in-process RA-TLS stream, None for a plain one."""
    peer = getattr(stream, "peer", None)
    if peer is None:
        return None
    attested = peer.attestation.measurements is not None
    return PeerInfo(image_hash=peer.image_hash, public_key=peer.public_key, attested=attested)


@attrs.frozen
class Dialer:
    """How this role dials proxies: through a router (`via`) or RA-TLS in-process."""

    identity: Identity | IdentitySource | None = None
    policy: Policy | None = None
    via: tuple[str, int] | None = None
    max_pow_difficulty: int = DEFAULT_MAX_DIFFICULTY
    handshake_timeout: float = 20.0

    async def dial(self, host: str, port: int) -> tuple[trio.abc.Stream, bool]:
        """Connect to a proxy; returns the stream and whether a router preamble precedes
        the frames on it."""
        if self.via is not None:
            with trio.fail_after(self.handshake_timeout):
                tcp = await trio.open_tcp_stream(*self.via)
                try:
                    return await socks5_connect(tcp, host, port), True
                except BaseException:
                    await trio.aclose_forcefully(tcp)
                    raise
        if self.identity is None or self.policy is None:
            raise ConfigError("dialling RA-TLS in-process needs an identity and a policy")
        stream = await open_ratls_stream(
            host,
            port,
            self.identity,
            self.policy,
            max_pow_difficulty=self.max_pow_difficulty,
            handshake_timeout=self.handshake_timeout,
        )
        return stream, False
