"""What a client's and a worker's connection slot to a proxy share (spec 10 sections 6.2-6.3):
dial (RA-TLS, or through a SOCKS5 router), open the session, run the role's handshake, then
serve until the connection ends, and redial (`keep_connected`).

The role gives `_handshake(session)` (its own queries, with the checks of the proxy's answer
below), `_poll_payments(session)` (runs while connected), `_on_connected()` and
`_on_disconnected(session)`.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from typing import Any, ClassVar

import trio
from pytoniq_core import Address

from cocoon import tl
from cocoon.errors import PaymentError, ProtocolError
from cocoon.net import Role, Session, open_session
from cocoon.net.session import QueryError
from cocoon.roles.common.errors import OutOfRangeError
from cocoon.roles.common.redial import keep_connected
from cocoon.roles.common.transport import PeerInfo, peer_from_preamble, peer_of_stream
from cocoon.ton.cells import parse_address
from cocoon.ton.contracts import ProxyContract


class HandshakeError(ProtocolError):
    """The proxy's handshake answers are not acceptable; the connection is dropped."""


class ProxyLinkBase(ABC):
    """A connection slot; `run()` keeps it connected to some proxy until cancelled. `node` has
    `dialer`, `pick_proxy(slot)`, `root` (a `RootView`) and `config` (`is_test`,
    `checks_proxy_hashes`)."""

    role: ClassVar[str]  # "client" or "worker", for names and logs
    log: ClassVar[logging.Logger]

    def __init__(self, node: Any, slot: int) -> None:
        self.node = node
        self.slot = slot
        self.target: tuple[str, int] | None = None
        self.session: Session | None = None
        self.peer: PeerInfo | None = None
        self.ready = False
        self.connections = 0  # handshakes completed (resets the redial backoff)
        self.proto = 0
        self.proxy_sc: str | None = None
        self.last_error: str | None = None

    async def run(self) -> None:
        await keep_connected(self, self.log, self.role)

    def pick(self) -> tuple[str, int] | None:
        return self.node.pick_proxy(self.slot)

    async def connect(self, host: str, port: int) -> None:
        """Dial, handshake and serve one connection; returns or raises when it ends."""
        stream, preamble = await self.node.dialer.dial(host, port)
        self.peer = peer_of_stream(stream)
        async with open_session(
            stream,
            role=Role.DIALER,
            handler=self,
            read_preamble=preamble,
            name=f"{self.role}->{host}:{port}",
        ) as session:
            if session.peer_info is not None:
                self.peer = peer_from_preamble(session.peer_info)
            self.session = session
            try:
                await self._handshake(session)
            except (
                QueryError,
                PaymentError,
                HandshakeError,
                OutOfRangeError,
                tl.TLDecodeError,
            ) as e:
                session.close(f"handshake failed: {e}")
                raise HandshakeError(str(e)) from e
            self.ready = True
            self.connections += 1
            self.last_error = None
            self.log.info(
                "%s link %d: connected to proxy %s at %s:%d (proto %d)",
                self.role, self.slot, self.proxy_sc, host, port, self.proto,
            )  # fmt: skip
            self._on_connected()
            try:
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(self._poll_payments, session)
                    await session.wait_closed()
                    nursery.cancel_scope.cancel()
            finally:
                self.ready = False
                self._on_disconnected(session)
            raise ProtocolError(f"connection closed: {session.close_reason}")

    # ------------------------------------------------------------------ for the roles

    @abstractmethod
    async def _handshake(self, session: Session) -> None: ...

    @abstractmethod
    async def _poll_payments(self, session: Session) -> None: ...

    @abstractmethod
    def _on_connected(self) -> None: ...

    @abstractmethod
    def _on_disconnected(self, session: Session) -> None: ...

    def _check_proxy_image(self) -> None:
        """With `checks_proxy_hashes`, the proxy's attested image must be one the root lists."""
        if not self.node.config.checks_proxy_hashes:
            return
        allowed = self.node.root.require().proxy_hashes
        if self.peer is None or self.peer.image_hash not in allowed:
            got = self.peer.image_hash.hex() if self.peer else "none"
            raise HandshakeError(f"proxy image hash {got} is not in the root contract")

    def _accept_proxy_params(self, proxy: tl.ProxyParams) -> Address:
        """Check the proxy's `connectedToProxy` params (protocol, test mode); set `proto` and
        `proxy_sc`; return the proxy contract's address."""
        if proxy.flags & 3 == 0:
            raise HandshakeError("too old proxy")
        self.proto = proxy.proto_version if proxy.flags & 2 else 0
        if bool(proxy.is_test) != self.node.config.is_test:
            raise HandshakeError("test mode mismatch")
        proxy_sc = parse_address(proxy.proxy_sc_address)
        self.proxy_sc = proxy_sc.to_str(is_user_friendly=False)
        return proxy_sc

    async def _derived_contract(
        self, proxy: tl.ProxyParams, proxy_sc: Address
    ) -> ProxyContract | None:
        """The proxy contract as we derive it from the root (None without a known root); the
        proxy's address must be that one. On a mismatch the root is read again first: its
        params may have changed since we last looked, and the proxy moved to a new contract."""
        root = self.node.root
        for fresh in (False, True):
            if root.config is None or root.address is None:
                return None
            contract = ProxyContract(
                owner=parse_address(proxy.proxy_owner_address),
                public_key=proxy.proxy_public_key,
                root=root.address,
                params=root.config.params,
            )
            if contract.address == proxy_sc:
                return contract
            if fresh or not await root.refresh_now():
                break
        raise HandshakeError("proxy sc address mismatch")
