"""Typed lite_api calls over any `query` (one server's client, or a pool of servers).

Each call builds the TL function, sends it through `query`, and turns the TL answer into the
attrs class of `cocoon.ton.lite.types`. Nothing here checks proofs.
"""

from __future__ import annotations

import abc
from typing import Any

from pytoniq_core import Address

from cocoon.ton.lite.types import (
    AccountState,
    AllShardsInfo,
    BlockHeader,
    BlockId,
    BlockIdExt,
    ConfigInfo,
    MasterchainInfo,
    MasterchainInfoExt,
    PartialBlockProof,
    ShardInfo,
    TransactionList,
    Version,
)

MAX_TRANSACTIONS_PER_CALL = 16  # liteservers answer at most this many per getTransactions


def account_id(address: Address | tuple[int, bytes]) -> dict[str, Any]:
    """The TL `liteServer.accountId` of an address."""
    if isinstance(address, Address):
        return {"workchain": address.wc, "id": address.hash_part}
    workchain, id_ = address
    return {"workchain": workchain, "id": id_}


class LiteApi(abc.ABC):
    """The lite_api functions the ledger needs, typed, over an abstract `query`."""

    @abc.abstractmethod
    async def query(
        self,
        function: str,
        fields: dict[str, Any] | None = None,
        *,
        wait_seqno: tuple[int, int] | None = None,
    ) -> dict[str, Any]:
        """Run one lite_api function; its TL answer. `wait_seqno=(seqno, timeout_ms)` prefixes
        it with `liteServer.waitMasterchainSeqno`, so the server answers once it has that
        masterchain block. Raises `LiteServerError` for a `liteServer.error` answer, and
        `LiteTimeoutError` past the implementation's query timeout (a caller wanting less
        puts the call in its own cancel scope)."""

    async def get_masterchain_info(
        self, *, wait_seqno: tuple[int, int] | None = None
    ) -> MasterchainInfo:
        answer = await self.query("liteServer.getMasterchainInfo", wait_seqno=wait_seqno)
        return MasterchainInfo.from_tl(answer)

    async def wait_masterchain_seqno(self, seqno: int, timeout_ms: int) -> MasterchainInfo:
        """The head once the server has masterchain block `seqno` (or a liteServer.error
        when it has not within `timeout_ms`)."""
        return await self.get_masterchain_info(wait_seqno=(seqno, timeout_ms))

    async def get_masterchain_info_ext(self, mode: int = 0) -> MasterchainInfoExt:
        answer = await self.query("liteServer.getMasterchainInfoExt", {"mode": mode})
        return MasterchainInfoExt.from_tl(answer)

    async def get_time(self) -> int:
        return (await self.query("liteServer.getTime"))["now"]

    async def get_version(self) -> Version:
        return Version.from_tl(await self.query("liteServer.getVersion"))

    async def get_block_header(self, block: BlockIdExt, mode: int = 0) -> BlockHeader:
        answer = await self.query("liteServer.getBlockHeader", {"id": block.to_tl(), "mode": mode})
        return BlockHeader.from_tl(answer)

    async def lookup_block(
        self, block: BlockId, *, lt: int | None = None, utime: int | None = None, mode: int = 0
    ) -> BlockHeader:
        """A block by seqno (mode bit 0, the default when neither `lt` nor `utime` is given),
        by logical time (bit 1) or by unix time (bit 2)."""
        mode |= 1 if lt is None and utime is None else 0
        fields: dict[str, Any] = {"mode": mode, "id": block.to_tl()}
        if lt is not None:
            fields["lt"], fields["mode"] = lt, fields["mode"] | 2
        if utime is not None:
            fields["utime"], fields["mode"] = utime, fields["mode"] | 4
        return BlockHeader.from_tl(await self.query("liteServer.lookupBlock", fields))

    async def get_account_state(
        self, block: BlockIdExt, address: Address | tuple[int, bytes]
    ) -> AccountState:
        answer = await self.query(
            "liteServer.getAccountState", {"id": block.to_tl(), "account": account_id(address)}
        )
        return AccountState.from_tl(answer)

    async def get_transactions(
        self,
        address: Address | tuple[int, bytes],
        lt: int,
        hash_: bytes,
        count: int = MAX_TRANSACTIONS_PER_CALL,
    ) -> TransactionList:
        """Up to `count` transactions of the account, newest first, from the one at (lt, hash)."""
        answer = await self.query(
            "liteServer.getTransactions",
            {"count": count, "account": account_id(address), "lt": lt, "hash": hash_},
        )
        return TransactionList.from_tl(answer)

    async def send_message(self, boc: bytes) -> int:
        """Send an external message (BOC); the server's status (1: queued). Not a receipt."""
        return (await self.query("liteServer.sendMessage", {"body": boc}))["status"]

    async def get_block_proof(
        self, known_block: BlockIdExt, target_block: BlockIdExt | None = None, mode: int = 0
    ) -> PartialBlockProof:
        fields: dict[str, Any] = {"mode": mode, "known_block": known_block.to_tl()}
        if target_block is not None:
            fields["target_block"] = target_block.to_tl()
            fields["mode"] = mode | 1
        return PartialBlockProof.from_tl(await self.query("liteServer.getBlockProof", fields))

    async def get_config_params(
        self, block: BlockIdExt, params: list[int], mode: int = 0
    ) -> ConfigInfo:
        answer = await self.query(
            "liteServer.getConfigParams",
            {"mode": mode, "id": block.to_tl(), "param_list": list(params)},
        )
        return ConfigInfo.from_tl(answer)

    async def get_all_shards_info(self, block: BlockIdExt) -> AllShardsInfo:
        answer = await self.query("liteServer.getAllShardsInfo", {"id": block.to_tl()})
        return AllShardsInfo.from_tl(answer)

    async def get_shard_info(
        self, block: BlockIdExt, workchain: int, shard: int, *, exact: bool = False
    ) -> ShardInfo:
        answer = await self.query(
            "liteServer.getShardInfo",
            {"id": block.to_tl(), "workchain": workchain, "shard": shard, "exact": exact},
        )
        return ShardInfo.from_tl(answer)
