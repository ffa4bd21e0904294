"""`LiteLedger` with trust stage 2 (`trust="key_blocks"`): heads proven by validator signatures
from the init block over the fake liteserver, key blocks followed as validators change, the last
key block cached on disk and used on the next start, and servers whose proofs do not check
refused."""

# Every async test runs on virtual time (autojump_clock).

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import attrs
import pytest
import trio

from cocoon import ton
from cocoon.ton.embedded.chain import Chain
from cocoon.ton.lite.blocks import BlockId, PrunedBlock, SyntheticChain, ValidatorKeys
from cocoon.ton.lite.errors import LiteError, LiteProofError
from cocoon.ton.lite.fake import BlockProducer, FakeLiteHandler, LocalLiteQuery
from cocoon.ton.lite.ledger import TRUST_KEY_BLOCKS, LiteLedger, LiteLedgerOptions
from cocoon.ton.lite.trust import KeyBlockTrust, read_key_block_cache, write_key_block_cache
from tests.ton.helpers import addr

T = ton.ONE_TON
START = 1_800_000_000


class Recording(LocalLiteQuery):
    """A local server that remembers the known block of each getBlockProof asked of it."""

    def __init__(self, handler: FakeLiteHandler) -> None:
        super().__init__(handler)
        self.known: list[int] = []

    async def query(self, function: str, fields: dict[str, Any] | None = None, **kw: Any):
        if function == "liteServer.getBlockProof":
            self.known.append(fields["known_block"]["seqno"])
        return await super().query(function, fields, **kw)


@attrs.define
class Setup:
    chain: Chain
    producer: BlockProducer
    handlers: list[FakeLiteHandler]
    servers: list[Recording]
    init_block: BlockId


@asynccontextmanager
async def fake(servers: int = 1, **chain_options: Any) -> AsyncIterator[Setup]:
    chain = Chain(clock=lambda: START + int(trio.current_time()))
    synthetic = SyntheticChain(validators=ValidatorKeys.generate(4), **chain_options)
    producer = BlockProducer(chain, block_interval=1.0, synthetic=synthetic)
    handlers = [FakeLiteHandler(producer, name=f"ls{i}") for i in range(servers)]
    async with trio.open_nursery() as nursery:
        await nursery.start(producer.run)
        yield Setup(
            chain,
            producer,
            handlers,
            [Recording(h) for h in handlers],
            synthetic.mc_blocks[0].id,
        )
        nursery.cancel_scope.cancel()


def is_real(s: Setup, block: BlockId) -> bool:
    """Whether `block` is one the honest chain made (the producer may be a block further)."""
    return s.producer.synthetic.mc_blocks[block.seqno - 1].id == block


def stage2(s: Setup, servers: list[Recording] | None = None, **options: Any) -> LiteLedger:
    return LiteLedger(
        servers or s.servers,
        LiteLedgerOptions(trust=TRUST_KEY_BLOCKS, init_block=s.init_block, **options),
    )


@pytest.mark.parametrize("signature_format", ["ordinary", "simplex"])
async def test_one_server_serves_heads_proven_across_changes_of_validators(
    autojump_clock: trio.abc.Clock, tmp_path: Path, signature_format: str
) -> None:
    async with fake(signature_format=signature_format, shuffle_validators=True) as s:
        owner = s.chain.create_user(addr(1), 10 * T)
        await s.producer.wait_block()
        cache = tmp_path / "key_block.json"
        ledger = stage2(s, key_block_cache=str(cache))
        state = await ledger.get_account(owner)
        assert state.balance == 10 * T and ledger.head is not None and is_real(s, ledger.head)
        # The validators change twice; the ledger follows the key blocks.
        s.producer.synthetic.rotate_validators(ValidatorKeys.generate(5))
        await s.producer.wait_block()
        await trio.sleep(2)
        s.producer.synthetic.rotate_validators(ValidatorKeys.generate(3, [1, 1, 5]))
        await s.producer.wait_block()
        await trio.sleep(2)
        before = s.producer.head.id.seqno
        head = await ledger.refresh_head()
        assert head.seqno >= before and is_real(s, head)
        keys = s.producer.synthetic.key_blocks
        assert len(keys) == 3
        assert ledger._key_blocks is not None
        assert ledger._key_blocks.key_block.seqno == keys[-1]
        cached = read_key_block_cache(cache, s.init_block)
        assert cached is not None and cached.seqno == keys[-1]
        assert s.servers[0].known[0] == 1  # the first proof was asked from the init block


