"""One client -> proxy connection: dial, handshake, authorize, carry requests, redial.

Spec 10 section 6.2: `client.connectToProxy` (our CocoonWallet as owner, protocol 1..2, the
root config version we know) -> check the proxy's params and that the proxy and client
contract addresses are the ones we derive ourselves -> authorize: short (we know the secret
whose hash the proxy holds) or long (register the proxy's nonce through our client contract
on-chain, then `client.authorizeWithProxyLong`). Then requests go out as one-way
`client.runQueryEx` packets and their answers (Ex and old forms, spec 7.5) are routed back by
request id; payment receipts are verified and kept; the payment status is polled.
"""

from __future__ import annotations

import hashlib
import logging
import random
from typing import TYPE_CHECKING

import trio

from cocoon import tl
from cocoon.errors import PaymentError
from cocoon.net import Session, SessionClosed, codes
from cocoon.net.session import QueryError
from cocoon.roles.common import bounds
from cocoon.roles.common.errors import OutOfRangeError
from cocoon.roles.common.proxy_link import HandshakeError, ProxyLinkBase
from cocoon.ton.cells import parse_address
from cocoon.ton.payments import PaymentKind, SignedPayment, verify_payment

if TYPE_CHECKING:
    from cocoon.roles.client.core import ClientNode
    from cocoon.roles.client.requests import ClientRequest

log = logging.getLogger("cocoon.client.link")

MIN_PROTO = 1
MAX_PROTO = 2
CONNECT_TIMEOUT = 30.0
AUTH_TIMEOUT = 300.0
ANSWER_TYPES = (
    tl.ClientQueryAnswerEx,
    tl.ClientQueryAnswerPartEx,
    tl.ClientQueryAnswerErrorEx,
    tl.ClientQueryAnswer,
    tl.ClientQueryAnswerPart,
    tl.ClientQueryAnswerError,
    tl.ClientQueryAnswerPartError,
)


