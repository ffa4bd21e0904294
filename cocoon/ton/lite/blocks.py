"""TON's block structures (crypto/block/block.tlb) built as real cells, and a synthetic chain of
shard and masterchain blocks over the embedded chain's accounts.

Everything here is what a liteserver holds: accounts (`Account`, `ShardAccount`), the shard's
accounts dictionary (`ShardAccounts`, augmented with balances), transactions chained by hash
(each stores the previous one's cell hash), shard states, blocks whose `state_update` is a real
Merkle update, and masterchain states whose `McStateExtra.shard_hashes` name the shard block.
The fake liteserver serves these; `proofs` proves and checks reads against them.

What is simplified (the fields no client here reads): message queues, in/out message
descriptors and value flows are empty or zero; fees are the transaction's total; a
transaction's `HASH_UPDATE` and compute-phase hashes are what the synthetic chain knows (the
embedded chain keeps no per-transaction account states).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import attrs
from nacl.signing import SigningKey
from pytoniq_core import Address, Builder, Cell, Slice, begin_cell

from cocoon.ton.cells import store_address
from cocoon.ton.constants import ExitCode
from cocoon.ton.ledger import AccountState, AccountStatus, MessageInfo, Transaction
from cocoon.ton.lite.dicts import (
    Augmentation,
    hashmap,
    hashmap_aug,
    store_hashmap_aug_e,
    store_hashmap_e,
)
from cocoon.ton.lite.merkle import merkle_update, to_boc_multi
from cocoon.ton.lite.validators import (
    CONFIG_CATCHAIN,
    CONFIG_CUR_VALIDATORS,
    CandidateBlock,
    SignatureSet,
    Validator,
    ValidatorSet,
    catchain_config_cell,
    masterchain_signers,
    sign_block,
    validator_set_cell,
    validator_set_hash,
)

if TYPE_CHECKING:
    from cocoon.ton.embedded.chain import Chain

MASTERCHAIN = -1
BASECHAIN = 0
FULL_SHARD = 0x8000000000000000  # the shard covering all addresses (unsplit)
MAINNET_GLOBAL_ID = -239
PREV_BLOCKS_KEPT = 16  # earlier masterchain blocks a state lists besides the key block
FAKE_GLOBAL_ID = -217  # a network id of our own: nothing real accepts these blocks
# A zero state of our own (its hashes only: no client here reads the zero state itself).
FAKE_ZERO_STATE_ROOT = hashlib.sha256(b"cocoon fake zerostate root").digest()
FAKE_ZERO_STATE_FILE = hashlib.sha256(b"cocoon fake zerostate file").digest()

# Action-phase failures (the embedded chain reports them as the transaction's exit code).
ACTION_PHASE_CODES = frozenset(
    {
        ExitCode.INVALID_OUTBOUND_MESSAGE,
        ExitCode.INVALID_SOURCE,
        ExitCode.INVALID_DESTINATION,
        ExitCode.NOT_ENOUGH_BALANCE,
    }
)

_STATUS_BITS = {
    AccountStatus.UNINIT: 0b00,
    AccountStatus.ACTIVE: 0b10,
    AccountStatus.NONEXIST: 0b11,
}
_STATUS_OF_BITS = {v: k for k, v in _STATUS_BITS.items()}


@attrs.frozen
class BlockId:
    """`tonNode.blockIdExt`: which block, and the hashes that pin it down. `shard` is the
    unsigned 64-bit shard id (lite_api carries it signed: `shard_signed`)."""

    workchain: int
    shard: int
    seqno: int
    root_hash: bytes
    file_hash: bytes

    @property
    def shard_signed(self) -> int:
        return self.shard - (1 << 64) if self.shard >= 1 << 63 else self.shard

    def to_tl(self) -> dict:
        """The lite_api `tonNode.blockIdExt` fields."""
        return {
            "workchain": self.workchain,
            "shard": self.shard_signed,
            "seqno": self.seqno,
            "root_hash": self.root_hash,
            "file_hash": self.file_hash,
        }

    @classmethod
    def from_tl(cls, d: Mapping) -> BlockId:
        def raw(v: bytes | str) -> bytes:
            return bytes.fromhex(v) if isinstance(v, str) else bytes(v)

        return cls(
            workchain=int(d["workchain"]),
            shard=int(d["shard"]) & ((1 << 64) - 1),
            seqno=int(d["seqno"]),
            root_hash=raw(d["root_hash"]),
            file_hash=raw(d["file_hash"]),
        )


@attrs.frozen
class ExtBlkRef:
    """`ext_blk_ref`: how a block names another (its previous block, its masterchain block)."""

    end_lt: int
    seqno: int
    root_hash: bytes
    file_hash: bytes


ZERO_REF = ExtBlkRef(0, 0, bytes(32), bytes(32))


# --- small fields ------------------------------------------------------------------------


def store_currency(b: Builder, grams: int) -> Builder:
    """`CurrencyCollection` with no extra currencies."""
    return b.store_coins(grams).store_bit(0)


def store_shard_ident(b: Builder, workchain: int, shard: int) -> Builder:
    """`shard_ident$00 shard_pfx_bits:(#<= 60) workchain_id:int32 shard_prefix:uint64`."""
    pfx_bits = 63 - ((shard & -shard).bit_length() - 1)
    prefix = shard & ~(shard & -shard)
    return (
        b.store_uint(0, 2).store_uint(pfx_bits, 6).store_int(workchain, 32).store_uint(prefix, 64)
    )


def store_ext_blk_ref(b: Builder, ref: ExtBlkRef) -> Builder:
    return (
        b.store_uint(ref.end_lt, 64)
        .store_uint(ref.seqno, 32)
        .store_bytes(ref.root_hash)
        .store_bytes(ref.file_hash)
    )


def _cell_stats(roots: Iterable[Cell | None]) -> tuple[int, int]:
    """Distinct cells and their bits under `roots` (`StorageUsed` of an account's state)."""
    seen: set[bytes] = set()
    bits = 0
    stack = [r for r in roots if r is not None]
    while stack:
        c = stack.pop()
        if c.hash in seen:
            continue
        seen.add(c.hash)
        bits += len(c.bits)
        stack.extend(c.refs)
    return len(seen), bits


# --- accounts ----------------------------------------------------------------------------


def account_cell(state: AccountState, *, last_paid: int = 0) -> Cell:
    """`Account` for a ledger account state (account_none for one never seen)."""
    if state.status is AccountStatus.NONEXIST:
        return begin_cell().store_bit(0).end_cell()
    b = begin_cell().store_bit(1)
    store_address(b, state.address)
    cells, bits = _cell_stats((state.code, state.data))
    # storage_info: used (cells, bits), storage_extra_none, last_paid, no due payment
    b.store_var_uint(cells, 3).store_var_uint(bits, 3).store_uint(0, 3)
    b.store_uint(last_paid, 32).store_bit(0)
    b.store_uint(state.last_tx_lt, 64)
    store_currency(b, state.balance)
    if state.status is AccountStatus.ACTIVE:
        # account_active$1 StateInit: no split depth, not special, code, data, no libraries
        b.store_bit(1).store_bit(0).store_bit(0)
        b.store_maybe_ref(state.code).store_maybe_ref(state.data).store_bit(0)
    else:
        b.store_uint(0, 2)  # account_uninit$00
    return b.end_cell()


@attrs.frozen
class ParsedAccount:
    """What an `Account` cell says."""

    address: Address | None  # None for account_none
    status: AccountStatus
    balance: int
    last_trans_lt: int
    code: Cell | None
    data: Cell | None
    frozen_hash: bytes | None = None


def parse_account(cell: Cell) -> ParsedAccount:
    """Read an `Account` cell (raises what pytoniq raises on a malformed one)."""
    s = cell.begin_parse()
    if not s.load_bit():
        return ParsedAccount(None, AccountStatus.NONEXIST, 0, 0, None, None)
    addr = _load_std_address(s)
    s.load_var_uint(3)  # used cells
    s.load_var_uint(3)  # used bits
    if s.load_uint(3) == 1:  # storage_extra_info: dict hash
        s.load_bytes(32)
    s.load_uint(32)  # last_paid
    if s.load_bit():
        s.load_coins()  # due payment
    last_lt = s.load_uint(64)
    balance = _load_currency(s)
    if s.load_bit():  # account_active: StateInit
        if s.load_bit():
            s.load_uint(5)
        if s.load_bit():
            s.load_uint(2)
        code = s.load_ref() if s.load_bit() else None
        data = s.load_ref() if s.load_bit() else None
        return ParsedAccount(addr, AccountStatus.ACTIVE, balance, last_lt, code, data)
    if s.load_bit():  # account_frozen$01 state_hash
        # Frozen has no status of its own in the ledger model: it runs no code.
        return ParsedAccount(
            addr, AccountStatus.UNINIT, balance, last_lt, None, None, s.load_bytes(32)
        )
    return ParsedAccount(addr, AccountStatus.UNINIT, balance, last_lt, None, None)


def _load_std_address(s: Slice) -> Address:
    if s.load_uint(2) != 0b10 or s.load_bit():
        raise ValueError("expected addr_std without anycast")
    wc = s.load_int(8)
    return Address((wc, s.load_bytes(32)))


def _load_currency(s: Slice) -> int:
    grams = s.load_coins()
    if s.load_bit():
        s.load_ref()  # extra currencies: not used by the project
    return grams


def shard_account_cell(account: Cell, last_trans_hash: bytes, last_trans_lt: int) -> Cell:
    """`account_descr$_ account:^Account last_trans_hash:bits256 last_trans_lt:uint64`."""
    return (
        begin_cell()
        .store_ref(account)
        .store_bytes(last_trans_hash)
        .store_uint(last_trans_lt, 64)
        .end_cell()
    )


def _store_depth_balance(b: Builder, balance: int) -> None:
    b.store_uint(0, 5)  # split_depth:(#<= 30)
    store_currency(b, balance)


DEPTH_BALANCE = Augmentation(store=_store_depth_balance, add=lambda a, b: a + b, empty=0)
CURRENCY = Augmentation(
    store=lambda b, v: store_currency(b, v) and None, add=lambda a, b: a + b, empty=0
)


def skip_depth_balance(s: Slice) -> None:
    s.load_uint(5)
    _load_currency(s)


def shard_accounts_cell(accounts: Mapping[bytes, tuple[Cell, int]]) -> Cell:
    """`ShardAccounts` (HashmapAugE 256 ShardAccount DepthBalanceInfo) keyed by account id,
    each value a (ShardAccount cell, balance)."""
    b = begin_cell()
    store_hashmap_aug_e(
        b, {int.from_bytes(k, "big"): v for k, v in accounts.items()}, 256, DEPTH_BALANCE
    )
    return b.end_cell()


# --- messages and transactions ------------------------------------------------------------


def message_cell(m: MessageInfo, now: int) -> Cell:
    """`Message Any`: internal, or inbound external where `src` is None. No StateInit; the
    body sits in a ref (its hash is what wallets match deliveries by)."""
    b = begin_cell()
    if m.src is None:
        b.store_uint(0b10, 2).store_uint(0, 2)  # ext_in_msg_info$10, src addr_none$00
        store_address(b, m.dest)
        b.store_coins(0)  # import_fee
    else:
        b.store_bit(0).store_bit(1).store_bit(m.bounce).store_bit(m.bounced)
        store_address(b, m.src)
        store_address(b, m.dest)
        store_currency(b, m.value)
        b.store_coins(0).store_coins(0)  # ihr_fee, fwd_fee
        b.store_uint(m.created_lt, 64).store_uint(now, 32)
    b.store_bit(0)  # init: nothing
    if m.body is None:
        b.store_bit(0)  # empty body in place
    else:
        b.store_bit(1).store_ref(m.body)
    return b.end_cell()


def parse_message(cell: Cell) -> MessageInfo:
    s = cell.begin_parse()
    if s.load_bit():
        if s.load_bit():
            raise ValueError("outbound external messages are not used here")
        if s.load_uint(2) == 0b01:  # addr_extern
            s.load_bits(s.load_uint(9))
        dest = _load_std_address(s)
        s.load_coins()
        src, value, bounce, bounced, created_lt = None, 0, False, False, 0
    else:
        s.load_bit()  # ihr_disabled
        bounce, bounced = bool(s.load_bit()), bool(s.load_bit())
        src = _load_std_address(s)
        dest = _load_std_address(s)
        value = _load_currency(s)
        s.load_coins()
        s.load_coins()
        created_lt = s.load_uint(64)
        s.load_uint(32)
    if s.load_bit():  # init
        if s.load_bit():
            s.load_ref()
        else:
            raise ValueError("inline StateInit in a message is not read here")
    if s.load_bit():
        body: Cell | None = s.load_ref()
    else:
        body = s.to_cell() if (s.remaining_bits or s.remaining_refs) else None
    return MessageInfo(
        src=src, dest=dest, value=value, body=body, bounce=bounce, bounced=bounced,
        created_lt=created_lt,
    )  # fmt: skip


def _compute_phase(b: Builder, tx: Transaction, compute_ok: bool, compute_exit: int) -> None:
    if tx.exit_code == ExitCode.COMPUTE_SKIPPED:
        b.store_bit(0).store_uint(0b00, 2)  # tr_phase_compute_skipped, cskip_no_state
        return
    if tx.exit_code == ExitCode.NO_GAS:
        b.store_bit(0).store_uint(0b10, 2)  # cskip_no_gas
        return
    b.store_bit(1).store_bit(compute_ok).store_bit(0).store_bit(0)
    b.store_coins(tx.fees)  # gas_fees: the chain reports one fee total
    details = (
        begin_cell()
        .store_var_uint(0, 3)  # gas_used
        .store_var_uint(0, 3)  # gas_limit
        .store_bit(0)  # gas_credit: nothing
        .store_int(0, 8)  # mode
        .store_int(compute_exit, 32)
        .store_bit(0)  # exit_arg: nothing
        .store_uint(0, 32)  # vm_steps
        .store_bytes(bytes(32))  # vm_init_state_hash
        .store_bytes(bytes(32))  # vm_final_state_hash
        .end_cell()
    )
    b.store_ref(details)


def _action_phase(ok: bool, result_code: int, msgs: int) -> Cell:
    return (
        begin_cell()
        .store_bit(ok)
        .store_bit(1)  # valid
        .store_bit(0)  # no_funds
        .store_bit(0)  # status_change: acst_unchanged
        .store_bit(0)  # total_fwd_fees: nothing
        .store_bit(0)  # total_action_fees: nothing
        .store_int(result_code, 32)
        .store_bit(0)  # result_arg: nothing
        .store_uint(msgs, 16)  # tot_actions
        .store_uint(0, 16)  # spec_actions
        .store_uint(0, 16)  # skipped_actions
        .store_uint(msgs if ok else 0, 16)  # msgs_created
        .store_bytes(bytes(32))  # action_list_hash
        .store_var_uint(0, 3)  # tot_msg_size: cells
        .store_var_uint(0, 3)  # tot_msg_size: bits
        .end_cell()
    )


def _description(tx: Transaction) -> Cell:
    """`trans_ord$0000`: the phases as far as the ledger's transaction tells them."""
    internal = tx.in_msg is not None and tx.in_msg.src is not None
    skipped = tx.exit_code in (ExitCode.COMPUTE_SKIPPED, ExitCode.NO_GAS)
    action_failed = not tx.success and tx.exit_code in ACTION_PHASE_CODES
    compute_ok = tx.success or action_failed
    compute_exit = 0 if action_failed else tx.exit_code
    b = begin_cell().store_uint(0, 4)
    b.store_bit(internal and not tx.in_msg.bounce)  # credit_first
    b.store_bit(1).store_coins(0).store_bit(0).store_bit(0)  # storage phase: nothing due
    if internal:
        b.store_bit(1).store_bit(0)  # credit phase, no due fees collected
        store_currency(b, tx.in_msg.value)
    else:
        b.store_bit(0)
    _compute_phase(b, tx, compute_ok, compute_exit)
    if compute_ok and not skipped:
        b.store_bit(1).store_ref(
            _action_phase(tx.success, tx.exit_code if action_failed else 0, len(tx.out_msgs))
        )
    else:
        b.store_bit(0)
    b.store_bit(not tx.success)  # aborted
    b.store_bit(0)  # bounce phase: nothing
    b.store_bit(0)  # destroyed
    return b.end_cell()


def transaction_cell(
    tx: Transaction,
    *,
    prev_hash: bytes,
    orig_status: AccountStatus = AccountStatus.ACTIVE,
    end_status: AccountStatus = AccountStatus.ACTIVE,
    old_state_hash: bytes = bytes(32),
    new_state_hash: bytes = bytes(32),
) -> Cell:
    """`transaction$0111` for a ledger transaction; `prev_hash` is the account's previous
    transaction cell's hash (zero for its first), so the history is a hash chain."""
    out = {
        i: begin_cell().store_ref(message_cell(m, tx.now)).end_cell()
        for i, m in enumerate(tx.out_msgs)
    }
    msgs = begin_cell()
    if tx.in_msg is None:
        msgs.store_bit(0)
    else:
        msgs.store_bit(1).store_ref(message_cell(tx.in_msg, tx.now))
    store_hashmap_e(msgs, out, 15)
    b = (
        begin_cell()
        .store_uint(0b0111, 4)
        .store_bytes(tx.account.hash_part)
        .store_uint(tx.lt, 64)
        .store_bytes(prev_hash)
        .store_uint(tx.prev_lt, 64)
        .store_uint(tx.now, 32)
        .store_uint(len(tx.out_msgs), 15)
        .store_uint(_STATUS_BITS[orig_status], 2)
        .store_uint(_STATUS_BITS[end_status], 2)
        .store_ref(msgs.end_cell())
    )
    store_currency(b, tx.fees)
    b.store_ref(
        begin_cell()
        .store_uint(0x72, 8)
        .store_bytes(old_state_hash)
        .store_bytes(new_state_hash)
        .end_cell()
    )
    b.store_ref(_description(tx))
    return b.end_cell()


@attrs.frozen
class ParsedTransaction:
    """A transaction cell read back: the ledger's view plus the hash-chain fields."""

    tx: Transaction
    account_id: bytes
    prev_hash: bytes
    orig_status: AccountStatus
    end_status: AccountStatus


def parse_transaction(cell: Cell, workchain: int = BASECHAIN) -> ParsedTransaction:
    """Read a `Transaction` cell; `tx.hash` is the cell's hash."""
    s = cell.begin_parse()
    if s.load_uint(4) != 0b0111:
        raise ValueError("not a transaction cell")
    account_id = s.load_bytes(32)
    lt = s.load_uint(64)
    prev_hash = s.load_bytes(32)
    prev_lt = s.load_uint(64)
    now = s.load_uint(32)
    s.load_uint(15)
    orig = _STATUS_OF_BITS.get(s.load_uint(2), AccountStatus.UNINIT)
    end = _STATUS_OF_BITS.get(s.load_uint(2), AccountStatus.UNINIT)
    msgs = s.load_ref().begin_parse()
    in_msg = parse_message(msgs.load_ref()) if msgs.load_bit() else None
    out_dict = msgs.load_dict(15) or {}
    out_msgs = tuple(parse_message(out_dict[k].load_ref()) for k in sorted(out_dict))
    fees = _load_currency(s)
    s.load_ref()  # HASH_UPDATE
    success, exit_code = _read_description(s.load_ref().begin_parse())
    tx = Transaction(
        account=Address((workchain, account_id)), lt=lt, hash=cell.get_hash(0), prev_lt=prev_lt,
        now=now, in_msg=in_msg, out_msgs=out_msgs, success=success, exit_code=exit_code,
        fees=fees,
    )  # fmt: skip
    return ParsedTransaction(tx, account_id, prev_hash, orig, end)


def _read_description(d: Slice) -> tuple[bool, int]:
    if d.load_uint(4) != 0:
        raise ValueError("only ordinary transactions are read")
    d.load_bit()  # credit_first
    if d.load_bit():  # storage phase
        d.load_coins()
        if d.load_bit():
            d.load_coins()
        if d.load_bit():
            d.load_bit()
    if d.load_bit():  # credit phase
        if d.load_bit():
            d.load_coins()
        _load_currency(d)
    if not d.load_bit():  # compute skipped
        reason = d.load_uint(2)
        exit_code = ExitCode.NO_GAS if reason == 0b10 else ExitCode.COMPUTE_SKIPPED
        compute_ok = False
    else:
        compute_ok = bool(d.load_bit())
        d.load_bit()
        d.load_bit()
        d.load_coins()
        details = d.load_ref().begin_parse()
        details.load_var_uint(3)
        details.load_var_uint(3)
        if details.load_bit():
            details.load_var_uint(2)
        details.load_int(8)
        exit_code = details.load_int(32)
    action_ok = True
    if d.load_bit():
        a = d.load_ref().begin_parse()
        action_ok = bool(a.load_bit())
        a.load_bit()
        a.load_bit()
        if a.load_bit():
            a.load_bit()
        if a.load_bit():
            a.load_coins()
        if a.load_bit():
            a.load_coins()
        result_code = a.load_int(32)
        if compute_ok and not action_ok:
            exit_code = result_code
    aborted = bool(d.load_bit())
    return compute_ok and action_ok and not aborted, int(exit_code)


# --- states and blocks -----------------------------------------------------------------------


def _empty_out_msg_queue_info() -> Cell:
    b = begin_cell()
    b.store_bit(0).store_uint(0, 64)  # out_queue: empty HashmapAugE 352 EnqueuedMsg uint64
    b.store_bit(0)  # proc_info: empty
    b.store_bit(0)  # ihr_pending: empty
    return b.end_cell()


def shard_state_cell(
    *,
    global_id: int,
    workchain: int,
    shard: int,
    seqno: int,
    gen_utime: int,
    gen_lt: int,
    min_ref_mc_seqno: int,
    accounts: Cell,
    total_balance: int,
    master_ref: ExtBlkRef | None,
    custom: Cell | None,
) -> Cell:
    """`shard_state#9023afe2` (ShardStateUnsplit)."""
    b = begin_cell().store_uint(0x9023AFE2, 32).store_int(global_id, 32)
    store_shard_ident(b, workchain, shard)
    b.store_uint(seqno, 32).store_uint(0, 32).store_uint(gen_utime, 32).store_uint(gen_lt, 64)
    b.store_uint(min_ref_mc_seqno, 32).store_ref(_empty_out_msg_queue_info()).store_bit(0)
    b.store_ref(accounts)
    more = begin_cell().store_uint(0, 64).store_uint(0, 64)
    store_currency(more, total_balance)
    store_currency(more, 0)  # total_validator_fees
    more.store_bit(0)  # libraries
    if master_ref is None:
        more.store_bit(0)
    else:
        store_ext_blk_ref(more.store_bit(1), master_ref)
    b.store_ref(more.end_cell())
    b.store_maybe_ref(custom)
    return b.end_cell()


@attrs.frozen
class ShardTop:
    """What the masterchain records of a shard's newest block (`ShardDescr`)."""

    block: BlockId
    reg_mc_seqno: int
    start_lt: int
    end_lt: int
    gen_utime: int
    min_ref_mc_seqno: int


def shard_descr_cell(top: ShardTop) -> Cell:
    """`bt_leaf$0` holding `shard_descr_new#a`."""
    b = begin_cell().store_bit(0).store_uint(0xA, 4)
    b.store_uint(top.block.seqno, 32).store_uint(top.reg_mc_seqno, 32)
    b.store_uint(top.start_lt, 64).store_uint(top.end_lt, 64)
    b.store_bytes(top.block.root_hash).store_bytes(top.block.file_hash)
    b.store_uint(0, 5).store_uint(0, 3)  # before/want split/merge, nx_cc_updated; flags
    b.store_uint(0, 32).store_uint(top.block.shard, 64)  # next_catchain_seqno, next_validator_shard
    b.store_uint(top.min_ref_mc_seqno, 32).store_uint(top.gen_utime, 32)
    b.store_bit(0)  # split_merge_at: fsm_none
    fees = begin_cell()
    store_currency(fees, 0)
    store_currency(fees, 0)
    b.store_ref(fees.end_cell())
    return b.end_cell()


def shard_hashes_dict(tops: Sequence[ShardTop]) -> Cell | None:
    """`ShardHashes` (HashmapE 32 ^(BinTree ShardDescr)); one unsplit shard per workchain."""
    entries = {
        top.block.workchain & 0xFFFFFFFF: begin_cell().store_ref(shard_descr_cell(top)).end_cell()
        for top in tops
    }
    return hashmap(entries, 32)


def config_dict(params: Mapping[int, Cell]) -> Cell:
    """`ConfigParams`'s `Hashmap 32 ^Cell` (must be non-empty)."""
    root = hashmap({k: begin_cell().store_ref(v).end_cell() for k, v in params.items()}, 32)
    if root is None:
        raise ValueError("a configuration needs at least one parameter")
    return root


def default_config(config_address: bytes) -> dict[int, Cell]:
    """A small but well-formed configuration: the config, elector and minter addresses."""
    return {
        0: begin_cell().store_bytes(config_address).end_cell(),
        1: begin_cell().store_bytes(hashlib.sha256(b"elector").digest()).end_cell(),
        2: begin_cell().store_bytes(hashlib.sha256(b"minter").digest()).end_cell(),
    }


def _store_key_max_lt(b: Builder, v: tuple[bool, int]) -> None:
    b.store_bit(v[0]).store_uint(v[1], 64)


KEY_MAX_LT = Augmentation(
    store=_store_key_max_lt, add=lambda a, b: (a[0] or b[0], max(a[1], b[1])), empty=(False, 0)
)


def mc_state_extra_cell(
    *,
    tops: Sequence[ShardTop],
    config_address: bytes,
    config: Mapping[int, Cell],
    prev_blocks: Mapping[int, tuple[bool, ExtBlkRef]],
    last_key_block: ExtBlkRef | None,
    after_key_block: bool,
    global_balance: int,
    catchain_seqno: int = 0,
    validator_list_hash: int = 0,
) -> Cell:
    """`masterchain_state_extra#cc26`."""
    b = begin_cell().store_uint(0xCC26, 16)
    b.store_maybe_ref(shard_hashes_dict(tops))
    b.store_bytes(config_address).store_ref(config_dict(config))
    more = begin_cell().store_uint(0, 16)  # flags: no block_create_stats
    # validator_info: validator_list_hash_short, catchain_seqno, nx_cc_updated
    more.store_uint(validator_list_hash, 32).store_uint(catchain_seqno, 32).store_bit(0)
    old = {
        seqno: (store_ext_blk_ref(begin_cell().store_bit(key), ref).end_cell(), (key, ref.end_lt))
        for seqno, (key, ref) in prev_blocks.items()
    }
    store_hashmap_aug_e(more, old, 32, KEY_MAX_LT)
    more.store_bit(after_key_block)
    if last_key_block is None:
        more.store_bit(0)
    else:
        store_ext_blk_ref(more.store_bit(1), last_key_block)
    b.store_ref(more.end_cell())
    store_currency(b, global_balance)
    return b.end_cell()


def block_info_cell(
    *,
    workchain: int,
    shard: int,
    seqno: int,
    gen_utime: int,
    start_lt: int,
    end_lt: int,
    min_ref_mc_seqno: int,
    prev_key_block_seqno: int,
    key_block: bool,
    prev: ExtBlkRef,
    master_ref: ExtBlkRef | None,
    validator_list_hash: int = 0,
    catchain_seqno: int = 0,
) -> Cell:
    """`block_info#9bc7a987` (no merge, no split, no vertical seqno, software version set);
    a masterchain block names the validator set that signs it (its hash and catchain)."""
    not_master = workchain != MASTERCHAIN
    b = begin_cell().store_uint(0x9BC7A987, 32).store_uint(0, 32)
    b.store_bit(not_master).store_uint(0, 3)  # after_merge, before_split, after_split
    b.store_bit(0).store_bit(0).store_bit(key_block).store_bit(0)  # want_*, key, vert_incr
    b.store_uint(1, 8)  # flags: gen_software present
    b.store_uint(seqno, 32).store_uint(0, 32)
    store_shard_ident(b, workchain, shard)
    b.store_uint(gen_utime, 32).store_uint(start_lt, 64).store_uint(end_lt, 64)
    b.store_uint(validator_list_hash, 32).store_uint(catchain_seqno, 32)
    b.store_uint(min_ref_mc_seqno, 32).store_uint(prev_key_block_seqno, 32)
    b.store_uint(0xC4, 8).store_uint(1, 32).store_uint(0, 64)  # capabilities#c4
    if not_master:
        if master_ref is None:
            raise ValueError("a shard block names its masterchain block")
        b.store_ref(store_ext_blk_ref(begin_cell(), master_ref).end_cell())
    b.store_ref(store_ext_blk_ref(begin_cell(), prev).end_cell())
    return b.end_cell()


def value_flow_cell(fees_collected: int = 0) -> Cell:
    """`value_flow#b8e48dfb`, all zero but the fees collected."""
    four = begin_cell()
    for _ in range(4):
        store_currency(four, 0)
    b = begin_cell().store_uint(0xB8E48DFB, 32).store_ref(four.end_cell())
    store_currency(b, fees_collected)
    b.store_ref(four.end_cell())
    return b.end_cell()


def account_blocks_cell(
    txs: Mapping[bytes, Sequence[tuple[Transaction, Cell, bytes, bytes]]],
) -> Cell:
    """`ShardAccountBlocks`: per account, `acc_trans#5` with its transactions of the block
    (keyed by lt, augmented with fees) and the account's state hashes before and after."""
    entries: dict[int, tuple[Cell, int]] = {}
    for account_id, items in txs.items():
        tx_entries = {
            tx.lt: (begin_cell().store_ref(cell).end_cell(), tx.fees) for tx, cell, _, _ in items
        }
        b = begin_cell().store_uint(0x5, 4).store_bytes(account_id)
        root, fees = hashmap_aug(tx_entries, 64, CURRENCY)
        # transactions:(HashmapAug 64 ...) sits in place (not HashmapAugE): inline its root.
        b.store_cell(root)
        old_hash, new_hash = items[0][2], items[-1][3]
        b.store_ref(
            begin_cell().store_uint(0x72, 8).store_bytes(old_hash).store_bytes(new_hash).end_cell()
        )
        entries[int.from_bytes(account_id, "big")] = (b.end_cell(), fees)
    out = begin_cell()
    store_hashmap_aug_e(out, entries, 256, CURRENCY)
    return out.end_cell()


def block_extra_cell(account_blocks: Cell, mc_extra: Cell | None, rand_seed: bytes) -> Cell:
    """`block_extra#4a33f6fd` with empty message descriptors."""
    empty_in = begin_cell().store_bit(0).store_coins(0)  # InMsgDescr: empty, ImportFees 0
    store_currency(empty_in, 0)
    empty_out = store_currency(begin_cell().store_bit(0), 0)  # OutMsgDescr: empty
    b = begin_cell().store_uint(0x4A33F6FD, 32)
    b.store_ref(empty_in.end_cell()).store_ref(empty_out.end_cell()).store_ref(account_blocks)
    b.store_bytes(rand_seed).store_bytes(bytes(32))  # created_by: no validator
    b.store_maybe_ref(mc_extra)
    return b.end_cell()


def mc_block_extra_cell(
    tops: Sequence[ShardTop], key_block: bool, config_address: bytes, config: Mapping[int, Cell]
) -> Cell:
    """`masterchain_block_extra#cca5` (no signatures, no shard fees; the config in a key block)."""
    b = begin_cell().store_uint(0xCCA5, 16).store_bit(key_block)
    b.store_maybe_ref(shard_hashes_dict(tops))
    b.store_bit(0)  # shard_fees: empty HashmapAugE 96 ...
    store_currency(b, 0)
    store_currency(b, 0)
    b.store_ref(begin_cell().store_bit(0).store_bit(0).store_bit(0).end_cell())
    if key_block:
        b.store_bytes(config_address).store_ref(config_dict(config))
    return b.end_cell()


def block_cell(
    global_id: int, info: Cell, value_flow: Cell, state_update: Cell, extra: Cell
) -> Cell:
    """`block#11ef55aa`."""
    return (
        begin_cell()
        .store_uint(0x11EF55AA, 32)
        .store_int(global_id, 32)
        .store_ref(info)
        .store_ref(value_flow)
        .store_ref(state_update)
        .store_ref(extra)
        .end_cell()
    )


@attrs.frozen
class BuiltBlock:
    """A block as a liteserver keeps it: its id, root cell, BOC and the state after it."""

    id: BlockId
    root: Cell
    boc: bytes
    state: Cell
    start_lt: int
    end_lt: int
    gen_utime: int

    @property
    def ext_ref(self) -> ExtBlkRef:
        return ExtBlkRef(self.end_lt, self.id.seqno, self.id.root_hash, self.id.file_hash)


def _finish(
    workchain: int, seqno: int, root: Cell, state: Cell, start_lt: int, end_lt: int, now: int
) -> BuiltBlock:
    boc = to_boc_multi([root])
    block_id = BlockId(workchain, FULL_SHARD, seqno, root.get_hash(0), hashlib.sha256(boc).digest())
    return BuiltBlock(block_id, root, boc, state, start_lt, end_lt, now)


@attrs.frozen
class PrunedBlock:
    """A block whose cells and states were dropped (`SyntheticChain` keeps a window of whole
    blocks): its id, header proof and times remain, as a liteserver keeps the headers of
    blocks whose states it no longer has."""

    id: BlockId
    header_proof: bytes  # `liteServer.blockHeader.header_proof`
    start_lt: int
    end_lt: int
    gen_utime: int

    @property
    def ext_ref(self) -> ExtBlkRef:
        return ExtBlkRef(self.end_lt, self.id.seqno, self.id.root_hash, self.id.file_hash)


@attrs.define
class _AccountRecord:
    state: AccountState
    account: Cell
    last_hash: bytes = bytes(32)
    last_lt: int = 0


@attrs.frozen
class ValidatorKeys:
    """A synthetic chain's validators with their private keys (generated for tests and local
    networks: nothing real trusts them)."""

    keys: tuple[SigningKey, ...]
    weights: tuple[int, ...]
    main: int | None = None  # masterchain signers; all by default

    @classmethod
    def generate(cls, count: int = 4, weights: Sequence[int] | None = None) -> ValidatorKeys:
        weights = tuple(weights) if weights is not None else (10**17,) * count
        return cls(tuple(SigningKey.generate() for _ in weights), weights)

    def validator_set(self, utime_since: int = 0, utime_until: int = 2**32 - 1) -> ValidatorSet:
        validators = tuple(
            Validator(bytes(k.verify_key), w) for k, w in zip(self.keys, self.weights, strict=True)
        )
        return ValidatorSet(utime_since, utime_until, validators, self.main or len(validators))


@attrs.frozen
class _Epoch:
    """The validators signing masterchain blocks from one key block to the next."""

    validators: ValidatorKeys
    cc_seqno: int
    nodes: tuple[Validator, ...]

    @property
    def hash(self) -> int:
        return validator_set_hash(self.cc_seqno, self.nodes)

    def signing_keys(self) -> list[SigningKey]:
        by_key = {bytes(k.verify_key): k for k in self.validators.keys}
        return [by_key[v.public_key] for v in self.nodes]


class SyntheticChain:
    """Shard and masterchain blocks over a ledger's accounts, one pair per `advance`.

    Each `advance` takes every account's current state and its transactions since the last
    call, chains the transactions by cell hash, and makes a basechain block (shard
    0x8000000000000000) whose state holds the accounts, then a masterchain block whose state
    names that shard block. Seqnos start at 1 and advance by one; lts only grow.

    Validators: the config holds the validator set (param 34) and the catchain config (28);
    every masterchain block is signed by the masterchain validators of the last key block
    before it (`signatures[seqno]`), in the ordinary format or TON's newer simplex one
    (`signature_format`). Block 1 is a key block; `rotate_validators` makes the next block a
    key block with a new set, signed still by the old one, as TON's validators hand over.
    """

    def __init__(
        self,
        *,
        global_id: int = FAKE_GLOBAL_ID,
        config: Mapping[int, Cell] | None = None,
        validators: ValidatorKeys | None = None,
        shuffle_validators: bool = False,
        signature_format: str = "ordinary",
    ) -> None:
        self.global_id = global_id
        self.config_address = hashlib.sha256(b"cocoon fake config").digest()
        self.config = dict(config) if config is not None else default_config(self.config_address)
        self.validators = validators or ValidatorKeys.generate()
        self.shuffle_validators = shuffle_validators
        self.signature_format = signature_format
        self.config[CONFIG_CATCHAIN] = catchain_config_cell(
            shuffle_mc_validators=shuffle_validators
        )
        self.config[CONFIG_CUR_VALIDATORS] = validator_set_cell(self.validators.validator_set())
        # Block 1 is signed by the zero state's validators: the same set, catchain 0.
        self._epoch = self._new_epoch(self.validators, 0)
        self._pending_validators: ValidatorKeys | None = None
        self.key_blocks: list[int] = []  # masterchain seqnos of key blocks
        self.signatures: dict[int, SignatureSet] = {}
        self.accounts: dict[bytes, _AccountRecord] = {}
        self.tx_cells: dict[tuple[bytes, int], Cell] = {}  # (account id, lt) -> transaction
        # Whole blocks, or `PrunedBlock`s where their owner dropped old ones (never the first
        # or the last).
        self.shard_blocks: list[BuiltBlock | PrunedBlock] = []
        self.mc_blocks: list[BuiltBlock | PrunedBlock] = []
        self._block_of_tx: dict[tuple[bytes, int], BlockId] = {}
        self.zero_state_ref = ExtBlkRef(0, 0, FAKE_ZERO_STATE_ROOT, FAKE_ZERO_STATE_FILE)
        self._shard_state = self._initial_state(BASECHAIN)
        self._mc_state = self._initial_state(MASTERCHAIN)
        self._lt = 0

    def _initial_state(self, workchain: int) -> Cell:
        return shard_state_cell(
            global_id=self.global_id, workchain=workchain, shard=FULL_SHARD, seqno=0, gen_utime=0,
            gen_lt=0, min_ref_mc_seqno=0, accounts=shard_accounts_cell({}), total_balance=0,
            master_ref=None, custom=None,
        )  # fmt: skip

    def _new_epoch(self, validators: ValidatorKeys, cc_seqno: int) -> _Epoch:
        nodes = masterchain_signers(
            validators.validator_set(), cc_seqno, shuffle=self.shuffle_validators
        )
        return _Epoch(validators, cc_seqno, tuple(nodes))

    def rotate_validators(self, validators: ValidatorKeys | None = None) -> None:
        """Make the next masterchain block a key block whose config names `validators` (the
        same set when None): blocks after it are signed by them."""
        self._pending_validators = validators or self._epoch.validators

    @property
    def last_key_block(self) -> BuiltBlock | PrunedBlock:
        return self.mc_blocks[self.key_blocks[-1] - 1]

    def key_block_before(self, seqno: int) -> int:
        """The seqno of the last key block before masterchain block `seqno` (0: none)."""
        return max((k for k in self.key_blocks if k < seqno), default=0)

    def _sign(self, block_id: BlockId) -> SignatureSet:
        candidate = CandidateBlock(
            block_id.workchain, block_id.shard_signed, block_id.seqno, block_id.root_hash,
            block_id.file_hash,
        )  # fmt: skip
        simplex = None
        if self.signature_format == "simplex":
            session = hashlib.sha256(b"cocoon fake simplex %d" % self._epoch.cc_seqno).digest()
            simplex = (session, block_id.seqno)
        elif self.signature_format != "ordinary":
            raise ValueError(f"unknown signature format {self.signature_format!r}")
        return sign_block(
            self._epoch.signing_keys(), self._epoch.nodes, self._epoch.cc_seqno, candidate,
            simplex=simplex,
        )  # fmt: skip

    @property
    def head(self) -> BuiltBlock:
        head = self.mc_blocks[-1]
        assert isinstance(head, BuiltBlock)
        return head

    @property
    def shard_head(self) -> BuiltBlock:
        head = self.shard_blocks[-1]
        assert isinstance(head, BuiltBlock)
        return head

    def account_record(self, account_id: bytes) -> _AccountRecord | None:
        return self.accounts.get(account_id)

    def block_of_transaction(self, account_id: bytes, lt: int) -> BlockId | None:
        return self._block_of_tx.get((account_id, lt))

    def advance(
        self, accounts: Iterable[tuple[AccountState, Sequence[Transaction]]], now: int
    ) -> BuiltBlock:
        """Make the next shard block and masterchain block; returns the masterchain block."""
        block_txs: dict[bytes, list[tuple[Transaction, Cell, bytes, bytes]]] = {}
        max_lt = self._lt
        for state, txs in accounts:
            if state.address.wc != BASECHAIN:
                raise ValueError("the synthetic chain holds basechain accounts only")
            account_id = state.address.hash_part
            rec = self.accounts.get(account_id)
            prev_status = AccountStatus.NONEXIST if rec is None else rec.state.status
            prev_hash_state = (
                account_cell(AccountState(state.address, AccountStatus.NONEXIST, 0)).get_hash(0)
                if rec is None
                else rec.account.get_hash(0)
            )
            last_hash = bytes(32) if rec is None else rec.last_hash
            last_lt = 0 if rec is None else rec.last_lt
            account = account_cell(state, last_paid=now)
            built = []
            for i, tx in enumerate(sorted(txs, key=lambda t: t.lt)):
                if tx.lt <= last_lt:
                    continue  # already in an earlier block
                final = i == len(txs) - 1
                new_hash = (
                    account.get_hash(0)
                    if final
                    else account_cell(
                        attrs.evolve(state, balance=tx.balance_after, last_tx_lt=tx.lt)
                    ).get_hash(0)
                )
                # The transaction's prev_lt is the chain's; prev_hash is our cell hash.
                cell = transaction_cell(
                    attrs.evolve(tx, prev_lt=last_lt),
                    prev_hash=last_hash,
                    orig_status=prev_status,
                    end_status=state.status,
                    old_state_hash=prev_hash_state,
                    new_state_hash=new_hash,
                )
                built.append((tx, cell, prev_hash_state, new_hash))
                self.tx_cells[(account_id, tx.lt)] = cell
                last_hash, last_lt = cell.get_hash(0), tx.lt
                prev_status, prev_hash_state = state.status, new_hash
                max_lt = max(max_lt, tx.lt + len(tx.out_msgs))
            if built:
                block_txs[account_id] = built
            self.accounts[account_id] = _AccountRecord(
                attrs.evolve(state, last_tx_lt=last_lt, last_tx_hash=last_hash),
                account,
                last_hash,
                last_lt,
            )
        start_lt = self._lt
        end_lt = max(max_lt, start_lt) + 1
        self._lt = end_lt
        return self._make_blocks(block_txs, start_lt, end_lt, now)

    def advance_from(self, chain: Chain) -> BuiltBlock:
        """`advance` over an embedded chain: every basechain account, with its transactions
        not yet in a block."""
        items = []
        for acc in chain.accounts.values():
            if acc.address.wc != BASECHAIN:
                continue
            rec = self.accounts.get(acc.address.hash_part)
            after = 0 if rec is None else rec.last_lt
            items.append(
                (chain.state(acc.address), chain.transactions(acc.address, after_lt=after))
            )
        return self.advance(items, chain.now())

    def _make_blocks(self, block_txs, start_lt: int, end_lt: int, now: int) -> BuiltBlock:
        mc_seqno = len(self.mc_blocks) + 1
        prev_mc = self.mc_blocks[-1].ext_ref if self.mc_blocks else ZERO_REF
        prev_shard = self.shard_blocks[-1].ext_ref if self.shard_blocks else ZERO_REF
        shard_seqno = len(self.shard_blocks) + 1
        entries = {
            aid: (shard_account_cell(rec.account, rec.last_hash, rec.last_lt), rec.state.balance)
            for aid, rec in self.accounts.items()
            if rec.state.status is not AccountStatus.NONEXIST
        }
        total = sum(b for _, b in entries.values())
        shard_state = shard_state_cell(
            global_id=self.global_id, workchain=BASECHAIN, shard=FULL_SHARD, seqno=shard_seqno,
            gen_utime=now, gen_lt=end_lt, min_ref_mc_seqno=mc_seqno - 1,
            accounts=shard_accounts_cell(entries), total_balance=total, master_ref=prev_mc,
            custom=None,
        )  # fmt: skip
        shard_info = block_info_cell(
            workchain=BASECHAIN, shard=FULL_SHARD, seqno=shard_seqno, gen_utime=now,
            start_lt=start_lt, end_lt=end_lt, min_ref_mc_seqno=mc_seqno - 1,
            prev_key_block_seqno=self.key_block_before(mc_seqno), key_block=False, prev=prev_shard,
            master_ref=prev_mc,
        )  # fmt: skip
        rand = hashlib.sha256(b"shard" + shard_seqno.to_bytes(4, "big")).digest()
        shard_root = block_cell(
            self.global_id,
            shard_info,
            value_flow_cell(sum(t.fees for v in block_txs.values() for t, *_ in v)),
            merkle_update(self._shard_state, shard_state),
            block_extra_cell(account_blocks_cell(block_txs), None, rand),
        )
        shard_block = _finish(
            BASECHAIN, shard_seqno, shard_root, shard_state, start_lt, end_lt, now
        )
        self.shard_blocks.append(shard_block)
        self._shard_state = shard_state
        for aid, items in block_txs.items():
            for tx, *_ in items:
                self._block_of_tx[(aid, tx.lt)] = shard_block.id

        top = ShardTop(shard_block.id, mc_seqno, start_lt, end_lt, now, mc_seqno - 1)
        key_block = mc_seqno == 1 or self._pending_validators is not None
        new_validators = self._pending_validators
        if new_validators is not None:
            self.config[CONFIG_CUR_VALIDATORS] = validator_set_cell(
                new_validators.validator_set(utime_since=now)
            )
        prev_key = self.key_block_before(mc_seqno)
        key_seqnos = set(self.key_blocks)
        # TON's OldMcBlocksInfo holds every earlier block, shared between states cell by cell;
        # rebuilt here per block it would grow each block and all of them with the chain's
        # age, so the zero state, the key blocks and the last PREV_BLOCKS_KEPT are kept
        # (enough for proofs: a backward link goes to a key block or a recent block).
        kept = [self.mc_blocks[k - 1] for k in self.key_blocks]
        kept += self.mc_blocks[-PREV_BLOCKS_KEPT:]
        prev_blocks = {0: (True, self.zero_state_ref)}
        prev_blocks.update({b.id.seqno: (b.id.seqno in key_seqnos, b.ext_ref) for b in kept})
        mc_extra_state = mc_state_extra_cell(
            tops=[top], config_address=self.config_address, config=self.config,
            prev_blocks=prev_blocks,
            last_key_block=self.mc_blocks[prev_key - 1].ext_ref if prev_key else None,
            after_key_block=key_block, global_balance=total,
            catchain_seqno=self._epoch.cc_seqno + (1 if key_block else 0),
        )  # fmt: skip
        mc_state = shard_state_cell(
            global_id=self.global_id, workchain=MASTERCHAIN, shard=FULL_SHARD, seqno=mc_seqno,
            gen_utime=now, gen_lt=end_lt, min_ref_mc_seqno=mc_seqno, accounts=shard_accounts_cell({}),
            total_balance=0, master_ref=None, custom=mc_extra_state,
        )  # fmt: skip
        mc_info = block_info_cell(
            workchain=MASTERCHAIN, shard=FULL_SHARD, seqno=mc_seqno, gen_utime=now,
            start_lt=start_lt, end_lt=end_lt, min_ref_mc_seqno=max(mc_seqno - 1, 0),
            prev_key_block_seqno=prev_key, key_block=key_block, prev=prev_mc, master_ref=None,
            validator_list_hash=self._epoch.hash, catchain_seqno=self._epoch.cc_seqno,
        )  # fmt: skip
        rand = hashlib.sha256(b"master" + mc_seqno.to_bytes(4, "big")).digest()
        mc_root = block_cell(
            self.global_id,
            mc_info,
            value_flow_cell(),
            merkle_update(self._mc_state, mc_state),
            block_extra_cell(
                account_blocks_cell({}),
                mc_block_extra_cell([top], key_block, self.config_address, self.config),
                rand,
            ),
        )
        mc_block = _finish(MASTERCHAIN, mc_seqno, mc_root, mc_state, start_lt, end_lt, now)
        self.mc_blocks.append(mc_block)
        self._mc_state = mc_state
        self.signatures[mc_seqno] = self._sign(mc_block.id)
        if key_block:
            # After a key block its set signs, in the next catchain (TON's collator counts
            # catchains up at every key block).
            self.key_blocks.append(mc_seqno)
            self._epoch = self._new_epoch(
                new_validators or self._epoch.validators, self._epoch.cc_seqno + 1
            )
            self._pending_validators = None
        return mc_block
