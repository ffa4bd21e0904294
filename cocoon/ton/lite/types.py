"""Typed lite_api answers: attrs classes made from the TL dicts of `cocoon.ton.lite.tl`.

Only the fields' shapes are checked here; nothing in these objects is trusted yet. Proofs
(`bytes` fields holding BOCs) are kept as they came, for the proof layer to check against a
trusted block.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

MASTERCHAIN = -1
SHARD_ALL = -(2**63)  # 0x8000000000000000 as a signed long: the whole workchain


def _hash32(value: bytes) -> bytes:
    if not isinstance(value, bytes) or len(value) != 32:
        raise ValueError("a 32-byte hash expected")
    return value


@attrs.frozen
class BlockId:
    """`tonNode.blockId`: a block by position, without its hashes."""

    workchain: int
    shard: int
    seqno: int

    def to_tl(self) -> dict[str, Any]:
        return {"workchain": self.workchain, "shard": self.shard, "seqno": self.seqno}


@attrs.frozen
class BlockIdExt:
    """`tonNode.blockIdExt`: a block by position and by its root and file hashes."""

    workchain: int
    shard: int
    seqno: int
    root_hash: bytes = attrs.field(converter=_hash32, repr=lambda h: h.hex()[:16])
    file_hash: bytes = attrs.field(converter=_hash32, repr=lambda h: h.hex()[:16])

    @classmethod
    def from_tl(cls, d: Mapping[str, Any]) -> BlockIdExt:
        return cls(d["workchain"], d["shard"], d["seqno"], d["root_hash"], d["file_hash"])

    def to_tl(self) -> dict[str, Any]:
        return {
            "workchain": self.workchain,
            "shard": self.shard,
            "seqno": self.seqno,
            "root_hash": self.root_hash,
            "file_hash": self.file_hash,
        }

    @property
    def id(self) -> BlockId:
        return BlockId(self.workchain, self.shard, self.seqno)


@attrs.frozen
class ZeroStateIdExt:
    """`tonNode.zeroStateIdExt`: the zero state a chain started from."""

    workchain: int
    root_hash: bytes = attrs.field(converter=_hash32)
    file_hash: bytes = attrs.field(converter=_hash32)

    @classmethod
    def from_tl(cls, d: Mapping[str, Any]) -> ZeroStateIdExt:
        return cls(d["workchain"], d["root_hash"], d["file_hash"])

    def to_tl(self) -> dict[str, Any]:
        return {
            "workchain": self.workchain,
            "root_hash": self.root_hash,
            "file_hash": self.file_hash,
        }


@attrs.frozen
class MasterchainInfo:
    last: BlockIdExt
    state_root_hash: bytes
    init: ZeroStateIdExt

    @classmethod
    def from_tl(cls, d: Mapping[str, Any]) -> MasterchainInfo:
        return cls(
            BlockIdExt.from_tl(d["last"]), d["state_root_hash"], ZeroStateIdExt.from_tl(d["init"])
        )


@attrs.frozen
class MasterchainInfoExt:
    mode: int
    version: int
    capabilities: int
    last: BlockIdExt
    last_utime: int  # generation time of `last`, as the server claims it
    now: int  # the server's clock
    state_root_hash: bytes
    init: ZeroStateIdExt

    @classmethod
    def from_tl(cls, d: Mapping[str, Any]) -> MasterchainInfoExt:
        return cls(
            mode=d["mode"],
            version=d["version"],
            capabilities=d["capabilities"],
            last=BlockIdExt.from_tl(d["last"]),
            last_utime=d["last_utime"],
            now=d["now"],
            state_root_hash=d["state_root_hash"],
            init=ZeroStateIdExt.from_tl(d["init"]),
        )


@attrs.frozen
class Version:
    mode: int
    version: int
    capabilities: int
    now: int

    @classmethod
    def from_tl(cls, d: Mapping[str, Any]) -> Version:
        return cls(d["mode"], d["version"], d["capabilities"], d["now"])


@attrs.frozen
class BlockHeader:
    """`liteServer.blockHeader`: a Merkle proof of the block's header (`header_proof`, a BOC)."""

    id: BlockIdExt
    mode: int
    header_proof: bytes

    @classmethod
    def from_tl(cls, d: Mapping[str, Any]) -> BlockHeader:
        return cls(BlockIdExt.from_tl(d["id"]), d["mode"], d["header_proof"])


@attrs.frozen
class AccountState:
    """`liteServer.accountState`: the account in shard block `shardblk` under masterchain `id`.

    `shard_proof` links `id` to `shardblk` (empty when the account is on the masterchain),
    `proof` links `shardblk` to the account, `state` is the account's cell (BOC, empty when
    the account does not exist).
    """

    id: BlockIdExt
    shardblk: BlockIdExt
    shard_proof: bytes
    proof: bytes
    state: bytes

    @classmethod
    def from_tl(cls, d: Mapping[str, Any]) -> AccountState:
        return cls(
            BlockIdExt.from_tl(d["id"]),
            BlockIdExt.from_tl(d["shardblk"]),
            d["shard_proof"],
            d["proof"],
            d["state"],
        )


@attrs.frozen
class TransactionList:
    """`liteServer.transactionList`: transactions newest first, with the block of each; the
    transactions are one BOC with a root per transaction."""

    ids: tuple[BlockIdExt, ...]
    transactions: bytes

    @classmethod
    def from_tl(cls, d: Mapping[str, Any]) -> TransactionList:
        return cls(tuple(BlockIdExt.from_tl(b) for b in d["ids"]), d["transactions"])


@attrs.frozen
class PartialBlockProof:
    """`liteServer.partialBlockProof`: links from a known block towards a target; the steps are
    TL dicts (`liteServer.blockLinkBack` / `liteServer.blockLinkForward`) for the proof layer."""

    complete: bool
    from_: BlockIdExt
    to: BlockIdExt
    steps: tuple[dict[str, Any], ...]

    @classmethod
    def from_tl(cls, d: Mapping[str, Any]) -> PartialBlockProof:
        return cls(
            d["complete"],
            BlockIdExt.from_tl(d["from"]),
            BlockIdExt.from_tl(d["to"]),
            tuple(d["steps"]),
        )


@attrs.frozen
class ConfigInfo:
    """`liteServer.configInfo`: config parameters with proofs of the state holding them."""

    mode: int
    id: BlockIdExt
    state_proof: bytes
    config_proof: bytes

    @classmethod
    def from_tl(cls, d: Mapping[str, Any]) -> ConfigInfo:
        return cls(d["mode"], BlockIdExt.from_tl(d["id"]), d["state_proof"], d["config_proof"])


@attrs.frozen
class AllShardsInfo:
    """`liteServer.allShardsInfo`: the shard configuration of a masterchain block, proven."""

    id: BlockIdExt
    proof: bytes
    data: bytes

    @classmethod
    def from_tl(cls, d: Mapping[str, Any]) -> AllShardsInfo:
        return cls(BlockIdExt.from_tl(d["id"]), d["proof"], d["data"])


@attrs.frozen
class ShardInfo:
    """`liteServer.shardInfo`: one shard's latest block as of a masterchain block, proven."""

    id: BlockIdExt
    shardblk: BlockIdExt
    shard_proof: bytes
    shard_descr: bytes

    @classmethod
    def from_tl(cls, d: Mapping[str, Any]) -> ShardInfo:
        return cls(
            BlockIdExt.from_tl(d["id"]),
            BlockIdExt.from_tl(d["shardblk"]),
            d["shard_proof"],
            d["shard_descr"],
        )
