"""A client's connection at the proxy: handshake, authorization, requests, model lists.

Spec 10 section 6.2: `client.connectToProxy` (checks in the reference's order) answers with the
proxy's params, the client contract address and the authorization to use: short (the client
proves it knows the secret whose hash its contract holds) or long (the client registers a nonce
through its contract on-chain and the proxy waits to see it). Then `client.runQuery(Ex)`
packets start requests, and `client.updatePaymentStatus` / `client.getWorkerTypes(V2)` are
answered. A client's requests run in the proxy's nursery, not the connection's: if the client
goes away, its requests are cancelled at the worker and still settled (billing stays exact).
"""

from __future__ import annotations

import enum
import hashlib
import logging
import secrets
from typing import TYPE_CHECKING

import trio
from pytoniq_core import Address

from cocoon import tl
from cocoon.net import Session, SessionClosed, codes
from cocoon.net.session import QueryError
from cocoon.roles.common import bounds
from cocoon.roles.common.transport import PeerInfo, peer_from_preamble
from cocoon.roles.proxy.accounts import ClientAccount
from cocoon.roles.proxy.faketon import PSEUDO_NONCE, pseudo_client
from cocoon.roles.proxy.node import ProxyDisabled, RegisterFailed, owner_key
from cocoon.roles.proxy.workers import negotiate, proxy_params
from cocoon.ton.cells import friendly, parse_address

if TYPE_CHECKING:
    from cocoon.roles.proxy.node import ProxyNode
    from cocoon.roles.proxy.requests import RunningRequest

log = logging.getLogger("cocoon.proxy.clients")

LONG_AUTH_TIMEOUT = 300.0


class State(enum.Enum):
    NEW = 0
    CONNECTED = 1  # answered connectToProxy, waiting for the authorization
    AUTHORIZING = 2
    READY = 3
    FAILED = 4


