"""A worker's connection at the proxy: handshake state machine and answer routing.

Spec 10 section 6.3: `worker.connectToProxy` -> `worker.compareBalanceWithProxy` ->
[`worker.extendedCompareBalanceWithProxy`] -> `worker.proxyHandshakeComplete`, each step
checked in order; any failed step is answered with an error and the connection closed. Unlike
the reference, a worker claiming more than this proxy recorded is refused (not a process
abort) and the extended compare moves on to the last step (the reference gets stuck there).
Once ready, the worker's answers are routed to the request they belong to, **only** if it was
sent on this connection.
"""

from __future__ import annotations

import enum
import hashlib
import logging
import time
from typing import TYPE_CHECKING

import trio

from cocoon import tl
from cocoon.errors import ProtocolError
from cocoon.net import Session, codes
from cocoon.net.session import QueryError
from cocoon.roles.common import bounds
from cocoon.roles.common.transport import PeerInfo, peer_from_preamble
from cocoon.roles.proxy.accounts import AccountingError, WorkerAccount
from cocoon.roles.proxy.answers import WORKER_ANSWER_TYPES, normalize_worker_answer
from cocoon.roles.proxy.registry import WorkerConnection, capacity_for
from cocoon.ton.cells import friendly, parse_address

if TYPE_CHECKING:
    from cocoon.roles.proxy.node import ProxyNode

log = logging.getLogger("cocoon.proxy.workers")

PROXY_MIN_PROTO = 0
PROXY_MAX_PROTO = 2
MAX_COEFFICIENT = 1_000_000_000


class State(enum.Enum):
    NEW = 0
    CONNECTED = 1
    COMPARED = 2
    READY = 3


def negotiate(flags: int, min_v: int | None, max_v: int | None) -> int:
    """Spec 10 section 6.1: the highest version both sides support, or 621."""
    remote_min, remote_max = (min_v or 0, max_v or 0) if flags & 2 else (0, 0)
    if remote_max < PROXY_MIN_PROTO or PROXY_MAX_PROTO < remote_min:
        raise QueryError(codes.PROTOVIOLATION, "cannot choose common protocol version", close=True)
    return min(remote_max, PROXY_MAX_PROTO)


def proxy_params(node: ProxyNode, proto: int) -> tl.ProxyParams:
    return tl.ProxyParams(
        proxy_public_key=node.signer.public_key,
        proxy_owner_address=node.config.owner_address,
        proxy_sc_address=friendly(node.sc_address, testnet=node.config.is_testnet),
        is_test=node.config.is_test,
        proto_version=proto if proto > 0 else None,
        flags=1 | (2 if proto > 0 else 0),
    )


