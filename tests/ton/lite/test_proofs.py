"""Proofs of liteserver answers: built by the provers, accepted by our checkers (and by
pytoniq-core's), and every tampering refused with LiteProofError."""

from __future__ import annotations

import attrs
import pytest
from pytoniq_core import Cell, begin_cell
from pytoniq_core.boc.exotic import CellTypes
from pytoniq_core.proof.check_proof import check_account_proof as pytoniq_account_proof
from pytoniq_core.proof.check_proof import check_shard_proof as pytoniq_shard_proof
from pytoniq_core.tl.block import BlockIdExt

from cocoon.ton.ledger import AccountStatus
from cocoon.ton.lite.blocks import account_cell, transaction_cell
from cocoon.ton.lite.errors import LiteError, LiteProofError
from cocoon.ton.lite.merkle import merkle_proof, pruned_branch, to_boc_multi
from cocoon.ton.lite.proofs import (
    check_account_proof,
    check_account_state,
    check_block_header,
    check_block_link,
    check_shard_proof,
    check_transactions,
    header_proof_boc,
    prove_account_state,
    transaction_list,
)
from tests.ton.lite.chain_fixture import ABSENT, CODE, DATA, T4, A, B, make_chain

CHAIN = make_chain()


def _tl(b):
    return BlockIdExt(b.workchain, b.shard_signed, b.seqno, b.root_hash, b.file_hash)


def _check(ans, address=A, **changes):
    ans = attrs.evolve(ans, **changes)
    return check_account_state(ans.id, ans.shardblk, ans.shard_proof, ans.proof, ans.state, address)


def test_errors_are_ledger_errors():
    assert issubclass(LiteProofError, LiteError)


def test_pruned_branches_keep_the_hash_of_what_they_hide():
    state = CHAIN.shard_head.state
    proof = merkle_proof(state, lambda c: False)  # everything below the root pruned
    assert proof.type_ == CellTypes.merkle_proof and proof.level_mask.mask == 0
    assert proof[0].get_hash(0) == state.get_hash(0) and proof[0].hash != state.hash
    assert all(r.type_ == CellTypes.pruned_branch for r in proof[0].refs)


def test_account_state_proof_checks():
    ans = prove_account_state(CHAIN, A)
    proven = _check(ans)
    assert proven.state.status is AccountStatus.ACTIVE
    assert proven.state.balance == 5_002
    assert proven.state.code.hash == CODE.hash and proven.state.data.hash == DATA.hash
    assert proven.state.last_tx_lt == 6
    assert proven.state.last_tx_hash == CHAIN.tx_cells[(A.hash_part, 6)].hash
    assert proven.state.sync_utime == CHAIN.shard_head.gen_utime


def test_pytoniq_accepts_our_proofs():
    ans = prove_account_state(CHAIN, A)
    descr = pytoniq_shard_proof(ans.shard_proof, _tl(ans.id), _tl(ans.shardblk))
    assert descr.list[0].root_hash == ans.shardblk.root_hash
    shard_account = pytoniq_account_proof(
        ans.proof, _tl(ans.shardblk), A, Cell.one_from_boc(ans.state), True
    )
    assert shard_account.last_trans_lt == 6


def test_absent_account_is_proven_absent():
    proven = _check(prove_account_state(CHAIN, ABSENT), ABSENT)
    assert proven.state.status is AccountStatus.NONEXIST and proven.state.balance == 0


def test_older_block_proves_the_older_state():
    proven = _check(prove_account_state(CHAIN, A, mc_seqno=1))
    assert (proven.state.balance, proven.state.last_tx_lt) == (5_000, 4)


def test_tampered_balance_in_served_state_is_refused():
    ans = prove_account_state(CHAIN, A)
    forged = account_cell(attrs.evolve(CHAIN.accounts[A.hash_part].state, balance=10**12))
    with pytest.raises(LiteProofError, match="not the one the shard state holds"):
        _check(ans, state=to_boc_multi([forged]))


