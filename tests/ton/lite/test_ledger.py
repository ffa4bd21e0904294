"""`LiteLedger` against the fake liteserver over the embedded chain: proven reads, transaction
walks, externals confirmed by proven transactions, and the faults a liteserver could commit
(a tampered account, a broken transaction chain, a lying head, a dropped external), each
refused or recovered from."""

# Every async test runs on virtual time (autojump_clock).

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import attrs
import pytest
import trio
from pytoniq_core import Address, begin_cell

from cocoon import ton
from cocoon.ton import flows
from cocoon.ton.embedded.chain import Chain
from cocoon.ton.lite.errors import LiteProofError
from cocoon.ton.lite.fake import BlockProducer, FakeLiteHandler, LocalLiteQuery
from cocoon.ton.lite.ledger import (
    LiteHeadDisagreementError,
    LiteLedger,
    LiteLedgerOptions,
)
from cocoon.ton.lite.localnet import chain_wallet_code
from tests.ton.helpers import addr

T = ton.ONE_TON
START = 1_800_000_000


@attrs.define
class Setup:
    chain: Chain
    producer: BlockProducer
    handlers: list[FakeLiteHandler]
    ledger: LiteLedger


async def wallet_of(ledger: LiteLedger, owner: Address) -> ton.Wallet:
    """A node's wallet made with the ledger's wallet code, resending every 5 s."""
    code = await ledger.wallet_code()
    return ton.Wallet(ledger, b"\x0a" * 32, owner, code=code, resend_every=5)


@asynccontextmanager
async def lite(servers: int = 2, **options: object) -> AsyncIterator[Setup]:
    chain = Chain(clock=lambda: START + int(trio.current_time()))
    producer = BlockProducer(chain, block_interval=1.0)
    handlers = [FakeLiteHandler(producer, name=f"ls{i}") for i in range(servers)]
    options.setdefault("wallet_code", chain_wallet_code(chain))
    options.setdefault("max_head_age", 1.0)  # a block a second here: reads a block behind at most
    ledger = LiteLedger([LocalLiteQuery(h) for h in handlers], LiteLedgerOptions(**options))
    async with trio.open_nursery() as nursery:
        await nursery.start(producer.run)
        yield Setup(chain, producer, handlers, ledger)
        nursery.cancel_scope.cancel()


async def test_account_reads_are_proven_at_the_agreed_head(autojump_clock: trio.abc.Clock) -> None:
    async with lite() as s:
        owner = s.chain.create_user(addr(1), 10 * T)
        await s.producer.wait_block()
        state = await s.ledger.get_account(owner)
        assert state.status is ton.AccountStatus.ACTIVE and state.balance == 10 * T
        missing = await s.ledger.get_account(addr(99))
        assert missing.status is ton.AccountStatus.NONEXIST and missing.balance == 0
        head = s.ledger.head
        assert head is not None and head == s.producer.head.id
        first_now = await s.ledger.now()
        assert first_now == s.producer.head.gen_utime
        # Both servers were asked for the head; reads went to one at a time.
        assert all(h.counts["liteServer.getMasterchainInfoExt"] >= 1 for h in s.handlers)
        # Time moves with the head: a later block, a later `now`, never an older one.
        await trio.sleep(5)
        assert await s.ledger.now() >= first_now + 4
        assert s.ledger.head is not None and s.ledger.head.seqno > head.seqno


