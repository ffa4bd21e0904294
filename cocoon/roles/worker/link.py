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
from cocoon.errors import CocoonError, PaymentError
from cocoon.net import Session, SessionClosed
from cocoon.net.session import QueryError
from cocoon.roles.common import bounds
from cocoon.roles.common.errors import OutOfRangeError
from cocoon.roles.common.proxy_link import HandshakeError, ProxyLinkBase
from cocoon.roles.worker.earnings import Advance, ProxyEarnings
from cocoon.roles.worker.query import serve_query, upgrade
from cocoon.ton.cells import parse_address

if TYPE_CHECKING:
    from cocoon.roles.worker.runner import WorkerNode

log = logging.getLogger("cocoon.worker.link")

MIN_PROTO = 1
MAX_PROTO = 2
HANDSHAKE_TIMEOUT = 30.0
PAYMENT_POLL_TIMEOUT = 60.0


def _same_address(a: str, b: object) -> bool:
    try:
        return parse_address(a) == b
    except (CocoonError, ValueError):
        return False


class ProxyLink(ProxyLinkBase):
    """A connection slot; `run()` keeps it connected to some proxy until cancelled."""

    role = "worker"
    log = log

    def __init__(self, node: WorkerNode, slot: int) -> None:
        super().__init__(node, slot)
        self.node: WorkerNode = node
        self.earnings: ProxyEarnings | None = None
        self.running: dict[bytes, trio.CancelScope] = {}

    def _on_connected(self) -> None:
        self.node.links.add(self)

    def _on_disconnected(self, session: Session) -> None:
        self.node.links.discard(self)

    # ------------------------------------------------------------------ handshake

    async def _handshake(self, session: Session) -> None:
        node = self.node
        self._check_proxy_image()
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
        proxy_sc = self._accept_proxy_params(proxy)
        worker_sc = parse_address(connected.worker_sc_address)
        contract = await self._derived_contract(proxy, proxy_sc)
        if contract is not None and contract.worker(node.owner).address != worker_sc:
            raise HandshakeError("worker sc address mismatch")
        earnings = self.earnings = node.earnings.for_proxy(
            proxy_sc,
            worker_sc,
            proxy.proxy_public_key,
            params=contract.params if contract is not None else None,
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
        bounds.check(result)
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
            # The proxy counts fewer tokens than it told us (it lost what it had not written
            # yet: a crash), and its durable figures held. Its count is the one to compare
            # receipts with from now on; with ours, each of them would drop the link again.
            earnings.max_tokens = result.max_tokens
            node.earnings.note(Advance.COUNTERS)
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
            try:
                bounds.check(status)
            except OutOfRangeError as e:
                session.close(f"protocol violation: {e}", error=e)
                return
            # The answer is read here, after the packets that came behind it were handled
            # (receipts go in arrival order, in the session's reader): it may be older news.
            self._record_payment(
                session,
                status.signed_payment,
                status.db_tokens,
                status.max_tokens,
                may_be_stale=True,
            )

    def _record_payment(
        self,
        session: Session,
        payment: tl.TLObject,
        db_tokens: int,
        max_tokens: int,
        *,
        may_be_stale: bool = False,
    ) -> None:
        assert self.earnings is not None
        try:
            accepted = self.earnings.accept(
                payment, db_tokens, max_tokens, may_be_stale=may_be_stale
            )
            self.node.earnings.note(accepted)
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
        bounds.check(packet)  # e.g. a negative coefficient or receipt: the connection closes
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
            if session.closed:  # the payment it carried was refused
                return
            # Registered before the task starts, so a cancel right behind it is not lost.
            scope = self.running[query.request_id] = trio.CancelScope()
            try:
                session.start_soon(self._serve, session, query, scope, name="worker-query")
            except SessionClosed:
                del self.running[query.request_id]
                raise
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
            except Exception:
                # One request's failure is never its session's: the other requests on this
                # connection go on (the proxy times this one out if it got no answer).
                log.exception("worker link %d: request failed", self.slot)
            finally:
                self.running.pop(query.request_id, None)

    async def push(self, obj: tl.TLObject) -> None:
        """Send a control message (enable/disable, coefficient) if connected."""
        if self.ready and self.session is not None:
            try:
                await self.session.send_packet(obj)
            except SessionClosed:
                pass