async def test_the_cached_key_block_is_used_on_the_next_start(
    autojump_clock: trio.abc.Clock, tmp_path: Path
) -> None:
    async with fake() as s:
        for _ in range(3):
            s.producer.synthetic.rotate_validators(ValidatorKeys.generate(4))
            await s.producer.wait_block()
        cache = tmp_path / "kb.json"
        first = stage2(s, key_block_cache=str(cache))
        await first.refresh_head()
        last_key = s.producer.synthetic.key_blocks[-1]
        assert s.servers[0].known == [1]
        links_first = s.handlers[0].counts["liteServer.getBlockProof"]
        assert links_first == 1
        # A new ledger (a restart) starts from the cached key block, not the init block.
        await trio.sleep(3)
        second = stage2(s, key_block_cache=str(cache))
        assert second._key_blocks is not None and second._key_blocks.key_block.seqno == last_key
        await second.refresh_head()
        assert s.servers[0].known == [1, last_key]
        assert second.head is not None and second.head.seqno > last_key and is_real(s, second.head)


async def test_a_server_forging_signatures_is_refused_and_another_one_used(
    autojump_clock: trio.abc.Clock, caplog: pytest.LogCaptureFixture
) -> None:
    async with fake(servers=2) as s:
        owner = s.chain.create_user(addr(1), 10 * T)
        await s.producer.wait_block()
        s.handlers[0].faults.forge_signatures = True
        ledger = stage2(s)
        for _ in range(2):  # whichever server the rotation asks first
            assert is_real(s, await ledger.refresh_head())
        assert (await ledger.get_account(owner)).balance == 10 * T
        assert "a forged signature" in caplog.text
        # Alone, the forger gives no head at all.
        alone = stage2(s, servers=[s.servers[0]])
        with pytest.raises(LiteProofError, match="forged signature"):
            await alone.refresh_head()
        assert alone.head is None


async def test_a_lying_server_cannot_prove_its_made_up_head(autojump_clock: trio.abc.Clock) -> None:
    async with fake(servers=1) as s:
        s.chain.create_user(addr(1), 10 * T)
        await s.producer.wait_block()
        s.handlers[0].faults.lie_about_head = True
        ledger = stage2(s)
        # Its made-up chain does not descend from the init block: it has no proof to give.
        with pytest.raises(LiteError, match="unknown"):
            await ledger.refresh_head()
        assert ledger.head is None


async def test_another_networks_cache_or_a_broken_one_is_ignored(
    autojump_clock: trio.abc.Clock, tmp_path: Path
) -> None:
    async with fake() as s:
        cache = tmp_path / "kb.json"
        other = SyntheticChain()
        other.advance([], START)
        other.advance([], START)
        write_key_block_cache(cache, other.mc_blocks[0].id, other.mc_blocks[1].id)
        assert KeyBlockTrust(s.init_block, cache_path=cache).key_block == s.init_block
        cache.write_text("{not json")
        assert KeyBlockTrust(s.init_block, cache_path=cache).key_block == s.init_block
        # A cache naming a block the servers cannot prove from is refused when used.
        write_key_block_cache(cache, s.init_block, other.mc_blocks[1].id)
        ledger = stage2(s, key_block_cache=str(cache))
        with pytest.raises(Exception, match=r"unknown|not in the db"):
            await ledger.refresh_head()
        data = json.loads(cache.read_text())
        assert data["init_block"]["seqno"] == 1


def test_trust_by_key_blocks_needs_an_init_block() -> None:
    handler_free = [object()]
    with pytest.raises(ValueError, match="init_block"):
        LiteLedger(handler_free, LiteLedgerOptions(trust=TRUST_KEY_BLOCKS))  # type: ignore[list-item]
    with pytest.raises(ValueError, match="unknown trust mode"):
        LiteLedger(handler_free, LiteLedgerOptions(trust="hope"))  # type: ignore[list-item]


