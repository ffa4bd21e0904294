"""A fake liteserver's backend: the embedded chain served over lite_api, with real-format blocks
and Merkle proofs, and faults on demand.

`BlockProducer` turns one embedded `Chain` into a `SyntheticChain`: a shard block and a
masterchain block whenever the chain changes (its listener) and on every tick, so the head
advances and its `gen_utime` follows the chain's clock, as TON's does. Several liteservers
over one chain share one producer, so they agree on every block, as honest TON liteservers do.
It keeps the last `keep_blocks` blocks whole and older ones as headers only (`PrunedBlock`), as
a liteserver that is no archive node, so a long-running network's memory stays bounded.

`FakeLiteHandler` answers parsed lite_api queries for `serve_lite` (`cocoon.ton.lite.server`)
from a producer: the head (`getMasterchainInfo(Ext)`, `getTime`), block headers and blocks
(`getBlockHeader`, `lookupBlock`, `getBlock`), block proof chains signed by the synthetic
chain's validators (`getBlockProof`), account states with their two Merkle proofs
(`getAccountState`, at any block it has), transaction lists (`getTransactions`, at most 16 a
call), externals (`sendMessage`, into the embedded chain) and the `waitMasterchainSeqno`
prefix. It counts queries by function, for benchmarks.

`ChainFaults` makes one handler misbehave the ways a real liteserver could: drop externals
(answering "queued" all the same), lag behind the head, lie about the head (a made-up block
with its own valid-looking proofs), serve a tampered account state, break a transaction list's
hash chain, forge the validators' signatures of block proofs.
"""

from __future__ import annotations

import collections
import hashlib
import logging
from typing import Any

import attrs
import trio
from pytoniq_core import Address, Cell, begin_cell

from cocoon.ton.embedded.chain import Chain
from cocoon.ton.errors import ExternalRejectedError
from cocoon.ton.lite import tl
from cocoon.ton.lite.blockproof import prove_block_chain
from cocoon.ton.lite.blocks import (
    FAKE_ZERO_STATE_FILE,
    FAKE_ZERO_STATE_ROOT,
    MASTERCHAIN,
    BlockId,
    BuiltBlock,
    PrunedBlock,
    SyntheticChain,
)
from cocoon.ton.lite.errors import LiteServerError
from cocoon.ton.lite.merkle import from_boc_multi, to_boc_multi
from cocoon.ton.lite.proofs import header_proof_boc, prove_account_state, transaction_list

log = logging.getLogger(__name__)

MAX_TRANSACTIONS_PER_CALL = 16  # TON's liteserver answers at most this many per getTransactions

# TON's common/errorcode.h (as `liteServer.error` codes).
ERROR_CODE_ERROR = 601
ERROR_CODE_PROTOVIOLATION = 621
ERROR_CODE_NOTREADY = 651
ERROR_CODE_TIMEOUT = 652

# A zero state of our own: nothing real starts from it.
FAKE_ZERO_STATE = {
    "workchain": MASTERCHAIN,
    "root_hash": FAKE_ZERO_STATE_ROOT,
    "file_hash": FAKE_ZERO_STATE_FILE,
}
FAKE_VERSION = 0x101
FAKE_CAPABILITIES = 7

TLDict = dict[str, Any]
_EXTERNALS_KEPT = 4096


