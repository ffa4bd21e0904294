"""TON dictionaries (`Hashmap`, `HashmapAug` of block.tlb) built as cells, and looked up in
proofs.

pytoniq-core builds plain dictionaries only; a shard's accounts (`ShardAccounts`) and a block's
account blocks are augmented ones, with an extra value at every node (the sum of the balances
below it). The lookup walks one key's path only, so it works in a Merkle proof where every
other branch is pruned, and refuses a path that reaches a pruned branch (the proof does not
cover that key).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Generic, TypeVar

import attrs
from pytoniq_core import Builder, Cell, Slice, begin_cell

from cocoon.ton.lite.errors import LiteProofError
from cocoon.ton.lite.merkle import ordinary_slice

Y = TypeVar("Y")


@attrs.frozen
class Augmentation(Generic[Y]):
    """How a dictionary's extra values are written and summed up a fork."""

    store: Callable[[Builder, Y], None]
    add: Callable[[Y, Y], Y]
    empty: Y


def _label(bits: str, max_len: int) -> str:
    """`HmLabel ~l max_len`: the shortest of hml_short, hml_long and hml_same."""
    k = max_len.bit_length()
    n = len(bits)
    length = format(n, f"0{k}b") if k else ""
    options = ["0" + "1" * n + "0" + bits, "10" + length + bits]
    if n and bits in ("0" * n, "1" * n):
        options.append("11" + bits[0] + length)
    return min(options, key=len)


def _common_prefix(keys: list[str]) -> str:
    first, last = min(keys), max(keys)
    i = 0
    while i < len(first) and first[i] == last[i]:
        i += 1
    return first[:i]


def _edge(items: list[tuple[str, Cell, Y | None]], n: int, aug: Augmentation[Y] | None):
    """One `Hashmap(Aug) n X (Y)` edge over keys of `n` bits; returns (cell, extra)."""
    keys = [k for k, _, _ in items]
    prefix = keys[0] if len(items) == 1 else _common_prefix(keys)
    b = begin_cell().store_bits(_label(prefix, n))
    m = n - len(prefix)
    if m == 0:
        (_, value, extra) = items[0]
        if aug is not None:
            aug.store(b, extra)
        b.store_cell(value)
        return b.end_cell(), extra
    cut = len(prefix)
    left = [(k[cut + 1 :], v, e) for k, v, e in items if k[cut] == "0"]
    right = [(k[cut + 1 :], v, e) for k, v, e in items if k[cut] == "1"]
    left_cell, left_extra = _edge(left, m - 1, aug)
    right_cell, right_extra = _edge(right, m - 1, aug)
    b.store_ref(left_cell).store_ref(right_cell)
    extra = None
    if aug is not None:
        extra = aug.add(left_extra, right_extra)
        aug.store(b, extra)
    return b.end_cell(), extra


def _items(
    entries: Mapping[int, tuple[Cell, Y | None]], n: int
) -> list[tuple[str, Cell, Y | None]]:
    out = []
    for key, (value, extra) in sorted(entries.items()):
        if not 0 <= key < (1 << n):
            raise ValueError(f"dictionary key {key} does not fit {n} bits")
        out.append((format(key, f"0{n}b"), value, extra))
    return out


def hashmap(entries: Mapping[int, Cell], n: int) -> Cell | None:
    """`Hashmap n X` root for unsigned keys; each value's bits and refs sit in its leaf.
    None for an empty map (which `HashmapE` writes as a single 0 bit)."""
    if not entries:
        return None
    root, _ = _edge(_items({k: (v, None) for k, v in entries.items()}, n), n, None)
    return root


def store_hashmap_e(b: Builder, entries: Mapping[int, Cell], n: int) -> Builder:
    return b.store_maybe_ref(hashmap(entries, n))


def hashmap_aug(
    entries: Mapping[int, tuple[Cell, Y]], n: int, aug: Augmentation[Y]
) -> tuple[Cell | None, Y]:
    """`HashmapAug n X Y` root and the extra of the whole map (`aug.empty` when empty)."""
    if not entries:
        return None, aug.empty
    root, extra = _edge(_items(entries, n), n, aug)
    return root, extra


def store_hashmap_aug_e(
    b: Builder, entries: Mapping[int, tuple[Cell, Y]], n: int, aug: Augmentation[Y]
) -> Y:
    """Write `HashmapAugE n X Y` (root ref and the total extra) and return that extra."""
    root, extra = hashmap_aug(entries, n, aug)
    b.store_maybe_ref(root)
    aug.store(b, extra)
    return extra


# --- lookup ------------------------------------------------------------------------------


def _read_label(s: Slice, max_len: int) -> str:
    k = max_len.bit_length()
    if not s.load_bit():  # hml_short
        n = 0
        while s.load_bit():
            n += 1
        if n > max_len:
            raise LiteProofError("dictionary label longer than its key")
        return s.load_bits(n).to01() if n else ""
    if not s.load_bit():  # hml_long
        n = s.load_uint(k) if k else 0
        if n > max_len:
            raise LiteProofError("dictionary label longer than its key")
        return s.load_bits(n).to01() if n else ""
    v = str(s.load_bit())  # hml_same
    n = s.load_uint(k) if k else 0
    if n > max_len:
        raise LiteProofError("dictionary label longer than its key")
    return v * n


def lookup(
    root: Cell | None,
    key: int,
    n: int,
    *,
    skip_extra: Callable[[Slice], None] | None = None,
    path: list[Cell] | None = None,
) -> Slice | None:
    """The value stored under `key` in a `Hashmap(Aug) n` (None if absent). For an augmented
    map, `skip_extra` reads past a leaf's extra. Only the key's path is read: a proof that
    prunes a cell on it is refused with `LiteProofError`."""
    if root is None:
        return None
    want = format(key, f"0{n}b")
    cell, rest = root, n
    try:
        while True:
            s = ordinary_slice(cell, "a dictionary node on the key's path")
            if path is not None:
                path.append(cell)
            label = _read_label(s, rest)
            if not want.startswith(label):
                return None
            want, rest = want[len(label) :], rest - len(label)
            if rest == 0:
                if skip_extra is not None:
                    skip_extra(s)
                return s
            if s.remaining_refs < 2:
                raise LiteProofError("dictionary fork without two branches")
            cell = s.preload_ref(int(want[0]))
            want, rest = want[1:], rest - 1
    except LiteProofError:
        raise
    except Exception as exc:  # a malformed node: pytoniq/bitarray raise many kinds
        raise LiteProofError(f"malformed dictionary node: {exc}") from exc
