"""Fake liteservers for a local network: the embedded chain served over ADNL on loopback, and a
`LiteLedger` for each role that reaches it only through them.

One `BlockProducer` makes the blocks; each role gets its own pair of liteservers (so the
agreement rule has two independent answers, and so queries can be counted by role), all over
that producer, as every honest TON liteserver serves the same chain.

    fake = await start_fake_lite(chain, nursery)
    ledger = await fake.ledger_for("proxy0", nursery)
"""

from __future__ import annotations

import collections
import os
from collections.abc import Mapping

import attrs
import trio
from pytoniq_core import Cell

from cocoon.ton.codes import COCOON_WALLET_CODE
from cocoon.ton.embedded.chain import Chain
from cocoon.ton.lite.config import GlobalConfig, LiteServerConfig, ValidatorConfig
from cocoon.ton.lite.fake import FAKE_ZERO_STATE, BlockProducer, FakeLiteHandler
from cocoon.ton.lite.ledger import (
    TRUST_AGREEMENT,
    TRUST_KEY_BLOCKS,
    LiteEndpoint,
    LiteLedger,
    LiteLedgerOptions,
    open_lite_ledger,
)
from cocoon.ton.lite.server import LiteServer, serve_lite
from cocoon.ton.lite.types import BlockIdExt

SERVERS_PER_ROLE = 2  # the agreement rule's two independent liteservers
BLOCK_INTERVAL = 1.0  # seconds between blocks when nothing changes (a benchmark may set it)
TRUST = TRUST_AGREEMENT  # the roles' trust stage (a benchmark may set TRUST_KEY_BLOCKS)
# The roles' LiteLedgerOptions.max_head_age: a head a block old at most, as blocks come every
# second here (a benchmark may set it).
MAX_HEAD_AGE = 1.0


@attrs.define(eq=False)
class FakeLiteNetwork:
    """The fake liteservers of a local network, by role."""

    producer: BlockProducer
    host: str = "127.0.0.1"
    options: LiteLedgerOptions = attrs.field(factory=LiteLedgerOptions)
    servers: dict[str, list[tuple[FakeLiteHandler, LiteServer]]] = attrs.field(factory=dict)
    ledgers: dict[str, LiteLedger] = attrs.field(factory=dict)

    def handlers(self, role: str) -> list[FakeLiteHandler]:
        return [h for h, _ in self.servers.get(role, [])]

    def all_handlers(self) -> list[FakeLiteHandler]:
        return [h for pairs in self.servers.values() for h, _ in pairs]

    def queries_by_role(self) -> Mapping[str, collections.Counter[str]]:
        """Queries each role's liteservers answered, by lite_api function."""
        out: dict[str, collections.Counter[str]] = {}
        for role, pairs in self.servers.items():
            total: collections.Counter[str] = collections.Counter()
            for handler, _ in pairs:
                total.update(handler.counts)
            out[role] = total
        return out

    def answer_bytes_by_role(self) -> Mapping[str, collections.Counter[str]]:
        """Bytes each role's liteservers sent in answers, by lite_api function."""
        out: dict[str, collections.Counter[str]] = {}
        for role, pairs in self.servers.items():
            total: collections.Counter[str] = collections.Counter()
            for _, server in pairs:
                total.update(server.answer_bytes)
            out[role] = total
        return out

    def global_config(self, role: str) -> GlobalConfig:
        """A TON global config naming `role`'s liteservers (what a role started as its own
        process would be given); the zero state is the fake chain's, the init block its first
        key block (trust stage 2 starts there)."""
        zero = FAKE_ZERO_STATE
        init = self.producer.synthetic.mc_blocks[0].id
        return GlobalConfig(
            liteservers=tuple(
                LiteServerConfig(self.host, s.port or 0, s.public_key)
                for _, s in self.servers[role]
            ),
            validator=ValidatorConfig(
                zero_state=BlockIdExt(
                    zero["workchain"], -(2**63), 0, zero["root_hash"], zero["file_hash"]
                ),
                init_block=BlockIdExt(
                    init.workchain, init.shard_signed, init.seqno, init.root_hash, init.file_hash
                ),
            ),
        )

    async def ledger_for(
        self, role: str, nursery: trio.Nursery, *, servers: int = SERVERS_PER_ROLE
    ) -> LiteLedger:
        """A `LiteLedger` for `role` over liteservers of its own (started in `nursery`)."""
        if role in self.ledgers:
            return self.ledgers[role]
        pairs = []
        for i in range(servers):
            handler = FakeLiteHandler(self.producer, name=f"{role}/ls{i}")
            server: LiteServer = await nursery.start(_serve, handler, os.urandom(32), self.host)
            pairs.append((handler, server))
        self.servers[role] = pairs
        endpoints = [LiteEndpoint(self.host, s.port or 0, s.public_key, h.name) for h, s in pairs]
        options = self.options
        if options.trust == TRUST_KEY_BLOCKS and options.init_block is None:
            # Stage 2 starts where the global config would say: the fake chain's first key block.
            options = attrs.evolve(options, init_block=self.producer.synthetic.mc_blocks[0].id)
        ledger: LiteLedger = await nursery.start(_hold_ledger, endpoints, options)
        self.ledgers[role] = ledger
        return ledger


async def _serve(
    handler: FakeLiteHandler,
    key: bytes,
    host: str,
    *,
    task_status: trio.TaskStatus[LiteServer] = trio.TASK_STATUS_IGNORED,
) -> None:
    await serve_lite(handler, 0, key, host=host, task_status=task_status)


async def _hold_ledger(
    endpoints: list[LiteEndpoint],
    options: LiteLedgerOptions,
    *,
    task_status: trio.TaskStatus[LiteLedger] = trio.TASK_STATUS_IGNORED,
) -> None:
    async with open_lite_ledger(endpoints, options) as ledger:
        task_status.started(ledger)
        await trio.sleep_forever()


async def start_fake_lite(
    chain: Chain,
    nursery: trio.Nursery,
    *,
    block_interval: float | None = None,
    host: str = "127.0.0.1",
    options: LiteLedgerOptions | None = None,
) -> FakeLiteNetwork:
    """Start the block producer over `chain` in `nursery`; roles' liteservers come with
    `ledger_for`."""
    interval = BLOCK_INTERVAL if block_interval is None else block_interval
    producer = BlockProducer(chain, block_interval=interval)
    await nursery.start(producer.run)
    if options is None:
        options = LiteLedgerOptions(
            trust=TRUST, wallet_code=chain_wallet_code(chain), max_head_age=MAX_HEAD_AGE
        )
    return FakeLiteNetwork(producer, host, options)


def chain_wallet_code(chain: Chain) -> Cell:
    """The code the chain's nodes make their wallets with: the chain's own where it names one
    (`Chain.wallet_code`), else the reference's."""
    return getattr(chain, "wallet_code", None) or COCOON_WALLET_CODE
