"""The synthetic chain's cells parse with pytoniq-core's TL-B readers (an independent reading of
TON's block.tlb) to the values they were built from."""

from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st
from pytoniq_core import Cell, begin_cell
from pytoniq_core.boc.hashmap.parse import parse_hashmap_aug
from pytoniq_core.tlb.account import Account as PAccount
from pytoniq_core.tlb.block import Block, ShardStateUnsplit
from pytoniq_core.tlb.transaction import Transaction as PTransaction

from cocoon.ton.lite.blocks import (
    BASECHAIN,
    DEPTH_BALANCE,
    FULL_SHARD,
    MASTERCHAIN,
    account_cell,
    parse_account,
    parse_transaction,
)
from cocoon.ton.lite.dicts import hashmap, hashmap_aug, lookup
from cocoon.ton.lite.merkle import merkle_proof, to_boc_multi
from tests.ton.lite.chain_fixture import CODE, DATA, EXT_BODY, T1, T2, T3, T4, A, B, make_chain

CHAIN = make_chain()


def test_shard_block_parses_and_names_its_state():
    shard = CHAIN.shard_blocks[-1]
    blk = Block.deserialize(Cell.one_from_boc(shard.boc).begin_parse())
    assert blk.global_id == CHAIN.global_id
    assert (blk.info.seqno, blk.info.shard.workchain_id) == (2, BASECHAIN)
    assert blk.info.shard.calculate_shard() == FULL_SHARD
    assert blk.info.not_master == 1
    assert blk.info.master_ref.master.seqno == 1  # the masterchain block before it
    assert blk.info.prev_ref.prev.root_hash == CHAIN.shard_blocks[0].id.root_hash
    assert blk.info.prev_ref.prev.file_hash == CHAIN.shard_blocks[0].id.file_hash
    assert blk.state_update.old_hash == CHAIN.shard_blocks[0].state.get_hash(0)
    assert blk.state_update.new_hash == shard.state.get_hash(0)
    # The block carries its transactions in account_blocks.
    accounts, _ = blk.extra.account_blocks
    assert set(accounts) == {int.from_bytes(A.hash_part, "big")}
    assert shard.id.file_hash == hashlib.sha256(shard.boc).digest()
    assert shard.id.root_hash == Cell.one_from_boc(shard.boc).hash


def test_shard_state_holds_the_accounts_with_balances():
    state = ShardStateUnsplit.deserialize(CHAIN.shard_head.state.begin_parse())
    accounts, extras = state.accounts
    by_id = {k.to_bytes(32, "big"): v for k, v in accounts.items()}
    a, b = by_id[A.hash_part], by_id[B.hash_part]
    assert a.account.storage.balance.grams == 5_002
    assert a.account.storage.state.type_ == "account_active"
    assert a.account.storage.state.state_init.code.hash == CODE.hash
    assert a.account.storage.state.state_init.data.hash == DATA.hash
    assert b.account.storage.state.type_ == "account_uninit"
    assert a.last_trans_lt == 6 and b.last_trans_lt == 3
    assert a.last_trans_hash == CHAIN.tx_cells[(A.hash_part, 6)].hash
    assert extras[-1].balance.grams == 5_002 + 7  # the root's augmentation: the sum
    assert state.total_balance.grams == 5_009


def test_masterchain_names_the_shard_block():
    mc = CHAIN.head
    blk = Block.deserialize(mc.root.begin_parse())
    assert (blk.info.seqno, blk.info.shard.workchain_id, blk.info.not_master) == (2, MASTERCHAIN, 0)
    assert blk.info.prev_ref.prev.root_hash == CHAIN.mc_blocks[0].id.root_hash
    state = ShardStateUnsplit.deserialize(mc.state.begin_parse())
    descr = state.custom.shard_hashes[0].list[0]
    assert (descr.seq_no, descr.root_hash, descr.file_hash) == (
        2,
        CHAIN.shard_head.id.root_hash,
        CHAIN.shard_head.id.file_hash,
    )
    assert set(state.custom.config.config) == {0, 1, 2, 28, 34}
    old, _ = state.custom.prev_blocks
    assert old[1].blk_ref.root_hash == CHAIN.mc_blocks[0].id.root_hash
    assert blk.extra.custom.shard_hashes[0].list[0].root_hash == CHAIN.shard_head.id.root_hash
    # the first masterchain block is a key block and carries the config
    first = Block.deserialize(CHAIN.mc_blocks[0].root.begin_parse())
    assert first.info.key_block and first.extra.custom.config is not None


