"""An in-process liteserver front end, in trio: ADNL over TCP on one side, a `LiteHandler` that
answers parsed lite_api queries on the other. It is the transport of the fake liteserver that
tests run the ledger against; the chain behind it is the handler's business.

Each connection runs the server half of the ADNL handshake, answers `tcp.ping` with
`tcp.pong`, takes a client's `tcp.authentificate` as TON's server does (a nonce back, then the
client's signature of both nonces checked; tonlib authenticates every connection), and handles every `adnl.message.query` in its own task (answers go out as they are
ready, in any order, as a real liteserver's do). The query's prefixes
(`liteServer.waitMasterchainSeqno`) go to the handler first, then the function. A handler
raising `LiteServerError` answers `liteServer.error`; a query that does not parse, or a function
the handler lacks, gets `liteServer.error` with TON's code for a protocol violation.

`ServerFaults` lets a test make the server misbehave: delay answers, swallow them, stop
answering pings, refuse new connections, or drop every connection.
"""

from __future__ import annotations

import collections
import os
import re
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import attrs
import trio
from nacl.exceptions import CryptoError
from nacl.signing import VerifyKey

from cocoon.ton.lite import tl
from cocoon.ton.lite.adnl import MAX_PACKET_SIZE, public_key_of
from cocoon.ton.lite.connection import AdnlConnection, handshake_server
from cocoon.ton.lite.errors import LiteDecodeError, LiteError, LiteServerError, LiteTransportError

# TON's common/errorcode.h.
ERROR_CODE_ERROR = 601
ERROR_CODE_PROTOVIOLATION = 621
ERROR_CODE_NOTREADY = 651
ERROR_CODE_TIMEOUT = 652

_PING_ID = tl.registry().by_name["tcp.ping"].id.to_bytes(4, "little")
_QUERY_ID = tl.registry().by_name["adnl.message.query"].id.to_bytes(4, "little")
_AUTHENTICATE_ID = tl.registry().by_name["tcp.authentificate"].id.to_bytes(4, "little")
_AUTH_COMPLETE_ID = tl.registry().by_name["tcp.authentificationComplete"].id.to_bytes(4, "little")

TLDict = dict[str, Any]


class LiteHandler(Protocol):
    """Answers one parsed lite_api function (a TL dict with `"@type"`).

    It returns the answer as a TL dict (its `"@type"` a constructor of the function's result
    type), or raw bytes to send as they are (a test serving a malformed answer), or raises
    `LiteServerError`. Prefixes (`liteServer.waitMasterchainSeqno`) come through `handle` too,
    before the function; their return value is ignored.
    """

    async def handle(self, query: TLDict) -> TLDict | bytes: ...


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class MethodHandler:
    """A `LiteHandler` that calls one method per function: `liteServer.getMasterchainInfo`
    calls `get_masterchain_info(query)`, `liteServer.waitMasterchainSeqno` calls
    `wait_masterchain_seqno(query)`. A function without a method is a `liteServer.error`."""

    async def handle(self, query: TLDict) -> TLDict | bytes:
        name = query["@type"].removeprefix("liteServer.").replace(".", "_")
        method: Callable[[TLDict], Awaitable[TLDict | bytes]] | None = getattr(
            self, _snake(name), None
        )
        if method is None:
            raise LiteServerError(ERROR_CODE_PROTOVIOLATION, "unknown query")
        return await method(query)


@attrs.define
class ServerFaults:
    """Misbehaviour on demand, for tests. Changes apply to queries arriving afterwards."""

    delay: float = 0.0  # seconds before each answer
    swallow_answers: bool = False  # never answer queries (the connection stays up)
    ignore_pings: bool = False  # never answer tcp.ping
    refuse_connections: bool = False  # close new connections before the handshake