async def test_a_wallet_pays_through_the_lite_ledger_and_books_match_the_chain(
    autojump_clock: trio.abc.Clock,
) -> None:
    async with lite() as s:
        owner = s.chain.create_user(addr(1), 10 * T)
        root = ton.deploy_root(s.chain, owner=owner)
        wallet = await wallet_of(s.ledger, owner)
        s.chain.mint(wallet.address, 20 * T)
        config = await ton.read_root_config(s.ledger, root)
        signer = ton.PaymentSigner(b"\x0b" * 32)
        proxy = ton.ProxyContract(owner, signer.public_key, root, config.params)
        [tx] = await wallet.send(flows.deploy(proxy))
        assert tx.in_msg is not None and tx.in_msg.src is None
        state = await s.ledger.get_account(proxy.address)
        assert state.active and state.balance == s.chain.balance(proxy.address)
        storage = ton.ProxyStorage.from_cell(state.data)
        assert storage.owner == owner
        # Get-methods run our port on the proven data, as the embedded chain runs them.
        assert await s.ledger.run_get_method(proxy.address, "get_cocoon_proxy_data") == (
            s.chain.get_method(proxy.address, "get_cocoon_proxy_data")
        )
        assert await s.ledger.run_get_method(wallet.address, "seqno") == [1]
        # Transactions: the chain's, oldest first, with the bodies wallets match by.
        for address in (wallet.address, proxy.address):
            mine = await s.ledger.get_transactions(address)
            theirs = s.chain.transactions(address)
            assert [t.lt for t in mine] == [t.lt for t in theirs]
            assert [t.in_msg.body_hash for t in mine] == [t.in_msg.body_hash for t in theirs]
        assert await s.ledger.get_transactions(wallet.address, after_lt=tx.lt) == []


async def test_transactions_after_an_lt_are_walked_back_sixteen_at_a_time(
    autojump_clock: trio.abc.Clock,
) -> None:
    async with lite() as s:
        alice = s.chain.create_user(addr(1), 1000 * T)
        bob = s.chain.create_user(addr(2), 0)
        for i in range(40):
            body = begin_cell().store_uint(i, 32).end_cell()
            s.chain.send_from_user(alice, bob, T, body, bounce=False)
        await s.producer.wait_block()
        theirs = s.chain.transactions(bob)
        assert len(theirs) == 40
        mine = await s.ledger.get_transactions(bob)
        assert [t.lt for t in mine] == [t.lt for t in theirs]
        assert [t.in_msg.body_hash for t in mine] == [t.in_msg.body_hash for t in theirs]
        pages = sum(h.counts["liteServer.getTransactions"] for h in s.handlers)
        assert pages == 3  # 40 = 16 + 16 + 8
        # Proven transactions are kept: asking after an lt asks nothing more.
        after = await s.ledger.get_transactions(bob, after_lt=theirs[29].lt, limit=4)
        assert [t.lt for t in after] == [t.lt for t in theirs[30:34]]
        assert sum(h.counts["liteServer.getTransactions"] for h in s.handlers) == pages
        # A new transaction costs one more page, not a walk over the whole history.
        s.chain.send_from_user(alice, bob, T, None, bounce=False)
        await s.producer.wait_block()
        await trio.sleep(1)
        new = await s.ledger.get_transactions(bob, after_lt=theirs[-1].lt)
        assert len(new) == 1
        assert sum(h.counts["liteServer.getTransactions"] for h in s.handlers) == pages + 1


async def test_wait_for_change_returns_at_the_head_holding_the_transaction(
    autojump_clock: trio.abc.Clock,
) -> None:
    async with lite() as s:
        alice = s.chain.create_user(addr(1), 10 * T)
        bob = s.chain.create_user(addr(2), 0)
        await s.producer.wait_block()
        start = (await s.ledger.get_account(bob)).last_tx_lt
        seen: list[ton.AccountState] = []

        async def watch() -> None:
            seen.append(await s.ledger.wait_for_change(bob, start))

        async with trio.open_nursery() as nursery:
            nursery.start_soon(watch)
            await trio.sleep(7)
            assert not seen
            s.chain.send_from_user(alice, bob, 2 * T, None, bounce=False)
        assert seen[0].balance == 2 * T and seen[0].last_tx_lt > start
        # The servers held waitMasterchainSeqno instead of being polled.
        assert sum(h.counts["liteServer.waitMasterchainSeqno"] for h in s.handlers) >= 2