class BlockProducer:
    """A `SyntheticChain` kept level with an embedded chain: run `run()` in a nursery.

    A block pair is made after each change of the chain (batched: changes made before the
    producer task runs share a block) and every `block_interval` seconds without one.
    `block_delay` holds each block back a while after a change, as TON takes a few seconds to
    put a message in a block.
    """

    def __init__(
        self,
        chain: Chain,
        *,
        block_interval: float = 1.0,
        block_delay: float = 0.0,
        keep_blocks: int = 256,
        synthetic: SyntheticChain | None = None,
    ) -> None:
        self.chain = chain
        self.keep_blocks = keep_blocks  # whole blocks kept; older ones keep their headers
        self._pruned_to = 1
        self.synthetic = synthetic if synthetic is not None else SyntheticChain()
        self.block_interval = block_interval
        self.block_delay = block_delay
        self._changed = trio.Event()
        self._new_block = trio.Event()
        # Externals taken, by hash: liteservers relay one message once, so the same external
        # sent to several of them (as wallets do) runs once, and the copies are no error.
        self._externals: collections.OrderedDict[bytes, None] = collections.OrderedDict()
        self.synthetic.advance_from(chain)  # block 1 at once: there is always a head
        chain.add_listener(self._on_change)

    @property
    def head(self) -> BuiltBlock:
        return self.synthetic.head

    def _on_change(self, _changed: set[tuple[int, bytes]]) -> None:
        self._changed.set()

    def advance(self) -> BuiltBlock:
        """Make the next block pair now (tests drive time with this too)."""
        block = self.synthetic.advance_from(self.chain)
        self._prune()
        self._new_block.set()
        self._new_block = trio.Event()
        return block

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        while True:
            with trio.move_on_after(self.block_interval):
                await self._changed.wait()
                if self.block_delay:
                    await trio.sleep(self.block_delay)
            self._changed = trio.Event()
            self.advance()

    def _prune(self) -> None:
        """Keep the states of the last `keep_blocks` blocks only (and the key blocks, whose
        configs prove the validators), as a liteserver that is no archive node: memory stays
        bounded however long it runs."""
        end = len(self.synthetic.mc_blocks) - self.keep_blocks
        keys = set(self.synthetic.key_blocks)
        for blocks in (self.synthetic.mc_blocks, self.synthetic.shard_blocks):
            for i in range(self._pruned_to, end):
                b = blocks[i]
                if isinstance(b, BuiltBlock) and not (
                    blocks is self.synthetic.mc_blocks and i + 1 in keys
                ):
                    blocks[i] = PrunedBlock(
                        b.id, header_proof_boc(b), b.start_lt, b.end_lt, b.gen_utime
                    )
        self._pruned_to = max(self._pruned_to, end)

    def submit_external(self, boc: bytes) -> None:
        """Run an external on the chain, once per message (a copy is taken and ignored).
        Raises `ExternalRejectedError` as the chain does."""
        digest = hashlib.sha256(boc).digest()
        if digest in self._externals:
            return
        self.chain.submit_external(boc)
        self._externals[digest] = None
        if len(self._externals) > _EXTERNALS_KEPT:
            self._externals.popitem(last=False)

    async def wait_block(self) -> None:
        """Until the next block is made."""
        await self._new_block.wait()


@attrs.define
class ChainFaults:
    """One liteserver's misbehaviour. Changes apply to queries arriving afterwards."""

    drop_externals: float = 0  # drop this many next externals (math.inf: all), yet answer 1
    lag: int = 0  # serve the head this many blocks back (and nothing newer)
    lie_about_head: bool = False  # a made-up head at the real head's seqno, balances inflated
    tamper_accounts: set[bytes] = attrs.field(factory=set)  # account ids served altered
    break_transactions: set[bytes] = attrs.field(factory=set)  # account ids: a link left out
    forge_signatures: bool = False  # block proofs with one byte of each signature set altered
    dropped: int = 0  # externals dropped so far


def _address(account: TLDict) -> Address:
    return Address((int(account["workchain"]), bytes(account["id"])))


def _tampered_state(state_boc: bytes) -> bytes:
    """The account cell with one data bit flipped: what a liteserver altering a balance or a
    contract's data would serve. Its hash is no longer the one the shard state holds."""
    (cell,) = from_boc_multi(state_boc, "account state")
    bits = cell.bits.copy()
    bits[-1] = not bits[-1]
    b = begin_cell().store_bits(bits)
    for ref in cell.refs:
        b.store_ref(ref)
    altered = b.end_cell()
    return to_boc_multi([altered])