def test_another_accounts_state_is_refused():
    ans, other = prove_account_state(CHAIN, A), prove_account_state(CHAIN, B)
    with pytest.raises(LiteProofError):
        _check(ans, state=other.state)


def _resign_state_proof(proof_boc: bytes, edit) -> bytes:
    """Rebuild an account proof's state root after `edit`: a consistent Merkle proof of a
    state the block does not hold."""
    header, state_proof = Cell.from_boc(proof_boc)
    inner = edit(state_proof[0])
    bits = (
        begin_cell()
        .store_uint(3, 8)
        .store_bytes(inner.get_hash(0))
        .store_uint(inner.get_depth(0), 16)
        .bits
    )
    return to_boc_multi([header, Cell(bits, [inner], CellTypes.merkle_proof)])


def test_changed_shard_account_is_refused():
    ans = prove_account_state(CHAIN, A)

    def bump_lt(state: Cell) -> Cell:
        # Walk to the ShardAccount leaf (the one cell whose first ref is the account) and
        # change its last_trans_lt.
        def edit(c: Cell) -> Cell:
            if (
                c.type_ == CellTypes.ordinary
                and c.refs
                and c.refs[0].get_hash(0) == Cell.one_from_boc(ans.state).get_hash(0)
            ):
                bits = c.bits.copy()
                bits[-1] = not bits[-1]
                return Cell(bits, c.refs, c.type_)
            return Cell(
                c.bits,
                [edit(r) if r.type_ != CellTypes.pruned_branch else r for r in c.refs],
                c.type_,
            )

        return edit(state)

    forged = _resign_state_proof(ans.proof, bump_lt)
    with pytest.raises(LiteProofError, match="shard state"):
        _check(ans, proof=forged)


def test_flipped_pruned_branch_hash_is_refused():
    ans = prove_account_state(CHAIN, A)

    def flip(state: Cell) -> Cell:
        # the state's out_msg_queue_info is pruned: change the hash it claims
        pruned = state.refs[0]
        assert pruned.type_ == CellTypes.pruned_branch
        bits = pruned.bits.copy()
        bits[20] = not bits[20]
        return Cell(state.bits, [Cell(bits, [], pruned.type_), *state.refs[1:]], state.type_)

    header, state_proof = Cell.from_boc(ans.proof)
    # Without re-signing, the proof no longer hashes to what it claims.
    tampered = Cell(state_proof.bits, [flip(state_proof[0])], state_proof.type_)
    with pytest.raises(LiteProofError, match="does not hash"):
        _check(ans, proof=to_boc_multi([header, tampered]))
    # Re-signed, it proves a state the block does not name.
    with pytest.raises(LiteProofError, match="proves hash"):
        _check(ans, proof=_resign_state_proof(ans.proof, flip))


def test_pruned_account_path_is_refused():
    ans = prove_account_state(CHAIN, A)
    forged = _resign_state_proof(ans.proof, lambda s: s)  # unchanged
    _check(ans, proof=forged)  # the re-signing itself keeps a valid proof
    header, state_proof = Cell.from_boc(ans.proof)
    inner = state_proof[0]
    hidden = Cell(
        inner.bits,
        [inner.refs[0], pruned_branch(CHAIN.shard_head.state.refs[1]), inner.refs[2]],
        inner.type_,
    )
    bits = (
        begin_cell()
        .store_uint(3, 8)
        .store_bytes(hidden.get_hash(0))
        .store_uint(hidden.get_depth(0), 16)
        .bits
    )
    proof = to_boc_multi([header, Cell(bits, [hidden], CellTypes.merkle_proof)])
    with pytest.raises(LiteProofError, match="pruned"):
        _check(ans, proof=proof)


def test_wrong_block_root_hash_is_refused():
    ans = prove_account_state(CHAIN, A)
    lying_mc = attrs.evolve(ans.id, root_hash=bytes(32))
    with pytest.raises(LiteProofError):
        _check(ans, id=lying_mc)
    lying_shard = attrs.evolve(ans.shardblk, root_hash=bytes(32))
    with pytest.raises(LiteProofError):
        check_account_proof(ans.proof, lying_shard, A, ans.state)


