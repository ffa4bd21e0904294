"""How often a `LiteLedger` refreshes its head, and what a refresh costs a liteserver: only on
demand (a read of a head older than `max_head_age`, a watcher waiting for a newer block), at
most once per `max_head_age` however many watchers wait, and in trust stage 2 a proof only for
a newer block (one forward link checked against the key block's cached validators) and, for
watchers at idle, only once their account may have changed."""

# Every async test runs on virtual time (autojump_clock).

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import attrs
import pytest
import trio

from cocoon import ton
from cocoon.ton.embedded.chain import Chain
from cocoon.ton.lite import blockproof
from cocoon.ton.lite.blocks import BlockId, SyntheticChain, ValidatorKeys
from cocoon.ton.lite.fake import BlockProducer, FakeLiteHandler, LocalLiteQuery
from cocoon.ton.lite.ledger import TRUST_KEY_BLOCKS, LiteLedger, LiteLedgerOptions
from tests.ton.helpers import addr

T = ton.ONE_TON
START = 1_800_000_000


class Recording(LocalLiteQuery):
    """A local server that remembers each getBlockProof asked of it and the links answered."""

    def __init__(self, handler: FakeLiteHandler) -> None:
        super().__init__(handler)
        self.proofs: list[tuple[int, int | None, int]] = []  # mode, target seqno, links

    async def query(self, function: str, fields: dict[str, Any] | None = None, **kw: Any):
        answer = await super().query(function, fields, **kw)
        if function == "liteServer.getBlockProof":
            assert fields is not None
            target = fields.get("target_block")
            seqno = None if target is None else target["seqno"]
            self.proofs.append((fields["mode"], seqno, len(answer["steps"])))
        return answer


@attrs.define
class Setup:
    chain: Chain
    producer: BlockProducer
    handler: FakeLiteHandler
    server: Recording
    init_block: BlockId

    def ledger(self, **options: Any) -> LiteLedger:
        return LiteLedger(
            [self.server],
            LiteLedgerOptions(trust=TRUST_KEY_BLOCKS, init_block=self.init_block, **options),
        )


@asynccontextmanager
async def fake(block_interval: float = 1000.0) -> AsyncIterator[Setup]:
    """One fake liteserver; blocks only on a change of the chain or `advance()` by default."""
    chain = Chain(clock=lambda: START + int(trio.current_time()))
    synthetic = SyntheticChain(validators=ValidatorKeys.generate(4))
    producer = BlockProducer(chain, block_interval=block_interval, synthetic=synthetic)
    handler = FakeLiteHandler(producer)
    async with trio.open_nursery() as nursery:
        await nursery.start(producer.run)
        yield Setup(chain, producer, handler, Recording(handler), synthetic.mc_blocks[0].id)
        nursery.cancel_scope.cancel()


async def test_a_refresh_proves_only_a_newer_head_by_one_link_to_it(
    autojump_clock: trio.abc.Clock,
) -> None:
    async with fake() as s:
        s.producer.advance()
        s.producer.advance()
        ledger = s.ledger()
        assert await ledger.refresh_head() == s.producer.head.id
        # Nothing newer: the server is asked its head, and no proof.
        for _ in range(3):
            assert await ledger.refresh_head() == s.producer.head.id
        assert ledger.queries["liteServer.getBlockProof"] == 1
        assert ledger.queries["liteServer.getMasterchainInfo"] == 4
        # A newer block: one proof, asked for that block (mode bit 0), one forward link from
        # the key block (the init block here).
        s.producer.advance()
        head = s.producer.head.id
        assert await ledger.refresh_head() == head
        assert s.server.proofs[-1] == (1, head.seqno, 1)
        assert ledger.queries["liteServer.getBlockProof"] == 2