class FakeLiteHandler:
    """Answers lite_api functions from a `BlockProducer`; see the module docstring.

    `handle(query)` takes a parsed TL function (a dict with `"@type"`) and returns the answer
    as a TL dict, or raises the front end's `liteServer.error` exception.
    """

    def __init__(self, producer: BlockProducer, *, name: str = "fake") -> None:
        self.producer = producer
        self.name = name
        self.faults = ChainFaults()
        self.counts: collections.Counter[str] = collections.Counter()
        self._liar: SyntheticChain | None = None
        self._liar_seqno = 0

    @property
    def queries(self) -> int:
        """Functions answered (prefixes not counted)."""
        return sum(n for f, n in self.counts.items() if f != "liteServer.waitMasterchainSeqno")

    # --- what this server shows -----------------------------------------------------------

    @property
    def _real(self) -> SyntheticChain:
        return self.producer.synthetic

    def _served_seqno(self) -> int:
        return max(1, len(self._real.mc_blocks) - self.faults.lag)

    def _liar_chain(self) -> SyntheticChain:
        """A chain of made-up blocks whose head has the real head's seqno: each block and
        proof in it is well formed, only no honest server has it."""
        seqno = self._served_seqno()
        if self._liar is None or self._liar_seqno != seqno:
            liar = SyntheticChain(global_id=self._real.global_id)
            now = self._real.mc_blocks[seqno - 1].gen_utime
            for _ in range(seqno - 1):
                liar.advance([], now)
            chain = self.producer.chain
            states = [
                (attrs.evolve(chain.state(a.address), balance=a.balance + 10**15), [])
                for a in chain.accounts.values()
                if a.address.wc == 0
            ]
            liar.advance(states, now)
            self._liar, self._liar_seqno = liar, seqno
        return self._liar

    def _view(self) -> tuple[SyntheticChain, int]:
        """The chain this server answers from, and its head's seqno there."""
        if self.faults.lie_about_head:
            liar = self._liar_chain()
            return liar, len(liar.mc_blocks)
        return self._real, self._served_seqno()

    def _head(self) -> BuiltBlock:
        chain, seqno = self._view()
        head = chain.mc_blocks[seqno - 1]
        if not isinstance(head, BuiltBlock):
            raise LiteServerError(ERROR_CODE_NOTREADY, "the served head was pruned")
        return head

    def _whole(self, tl_id: TLDict) -> tuple[SyntheticChain, BuiltBlock]:
        """A block with its cells and state (not pruned)."""
        chain, block = self._block(tl_id)
        if not isinstance(block, BuiltBlock):
            raise LiteServerError(ERROR_CODE_NOTREADY, f"state of block {block.id.seqno} pruned")
        return chain, block

    def _block(self, tl_id: TLDict) -> tuple[SyntheticChain, BuiltBlock | PrunedBlock]:
        """The block a query names (exactly: its hashes too), among those this server has."""
        wanted = BlockId.from_tl(tl_id)
        chain, head_seqno = self._view()
        if wanted.workchain == MASTERCHAIN:
            blocks = chain.mc_blocks[:head_seqno]
        else:
            blocks = chain.shard_blocks[:head_seqno]
        if not 1 <= wanted.seqno <= len(blocks):
            raise LiteServerError(ERROR_CODE_NOTREADY, f"block {wanted.seqno} is not in the db")
        block = blocks[wanted.seqno - 1]
        if block.id != wanted:
            raise LiteServerError(ERROR_CODE_ERROR, "block with these hashes is unknown")
        return chain, block

    # --- dispatch ---------------------------------------------------------------------------

    async def handle(self, query: TLDict) -> TLDict | bytes:
        name = query["@type"]
        self.counts[name] += 1
        method = _METHODS.get(name)
        if method is None:
            raise LiteServerError(ERROR_CODE_PROTOVIOLATION, "unknown query")
        return await method(self, query)

    async def wait_masterchain_seqno(self, query: TLDict) -> TLDict:
        """The prefix: hold the query until this server's head reaches `seqno`."""
        seqno, timeout = query["seqno"], query["timeout_ms"] / 1000
        with trio.move_on_after(timeout):
            while self._view()[1] < seqno:
                await self.producer.wait_block()
            return {}
        raise LiteServerError(ERROR_CODE_TIMEOUT, f"timeout waiting for masterchain block {seqno}")

    def _masterchain_info(self) -> TLDict:
        head = self._head()
        return {
            "last": head.id.to_tl(),
            "state_root_hash": head.state.get_hash(0),
            "init": dict(FAKE_ZERO_STATE),
        }

    async def get_masterchain_info(self, query: TLDict) -> TLDict:
        await trio.lowlevel.checkpoint()
        return {"@type": "liteServer.masterchainInfo", **self._masterchain_info()}

    async def get_masterchain_info_ext(self, query: TLDict) -> TLDict:
        await trio.lowlevel.checkpoint()
        head = self._head()
        return {
            "@type": "liteServer.masterchainInfoExt",
            "mode": 0,
            "version": FAKE_VERSION,
            "capabilities": FAKE_CAPABILITIES,
            "last_utime": head.gen_utime,
            "now": self.producer.chain.now(),
            **self._masterchain_info(),
        }

    async def get_time(self, query: TLDict) -> TLDict:
        await trio.lowlevel.checkpoint()
        return {"@type": "liteServer.currentTime", "now": self.producer.chain.now()}

    async def get_version(self, query: TLDict) -> TLDict:
        await trio.lowlevel.checkpoint()
        return {
            "@type": "liteServer.version",
            "mode": 0,
            "version": FAKE_VERSION,
            "capabilities": FAKE_CAPABILITIES,
            "now": self.producer.chain.now(),
        }

    async def get_block_header(self, query: TLDict) -> TLDict:
        await trio.lowlevel.checkpoint()
        _, block = self._block(query["id"])
        return {
            "@type": "liteServer.blockHeader",
            "id": block.id.to_tl(),
            "mode": query["mode"],
            "header_proof": header_proof_boc(block),
        }

    async def get_block(self, query: TLDict) -> TLDict:
        await trio.lowlevel.checkpoint()
        _, block = self._whole(query["id"])
        return {"@type": "liteServer.blockData", "id": block.id.to_tl(), "data": block.boc}

    async def lookup_block(self, query: TLDict) -> TLDict:
        """A block by seqno (mode bit 0), by lt (bit 1: the block holding it) or by unix
        time (bit 2: the last block generated at or before it)."""
        await trio.lowlevel.checkpoint()
        mode, wanted = query["mode"], query["id"]
        chain, head_seqno = self._view()
        blocks = chain.mc_blocks if wanted["workchain"] == MASTERCHAIN else chain.shard_blocks
        blocks = blocks[:head_seqno]
        found: BuiltBlock | PrunedBlock | None = None
        if mode & 1:
            if 1 <= wanted["seqno"] <= len(blocks):
                found = blocks[wanted["seqno"] - 1]
        elif mode & 2:
            found = next((b for b in blocks if b.start_lt <= query["lt"] < b.end_lt), None)
        elif mode & 4:
            earlier = [b for b in blocks if b.gen_utime <= query["utime"]]
            found = earlier[-1] if earlier else None
        if found is None:
            raise LiteServerError(ERROR_CODE_NOTREADY, "block not found")
        return {
            "@type": "liteServer.blockHeader",
            "id": found.id.to_tl(),
            "mode": mode,
            "header_proof": header_proof_boc(found),
        }

    async def get_block_proof(self, query: TLDict) -> TLDict:
        """A proof chain from the client's known block to `target_block` (mode bit 0) or to
        this server's head, as TON's liteserver builds it (`cocoon.ton.lite.blockproof`)."""
        await trio.lowlevel.checkpoint()
        chain, known = self._block(query["known_block"])
        target = self._head()
        if query["mode"] & 1:
            _, target = self._block(query["target_block"])
        if known.id.workchain != MASTERCHAIN or target.id.workchain != MASTERCHAIN:
            raise LiteServerError(ERROR_CODE_PROTOVIOLATION, "masterchain blocks are expected")
        try:
            answer = prove_block_chain(chain, known.id, target.id)
        except ValueError as e:
            raise LiteServerError(ERROR_CODE_ERROR, str(e)) from None
        if self.faults.forge_signatures:
            for step in answer["steps"]:
                if step["@type"] == "liteServer.blockLinkForward":
                    _forge(step["signatures"])
        return answer

    async def get_account_state(self, query: TLDict) -> TLDict:
        await trio.lowlevel.checkpoint()
        chain, block = self._whole(query["id"])
        if block.id.workchain != MASTERCHAIN:
            raise LiteServerError(ERROR_CODE_PROTOVIOLATION, "a masterchain block id is expected")
        address = _address(query["account"])
        if address.wc != 0:
            raise LiteServerError(ERROR_CODE_ERROR, "only basechain accounts are served")
        answer = prove_account_state(chain, address, block.id.seqno)
        state = answer.state
        if address.hash_part in self.faults.tamper_accounts:
            state = _tampered_state(state)
        return {
            "@type": "liteServer.accountState",
            "id": answer.id.to_tl(),
            "shardblk": answer.shardblk.to_tl(),
            "shard_proof": answer.shard_proof,
            "proof": answer.proof,
            "state": state,
        }

    async def get_transactions(self, query: TLDict) -> TLDict:
        await trio.lowlevel.checkpoint()
        chain, _ = self._view()
        address = _address(query["account"])
        count = min(query["count"], MAX_TRANSACTIONS_PER_CALL)
        ids, boc = transaction_list(chain, address, query["lt"], query["hash"], count)
        if not ids:
            raise LiteServerError(ERROR_CODE_ERROR, "cannot locate transaction in block")
        if address.hash_part in self.faults.break_transactions and len(ids) > 1:
            boc = _without_second(boc)
            ids = ids[:1] + ids[2:]
        return {
            "@type": "liteServer.transactionList",
            "ids": [i.to_tl() for i in ids],
            "transactions": boc,
        }

    async def send_message(self, query: TLDict) -> TLDict:
        """TON's status 1 says the server took the message, nothing more: it may never run."""
        await trio.lowlevel.checkpoint()
        if self.faults.drop_externals > 0:
            self.faults.drop_externals -= 1
            self.faults.dropped += 1
            log.info("%s: dropped an external (fault)", self.name)
            return {"@type": "liteServer.sendMsgStatus", "status": 1}
        try:
            self.producer.submit_external(bytes(query["body"]))
        except ExternalRejectedError as e:
            # TON's liteserver runs an external on the account first and refuses it the same.
            raise LiteServerError(
                ERROR_CODE_ERROR, f"cannot apply external message to current state: {e}"
            ) from None
        except Exception as e:  # a BOC that is no external message
            raise LiteServerError(ERROR_CODE_PROTOVIOLATION, f"bad external message: {e}") from None
        return {"@type": "liteServer.sendMsgStatus", "status": 1}


