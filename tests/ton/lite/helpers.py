"""A toy liteserver handler with made-up blocks, and memory-stream wiring for MockClock tests."""

from __future__ import annotations

import hashlib
from typing import Any

import trio
import trio.testing

from cocoon.ton.lite.client import Connector
from cocoon.ton.lite.errors import LiteServerError
from cocoon.ton.lite.server import ERROR_CODE_TIMEOUT, LiteServer, MethodHandler

SERVER_KEY = hashlib.sha256(b"toy liteserver").digest()
OTHER_KEY = hashlib.sha256(b"another liteserver").digest()
ZERO_STATE = {
    "workchain": -1,
    "root_hash": hashlib.sha256(b"zero root").digest(),
    "file_hash": hashlib.sha256(b"zero file").digest(),
}


def block(seqno: int, workchain: int = -1) -> dict[str, Any]:
    """A made-up block id: hashes derived from the seqno."""
    return {
        "workchain": workchain,
        "shard": -(2**63),
        "seqno": seqno,
        "root_hash": hashlib.sha256(b"root %d" % seqno).digest(),
        "file_hash": hashlib.sha256(b"file %d" % seqno).digest(),
    }


class ToyHandler(MethodHandler):
    """Answers from a made-up chain whose head the test moves with `advance`."""

    def __init__(self, seqno: int = 100, now: int = 1_700_000_000) -> None:
        self.seqno = seqno
        self.now = now
        self.sent: list[bytes] = []
        self.last_query: dict[str, Any] = {}
        self.active = 0
        self.max_active = 0
        self.hold = 0.0  # seconds each lookupBlock takes
        self.barrier = 0  # lookupBlock answers only once this many are in progress together
        self._barrier_reached = trio.Event()
        self._head_moved = trio.Event()

    def advance(self, blocks: int = 1) -> None:
        self.seqno += blocks
        self._head_moved.set()
        self._head_moved = trio.Event()

    async def get_time(self, query: dict[str, Any]) -> dict[str, Any]:
        return {"@type": "liteServer.currentTime", "now": self.now}

    async def get_masterchain_info(self, query: dict[str, Any]) -> dict[str, Any]:
        return {
            "@type": "liteServer.masterchainInfo",
            "last": block(self.seqno),
            "state_root_hash": hashlib.sha256(b"state %d" % self.seqno).digest(),
            "init": ZERO_STATE,
        }

    async def get_masterchain_info_ext(self, query: dict[str, Any]) -> dict[str, Any]:
        return {
            "@type": "liteServer.masterchainInfoExt",
            "mode": query["mode"],
            "version": 0x101,
            "capabilities": 7,
            "last": block(self.seqno),
            "last_utime": self.now - 3,
            "now": self.now,
            "state_root_hash": hashlib.sha256(b"state %d" % self.seqno).digest(),
            "init": ZERO_STATE,
        }

    async def wait_masterchain_seqno(self, query: dict[str, Any]) -> None:
        with trio.move_on_after(query["timeout_ms"] / 1000):
            while self.seqno < query["seqno"]:
                await self._head_moved.wait()
            return
        raise LiteServerError(ERROR_CODE_TIMEOUT, "timeout")

    async def lookup_block(self, query: dict[str, Any]) -> dict[str, Any]:
        # Answers echo the seqno asked for, so a test can check each answer went to its query.
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            if self.hold:
                await trio.sleep(self.hold)
            if self.active >= self.barrier:
                self._barrier_reached.set()
            await self._barrier_reached.wait()
            seqno = query["id"]["seqno"]
            if seqno > self.seqno:
                raise LiteServerError(651, "block is not applied")
            return {
                "@type": "liteServer.blockHeader",
                "id": block(seqno),
                "mode": query["mode"],
                "header_proof": b"header of %d" % seqno,
            }
        finally:
            self.active -= 1

    async def get_block_header(self, query: dict[str, Any]) -> dict[str, Any]:
        self.last_query = query
        return {
            "@type": "liteServer.blockHeader",
            "id": query["id"],
            "mode": query["mode"],
            "header_proof": b"proof",
        }

    async def get_account_state(self, query: dict[str, Any]) -> dict[str, Any]:
        self.last_query = query
        return {
            "@type": "liteServer.accountState",
            "id": query["id"],
            "shardblk": block(7, workchain=0),
            "shard_proof": b"shard proof",
            "proof": b"account proof",
            "state": b"state boc",
        }

    async def get_transactions(self, query: dict[str, Any]) -> dict[str, Any]:
        self.last_query = query
        return {
            "@type": "liteServer.transactionList",
            "ids": [block(7, workchain=0)] * query["count"],
            "transactions": b"transactions boc",
        }

    async def get_block_proof(self, query: dict[str, Any]) -> dict[str, Any]:
        self.last_query = query
        target = query["target_block"] or block(self.seqno)
        link = {
            "@type": "liteServer.blockLinkForward",
            "to_key_block": False,
            "from": query["known_block"],
            "to": target,
            "dest_proof": b"dest",
            "config_proof": b"config",
            "signatures": {
                "@type": "liteServer.signatureSet.ordinary",
                "validator_set_hash": 5,
                "catchain_seqno": 6,
                "signatures": [{"node_id_short": bytes(32), "signature": b"sig"}],
            },
        }
        return {
            "@type": "liteServer.partialBlockProof",
            "complete": True,
            "from": query["known_block"],
            "to": target,
            "steps": [link],
        }

    async def get_config_params(self, query: dict[str, Any]) -> dict[str, Any]:
        self.last_query = query
        return {
            "@type": "liteServer.configInfo",
            "mode": query["mode"],
            "id": query["id"],
            "state_proof": b"state",
            "config_proof": b"config",
        }

    async def send_message(self, query: dict[str, Any]) -> dict[str, Any]:
        self.sent.append(query["body"])
        return {"@type": "liteServer.sendMsgStatus", "status": 1}


def memory_connector(server: LiteServer, nursery: trio.Nursery) -> Connector:
    """Connect to `server` over a fresh in-memory stream (no sockets: MockClock-safe)."""

    async def connect() -> trio.abc.Stream:
        client_end, server_end = trio.testing.memory_stream_pair()
        nursery.start_soon(server.serve_stream, server_end)
        return client_end

    return connect
