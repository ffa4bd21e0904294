"""A small synthetic chain for the block and proof tests: two accounts, hash-chained
transactions, two masterchain blocks."""

from __future__ import annotations

import hashlib

from pytoniq_core import Address, begin_cell

from cocoon.ton.ledger import AccountState, AccountStatus, MessageInfo, Transaction
from cocoon.ton.lite.blocks import SyntheticChain

A = Address((0, hashlib.sha256(b"a").digest()))
B = Address((0, hashlib.sha256(b"b").digest()))
ABSENT = Address((0, hashlib.sha256(b"absent").digest()))
CODE = begin_cell().store_uint(0xC0DE, 16).end_cell()
DATA = (
    begin_cell().store_uint(42, 64).store_ref(begin_cell().store_uint(7, 8).end_cell()).end_cell()
)
EXT_BODY = begin_cell().store_uint(0xABCDEF01, 32).end_cell()


def tx(account, lt, prev_lt, in_msg, out=(), success=True, exit_code=0, fees=0):
    return Transaction(
        account=account, lt=lt, hash=bytes(32), prev_lt=prev_lt, now=1_700_000_000,
        in_msg=in_msg, out_msgs=tuple(out), success=success, exit_code=exit_code, fees=fees,
    )  # fmt: skip


T1 = tx(
    A,
    1,
    0,
    MessageInfo(None, A, 0, EXT_BODY),
    [MessageInfo(A, B, 7, None, bounce=True, created_lt=2)],
    fees=10,
)
T2 = tx(B, 3, 0, MessageInfo(A, B, 7, None, created_lt=2), success=False, exit_code=-1)
T3 = tx(
    A,
    4,
    1,
    MessageInfo(B, A, 1, begin_cell().store_uint(5, 32).end_cell(), created_lt=3),
    success=False,
    exit_code=37,
    fees=5,
)
T4 = tx(A, 6, 4, MessageInfo(B, A, 2, None, created_lt=5), fees=1)


def make_chain() -> SyntheticChain:
    chain = SyntheticChain()
    a1 = AccountState(A, AccountStatus.ACTIVE, 5_000, CODE, DATA, last_tx_lt=4)
    b1 = AccountState(B, AccountStatus.UNINIT, 7, last_tx_lt=3)
    chain.advance([(a1, [T1, T3]), (b1, [T2])], 1_700_000_000)
    a2 = AccountState(A, AccountStatus.ACTIVE, 5_002, CODE, DATA, last_tx_lt=6)
    chain.advance([(a2, [T4]), (b1, [])], 1_700_000_005)
    return chain