def _forge(signature_set: TLDict) -> None:
    """Alter the first signature of a set: what a server making up a block would send."""
    first = signature_set["signatures"][0]
    sig = bytearray(first["signature"])
    sig[0] ^= 1
    first["signature"] = bytes(sig)


def _without_second(boc: bytes) -> bytes:
    cells: list[Cell] = from_boc_multi(boc, "transaction list")
    return to_boc_multi(cells[:1] + cells[2:])


_METHODS = {
    "liteServer.waitMasterchainSeqno": FakeLiteHandler.wait_masterchain_seqno,
    "liteServer.getMasterchainInfo": FakeLiteHandler.get_masterchain_info,
    "liteServer.getMasterchainInfoExt": FakeLiteHandler.get_masterchain_info_ext,
    "liteServer.getTime": FakeLiteHandler.get_time,
    "liteServer.getVersion": FakeLiteHandler.get_version,
    "liteServer.getBlockHeader": FakeLiteHandler.get_block_header,
    "liteServer.getBlock": FakeLiteHandler.get_block,
    "liteServer.lookupBlock": FakeLiteHandler.lookup_block,
    "liteServer.getAccountState": FakeLiteHandler.get_account_state,
    "liteServer.getBlockProof": FakeLiteHandler.get_block_proof,
    "liteServer.getTransactions": FakeLiteHandler.get_transactions,
    "liteServer.sendMessage": FakeLiteHandler.send_message,
}