class ProxyLink(ProxyLinkBase):
    role = "client"
    log = log

    def __init__(self, node: ClientNode, slot: int) -> None:
        super().__init__(node, slot)
        self.node: ClientNode = node
        self.proxy_public_key: bytes | None = None
        self.client_sc = None
        self.requests: dict[bytes, ClientRequest] = {}
        # Receipts: the highest valid signed charge, and the proxy's counters for us.
        self.signed: SignedPayment | None = None
        self.db_tokens = 0
        self.max_tokens = 0

    @property
    def signed_tokens(self) -> int:
        return (self.signed.tokens or 0) if self.signed is not None else 0

    def _on_connected(self) -> None:
        pass

    def _on_disconnected(self, session: Session) -> None:
        for request in list(self.requests.values()):
            request.fail(codes.NOTREADY, f"connection to the proxy lost: {session.close_reason}")

    async def _handshake(self, session: Session) -> None:
        node = self.node
        cfg = node.config
        root = node.root.require()
        self._check_proxy_image()
        params = tl.ClientParams(
            client_owner_address=node.wallet_address_text,
            is_test=cfg.is_test,
            min_proto_version=MIN_PROTO,
            max_proto_version=MAX_PROTO,
        )
        connected = await session.query(
            tl.ClientConnectToProxy(params=params, min_config_version=root.version),
            timeout=CONNECT_TIMEOUT,
            expect=tl.ClientConnectedToProxy,
        )
        proxy = connected.params
        before = self.proxy_sc
        proxy_sc = self._accept_proxy_params(proxy)
        if self.proxy_sc != before:  # another contract (another proxy, or new root params)
            self.signed, self.db_tokens, self.max_tokens = None, 0, 0
        client_sc = parse_address(connected.client_sc_address)
        contract = await self._derived_contract(proxy, proxy_sc)
        if contract is not None:
            if contract.client(node.wallet.address).address != client_sc:
                raise HandshakeError("client sc address mismatch")
            node.channel_for(self, contract)
        self.proxy_public_key = proxy.proxy_public_key
        self.client_sc = client_sc
        self._receipt(connected.signed_payment, self.db_tokens, self.max_tokens)
        auth = connected.auth
        secret = cfg.secret_string.encode()
        if (
            isinstance(auth, tl.ClientProxyConnectionAuthShort)
            and hashlib.sha256(secret).digest() == auth.secret_hash
        ):
            answer = await session.query(
                tl.ClientAuthorizeWithProxyShort(data=secret), timeout=AUTH_TIMEOUT
            )
        else:
            await node.register_with_proxy(self, auth.nonce)
            answer = await session.query(tl.ClientAuthorizeWithProxyLong(), timeout=AUTH_TIMEOUT)
        if isinstance(answer, tl.ClientAuthorizationWithProxyFailed):
            raise HandshakeError(f"authorization failed: [{answer.error_code}] {answer.error}")
        if not isinstance(answer, tl.ClientAuthorizationWithProxySuccess):
            raise HandshakeError(f"unexpected answer {answer.TL_NAME} to the authorization")
        bounds.check(answer)
        self._receipt(answer.signed_payment, answer.tokens_committed_to_db, answer.max_tokens)

    def _receipt(
        self, payment: tl.TLObject, db_tokens: int, max_tokens: int, *, may_be_stale: bool = False
    ) -> None:
        """Keep the highest valid signed charge and the proxy's counters (invalid ones are
        ignored, as in the reference). `may_be_stale`: an answer to our poll, read after
        newer receipts may have been handled; a lower charge in it is old news, not bad."""
        self.db_tokens = max(self.db_tokens, db_tokens)
        self.max_tokens = max(self.max_tokens, max_tokens)
        if (
            not isinstance(payment, tl.ProxySignedPayment)
            or self.client_sc is None
            or self.proxy_public_key is None
        ):
            return
        try:
            signed = verify_payment(
                payment.data,
                kind=PaymentKind.CLIENT_CHARGE,
                proxy_public_key=self.proxy_public_key,
                contract=self.client_sc,
                known_tokens=0 if may_be_stale else self.signed_tokens,
            )
        except PaymentError as e:
            log.warning("ignoring a bad signed payment from proxy %s: %s", self.proxy_sc, e)
            return
        if self.signed is None or (signed.tokens or 0) > self.signed_tokens:
            self.signed = signed

    async def _poll_payments(self, session: Session) -> None:
        while True:
            interval = self.node.config.payment_poll_interval
            await trio.sleep(random.uniform(interval * 0.67, interval * 1.33))
            try:
                status = await session.query(
                    tl.ClientUpdatePaymentStatus(), timeout=60, expect=tl.ClientPaymentStatus
                )
            except (QueryError, tl.TLDecodeError) as e:
                log.warning("client link %d: payment status: %s", self.slot, e)
                continue
            except SessionClosed:
                return
            try:
                bounds.check(status)
            except OutOfRangeError as e:
                session.close(f"protocol violation: {e}", error=e)
                return
            self._receipt(
                status.signed_payment, status.db_tokens, status.max_tokens, may_be_stale=True
            )

    # ------------------------------------------------------------------ SessionHandler

    async def on_query(self, session: Session, query: tl.TLObject) -> tl.TLObject:
        raise QueryError(0, "Lost promise")

    async def on_packet(self, session: Session, packet: tl.TLObject) -> None:
        bounds.check(packet)  # e.g. negative tokens in a receipt: the connection closes
        if isinstance(packet, ANSWER_TYPES):
            request = self.requests.get(packet.request_id)
            if request is not None:
                request.deliver(packet)
        elif isinstance(packet, tl.ProxyClientRequestPayment):
            self._receipt(packet.signed_payment, packet.db_tokens, packet.max_tokens)
            request = self.requests.get(packet.request_id)
            if request is not None:
                request.receipt(packet.request_tokens)
        elif isinstance(packet, tl.ProxySignedPayment):
            self._receipt(packet, self.db_tokens, self.max_tokens)
        else:
            log.info("client link %d: dropping unexpected %s", self.slot, packet.TL_NAME)

    async def send(self, obj: tl.TLObject) -> None:
        if self.session is None:
            raise SessionClosed("not connected")
        await self.session.send_packet(obj)

    async def get_models(self) -> tl.ClientWorkerTypesV2 | tl.ClientWorkerTypes:
        if self.session is None or not self.ready:
            raise SessionClosed("not connected")
        if self.proto >= 1:
            return await self.session.query(
                tl.ClientGetWorkerTypesV2(), timeout=10, expect=tl.ClientWorkerTypesV2
            )
        return await self.session.query(
            tl.ClientGetWorkerTypes(), timeout=10, expect=tl.ClientWorkerTypes
        )