async def test_a_tampered_account_state_is_refused(
    autojump_clock: trio.abc.Clock, caplog: pytest.LogCaptureFixture
) -> None:
    async with lite() as s:
        owner = s.chain.create_user(addr(1), 10 * T)
        await s.producer.wait_block()
        s.handlers[0].faults.tamper_accounts.add(owner.hash_part)
        # One honest server is enough: the tampered answer is refused, the other one used.
        for _ in range(2):
            assert (await s.ledger.get_account(owner)).balance == 10 * T
            await trio.sleep(1.5)
        assert "does not check" in caplog.text
        s.handlers[1].faults.tamper_accounts.add(owner.hash_part)
        await trio.sleep(1.5)
        with pytest.raises(LiteProofError):
            await s.ledger.get_account(owner)


async def test_a_broken_transaction_chain_is_refused(autojump_clock: trio.abc.Clock) -> None:
    async with lite() as s:
        alice = s.chain.create_user(addr(1), 100 * T)
        bob = s.chain.create_user(addr(2), 0)
        for _ in range(5):
            s.chain.send_from_user(alice, bob, T, None, bounce=False)
        await s.producer.wait_block()
        for h in s.handlers:
            h.faults.break_transactions.add(bob.hash_part)
        with pytest.raises(LiteProofError):
            await s.ledger.get_transactions(bob)
        # An honest server again: the same walk checks and comes out whole.
        s.handlers[1].faults.break_transactions.clear()
        txs = await s.ledger.get_transactions(bob)
        assert [t.lt for t in txs] == [t.lt for t in s.chain.transactions(bob)]


async def test_a_lying_head_is_refused_and_the_view_never_goes_back(
    autojump_clock: trio.abc.Clock, caplog: pytest.LogCaptureFixture
) -> None:
    async with lite() as s:
        owner = s.chain.create_user(addr(1), 10 * T)
        await s.producer.wait_block()
        s.handlers[1].faults.lie_about_head = True
        with caplog.at_level(logging.ERROR), pytest.raises(LiteHeadDisagreementError):
            await s.ledger.get_account(owner)
        assert "LITESERVERS DISAGREE" in caplog.text
        # Honest again: a head is taken; a later lie keeps the ledger at its trusted head.
        s.handlers[1].faults.lie_about_head = False
        trusted = await s.ledger.refresh_head()
        assert (await s.ledger.get_account(owner)).balance == 10 * T
        s.handlers[1].faults.lie_about_head = True
        s.producer.advance()
        assert await s.ledger.refresh_head() == trusted
        assert (await s.ledger.get_account(owner)).balance == 10 * T  # not the liar's
        s.handlers[1].faults.lie_about_head = False
        assert (await s.ledger.refresh_head()).seqno > trusted.seqno


async def test_one_server_with_a_trusted_block_refuses_a_head_not_descending_from_it(
    autojump_clock: trio.abc.Clock,
) -> None:
    chain = Chain(clock=lambda: START + int(trio.current_time()))
    producer = BlockProducer(chain)
    owner = chain.create_user(addr(1), 10 * T)
    trusted = producer.advance().id
    producer.advance()
    producer.advance()
    handler = FakeLiteHandler(producer)
    ledger = LiteLedger(
        [LocalLiteQuery(handler)], LiteLedgerOptions(trusted_block=trusted, min_agreement=1)
    )
    assert (await ledger.get_account(owner)).balance == 10 * T
    assert ledger.head == producer.head.id
    # Each header back to the trusted block was checked.
    assert handler.counts["liteServer.getBlockHeader"] == producer.head.id.seqno - trusted.seqno
    liar_handler = FakeLiteHandler(producer)
    liar_handler.faults.lie_about_head = True
    fooled = LiteLedger(
        [LocalLiteQuery(liar_handler)], LiteLedgerOptions(trusted_block=trusted, min_agreement=1)
    )
    with pytest.raises(LiteProofError):
        await fooled.get_account(owner)


async def test_a_dropped_external_is_resent_until_it_runs(autojump_clock: trio.abc.Clock) -> None:
    async with lite() as s:
        owner = s.chain.create_user(addr(1), 10 * T)
        wallet = await wallet_of(s.ledger, owner)
        s.chain.mint(wallet.address, 20 * T)
        for h in s.handlers:
            h.faults.drop_externals = 1  # the first external vanishes on both servers
        dest = s.chain.create_user(addr(3), 0)
        started = trio.current_time()
        [tx] = await wallet.send(ton.Transfer(dest=dest, value=3 * T))
        assert [h.faults.dropped for h in s.handlers] == [1, 1]
        assert trio.current_time() - started >= 5  # it ran on the resend
        assert tx.in_msg is not None and tx.in_msg.src is None
        assert (await s.ledger.get_account(dest)).balance == 3 * T == s.chain.balance(dest)