class LocalLiteQuery:
    """A handler reached without a socket, through the strict TL codec both ways: the query
    is encoded and decoded as a liteserver would read it, the answer as a client would. What
    `LiteClient` over `serve_lite` does, less ADNL (for unit tests and quick tools)."""

    def __init__(self, handler: FakeLiteHandler, name: str | None = None) -> None:
        self.handler = handler
        self.name = name or handler.name

    async def query(
        self,
        function: str,
        fields: dict[str, Any] | None = None,
        *,
        wait_seqno: tuple[int, int] | None = None,
    ) -> dict[str, Any]:
        data = tl.encode(function, fields)
        if wait_seqno is not None:
            seqno, timeout_ms = wait_seqno
            prefix = {"seqno": seqno, "timeout_ms": timeout_ms}
            data = tl.encode("liteServer.waitMasterchainSeqno", prefix) + data
        prefixes, parsed = tl.decode_query(data)
        try:
            for p in prefixes:
                await self.handler.handle(p)
            answer = await self.handler.handle(parsed)
        except LiteServerError as e:
            answer = {"@type": "liteServer.error", "code": e.code, "message": e.message}
        encoded = answer if isinstance(answer, bytes) else tl.encode(answer["@type"], answer)
        value = tl.decode(encoded, (tl.registry().result_type(function), "liteServer.Error"))
        if value["@type"] == "liteServer.error":
            raise LiteServerError(value["code"], value["message"])
        return value
