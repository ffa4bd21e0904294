"""One worker -> proxy connection slot: dial, handshake, serve, redial with backoff.

Handshake (spec 10 section 6.3, spec 30 section 11.3): `worker.connectToProxy` (our params,
protocol 1..MAX_PROTO) -> check the proxy's params and, when the root is known, that its
contract addresses are the ones we derive ourselves; `worker.compareBalanceWithProxy` with the
highest figures this proxy ever gave us -> the signed payout must verify and not go backwards;
the extended compare when the proxy asks for it; `worker.proxyHandshakeComplete`. Then: serve
`proxy.runQuery(Ex)` packets (each in its own task, scoped to the connection), take payment
messages, poll the payment status every 10-20 s, and push enable/disable and coefficient
changes.
"""

from __future__ import annotations

import logging
import random
from typing import TYPE_CHECKING

import trio

from cocoon import tl
from cocoon.errors import CocoonError, PaymentError, ProtocolError
from cocoon.net import Role, Session, SessionClosed, open_session
from cocoon.net.session import QueryError
from cocoon.roles.common.redial import keep_connected
from cocoon.roles.common.transport import PeerInfo, peer_from_preamble, peer_of_stream
from cocoon.roles.worker.earnings import ProxyEarnings
from cocoon.roles.worker.query import serve_query, upgrade
from cocoon.ton.cells import parse_address
from cocoon.ton.contracts import ProxyContract

if TYPE_CHECKING:
    from cocoon.roles.worker.runner import WorkerNode

log = logging.getLogger("cocoon.worker.link")

MIN_PROTO = 1
MAX_PROTO = 2
HANDSHAKE_TIMEOUT = 30.0
PAYMENT_POLL_TIMEOUT = 60.0
RECONNECT_DELAY = (1.0, 10.0)  # first retry, cap (the reference waits 10 s every time)


class HandshakeError(ProtocolError):
    """The proxy's handshake answers are not acceptable; the connection is dropped."""


def _same_address(a: str, b: object) -> bool:
    try:
        return parse_address(a) == b
    except (CocoonError, ValueError):
        return False