def test_transactions_parse_and_chain_by_hash():
    t1, t3, t4 = (CHAIN.tx_cells[(A.hash_part, lt)] for lt in (1, 4, 6))
    p4 = PTransaction.deserialize(t4.begin_parse())
    assert (p4.lt, p4.prev_trans_lt, p4.prev_trans_hash) == (6, 4, t3.hash)
    p3 = PTransaction.deserialize(t3.begin_parse())
    assert (p3.prev_trans_lt, p3.prev_trans_hash) == (1, t1.hash)
    p1 = PTransaction.deserialize(t1.begin_parse())
    assert p1.prev_trans_hash == bytes(32)
    assert p1.in_msg.body.hash == EXT_BODY.hash
    assert p1.out_msgs[0].info.value.grams == 7 and p1.total_fees.grams == 10
    skipped = PTransaction.deserialize(CHAIN.tx_cells[(B.hash_part, 3)].begin_parse())
    assert skipped.description.compute_ph.type_ == "skipped"
    assert p3.description.action.result_code == 37


def test_transactions_read_back_to_the_ledger_view():
    for original in (T1, T3, T4):
        cell = CHAIN.tx_cells[(A.hash_part, original.lt)]
        back = parse_transaction(cell).tx
        assert back.hash == cell.hash
        assert (back.lt, back.prev_lt, back.now, back.success, back.exit_code, back.fees) == (
            original.lt, original.prev_lt, original.now, original.success, original.exit_code,
            original.fees,
        )  # fmt: skip
        assert back.in_msg == original.in_msg and back.out_msgs == original.out_msgs
        assert back.in_msg.body_hash == original.in_msg.body_hash
    back = parse_transaction(CHAIN.tx_cells[(B.hash_part, 3)]).tx
    assert (back.success, back.exit_code) == (T2.success, T2.exit_code)


def test_account_cell_reads_back_both_ways():
    state = CHAIN.accounts[A.hash_part].state
    cell = account_cell(state)
    ours, theirs = parse_account(cell), PAccount.deserialize(cell.begin_parse())
    assert ours.balance == theirs.storage.balance.grams == 5_002
    assert ours.last_trans_lt == theirs.storage.last_trans_lt == 6
    assert ours.code.hash == CODE.hash and theirs.addr.hash_part == A.hash_part


@settings(max_examples=30, deadline=None)
@given(st.dictionaries(st.integers(0, 2**16 - 1), st.integers(0, 2**40), min_size=1, max_size=20))
def test_augmented_dictionary_parses_and_sums(entries):
    values = {k: (begin_cell().store_uint(v, 64).end_cell(), v) for k, v in entries.items()}
    root, total = hashmap_aug(values, 16, DEPTH_BALANCE)
    assert total == sum(entries.values())
    parsed, extras = parse_hashmap_aug(
        root.begin_parse(),
        16,
        lambda s: s.load_uint(64),
        lambda s: (s.load_uint(5), s.load_coins(), s.load_bit()),
    )
    assert parsed == entries
    assert extras[-1][1] == total
    for k, v in entries.items():
        leaf = lookup(
            root, k, 16, skip_extra=lambda s: (s.load_uint(5), s.load_coins(), s.load_bit())
        )
        assert leaf.load_uint(64) == v
    missing = next(i for i in range(2**16) if i not in entries)
    assert lookup(root, missing, 16) is None


@settings(max_examples=30, deadline=None)
@given(st.dictionaries(st.integers(0, 2**32 - 1), st.integers(0, 255), min_size=1, max_size=20))
def test_plain_dictionary_matches_pytoniq(entries):
    root = hashmap({k: begin_cell().store_uint(v, 8).end_cell() for k, v in entries.items()}, 32)
    parsed = begin_cell().store_maybe_ref(root).end_cell().begin_parse().load_dict(32)
    assert {k: s.load_uint(8) for k, s in parsed.items()} == entries


def test_multi_root_boc_round_trips_with_exotic_cells():
    state = CHAIN.shard_head.state
    proof = merkle_proof(state, lambda c: c.get_hash(0) == state.refs[1].get_hash(0))
    roots = [CHAIN.head.root, proof, CHAIN.shard_head.root]
    back = Cell.from_boc(to_boc_multi(roots))
    assert [c.hash for c in back] == [c.hash for c in roots]
    assert back[1].type_ == proof.type_ and back[1][0].get_hash(0) == state.get_hash(0)
