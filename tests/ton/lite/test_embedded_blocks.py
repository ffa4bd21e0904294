"""Blocks over the embedded chain itself: its accounts and transactions come out proven."""

from __future__ import annotations

import hashlib

from pytoniq_core import Address, begin_cell

from cocoon.ton.embedded.chain import Chain, ManualClock
from cocoon.ton.ledger import AccountStatus
from cocoon.ton.lite.blocks import SyntheticChain
from cocoon.ton.lite.proofs import (
    check_account_state,
    check_transactions,
    prove_account_state,
    transaction_list,
)

ALICE = Address((0, hashlib.sha256(b"alice").digest()))
BOB = Address((0, hashlib.sha256(b"bob").digest()))


def _read(synthetic: SyntheticChain, address: Address):
    ans = prove_account_state(synthetic, address)
    return check_account_state(
        ans.id, ans.shardblk, ans.shard_proof, ans.proof, ans.state, address
    ).state


def test_embedded_chain_accounts_and_transactions_are_proven():
    clock = ManualClock()
    chain = Chain(clock=clock)
    chain.create_user(ALICE, balance=10**10)
    synthetic = SyntheticChain()
    synthetic.advance_from(chain)
    body = begin_cell().store_uint(0x1234, 32).end_cell()
    chain.send_from_user(ALICE, BOB, 10**9, body, bounce=False)
    clock.advance(5)
    head = synthetic.advance_from(chain)
    assert head.id.seqno == 2 and head.gen_utime == chain.now()

    bob = _read(synthetic, BOB)
    assert bob.balance == chain.balance(BOB) and bob.status is chain.state(BOB).status
    alice = _read(synthetic, ALICE)
    assert alice.balance == chain.balance(ALICE) and alice.status is AccountStatus.ACTIVE

    _, boc = transaction_list(synthetic, BOB, bob.last_tx_lt, bob.last_tx_hash, 16)
    txs = check_transactions(boc, BOB, bob.last_tx_lt, bob.last_tx_hash)
    embedded = chain.transactions(BOB)
    assert [t.lt for t in txs] == [t.lt for t in reversed(embedded)]
    assert txs[0].in_msg.body_hash == body.hash and txs[0].in_msg.value == 10**9
    # nothing new: the next block holds the same accounts, and the head moves on
    again = synthetic.advance_from(chain)
    assert again.id.seqno == 3 and _read(synthetic, BOB).last_tx_hash == bob.last_tx_hash