def test_stage_one_needs_two_servers_or_a_trusted_block() -> None:
    producer = BlockProducer(Chain())
    one = [LocalLiteQuery(FakeLiteHandler(producer))]
    with pytest.raises(ValueError):
        LiteLedger(one)
    with pytest.raises(ValueError):
        LiteLedger(one, LiteLedgerOptions(min_agreement=1))
    assert not LiteLedger(one, LiteLedgerOptions(unverified=True)).verified


async def test_over_adnl_on_loopback_a_wallet_pays_and_a_liar_is_refused(
    autojump_clock: trio.abc.Clock,
) -> None:
    pytest.importorskip("cocoon.ton.lite.client")  # the ADNL client (branch liteadnl)
    serve_lite = pytest.importorskip("cocoon.ton.lite.server").serve_lite
    from cocoon.ton.lite.ledger import LiteEndpoint, open_lite_ledger

    chain = Chain(clock=lambda: START + int(trio.current_time()))
    producer = BlockProducer(chain)
    handlers = [FakeLiteHandler(producer, name=f"ls{i}") for i in range(2)]
    async with trio.open_nursery() as nursery:
        await nursery.start(producer.run)
        servers = [await nursery.start(serve_lite, h) for h in handlers]
        endpoints = [LiteEndpoint("127.0.0.1", s.port, s.public_key) for s in servers]
        options = LiteLedgerOptions(wallet_code=chain_wallet_code(chain))
        async with open_lite_ledger(endpoints, options) as ledger:
            owner = chain.create_user(addr(1), 10 * T)
            wallet = await wallet_of(ledger, owner)
            chain.mint(wallet.address, 20 * T)
            dest = chain.create_user(addr(3), 0)
            [tx] = await wallet.send(ton.Transfer(dest=dest, value=3 * T))
            assert (await ledger.get_account(dest)).balance == 3 * T
            assert [t.lt for t in await ledger.get_transactions(wallet.address)] == [tx.lt]
            assert all(s.queries > 0 for s in servers)
            handlers[0].faults.lie_about_head = True
            producer.advance()
            async with open_lite_ledger(endpoints) as fresh:
                with pytest.raises(LiteHeadDisagreementError):
                    await fresh.get_account(dest)
        nursery.cancel_scope.cancel()


async def test_a_ledger_from_a_global_config_reads_and_refuses_another_network(
    autojump_clock: trio.abc.Clock, tmp_path: Path
) -> None:
    from cocoon.ton.lite.config import parse_global_config
    from cocoon.ton.lite.errors import LiteConfigError, LiteUnavailableError
    from cocoon.ton.lite.ledger import endpoints_of, open_lite_ledger, options_for
    from cocoon.ton.lite.localnet import start_fake_lite

    chain = Chain(clock=lambda: START + int(trio.current_time()))
    owner = chain.create_user(addr(1), 10 * T)
    async with trio.open_nursery() as nursery:
        fake = await start_fake_lite(chain, nursery)
        await fake.ledger_for("client0", nursery)
        # The config a role's own process would be given, through its JSON form.
        config = parse_global_config(fake.global_config("client0").to_json())
        assert len(config.liteservers) == 2
        async with open_lite_ledger(endpoints_of(config), options_for(config)) as ledger:
            assert (await ledger.get_account(owner)).balance == 10 * T
        # Or from the file itself, as `ton:GLOBAL_CONFIG.json` ledgers are opened.
        path = tmp_path / "global.config.json"
        path.write_text(json.dumps(config.to_json()))
        async with open_lite_ledger(path) as ledger:
            assert ledger.options.zero_state_hash == config.validator.zero_state.root_hash
            assert (await ledger.get_account(owner)).balance == 10 * T
        one = attrs.evolve(config, liteservers=config.liteservers[:1])
        with pytest.raises(LiteConfigError):
            async with open_lite_ledger(one):
                pass
        other = LiteLedgerOptions(zero_state_hash=bytes(32))  # say, testnet's
        async with open_lite_ledger(endpoints_of(config), other) as ledger:
            with pytest.raises(LiteUnavailableError):
                await ledger.get_account(owner)
        nursery.cancel_scope.cancel()