class ProxyLink:
    """A connection slot; `run()` keeps it connected to some proxy until cancelled."""

    def __init__(self, node: WorkerNode, slot: int) -> None:
        self.node = node
        self.slot = slot
        self.session: Session | None = None
        self.target: tuple[str, int] | None = None
        self.proxy_sc: str | None = None
        self.proto = 0
        self.ready = False
        self.earnings: ProxyEarnings | None = None
        self.peer: PeerInfo | None = None
        self.last_error: str | None = None
        self.running: dict[bytes, trio.CancelScope] = {}

    async def run(self) -> None:
        await keep_connected(self, log, "worker")

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
            name=f"worker->{host}:{port}",
        ) as session:
            if session.peer_info is not None:
                self.peer = peer_from_preamble(session.peer_info)
            self.session = session
            try:
                await self._handshake(session)
            except (QueryError, PaymentError, HandshakeError, tl.TLDecodeError) as e:
                session.close(f"handshake failed: {e}")
                raise HandshakeError(str(e)) from e
            self.ready = True
            self.last_error = None
            log.info(
                "worker link %d: connected to proxy %s at %s:%d (proto %d)",
                self.slot,
                self.proxy_sc,
                host,
                port,
                self.proto,
            )
            self.node.links.add(self)
            try:
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(self._poll_payments, session)
                    await session.wait_closed()
                    nursery.cancel_scope.cancel()
            finally:
                self.node.links.discard(self)
                self.ready = False
            raise ProtocolError(f"connection closed: {session.close_reason}")

    # ------------------------------------------------------------------ handshake

    async def _handshake(self, session: Session) -> None:
        node = self.node
        if node.config.checks_proxy_hashes:
            allowed = node.root.require().proxy_hashes
            if self.peer is None or self.peer.image_hash not in allowed:
                got = self.peer.image_hash.hex() if self.peer else "none"
                raise HandshakeError(f"proxy image hash {got} is not in the root contract")
        params = tl.WorkerParams(
            worker_owner_address=node.config.owner_address,
            model=node.config.model_name,
            coefficient=node.coefficient,
            is_test=node.config.is_test,
            proxy_cnt=node.config.proxy_connections,
            max_active_requests=node.config.max_active_requests,
            min_proto_version=MIN_PROTO,
            max_proto_version=MAX_PROTO,
        )
        connected = await session.query(
            tl.WorkerConnectToProxy(params=params),
            timeout=HANDSHAKE_TIMEOUT,
            expect=tl.WorkerConnectedToProxy,
        )
        proxy = connected.params
        if proxy.flags & 3 == 0:
            raise HandshakeError("too old proxy")
        self.proto = proxy.proto_version if proxy.flags & 2 else 0
        if bool(proxy.is_test) != node.config.is_test:
            raise HandshakeError("test mode mismatch")
        proxy_sc = parse_address(proxy.proxy_sc_address)
        worker_sc = parse_address(connected.worker_sc_address)
        root = node.root.config
        if root is not None and node.root.address is not None:
            contract = ProxyContract(
                owner=parse_address(proxy.proxy_owner_address),
                public_key=proxy.proxy_public_key,
                root=node.root.address,
                params=root.params,
            )
            if contract.address != proxy_sc:
                raise HandshakeError("proxy sc address mismatch")
            if contract.worker(node.owner).address != worker_sc:
                raise HandshakeError("worker sc address mismatch")
        self.proxy_sc = proxy_sc.to_str(is_user_friendly=False)
        earnings = self.earnings = node.earnings.for_proxy(
            proxy_sc, worker_sc, proxy.proxy_public_key
        )
        result = await session.query(
            tl.WorkerCompareBalanceWithProxy(
                tokens_committed_to_blockchain=earnings.chain_tokens,
                tokens_committed_to_db=earnings.db_tokens,
                max_tokens=earnings.max_tokens,
            ),
            timeout=HANDSHAKE_TIMEOUT,
            expect=tl.WorkerCompareBalanceWithProxyResult,
        )
        # The proxy must not report less than it promised before (it lost data).
        node.earnings.note(
            earnings.accept(
                result.signed_payment,
                result.tokens_committed_to_db,
                earnings.max_tokens,
                required=True,
            )
        )
        if result.error_code == 1:
            ext = await session.query(
                tl.WorkerExtendedCompareBalanceWithProxy(
                    tokens_committed_to_db=earnings.db_tokens, other=b""
                ),
                timeout=HANDSHAKE_TIMEOUT,
                expect=tl.WorkerExtendedCompareBalanceWithProxyResult,
            )
            if ext.error_code != 0:
                raise HandshakeError(f"extended balance compare failed with {ext.error_code}")
        elif result.error_code != 0:
            raise HandshakeError(f"balance compare failed with {result.error_code}")
        await session.query(
            tl.WorkerProxyHandshakeComplete(is_disabled=node.disabled),
            timeout=HANDSHAKE_TIMEOUT,
            expect=tl.WorkerProxyHandshakeCompleted,
        )

    async def _poll_payments(self, session: Session) -> None:
        while True:
            interval = self.node.config.payment_poll_interval
            await trio.sleep(random.uniform(interval * 0.67, interval * 1.33))
            try:
                status = await session.query(
                    tl.WorkerUpdatePaymentStatus(),
                    timeout=PAYMENT_POLL_TIMEOUT,
                    expect=tl.WorkerPaymentStatus,
                )
            except (QueryError, tl.TLDecodeError) as e:
                log.warning("worker link %d: payment status: %s", self.slot, e)
                continue
            except SessionClosed:
                return
            self._record_payment(
                session, status.signed_payment, status.db_tokens, status.max_tokens
            )

    def _record_payment(
        self, session: Session, payment: tl.TLObject, db_tokens: int, max_tokens: int
    ) -> None:
        assert self.earnings is not None
        try:
            self.node.earnings.note(self.earnings.accept(payment, db_tokens, max_tokens))
        except PaymentError as e:
            log.error("proxy %s sent a bad or lower payment: %s; reconnecting", self.proxy_sc, e)
            session.close(f"payment check failed: {e}", error=e)

    # ------------------------------------------------------------------ SessionHandler

    async def on_query(self, session: Session, query: tl.TLObject) -> tl.TLObject:
        raise QueryError(0, "Lost promise")

    async def on_packet(self, session: Session, packet: tl.TLObject) -> None:
        if not self.ready:
            log.debug("worker link %d: dropping %s before the handshake", self.slot, packet.TL_NAME)
            return
        if isinstance(packet, tl.ProxyRunQueryEx | tl.ProxyRunQuery):
            query = upgrade(packet)
            # The payment it carries is checked now, in arrival order: a payment message
            # right behind it must not be seen first (a lower payment closes the link).
            if self.earnings is not None and isinstance(
                query.signed_payment, tl.ProxySignedPayment
            ):
                self._record_payment(
                    session, query.signed_payment, self.earnings.db_tokens, self.earnings.max_tokens
                )
            # Registered before the task starts, so a cancel right behind it is not lost.
            scope = self.running[query.request_id] = trio.CancelScope()
            session.start_soon(self._serve, session, query, scope, name="worker-query")
        elif isinstance(packet, tl.ProxyWorkerRequestPayment):
            self._record_payment(
                session, packet.signed_payment, packet.db_tokens, packet.max_tokens
            )
        elif isinstance(packet, tl.CocoonExtCancelQuery):
            scope = self.running.get(packet.request_id)
            if scope is not None:
                scope.cancel()
        else:
            log.info("worker link %d: dropping unexpected %s", self.slot, packet.TL_NAME)

    async def _serve(
        self, session: Session, query: tl.ProxyRunQueryEx, scope: trio.CancelScope
    ) -> None:
        async def send(obj: tl.TLObject) -> None:
            try:
                await session.send_packet(obj)
            except SessionClosed:
                pass  # nobody to tell any more; the proxy fails the request itself

        with scope:
            try:
                await serve_query(self.node.ctx, send, self.proto, query, cancel_scope=scope)
            finally:
                self.running.pop(query.request_id, None)

    async def push(self, obj: tl.TLObject) -> None:
        """Send a control message (enable/disable, coefficient) if connected."""
        if self.ready and self.session is not None:
            try:
                await self.session.send_packet(obj)
            except SessionClosed:
                pass