class LiteServer:
    """The server side: `serve_stream` runs one connection (TCP or a memory stream)."""

    def __init__(
        self,
        handler: LiteHandler,
        private_key: bytes,
        *,
        handshake_timeout: float = 10.0,
        max_packet_size: int = MAX_PACKET_SIZE,
    ) -> None:
        self.handler = handler
        self.public_key = public_key_of(private_key)
        self.faults = ServerFaults()
        self.port: int | None = None
        self.queries = 0  # queries answered or errored, for tests and benchmarks
        # Bytes of the answers sent, by lite_api function (what a client costs a server).
        self.answer_bytes: collections.Counter[str] = collections.Counter()
        self.connections_accepted = 0
        self._private_key = private_key
        self._handshake_timeout = handshake_timeout
        self._max_packet_size = max_packet_size
        self._scopes: set[trio.CancelScope] = set()

    @property
    def open_connections(self) -> int:
        return len(self._scopes)

    def drop_connections(self) -> None:
        """Close every open connection at once, without a word (a crashed server's view)."""
        for scope in list(self._scopes):
            scope.cancel()

    async def serve_stream(self, stream: trio.abc.Stream) -> None:
        scope = trio.CancelScope()
        self._scopes.add(scope)
        try:
            if self.faults.refuse_connections:
                return
            with scope:
                with trio.move_on_after(self._handshake_timeout) as handshake_scope:
                    conn = await handshake_server(
                        stream, self._private_key, max_packet_size=self._max_packet_size
                    )
                if handshake_scope.cancelled_caught:
                    return
                self.connections_accepted += 1
                async with trio.open_nursery() as nursery:
                    try:
                        await self._read_loop(conn, nursery)
                    except LiteError:
                        pass  # a client that broke the protocol, or left
                    # Answers still being worked on have nowhere to go.
                    nursery.cancel_scope.cancel()
        except LiteError:
            pass  # the handshake failed: close
        finally:
            self._scopes.discard(scope)
            with trio.CancelScope(shield=True):
                await stream.aclose()

    async def _read_loop(self, conn: AdnlConnection, nursery: trio.Nursery) -> None:
        nonces: bytes | None = None  # the client's and ours, while it authenticates
        authenticated = False
        while True:
            payload = await conn.receive()
            if not payload:
                continue  # keepalive
            if len(payload) == 12 and payload[:4] == _PING_ID:
                if not self.faults.ignore_pings:
                    random_id = int.from_bytes(payload[4:], "little", signed=True)
                    await conn.send(tl.encode("tcp.pong", {"random_id": random_id}))
                continue
            if payload[:4] == _AUTHENTICATE_ID:
                client_nonce = tl.decode(payload, "tcp.authentificate")["nonce"]
                if nonces is not None or authenticated or not 0 < len(client_nonce) <= 512:
                    return  # TON's server: a protocol violation
                ours = os.urandom(256)
                nonces = bytes(client_nonce) + ours
                await conn.send(tl.encode("tcp.authentificationNonce", {"nonce": ours}))
                continue
            if payload[:4] == _AUTH_COMPLETE_ID and nonces is not None:
                done = tl.decode(payload, "tcp.authentificationComplete")
                if not _signed_by(done["key"], nonces, bytes(done["signature"])):
                    return
                nonces, authenticated = None, True
                continue
            if payload[:4] != _QUERY_ID:
                return  # TON's server stops on anything else; so do we
            message = tl.decode(payload, "adnl.message.query")
            nursery.start_soon(self._answer, conn, message["query_id"], message["query"])

    async def _answer(self, conn: AdnlConnection, query_id: bytes, query: bytes) -> None:
        function, answer = await self._run_query(query)
        self.queries += 1
        if self.faults.delay:
            await trio.sleep(self.faults.delay)
        if self.faults.swallow_answers:
            return
        packet = tl.encode("adnl.message.answer", {"query_id": query_id, "answer": answer})
        self.answer_bytes[function] += len(packet)
        try:
            await conn.send(packet)
        except LiteTransportError:
            pass  # the client left; the read loop sees it too

    async def _run_query(self, query: bytes) -> tuple[str, bytes]:
        """The function's name ("?" when unparsed) and the answer's bytes."""
        try:
            data = tl.decode(query, "liteServer.query")["data"]
            prefixes, function = tl.decode_query(data)
        except LiteDecodeError as e:
            return "?", _error(ERROR_CODE_PROTOVIOLATION, f"cannot parse query: {e}")
        name = function["@type"]
        try:
            for prefix in prefixes:
                await self.handler.handle(prefix)
            answer = await self.handler.handle(function)
        except LiteServerError as e:
            return name, _error(e.code, e.message)
        if isinstance(answer, bytes):
            return name, answer
        result_type = tl.registry().result_type(name)
        c = tl.registry().by_name.get(answer.get("@type", ""))
        if c is None or c.result != result_type:
            raise TypeError(f"the handler answered {name} with {answer.get('@type')}")
        return name, tl.encode(c.name, answer)


def _signed_by(key: TLDict, message: bytes, signature: bytes) -> bool:
    """Whether an authenticating client's `PublicKey` signed `message`."""
    if key.get("@type") != "pub.ed25519":
        return False
    try:
        VerifyKey(bytes(key["key"])).verify(message, signature)
    except (CryptoError, ValueError, TypeError):
        return False
    return True


def _error(code: int, message: str) -> bytes:
    return tl.encode("liteServer.error", {"code": code, "message": message})


async def serve_lite(
    handler: LiteHandler,
    port: int = 0,
    private_key: bytes | None = None,
    *,
    host: str = "127.0.0.1",
    task_status: trio.TaskStatus[LiteServer] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve `handler` over ADNL on host:port (0: any free port) until cancelled.

    `nursery.start(serve_lite, handler, 0, key)` gives the `LiteServer`, whose `port` and
    `public_key` are what a client (or a global config) needs. Without a key, a fresh one.
    """
    server = LiteServer(handler, private_key if private_key is not None else os.urandom(32))
    listeners = await trio.open_tcp_listeners(port, host=host)
    server.port = listeners[0].socket.getsockname()[1]

    async def serve(stream: trio.SocketStream) -> None:
        await server.serve_stream(stream)

    async with trio.open_nursery() as nursery:
        await nursery.start(trio.serve_listeners, serve, listeners)
        task_status.started(server)