class WorkerSession:
    """The proxy's handler for one worker connection."""

    def __init__(self, node: ProxyNode, peer: PeerInfo | None) -> None:
        self.node = node
        self.peer = peer
        self.state = State.NEW
        self.conn: WorkerConnection | None = None
        self.account: WorkerAccount | None = None
        self.session: Session | None = None
        self.proto = 0
        self.connected_at = time.time()

    def _attach(self, session: Session) -> None:
        self.session = session
        if self.peer is None and session.peer_info is not None:  # behind a router
            self.peer = peer_from_preamble(session.peer_info)

    # ------------------------------------------------------------------ queries

    async def on_query(self, session: Session, query: tl.TLObject) -> tl.TLObject:
        self._attach(session)
        bounds.check(query)  # out of range: 621 and the connection closed
        if isinstance(query, tl.WorkerUpdatePaymentStatus):
            if self.state is not State.READY:
                raise QueryError(codes.PROTOVIOLATION, "payment status from non-ready connection")
            return self._payment_status()
        if self.state is State.READY:
            raise QueryError(codes.PLAIN, "connection is already ready", close=True)
        if isinstance(query, tl.WorkerConnectToProxy) and self.state is State.NEW:
            return self._connect(query.params)
        if isinstance(query, tl.WorkerCompareBalanceWithProxy) and self.state is State.CONNECTED:
            return self._compare(query)
        if (
            isinstance(query, tl.WorkerExtendedCompareBalanceWithProxy)
            and self.state is State.COMPARED
        ):
            return tl.WorkerExtendedCompareBalanceWithProxyResult(error_code=0)  # stays COMPARED
        if isinstance(query, tl.WorkerProxyHandshakeComplete) and self.state is State.COMPARED:
            return self._complete(query.is_disabled)
        if isinstance(
            query, tl.ClientConnectToProxy | tl.ClientGetWorkerTypesV2 | tl.ClientGetWorkerTypes
        ):
            raise QueryError(
                codes.PROTOVIOLATION, f"{query.TL_NAME} from non client connection", close=True
            )
        raise QueryError(
            codes.PLAIN,
            f"unexpected {query.TL_NAME} in handshake state {self.state.name}",
            close=True,
        )

    def _connect(self, params: tl.WorkerParams) -> tl.WorkerConnectedToProxy:
        node = self.node
        cfg = node.config
        try:
            node.check_serving()
        except Exception as e:
            raise QueryError(codes.NOTREADY, str(e), close=True) from e
        root = node.root.require()
        if cfg.checks_worker_hashes:
            got = self.peer.image_hash if self.peer else bytes(32)
            if got not in root.worker_hashes:
                raise QueryError(
                    codes.PROTOVIOLATION, f"invalid worker image hash {got.hex()}", close=True
                )
        if not params.flags & 1:
            raise QueryError(codes.ERROR, "too old worker", close=True)
        if bool(params.is_test) != cfg.is_test:
            raise QueryError(codes.ERROR, "test mode mismatch", close=True)
        if not params.model:
            raise QueryError(codes.PROTOVIOLATION, "invalid worker hash or worker type", close=True)
        if not 0 <= params.coefficient < MAX_COEFFICIENT:
            raise QueryError(codes.PROTOVIOLATION, "invalid coefficient value", close=True)
        if (params.max_active_requests or 0) < 1 or (params.proxy_cnt or 0) < 1:
            raise QueryError(codes.PROTOVIOLATION, "invalid worker capacity", close=True)
        if (
            cfg.checks_worker_hashes
            and hashlib.sha256(params.model.encode()).digest() not in root.model_hashes
        ):
            raise QueryError(
                codes.PROTOVIOLATION, f"invalid worker model '{params.model}'", close=True
            )
        self.proto = negotiate(params.flags, params.min_proto_version, params.max_proto_version)
        try:
            owner = parse_address(params.worker_owner_address)
        except ValueError as e:
            raise QueryError(codes.ERROR, "cannot parse worker owner address", close=True) from e
        self.account = node.worker(owner)
        self.conn = WorkerConnection(
            conn_id=node.new_conn_id(),
            owner_address=self.account.owner,
            model=params.model,
            coefficient=params.coefficient,
            capacity=capacity_for(params.max_active_requests, params.proxy_cnt),
            proto_version=self.proto,
            image_hash=self.peer.image_hash if self.peer else bytes(32),
        )
        node.registry.add(self.conn, trio.current_time())
        node.worker_sessions[self.conn.conn_id] = self
        self.state = State.CONNECTED
        return tl.WorkerConnectedToProxy(
            params=proxy_params(node, self.proto),
            worker_sc_address=friendly(self.account.sc_address, testnet=node.config.is_testnet),
        )

    def _compare(
        self, query: tl.WorkerCompareBalanceWithProxy
    ) -> tl.WorkerCompareBalanceWithProxyResult:
        assert self.account is not None
        acc = self.account
        try:
            acc.check_claim(query.tokens_committed_to_blockchain, query.tokens_committed_to_db)
        except AccountingError as e:
            log.critical("ALERT: %s", e)
            raise QueryError(codes.ERROR, str(e), close=True) from e
        payment = self.node.worker_payment(acc)
        self.state = State.COMPARED
        return tl.WorkerCompareBalanceWithProxyResult(
            signed_payment=tl.ProxySignedPayment(data=payment.to_boc()),
            tokens_committed_to_db=acc.tokens.tokens_committed_to_db,
            max_tokens=acc.tokens.tokens_max,
            error_code=0 if query.max_tokens <= acc.tokens.tokens_max else 1,
        )

    def _complete(self, is_disabled: bool) -> tl.WorkerProxyHandshakeCompleted:
        assert self.conn is not None
        self.state = State.READY
        if self.session is not None:
            self.session.authorize()  # lifts the 64 KiB frame limit of strangers
        self.conn.enabled = not is_disabled
        if self.conn.enabled:  # requests waiting for a busy model may start here
            self.node.slots.wake(self.conn.base_model, self.conn.capacity)
        log.info(
            "worker %s ready: model %s, coefficient %d, capacity %d, proto %d%s",
            self.conn.owner_address, self.conn.model, self.conn.coefficient, self.conn.capacity,
            self.proto, " (disabled)" if is_disabled else "",
        )  # fmt: skip
        return tl.WorkerProxyHandshakeCompleted()

    def _payment_status(self) -> tl.WorkerPaymentStatus:
        assert self.account is not None
        acc = self.account
        return tl.WorkerPaymentStatus(
            signed_payment=tl.ProxySignedPayment(data=self.node.worker_payment(acc).to_boc()),
            db_tokens=acc.tokens.tokens_committed_to_db,
            max_tokens=acc.tokens.tokens_max,
        )

    # ------------------------------------------------------------------ packets

    async def on_packet(self, session: Session, packet: tl.TLObject) -> None:
        if self.state is not State.READY or self.conn is None:
            log.debug("dropping %s from a worker that is not ready", packet.TL_NAME)
            return
        bounds.check(packet)  # e.g. negative tokens in an answer: the connection closes
        if isinstance(packet, WORKER_ANSWER_TYPES):
            answer = normalize_worker_answer(packet)
            request = self.node.requests.get(answer.request_id)
            if request is None or request.conn_id != self.conn.conn_id:
                log.info(
                    "dropping an answer for an unknown request from worker %s",
                    self.conn.owner_address,
                )
                return
            request.deliver(answer)
        elif isinstance(packet, tl.WorkerEnabledDisabled):
            self.conn.enabled = not packet.disabled
            if self.conn.enabled:
                self.node.slots.wake(self.conn.base_model, self.conn.capacity)
        elif isinstance(packet, tl.WorkerNewCoefficient):
            if packet.new_coefficient < 0:
                raise ProtocolError("bad coefficient value")
            self.conn.coefficient = packet.new_coefficient
        else:
            log.info(
                "dropping unexpected %s from worker %s", packet.TL_NAME, self.conn.owner_address
            )

    async def send(self, obj: tl.TLObject) -> None:
        assert self.session is not None
        await self.session.send_packet(obj)

    def close(self, reason: str) -> None:
        if self.session is not None:
            self.session.close(reason)

    def closed(self) -> None:
        """The connection ended: forget it and fail (or retry) what was running on it."""
        if self.conn is None:
            return
        self.node.registry.remove(self.conn.conn_id)
        self.node.worker_sessions.pop(self.conn.conn_id, None)
        # Waiting requests look again: with no worker left they are refused at once.
        self.node.slots.wake_all(self.conn.base_model)
        for request in list(self.node.requests.values()):
            if request.conn_id == self.conn.conn_id:
                request.worker_gone()