async def test_links_from_one_key_block_reuse_its_validators_and_still_check_signatures(
    autojump_clock: trio.abc.Clock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    parsed: list[int] = []
    read = blockproof.read_key_block_config

    def counting(root: Any) -> Any:
        parsed.append(1)
        return read(root)

    monkeypatch.setattr(blockproof, "read_key_block_config", counting)
    async with fake() as s:
        ledger = s.ledger()
        for _ in range(3):
            s.producer.advance()
            assert await ledger.refresh_head() == s.producer.head.id
        assert len(parsed) == 1  # the init block's validator set, parsed once
        # The cached set checks signatures all the same: forged ones are refused.
        s.handler.faults.forge_signatures = True
        trusted = ledger.head
        s.producer.advance()
        assert await ledger.refresh_head() == trusted
        assert "forged signature" in caplog.text
        s.handler.faults.forge_signatures = False
        assert await ledger.refresh_head() == s.producer.head.id
        # A new key block: its validators are parsed from its config once, then reused.
        s.producer.synthetic.rotate_validators(ValidatorKeys.generate(5))
        s.producer.advance()
        s.producer.advance()
        assert await ledger.refresh_head() == s.producer.head.id
        s.producer.advance()
        assert await ledger.refresh_head() == s.producer.head.id
        assert len(parsed) == 2  # the init block's and the new key block's, each once
        assert s.server.proofs[-1][2] == 1


async def test_reads_refresh_the_head_only_once_it_is_older_than_max_head_age(
    autojump_clock: trio.abc.Clock,
) -> None:
    async with fake(block_interval=0.5) as s:
        owner = s.chain.create_user(addr(1), 10 * T)
        ledger = s.ledger(max_head_age=5.0)
        await ledger.get_account(owner)
        asked = ledger.queries["liteServer.getMasterchainInfo"]
        for _ in range(8):
            await trio.sleep(0.5)
            await ledger.get_account(owner)
        # 4 s of reads on a head younger than 5 s: no server asked about a newer one.
        assert ledger.queries["liteServer.getMasterchainInfo"] == asked
        await trio.sleep(1.5)
        await ledger.get_account(owner)
        assert ledger.queries["liteServer.getMasterchainInfo"] == asked + 1
        assert ledger.head == s.producer.head.id


@pytest.mark.parametrize(
    ("trust", "max_quiet_age", "most"),
    [
        ("agreement", 60.0, 20 // 2 + 2),  # a head per max_head_age, at most
        (TRUST_KEY_BLOCKS, 60.0, 1),  # no proof while the accounts stay as they are
        (TRUST_KEY_BLOCKS, 5.0, 20 // 5 + 2),  # and one per max_quiet_age all the same
    ],
)
async def test_idle_watchers_prove_heads_rarely(
    autojump_clock: trio.abc.Clock, trust: str, max_quiet_age: float, most: int
) -> None:
    """Blocks come ten times a second; five watchers wait on accounts that do not change for
    20 s. Stage 1 takes a head at most once per `max_head_age`; stage 2 reads each account in
    each new block and proves a head only when one changed (or after `max_quiet_age`). A
    change is seen either way."""
    async with fake(block_interval=0.1) as s:
        owners = [s.chain.create_user(addr(i), 10 * T) for i in range(1, 6)]
        servers = [s.server, Recording(FakeLiteHandler(s.producer))]
        options = LiteLedgerOptions(
            trust=trust, init_block=s.init_block, max_head_age=2.0, max_quiet_age=max_quiet_age
        )
        ledger = LiteLedger(servers, options)
        lts = [(await ledger.get_account(o)).last_tx_lt for o in owners]
        seen: list[int] = []
        received = trio.Event()

        async def watch(i: int) -> None:
            state = await ledger.wait_for_change(owners[i], lts[i])
            seen.append(state.balance)
            if state.balance == 11 * T:
                received.set()

        def head_checks() -> int:
            if trust == TRUST_KEY_BLOCKS:
                return ledger.queries["liteServer.getBlockProof"]
            return ledger.queries["liteServer.getMasterchainInfoExt"] // 2

        async with trio.open_nursery() as nursery:
            for i in range(len(owners)):
                nursery.start_soon(watch, i)
            await trio.sleep(20)
            assert s.producer.head.id.seqno > 150  # the blocks came
            assert 1 <= head_checks() <= most
            before = head_checks()
            # A change wakes its watchers (the sender's and the receiver's), and only theirs.
            s.chain.send_from_user(owners[0], owners[2], T)
            with trio.fail_after(10):
                await received.wait()
            await trio.sleep(3)
            assert len(seen) == 2
            assert head_checks() > before
            assert ledger.head is not None and ledger.head.seqno > 150
            nursery.cancel_scope.cancel()