async def test_over_adnl_from_a_global_config_a_wallet_pays_on_signed_heads(
    autojump_clock: trio.abc.Clock, tmp_path: Path
) -> None:
    from cocoon.ton.lite.config import parse_global_config
    from cocoon.ton.lite.ledger import endpoints_of, open_lite_ledger, options_for
    from cocoon.ton.lite.localnet import start_fake_lite

    chain = Chain(clock=lambda: START + int(trio.current_time()))
    owner = chain.create_user(addr(1), 10 * T)
    async with trio.open_nursery() as nursery:
        fake = await start_fake_lite(
            chain, nursery, options=LiteLedgerOptions(trust=TRUST_KEY_BLOCKS)
        )
        await fake.ledger_for("client0", nursery)
        # What a role's own process would be given, through its JSON form: init_block included.
        config = parse_global_config(fake.global_config("client0").to_json())
        assert config.validator.init_block is not None and config.validator.init_block.seqno == 1
        cache = tmp_path / "kb.json"
        options = options_for(config, trust=TRUST_KEY_BLOCKS, key_block_cache=str(cache))
        fake.producer.synthetic.rotate_validators(ValidatorKeys.generate(7))
        fake.producer.advance()
        async with open_lite_ledger(endpoints_of(config)[:1], options) as ledger:
            code = await ledger.wallet_code()
            wallet = ton.Wallet(ledger, b"\x0a" * 32, owner, code=code, resend_every=5)
            chain.mint(wallet.address, 20 * T)
            dest = chain.create_user(addr(3), 0)
            await wallet.send(ton.Transfer(dest=dest, value=3 * T))
            assert (await ledger.get_account(dest)).balance == 3 * T
            assert ledger.queries["liteServer.getBlockProof"] >= 1
            assert ledger.queries["liteServer.getMasterchainInfoExt"] == 0  # no agreement asked
        cached = read_key_block_cache(cache, BlockId.from_tl(config.validator.init_block.to_tl()))
        assert cached is not None and cached.seqno == fake.producer.synthetic.key_blocks[-1]
        # The local network's own ledgers (trust by key blocks) read too.
        client_ledger = fake.ledgers["client0"]
        assert (await client_ledger.get_account(dest)).balance == 3 * T
        nursery.cancel_scope.cancel()


async def test_key_blocks_stay_whole_when_old_blocks_are_pruned(
    autojump_clock: trio.abc.Clock,
) -> None:
    chain = Chain(clock=lambda: START + int(trio.current_time()))
    producer = BlockProducer(chain, keep_blocks=4)
    handler = FakeLiteHandler(producer)
    producer.synthetic.rotate_validators(ValidatorKeys.generate(3))
    for _ in range(12):
        producer.advance()
    keys = producer.synthetic.key_blocks
    assert keys == [1, 2]
    assert any(isinstance(b, PrunedBlock) for b in producer.synthetic.mc_blocks)
    init = producer.synthetic.mc_blocks[0].id
    ledger = LiteLedger(
        [LocalLiteQuery(handler)], LiteLedgerOptions(trust=TRUST_KEY_BLOCKS, init_block=init)
    )
    assert await ledger.refresh_head() == producer.head.id


async def test_a_global_config_file_with_one_liteserver_opens_on_stage_two(
    autojump_clock: trio.abc.Clock, tmp_path: Path
) -> None:
    from cocoon.ton.lite.config import GlobalConfig, parse_global_config
    from cocoon.ton.lite.errors import LiteConfigError
    from cocoon.ton.lite.ledger import open_lite_ledger, options_for
    from cocoon.ton.lite.localnet import start_fake_lite

    chain = Chain(clock=lambda: START + int(trio.current_time()))
    owner = chain.create_user(addr(1), 10 * T)
    async with trio.open_nursery() as nursery:
        fake = await start_fake_lite(chain, nursery)
        await fake.ledger_for("client0", nursery)
        full = parse_global_config(fake.global_config("client0").to_json())
        one = GlobalConfig(full.liteservers[:1], full.validator)
        with pytest.raises(LiteConfigError, match="agreement rule"):
            async with open_lite_ledger(one):
                pass
        options = options_for(one, trust=TRUST_KEY_BLOCKS)
        async with open_lite_ledger(one, options) as ledger:
            assert (await ledger.get_account(owner)).balance == 10 * T
        nursery.cancel_scope.cancel()