def test_shard_block_not_in_masterchain_state_is_refused():
    ans = prove_account_state(CHAIN, A)
    older = prove_account_state(CHAIN, A, mc_seqno=1)
    # the proof and state of the older shard block, under the newer masterchain block
    with pytest.raises(LiteProofError, match="another shard block"):
        _check(ans, shardblk=older.shardblk, proof=older.proof, state=older.state)
    with pytest.raises(LiteProofError):
        check_shard_proof(older.shard_proof, ans.id)


def test_lying_head_is_refused():
    head, prev = CHAIN.mc_blocks[-1], CHAIN.mc_blocks[0]
    header = check_block_header(header_proof_boc(head), head.id)
    check_block_link(header, prev.id)
    assert header.id.seqno == 2 and header.gen_utime == head.gen_utime
    # a head id whose hash the served header does not have
    with pytest.raises(LiteProofError):
        check_block_header(header_proof_boc(head), attrs.evolve(head.id, root_hash=bytes(32)))
    # a real header served for another seqno than claimed
    with pytest.raises(LiteProofError):
        check_block_header(
            header_proof_boc(head), attrs.evolve(prev.id, root_hash=head.id.root_hash)
        )
    # a header that does not follow the trusted block
    with pytest.raises(LiteProofError, match="does not follow"):
        check_block_link(header, attrs.evolve(prev.id, file_hash=bytes(32)))


def test_transaction_list_checks_as_a_hash_chain():
    proven = _check(prove_account_state(CHAIN, A)).state
    ids, boc = transaction_list(CHAIN, A, proven.last_tx_lt, proven.last_tx_hash, 16)
    txs = check_transactions(boc, A, proven.last_tx_lt, proven.last_tx_hash)
    assert [t.lt for t in txs] == [6, 4, 1]
    assert [i.seqno for i in ids] == [2, 1, 1]
    assert txs[0].in_msg == T4.in_msg


def _txs(*lts):
    return [CHAIN.tx_cells[(A.hash_part, lt)] for lt in lts]


def test_broken_transaction_hash_chain_is_refused():
    t6, _, t1 = _txs(6, 4, 1)
    # t4 rebuilt with another fee: its hash is no longer what t6 names
    forged = transaction_cell(attrs.evolve(T4, lt=4, prev_lt=1, fees=999), prev_hash=t1.hash)
    with pytest.raises(LiteProofError, match="hash"):
        check_transactions(to_boc_multi([t6, forged, t1]), A, 6, t6.hash)


def test_reordered_or_missing_transaction_is_refused():
    t6, t4, t1 = _txs(6, 4, 1)
    with pytest.raises(LiteProofError):
        check_transactions(to_boc_multi([t6, t1, t4]), A, 6, t6.hash)
    with pytest.raises(LiteProofError):
        check_transactions(to_boc_multi([t6, t1]), A, 6, t6.hash)
    with pytest.raises(LiteProofError):
        check_transactions(to_boc_multi([t4, t1]), A, 6, t6.hash)  # the newest left out
    with pytest.raises(LiteProofError, match="beyond"):
        check_transactions(to_boc_multi([t1, t4]), A, 1, t1.hash)


def test_transaction_of_another_account_is_refused():
    other = CHAIN.tx_cells[(B.hash_part, 3)]
    with pytest.raises(LiteProofError, match="another account"):
        check_transactions(to_boc_multi([other]), A, 3, other.hash)


def test_garbage_is_a_proof_error():
    ans = prove_account_state(CHAIN, A)
    with pytest.raises(LiteProofError):
        _check(ans, proof=b"not a boc")
    with pytest.raises(LiteProofError):
        _check(ans, shard_proof=ans.proof)  # two roots, but of the shard block
