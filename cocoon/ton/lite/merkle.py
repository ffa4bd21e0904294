"""Merkle cells (TON's exotic pruned-branch, Merkle-proof and Merkle-update cells) and BOCs with
several roots.

A Merkle proof is a copy of a tree in which every cell the reader does not need is replaced by
a *pruned branch*: an exotic cell holding only the pruned cell's hashes and depths. Hashes at
level 0 see through pruned branches (they are what the full tree hashes to), so the proof's
root still hashes to the original root; pytoniq-core's `Cell` computes these level hashes
(checked against TON's rules in the tests). A pruned branch made under `d` enclosing Merkle
cells has level `d + 1`, as TON's `MerkleProof::generate` makes it.

pytoniq-core writes BOCs with one root only; liteservers answer with several (a block proof
and a state proof in one BOC, a list of transactions), so `to_boc_multi` writes those.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from pytoniq_core import Cell, Slice, begin_cell
from pytoniq_core.boc.exotic import CellTypes

from cocoon.ton.lite.errors import LiteProofError

_MERKLE = (CellTypes.merkle_proof, CellTypes.merkle_update)


def pruned_branch(cell: Cell, level: int = 1) -> Cell:
    """The pruned branch standing for `cell` at `level` (1 under no Merkle cell)."""
    mask = cell.level_mask.mask | (1 << (level - 1))
    levels = [i for i in range(level) if i == 0 or (mask >> (i - 1)) & 1]
    b = begin_cell().store_uint(CellTypes.pruned_branch, 8).store_uint(mask, 8)
    for i in levels:
        b.store_bytes(cell.get_hash(i))
    for i in levels:
        b.store_uint(cell.get_depth(i), 16)
    return Cell(b.bits, [], CellTypes.pruned_branch)


def prune(root: Cell, keep: Callable[[Cell], bool], merkle_depth: int = 0) -> Cell:
    """A copy of `root` where each cell `keep` refuses is a pruned branch (the root is always
    kept). Cells already pruned stay as they are. `merkle_depth` counts the Merkle cells
    between the enclosing proof or update and `root`."""

    def go(cell: Cell, depth: int) -> Cell:
        if cell.type_ == CellTypes.pruned_branch:
            return cell
        child_depth = depth + 1 if cell.type_ in _MERKLE else depth
        refs = [
            go(r, child_depth) if keep(r) else pruned_branch(r, child_depth + 1) for r in cell.refs
        ]
        return Cell(cell.bits, refs, cell.type_)

    return go(root, merkle_depth)


def merkle_proof(root: Cell, keep: Callable[[Cell], bool]) -> Cell:
    """`MERKLE_PROOF` of `root` revealing the cells `keep` accepts (and their ancestors' path,
    which `keep` must accept too)."""
    inner = prune(root, keep)
    bits = (
        begin_cell()
        .store_uint(CellTypes.merkle_proof, 8)
        .store_bytes(root.get_hash(0))
        .store_uint(root.get_depth(0), 16)
        .bits
    )
    return Cell(bits, [inner], CellTypes.merkle_proof)


def merkle_update(old: Cell, new: Cell) -> Cell:
    """`MERKLE_UPDATE` from `old` to `new`: subtrees both share are pruned on both sides, so
    the update carries only what changed."""
    old_cells = _all_hashes(old)
    new_cells = _all_hashes(new)
    old_side = prune(old, lambda c: c.get_hash(0) not in new_cells)
    new_side = prune(new, lambda c: c.get_hash(0) not in old_cells)
    bits = (
        begin_cell()
        .store_uint(CellTypes.merkle_update, 8)
        .store_bytes(old.get_hash(0))
        .store_bytes(new.get_hash(0))
        .store_uint(old.get_depth(0), 16)
        .store_uint(new.get_depth(0), 16)
        .bits
    )
    return Cell(bits, [old_side, new_side], CellTypes.merkle_update)


def _all_hashes(root: Cell) -> set[bytes]:
    seen: set[bytes] = set()
    stack = [root]
    while stack:
        c = stack.pop()
        h = c.get_hash(0)
        if h in seen:
            continue
        seen.add(h)
        stack.extend(c.refs)
    return seen


def path_keeper(paths: Iterable[Cell]) -> Callable[[Cell], bool]:
    """A `keep` that accepts exactly the given cells (by level-0 hash)."""
    wanted = {c.get_hash(0) for c in paths}
    return lambda c: c.get_hash(0) in wanted


def proof_root(cell: Cell, expected_hash: bytes, what: str) -> Cell:
    """The tree inside a `MERKLE_PROOF` cell, after checking it proves `expected_hash`."""
    if cell.type_ != CellTypes.merkle_proof:
        raise LiteProofError(f"{what}: expected a Merkle proof cell, got cell type {cell.type_}")
    if len(cell.refs) != 1 or len(cell.bits) != 8 + 256 + 16:
        raise LiteProofError(f"{what}: malformed Merkle proof cell")
    inner = cell.refs[0]
    claimed = cell.bits[8 : 8 + 256].tobytes()
    # The stored hash must be the inner tree's own (level-0) hash, else the cell is forged.
    if inner.get_hash(0) != claimed:
        raise LiteProofError(f"{what}: Merkle proof does not hash to the hash it claims")
    if claimed != expected_hash:
        raise LiteProofError(f"{what}: proves hash {claimed.hex()}, expected {expected_hash.hex()}")
    return inner


# --- BOCs ------------------------------------------------------------------------------------


def to_boc_multi(roots: Sequence[Cell]) -> bytes:
    """A standard BOC (no index, no CRC) with the given roots in order; shared cells once."""
    index: dict[bytes, int] = {}

    def key(c: Cell) -> bytes:
        return c.hash  # the representation hash: one per distinct cell, exotic or not

    # Parents before children: a depth-first post-order, reversed, is a topological order.
    post: list[Cell] = []
    visited: set[bytes] = set()
    for root in roots:
        stack: list[tuple[Cell, bool]] = [(root, False)]
        while stack:
            c, done = stack.pop()
            k = key(c)
            if done:
                post.append(c)
                continue
            if k in visited:
                continue
            visited.add(k)
            stack.append((c, True))
            for r in reversed(c.refs):
                stack.append((r, False))
    order = list(reversed(post))
    for i, c in enumerate(order):
        index[key(c)] = i
    size = max(1, (len(order).bit_length() + 7) // 8)
    payload = bytearray()
    for c in order:
        payload += c.get_descriptors(c.level_mask) + c.get_data_bytes()
        for r in c.refs:
            payload += index[key(r)].to_bytes(size, "big")
    off = max(1, (len(payload).bit_length() + 7) // 8)
    head = bytearray(b"\xb5\xee\x9c\x72")
    head.append(size)  # no index, no CRC, no cache bits
    head.append(off)
    head += len(order).to_bytes(size, "big")
    head += len(roots).to_bytes(size, "big")
    head += (0).to_bytes(size, "big")  # absent cells
    head += len(payload).to_bytes(off, "big")
    for root in roots:
        head += index[key(root)].to_bytes(size, "big")
    return bytes(head + payload)


def from_boc_multi(data: bytes, what: str) -> list[Cell]:
    """All roots of a BOC; garbage is a `LiteProofError` (it came from a liteserver)."""
    try:
        return Cell.from_boc(bytes(data))
    except Exception as exc:  # pytoniq raises many kinds on garbage input
        raise LiteProofError(f"{what}: not a valid BOC: {exc}") from exc


def ordinary_slice(cell: Cell, what: str) -> Slice:
    """`cell` to read from a proof: an ordinary cell, never a pruned branch (what the prover
    left out cannot be read) nor another exotic cell."""
    if cell.type_ == CellTypes.pruned_branch:
        raise LiteProofError(f"{what} is pruned from the proof")
    if cell.type_ != CellTypes.ordinary:
        raise LiteProofError(f"{what} is an exotic cell of type {cell.type_}")
    return cell.begin_parse()


def subtree(cell: Cell) -> list[Cell]:
    """Every cell under `cell`, itself included (shared cells as often as they are reached)."""
    out, stack = [], [cell]
    while stack:
        c = stack.pop()
        out.append(c)
        stack.extend(c.refs)
    return out