class ClientSession:
    def __init__(self, node: ProxyNode, peer: PeerInfo | None) -> None:
        self.node = node
        self.peer = peer
        self.state = State.NEW
        self.account: ClientAccount | None = None  # once authorized
        self.owner: Address | None = None  # the wallet it claims, from connectToProxy
        self.session: Session | None = None
        self.proto = 0
        self.nonce = 0
        self.long_auth = False
        self.requests: dict[bytes, RunningRequest] = {}  # by the client's request id

    def _attach(self, session: Session) -> None:
        self.session = session
        if self.peer is None and session.peer_info is not None:  # behind a router
            self.peer = peer_from_preamble(session.peer_info)

    # ------------------------------------------------------------------ queries

    async def on_query(self, session: Session, query: tl.TLObject) -> tl.TLObject:
        self._attach(session)
        bounds.check(query)  # out of range: 621 and the connection closed
        if isinstance(
            query,
            tl.ClientUpdatePaymentStatus | tl.ClientGetWorkerTypesV2 | tl.ClientGetWorkerTypes,
        ):
            if self.state is not State.READY:
                raise QueryError(codes.PROTOVIOLATION, f"{query.TL_NAME} from non-ready connection")
            if isinstance(query, tl.ClientUpdatePaymentStatus):
                return self._payment_status()
            if isinstance(query, tl.ClientGetWorkerTypesV2):
                return self.node.registry.worker_types_v2()
            return self.node.registry.worker_types_v1()
        if isinstance(query, tl.WorkerConnectToProxy | tl.WorkerUpdatePaymentStatus):
            raise QueryError(
                codes.PROTOVIOLATION, f"{query.TL_NAME} from non worker connection", close=True
            )
        if self.state is State.READY:
            raise QueryError(codes.PLAIN, "already authorized", close=True)
        if self.state is State.FAILED:
            raise QueryError(codes.PLAIN, "connection is closing", close=True)
        if isinstance(query, tl.ClientConnectToProxy) and self.state is State.NEW:
            return self._connect(query)
        if isinstance(query, tl.ClientAuthorizeWithProxyShort) and self.state is State.CONNECTED:
            return self._authorize_short(query.data)
        if isinstance(query, tl.ClientAuthorizeWithProxyLong):
            if self.state is State.AUTHORIZING:
                raise QueryError(codes.PLAIN, "duplicate auth message")
            if self.state is State.CONNECTED:
                return await self._authorize_long()
        if self.state is State.CONNECTED:
            raise QueryError(codes.PLAIN, "expected auth message", close=True)
        raise QueryError(
            codes.PLAIN, f"unexpected {query.TL_NAME} before connectToProxy", close=True
        )

    def _connect(self, query: tl.ClientConnectToProxy) -> tl.ClientConnectedToProxy:
        node, cfg, params = self.node, self.node.config, query.params
        if not params.flags & 1:
            raise QueryError(
                codes.ERROR, "tool old client", close=True
            )  # sic, the reference's text
        if bool(params.is_test) != cfg.is_test:
            raise QueryError(codes.ERROR, "test mode mismatch", close=True)
        try:
            owner = parse_address(params.client_owner_address)
        except ValueError as e:
            raise QueryError(codes.ERROR, "cannot parse client owner address", close=True) from e
        root = node.root.require()
        if query.min_config_version > root.version:
            raise QueryError(codes.ERROR, "active config version is too low", close=True)
        self.proto = negotiate(params.flags, params.min_proto_version, params.max_proto_version)
        try:
            node.check_serving()
        except ProxyDisabled as e:
            raise QueryError(
                codes.NOTREADY, str(e).removeprefix("proxy is disabled: "), close=True
            ) from e
        # No account is created before the client proves who it is (a stranger could
        # otherwise fill the proxy's memory with accounts).
        self.owner = owner
        acc = node.clients.get(owner_key(owner, cfg.is_testnet))
        if acc is not None and acc.known_on_chain and acc.sc_state != 0:
            raise QueryError(codes.ERROR, "client is closing", close=True)
        self.nonce = secrets.randbits(63)
        if node.ledger.fake_ton:
            acc, self.nonce = pseudo_client(node, owner), PSEUDO_NONCE
        if acc is not None and acc.known_on_chain:
            auth: tl.TLObject = tl.ClientProxyConnectionAuthShort(
                secret_hash=acc.secret_hash, nonce=self.nonce
            )
        else:
            auth = tl.ClientProxyConnectionAuthLong(nonce=self.nonce)
        assert node.contract is not None
        sc_address = acc.sc_address if acc is not None else node.contract.client(owner).address
        self.state = State.CONNECTED
        return tl.ClientConnectedToProxy(
            params=proxy_params(node, self.proto),
            client_sc_address=friendly(sc_address, testnet=cfg.is_testnet),
            auth=auth,
            # Whoever claims this owner is not yet proven to be it: its signed payment comes
            # with the authorization's success (the reference sends it already here; clients
            # take an empty one, spec 10 section 6.2). The rest
            # is what the authorization needs and anyone can read on-chain: the contract
            # address (derived from the owner and our params; the client checks it) and, for
            # a known client, the secret hash its contract holds.
            signed_payment=tl.ProxySignedPaymentEmpty(),
        )

    def _success(self) -> tl.ClientAuthorizationWithProxySuccess:
        assert self.owner is not None
        acc = self.account = self.node.client(self.owner)
        self.state = State.READY
        if self.session is not None:
            self.session.authorize()  # lifts the 64 KiB frame limit of strangers
        self.node.stats["auth_long" if self.long_auth else "auth_short"].add()
        log.info(
            "client %s authorized (%s auth, proto %d)",
            acc.owner,
            "long" if self.long_auth else "short",
            self.proto,
        )
        return tl.ClientAuthorizationWithProxySuccess(
            signed_payment=tl.ProxySignedPayment(data=self.node.client_payment(acc).to_boc()),
            tokens_committed_to_db=acc.tokens.tokens_committed_to_db,
            max_tokens=acc.tokens.tokens_max,
        )

    def _authorize_short(self, secret: bytes) -> tl.ClientAuthorizationWithProxySuccess:
        assert self.owner is not None
        acc = self.node.clients.get(owner_key(self.owner, self.node.config.is_testnet))
        if (
            acc is None
            or not acc.known_on_chain
            or hashlib.sha256(secret).digest() != acc.secret_hash
        ):
            self.state = State.FAILED
            raise QueryError(codes.PLAIN, "sha256 mismatch", close=True)
        return self._success()

    async def _authorize_long(
        self,
    ) -> tl.ClientAuthorizationWithProxySuccess | tl.ClientAuthorizationWithProxyFailed:
        assert self.owner is not None
        self.state = State.AUTHORIZING
        self.long_auth = True
        with trio.move_on_after(LONG_AUTH_TIMEOUT) as scope:
            try:
                await self.node.wait_registered(
                    owner_key(self.owner, self.node.config.is_testnet), self.nonce
                )
            except RegisterFailed as e:
                # The reference's answer for a failed authorization (its client then closes).
                self.state = State.FAILED
                return tl.ClientAuthorizationWithProxyFailed(error_code=codes.ERROR, error=str(e))
        if scope.cancelled_caught:
            self.state = State.FAILED
            raise QueryError(
                codes.TIMEOUT, "no register message from the client contract", close=True
            )
        return self._success()

    def _payment_status(self) -> tl.ClientPaymentStatus:
        assert self.account is not None
        acc = self.account
        return tl.ClientPaymentStatus(
            signed_payment=tl.ProxySignedPayment(data=self.node.client_payment(acc).to_boc()),
            db_tokens=acc.tokens.tokens_committed_to_db,
            max_tokens=acc.tokens.tokens_max,
        )

    # ------------------------------------------------------------------ packets

    async def on_packet(self, session: Session, packet: tl.TLObject) -> None:
        self._attach(session)
        if self.state is not State.READY:
            log.debug("dropping %s from a client that is not ready", packet.TL_NAME)
            return
        if isinstance(packet, tl.ClientRunQueryEx | tl.ClientRunQuery):
            from cocoon.roles.proxy.requests import RunningRequest

            request = RunningRequest(self.node, self, packet)
            self.requests[packet.request_id] = request
            self.node.spawn(request.run)
        elif isinstance(packet, tl.CocoonExtCancelQuery):
            request = self.requests.get(packet.request_id)
            if request is not None:
                request.cancel("cancelled by the client")
        else:
            log.info("dropping unexpected %s from client", packet.TL_NAME)

    async def send(self, obj: tl.TLObject) -> bool:
        """Send to the client; False if it is gone (the request then only settles)."""
        if self.session is None or self.session.closed:
            return False
        try:
            await self.session.send_packet(obj)
            return True
        except SessionClosed:
            return False

    def close(self, reason: str) -> None:
        if self.session is not None:
            self.session.close(reason)

    def closed(self) -> None:
        for request in list(self.requests.values()):
            request.cancel("client disconnected")
