"""Merkle proofs of liteserver answers: what a liteserver sends (provers, for the fake one) and
what a client checks before it uses a byte of it (checkers).

The chain of trust for an account read (`liteServer.accountState`):
  trusted masterchain block id (root hash)
    -> its header proof: the block's `state_update` names the masterchain state hash
    -> `shard_proof` (2 roots): that header proof and the masterchain state down to the
       shard's `ShardDescr` in `McStateExtra.shard_hashes` -> the shard block's root/file hash
    -> `proof` (2 roots): the shard block's header proof (-> shard state hash) and the shard
       state down to the account's `ShardAccount` -> the account cell's hash and its
       `last_trans_hash` / `last_trans_lt`
    -> `state`: the account cell, whose hash must be that one.
Transactions (`liteServer.transactionList`) are then checked as a hash chain backwards from the
proven `last_trans_hash`/`last_trans_lt`. Every failure is a `LiteProofError`.

Checkers read the proof cells with their own readers and walk only the path they need, so a
pruned branch on that path is a refusal, never a silently missing value.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
from pytoniq_core import Address, Cell, Slice, begin_cell
from pytoniq_core.boc.exotic import CellTypes

from cocoon.ton.ledger import AccountState, Transaction
from cocoon.ton.lite.blocks import (
    BASECHAIN,
    MASTERCHAIN,
    BlockId,
    BuiltBlock,
    ExtBlkRef,
    PrunedBlock,
    SyntheticChain,
    parse_account,
    parse_transaction,
    skip_depth_balance,
)
from cocoon.ton.lite.dicts import lookup
from cocoon.ton.lite.errors import LiteProofError
from cocoon.ton.lite.merkle import (
    from_boc_multi,
    merkle_proof,
    ordinary_slice,
    path_keeper,
    proof_root,
    subtree,
    to_boc_multi,
)

_ACCOUNT_NONE = begin_cell().store_bit(0).end_cell()


# --- provers (the liteserver's side) ----------------------------------------------------


def block_header_proof(block_root: Cell) -> Cell:
    """Merkle proof of a block keeping its `BlockInfo` (with the prev/master refs) and the
    `state_update` cell (its old and new trees pruned): what `liteServer.blockHeader` and the
    first root of account proofs carry."""
    info, state_update = block_root.refs[0], block_root.refs[2]
    return merkle_proof(block_root, path_keeper([block_root, *subtree(info), state_update]))


def header_proof_boc(block: BuiltBlock | PrunedBlock) -> bytes:
    """`liteServer.blockHeader.header_proof`."""
    if isinstance(block, PrunedBlock):
        return block.header_proof
    return to_boc_multi([block_header_proof(block.root)])


def _shard_descr_path(mc_state: Cell, workchain: int) -> list[Cell]:
    custom = mc_state.refs[3]
    # TON's liteserver unpacks the state and McStateExtra records, so their ^[...] cells are
    # in its proofs too (pytoniq-core's checker reads them).
    path = [mc_state, mc_state.refs[2], custom, custom.refs[2]]
    leaf = lookup(custom.refs[0], workchain & 0xFFFFFFFF, 32, path=path)
    if leaf is None:
        raise ValueError(f"no workchain {workchain} in the masterchain state")
    # The BinTree (a single leaf for an unsplit shard) and its ShardDescr's fees cell: TON's
    # checker (`McShardHash::unpack`) reads the whole record.
    path.extend(subtree(leaf.preload_ref()))
    return path


def shard_proof_boc(mc_block: BuiltBlock, workchain: int = BASECHAIN) -> bytes:
    """`liteServer.accountState.shard_proof`: [mc header proof, mc state proof to ShardDescr]."""
    state_proof = merkle_proof(
        mc_block.state, path_keeper(_shard_descr_path(mc_block.state, workchain))
    )
    return to_boc_multi([block_header_proof(mc_block.root), state_proof])


def account_proof(shard_block: BuiltBlock, address: Address) -> tuple[bytes, bytes]:
    """(`proof`, `state`) of `liteServer.accountState`: [shard header proof, shard state proof
    to the account's ShardAccount] and the Account cell (account_none when absent)."""
    state = shard_block.state
    accounts = state.refs[1]
    path = [state, state.refs[2], accounts]
    root = accounts.refs[0] if accounts.refs else None
    leaf = lookup(
        root,
        int.from_bytes(address.hash_part, "big"),
        256,
        skip_extra=skip_depth_balance,
        path=path,
    )
    account = leaf.preload_ref() if leaf is not None else _ACCOUNT_NONE
    proof = merkle_proof(state, path_keeper(path))
    return to_boc_multi([block_header_proof(shard_block.root), proof]), to_boc_multi([account])


@attrs.frozen
class AccountStateAnswer:
    """The fields of `liteServer.accountState` (ids as `BlockId`, the rest BOCs)."""

    id: BlockId
    shardblk: BlockId
    shard_proof: bytes
    proof: bytes
    state: bytes


def prove_account_state(
    chain: SyntheticChain, address: Address, mc_seqno: int | None = None
) -> AccountStateAnswer:
    """Answer `getAccountState` at masterchain block `mc_seqno` (the head by default)."""
    index = (mc_seqno or len(chain.mc_blocks)) - 1
    if not 0 <= index < len(chain.mc_blocks):
        raise ValueError(f"no masterchain block {mc_seqno}")
    mc, shard = chain.mc_blocks[index], chain.shard_blocks[index]
    if not isinstance(mc, BuiltBlock) or not isinstance(shard, BuiltBlock):
        raise ValueError(f"the state of masterchain block {index + 1} was pruned")
    proof, state = account_proof(shard, address)
    return AccountStateAnswer(mc.id, shard.id, shard_proof_boc(mc), proof, state)


def transaction_list(
    chain: SyntheticChain, address: Address, lt: int, tx_hash: bytes, count: int
) -> tuple[list[BlockId], bytes]:
    """`liteServer.transactionList` for `getTransactions`: up to `count` transactions from
    (lt, hash) backwards, newest first, with the block of each; a BOC of several roots."""
    account_id = address.hash_part
    ids, cells = [], []
    while lt and len(cells) < count:
        cell = chain.tx_cells.get((account_id, lt))
        if cell is None or cell.get_hash(0) != tx_hash:
            break
        cells.append(cell)
        ids.append(chain.block_of_transaction(account_id, lt))
        parsed = parse_transaction(cell)
        lt, tx_hash = parsed.tx.prev_lt, parsed.prev_hash
    return ids, (to_boc_multi(cells) if cells else b"")


# --- checkers (the client's side) -------------------------------------------------------


@attrs.frozen
class BlockHeader:
    """What a checked header proof tells about a block."""

    id: BlockId
    global_id: int
    gen_utime: int
    start_lt: int
    end_lt: int
    key_block: bool
    min_ref_mc_seqno: int
    prev_key_block_seqno: int
    prev: ExtBlkRef
    master_ref: ExtBlkRef | None
    state_hash: bytes  # the state after this block (its Merkle update's new hash)
    validator_list_hash: int = 0  # gen_validator_list_hash_short: the set that signs it
    catchain_seqno: int = 0  # gen_catchain_seqno


def _read_shard_ident(s: Slice) -> tuple[int, int]:
    if s.load_uint(2) != 0:
        raise LiteProofError("bad ShardIdent tag")
    pfx_bits = s.load_uint(6)
    if pfx_bits > 60:
        raise LiteProofError("ShardIdent prefix longer than 60 bits")
    workchain = s.load_int(32)
    prefix = s.load_uint(64)
    return workchain, prefix | (1 << (63 - pfx_bits))


def _read_ext_ref(s: Slice) -> ExtBlkRef:
    return ExtBlkRef(s.load_uint(64), s.load_uint(32), s.load_bytes(32), s.load_bytes(32))


def _roots(data: bytes | Cell | Sequence[Cell], what: str) -> list[Cell]:
    if isinstance(data, Cell):
        return [data]
    if isinstance(data, (bytes, bytearray, memoryview)):
        return from_boc_multi(bytes(data), what)
    return list(data)


def check_block_header(proof: bytes | Cell, block: BlockId) -> BlockHeader:
    """Check a block header proof against the block's id (root hash) and read the header."""
    roots = _roots(proof, "block header proof")
    if len(roots) != 1:
        raise LiteProofError(f"block header proof: expected one root, got {len(roots)}")
    return _header(roots[0], block)


def header_of_proof(proof_cell: Cell, block: BlockId) -> tuple[BlockHeader, Cell]:
    """Check one Merkle proof of a block against its id; its header and the proven tree
    (for reading more of the block: a key block's config)."""
    root = proof_root(proof_cell, block.root_hash, f"header of block {block.seqno}")
    return _read_header(root, block), root


def _header(proof_cell: Cell, block: BlockId) -> BlockHeader:
    return header_of_proof(proof_cell, block)[0]


def _read_header(root: Cell, block: BlockId) -> BlockHeader:
    try:
        s = ordinary_slice(root, "the block root")
        if s.load_uint(32) != 0x11EF55AA:
            raise LiteProofError("not a block")
        global_id = s.load_int(32)
        if len(root.refs) != 4:
            raise LiteProofError("a block has four refs")
        i = ordinary_slice(root.refs[0], "BlockInfo")
        if i.load_uint(32) != 0x9BC7A987:
            raise LiteProofError("not a BlockInfo")
        i.load_uint(32)  # version
        not_master = i.load_bit()
        after_merge = i.load_bit()
        i.load_uint(4)  # before_split, after_split, want_split, want_merge
        key_block = bool(i.load_bit())
        vert_incr = i.load_bit()
        flags = i.load_uint(8)
        seqno = i.load_uint(32)
        i.load_uint(32)  # vert_seq_no
        workchain, shard = _read_shard_ident(i)
        gen_utime = i.load_uint(32)
        start_lt, end_lt = i.load_uint(64), i.load_uint(64)
        validator_list_hash, catchain_seqno = i.load_uint(32), i.load_uint(32)
        min_ref_mc_seqno = i.load_uint(32)
        prev_key_block_seqno = i.load_uint(32)
        if flags & 1:
            i.load_uint(8 + 32 + 64)  # gen_software
        master_ref = None
        if not_master:
            master_ref = _read_ext_ref(ordinary_slice(i.load_ref(), "BlkMasterInfo"))
        if after_merge:
            raise LiteProofError("merged blocks are not followed")
        prev = _read_ext_ref(ordinary_slice(i.load_ref(), "BlkPrevInfo"))
        del vert_incr
        update = root.refs[2]
        if update.type_ != CellTypes.merkle_update:
            raise LiteProofError("the block's state_update is not a Merkle update")
        state_hash = update.bits[8 + 256 : 8 + 512].tobytes()
    except LiteProofError:
        raise
    except Exception as exc:  # malformed cells: pytoniq/bitarray raise many kinds
        raise LiteProofError(f"malformed block header: {exc}") from exc
    if (workchain, shard, seqno) != (block.workchain, block.shard, block.seqno):
        raise LiteProofError(
            f"header is of block ({workchain},{shard:x},{seqno}), expected "
            f"({block.workchain},{block.shard:x},{block.seqno})"
        )
    if bool(not_master) != (workchain != MASTERCHAIN):
        raise LiteProofError("not_master disagrees with the workchain")
    return BlockHeader(
        block, global_id, gen_utime, start_lt, end_lt, key_block, min_ref_mc_seqno,
        prev_key_block_seqno, prev, master_ref, state_hash, validator_list_hash, catchain_seqno,
    )  # fmt: skip


def check_block_link(header: BlockHeader, prev: BlockId) -> None:
    """Check that a (checked) block names `prev` as its previous block."""
    p = header.prev
    if (p.seqno, p.root_hash, p.file_hash) != (prev.seqno, prev.root_hash, prev.file_hash) or (
        header.id.workchain,
        header.id.shard,
    ) != (prev.workchain, prev.shard):
        raise LiteProofError(f"block {header.id.seqno} does not follow block {prev.seqno}")


@attrs.frozen
class ProvenShardBlock:
    """A shard block as a checked masterchain state names it."""

    id: BlockId
    reg_mc_seqno: int
    start_lt: int
    end_lt: int
    gen_utime: int


def _state_slice(state_root: Cell, workchain: int, shard: int) -> tuple[Slice, int]:
    s = ordinary_slice(state_root, "the shard state")
    if s.load_uint(32) != 0x9023AFE2:
        raise LiteProofError("not a ShardStateUnsplit")
    s.load_int(32)
    if _read_shard_ident(s) != (workchain, shard):
        raise LiteProofError("the state is of another shard")
    seqno = s.load_uint(32)
    s.load_uint(32 + 32 + 64 + 32)  # vert_seq_no, gen_utime, gen_lt, min_ref_mc_seqno
    s.load_bit()  # before_split (after the out_msg_queue_info ref)
    return s, seqno


def check_shard_proof(
    shard_proof: bytes, mc_block: BlockId, workchain: int = BASECHAIN, account_id: bytes = bytes(32)
) -> ProvenShardBlock:
    """Check `shard_proof` against the trusted masterchain block and return the shard block
    (covering `account_id`) it names."""
    if mc_block.workchain != MASTERCHAIN:
        raise LiteProofError("a shard proof starts from a masterchain block")
    roots = _roots(shard_proof, "shard proof")
    if len(roots) != 2:
        raise LiteProofError(f"shard proof: expected two roots, got {len(roots)}")
    header = _header(roots[0], mc_block)
    state = proof_root(roots[1], header.state_hash, "masterchain state")
    try:
        s, seqno = _state_slice(state, MASTERCHAIN, mc_block.shard)
        if seqno != mc_block.seqno:
            raise LiteProofError("the masterchain state is of another seqno")
        if not s.load_bit() or len(state.refs) < 4:
            raise LiteProofError("the masterchain state has no McStateExtra")
        extra = ordinary_slice(state.refs[3], "McStateExtra")
        if extra.load_uint(16) != 0xCC26:
            raise LiteProofError("not a McStateExtra")
        if not extra.load_bit():
            raise LiteProofError("the masterchain state names no shards")
        leaf = lookup(extra.load_ref(), workchain & 0xFFFFFFFF, 32)
        if leaf is None:
            raise LiteProofError(f"the masterchain state has no workchain {workchain}")
        node, prefix, depth = leaf.load_ref(), 0, 0
        while True:
            t = ordinary_slice(node, "the shard tree")
            if not t.load_bit():
                break
            bit = (int.from_bytes(account_id, "big") >> (255 - depth)) & 1
            node = t.preload_ref(bit)
            prefix |= bit << (63 - depth)
            depth += 1
        tag = t.load_uint(4)
        if tag not in (0xA, 0xB):
            raise LiteProofError("not a ShardDescr")
        sd_seqno, reg_mc_seqno = t.load_uint(32), t.load_uint(32)
        start_lt, end_lt = t.load_uint(64), t.load_uint(64)
        root_hash, file_hash = t.load_bytes(32), t.load_bytes(32)
        t.load_uint(8)
        t.load_uint(32)
        t.load_uint(64)
        t.load_uint(32)
        gen_utime = t.load_uint(32)
    except LiteProofError:
        raise
    except Exception as exc:
        raise LiteProofError(f"malformed masterchain state: {exc}") from exc
    shard = prefix | (1 << (63 - depth))
    return ProvenShardBlock(
        BlockId(workchain, shard, sd_seqno, root_hash, file_hash), reg_mc_seqno, start_lt, end_lt,
        gen_utime,
    )  # fmt: skip


@attrs.frozen
class ProvenAccount:
    """An account state proven to be in `shard_block`; `state.last_tx_hash`/`last_tx_lt` are
    the proven `ShardAccount` fields a transaction list is checked from."""

    state: AccountState
    shard_block: BlockId
    account_cell: Cell


def check_account_proof(
    proof: bytes, shard_block: BlockId, address: Address, state: bytes
) -> ProvenAccount:
    """Check `proof` and `state` of `liteServer.accountState` against a (checked) shard block."""
    roots = _roots(proof, "account proof")
    if len(roots) != 2:
        raise LiteProofError(f"account proof: expected two roots, got {len(roots)}")
    header = _header(roots[0], shard_block)
    state_root = proof_root(roots[1], header.state_hash, "shard state")
    served = _roots(state, "account state")
    if len(served) != 1:
        raise LiteProofError("account state: expected one root")
    account = served[0]
    try:
        _state_slice(state_root, shard_block.workchain, shard_block.shard)
        accounts = ordinary_slice(state_root.refs[1], "ShardAccounts")
        root = accounts.load_ref() if accounts.load_bit() else None
        leaf = lookup(
            root, int.from_bytes(address.hash_part, "big"), 256, skip_extra=skip_depth_balance
        )
        if leaf is None:
            proven_hash, last_hash, last_lt = _ACCOUNT_NONE.get_hash(0), bytes(32), 0
        else:
            proven_hash = leaf.load_ref().get_hash(0)
            last_hash, last_lt = leaf.load_bytes(32), leaf.load_uint(64)
    except LiteProofError:
        raise
    except Exception as exc:
        raise LiteProofError(f"malformed shard state: {exc}") from exc
    if account.get_hash(0) != proven_hash:
        raise LiteProofError("the served account state is not the one the shard state holds")
    try:
        parsed = parse_account(account)
    except Exception as exc:
        raise LiteProofError(f"malformed account: {exc}") from exc
    if parsed.address is not None and (
        parsed.address.wc,
        parsed.address.hash_part,
    ) != (address.wc, address.hash_part):
        raise LiteProofError("the proven account is of another address")
    result = AccountState(
        address=address, status=parsed.status, balance=parsed.balance, code=parsed.code,
        data=parsed.data, last_tx_lt=last_lt, last_tx_hash=last_hash, sync_utime=header.gen_utime,
    )  # fmt: skip
    return ProvenAccount(result, shard_block, account)


def check_account_state(
    mc_block: BlockId,
    shard_block: BlockId,
    shard_proof: bytes,
    proof: bytes,
    state: bytes,
    address: Address,
) -> ProvenAccount:
    """The whole `liteServer.accountState` check from a trusted masterchain block."""
    if shard_block.workchain == MASTERCHAIN:
        if shard_block != mc_block:
            raise LiteProofError("a masterchain account is read at the trusted block itself")
    else:
        named = check_shard_proof(shard_proof, mc_block, shard_block.workchain, address.hash_part)
        if named.id != shard_block:
            raise LiteProofError("the masterchain block names another shard block")
    return check_account_proof(proof, shard_block, address, state)


def check_transactions(
    boc: bytes, address: Address, lt: int, tx_hash: bytes, *, count: int | None = None
) -> list[Transaction]:
    """Check a `transactionList` BOC as a hash chain backwards from (lt, hash) (a proven
    `last_trans_lt`/`last_trans_hash`, or an earlier link): newest first."""
    return [tx for tx, _ in check_transaction_chain(boc, address, lt, tx_hash, count=count)]


def check_transaction_chain(
    boc: bytes, address: Address, lt: int, tx_hash: bytes, *, count: int | None = None
) -> list[tuple[Transaction, bytes]]:
    """`check_transactions` with each transaction's `prev_trans_hash`: the link the next
    (older) page of a walk back is asked and checked from."""
    roots = _roots(boc, "transaction list") if boc else []
    if count is not None and len(roots) > count:
        raise LiteProofError(f"asked for {count} transactions, got {len(roots)}")
    out = []
    for cell in roots:
        if lt == 0:
            raise LiteProofError("transactions beyond the account's first")
        if cell.get_hash(0) != tx_hash:
            raise LiteProofError(
                f"transaction at lt {lt} does not have the hash its successor names"
            )
        try:
            parsed = parse_transaction(cell, address.wc)
        except Exception as exc:
            raise LiteProofError(f"malformed transaction: {exc}") from exc
        if parsed.account_id != address.hash_part:
            raise LiteProofError("a transaction of another account")
        if parsed.tx.lt != lt:
            raise LiteProofError(f"transaction has lt {parsed.tx.lt}, expected {lt}")
        out.append((parsed.tx, parsed.prev_hash))
        lt, tx_hash = parsed.tx.prev_lt, parsed.prev_hash
    return out
