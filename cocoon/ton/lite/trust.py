"""Trust stage 2: a masterchain head is taken only when a chain of validator signatures leads to
it from the global config's `init_block` (or from a key block proven so before and cached on
disk), as tonlib does.

`KeyBlockTrust.prove_head(server, target=...)` asks the server for `liteServer.getBlockProof`
from the newest trusted key block to the block the server named as its head (mode bit 0, so
the answer is for that block) and checks every link (`blockproof`): forward
links by the signatures of the validators the previous key block names (more than 2/3 of their
weight, ordinary or simplex signatures), key blocks picking up their new validator set, and
backward links by the states' `prev_blocks`. An incomplete answer (TON's liteservers stop at 16
links) is followed from the newest key block it proved. The newest key block is kept in memory
and written to the cache file (atomically: a temporary file renamed over it), so the next start
does not walk from `init_block` again. A cache written for another `init_block` is ignored.
The newest key block's validator set is kept in memory once its config proof checked: while
the validators stay (no newer key block), a head costs one forward link, whose signatures are
checked against that set.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import trio

from cocoon.ton.lite.blockproof import KeyBlockConfig, ProvenChain, check_block_proof
from cocoon.ton.lite.blocks import MASTERCHAIN, BlockId
from cocoon.ton.lite.errors import LiteProofError

log = logging.getLogger(__name__)

MAX_ROUNDS = 64  # getBlockProof answers followed for one head (16 links each)

Query = Callable[..., Awaitable[dict[str, Any]]]


def _block_to_json(block: BlockId) -> dict[str, Any]:
    return {
        "workchain": block.workchain,
        "shard": block.shard_signed,
        "seqno": block.seqno,
        "root_hash": block.root_hash.hex(),
        "file_hash": block.file_hash.hex(),
    }


def _block_from_json(data: Any) -> BlockId:
    block = BlockId.from_tl(data)
    if len(block.root_hash) != 32 or len(block.file_hash) != 32:
        raise ValueError("hashes of 32 bytes expected")
    return block


def read_key_block_cache(path: Path, init_block: BlockId) -> BlockId | None:
    """The cached key block, if the file is there, well formed and of this `init_block`."""
    try:
        data = json.loads(path.read_text())
        if _block_from_json(data["init_block"]) != init_block:
            log.warning("key block cache %s is of another init block; not used", path)
            return None
        block = _block_from_json(data["key_block"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as e:
        log.warning("key block cache %s is unreadable (%s); starting from the init block", path, e)
        return None
    if block.workchain != MASTERCHAIN or block.seqno < init_block.seqno:
        log.warning("key block cache %s names no newer masterchain block; not used", path)
        return None
    return block


def write_key_block_cache(path: Path, init_block: BlockId, key_block: BlockId) -> None:
    """Write the cache atomically: a reader sees the old file or the new one, never half."""
    text = json.dumps(
        {"init_block": _block_to_json(init_block), "key_block": _block_to_json(key_block)},
        indent=1,
    )
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class KeyBlockTrust:
    """The newest trusted key block, and the proof of heads from it (see the module docstring).

    `query(server, function, fields)` sends one lite_api query to `server` (the ledger's, so
    queries are counted)."""

    def __init__(self, init_block: BlockId, *, cache_path: str | Path | None = None) -> None:
        if init_block.workchain != MASTERCHAIN:
            raise ValueError("the init block is a masterchain block")
        self.init_block = init_block
        self.cache_path = None if cache_path is None else Path(cache_path)
        cached = None
        if self.cache_path is not None:
            cached = read_key_block_cache(self.cache_path, init_block)
        self.key_block = cached or init_block
        # The validators of the key blocks proven so far (their config proofs checked once);
        # only the newest is kept: no forward link starts at an older one again.
        self._configs: dict[BlockId, KeyBlockConfig] = {}
        if cached is not None:
            log.info("starting from cached key block %d", cached.seqno)

    async def prove_head(
        self, server: Any, query: Query, *, target: BlockId | None = None
    ) -> ProvenChain:
        """The server's head (or `target`, a block the server named), proven by signatures
        from the newest trusted key block. Raises `LiteProofError` when a link does not check.

        With a `target` the query names it (mode bit 0): while no key block came since the
        trusted one, the answer is that one forward link, checked against the key block's
        cached validator set."""
        known = self.key_block
        if target is not None and target == known:
            return ProvenChain(known, None, None, True, 0)
        for _ in range(MAX_ROUNDS):
            fields: dict[str, Any] = {"mode": 0, "known_block": known.to_tl()}
            if target is not None:
                fields = {"mode": 1, "known_block": known.to_tl(), "target_block": target.to_tl()}
            answer = await query(server, "liteServer.getBlockProof", fields)
            proven = check_block_proof(answer, known, target=target, configs=self._configs)
            if proven.key_block is not None:
                await self._take_key_block(proven.key_block)
            if proven.complete:
                return proven
            if self.key_block == known:
                raise LiteProofError("an incomplete block proof that proves no newer key block")
            known = self.key_block
        raise LiteProofError(f"no head after {MAX_ROUNDS} block proofs")

    async def _take_key_block(self, block: BlockId) -> None:
        if block.seqno <= self.key_block.seqno:
            return
        log.info("key block %d proven by signatures", block.seqno)
        self.key_block = block
        for older in [b for b in self._configs if b != block]:
            del self._configs[older]
        if self.cache_path is not None:
            path, init = self.cache_path, self.init_block
            try:
                await trio.to_thread.run_sync(write_key_block_cache, path, init, block)
            except OSError as e:
                log.warning("cannot write the key block cache %s: %s", path, e)