async def test_a_lagging_server_holds_the_head_back_but_never_makes_it_go_back(
    autojump_clock: trio.abc.Clock,
) -> None:
    async with lite() as s:
        alice = s.chain.create_user(addr(1), 10 * T)
        bob = s.chain.create_user(addr(2), 0)
        await s.producer.wait_block()
        before = await s.ledger.refresh_head()
        s.handlers[0].faults.lag = 3
        for _ in range(3):
            s.producer.advance()
        # Two servers must agree: the head is the newest block both have, never older.
        held = await s.ledger.refresh_head()
        assert held.seqno >= before.seqno and held.seqno == s.producer.head.id.seqno - 3
        s.chain.send_from_user(alice, bob, T, None, bounce=False)
        await s.producer.wait_block()
        assert (await s.ledger.get_account(bob)).balance == 0  # not in a block both have
        s.handlers[0].faults.lag = 0
        assert (await s.ledger.refresh_head()) == s.producer.head.id
        assert (await s.ledger.get_account(bob)).balance == T


async def test_old_states_are_pruned_and_their_headers_still_served() -> None:
    from cocoon.ton.lite.blocks import BuiltBlock, PrunedBlock
    from cocoon.ton.lite.errors import LiteServerError
    from cocoon.ton.lite.proofs import check_block_header

    chain = Chain(clock=lambda: START)
    owner = chain.create_user(addr(1), 10 * T)
    producer = BlockProducer(chain, keep_blocks=4)
    trusted = producer.advance().id
    for _ in range(20):
        producer.advance()
    whole = [b for b in producer.synthetic.mc_blocks if isinstance(b, BuiltBlock)]
    assert [b.id.seqno for b in whole] == [1, 19, 20, 21, 22]  # the key block and the last 4
    handler = FakeLiteHandler(producer)
    server = LocalLiteQuery(handler)
    pruned = producer.synthetic.mc_blocks[trusted.seqno - 1]
    assert isinstance(pruned, PrunedBlock)
    answer = await server.query("liteServer.getBlockHeader", {"id": trusted.to_tl(), "mode": 0})
    assert check_block_header(answer["header_proof"], trusted).id == trusted
    account = {"workchain": 0, "id": owner.hash_part}
    with pytest.raises(LiteServerError):
        await server.query(
            "liteServer.getAccountState", {"id": trusted.to_tl(), "account": account}
        )
    # A ledger trusting that old block still walks the headers up to the head.
    ledger = LiteLedger([server], LiteLedgerOptions(trusted_block=trusted, min_agreement=1))
    assert (await ledger.get_account(owner)).balance == 10 * T
    assert ledger.head == producer.head.id


async def test_a_ton_ledger_spec_opens_a_lite_ledger(
    autojump_clock: trio.abc.Clock, tmp_path: Path
) -> None:
    # Where the roles and tools take `ton:GLOBAL_CONFIG.json` (cocoon.roles.chain.ledgers).
    from cocoon.roles.chain import ledgers
    from cocoon.ton.lite.localnet import start_fake_lite

    chain = Chain(clock=lambda: START + int(trio.current_time()))
    owner = chain.create_user(addr(1), 10 * T)
    async with trio.open_nursery() as nursery:
        fake = await start_fake_lite(chain, nursery)
        await fake.ledger_for("ops", nursery)
        path = tmp_path / "global.config.json"
        path.write_text(json.dumps(fake.global_config("ops").to_json()))
        async with ledgers.open_ledger_spec(f"ton:{path}") as ledger:
            assert isinstance(ledger, LiteLedger) and ledger.verified
            assert (await ledger.get_account(owner)).balance == 10 * T
        nursery.cancel_scope.cancel()
