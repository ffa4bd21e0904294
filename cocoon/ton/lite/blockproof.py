"""Masterchain block proof chains (`liteServer.getBlockProof`): how trust moves from a known key
block to a newer block, checked by the signatures of the validators each key block names (trust
stage 2 of issue 15). Sans-IO: provers for the fake liteserver, checkers for the client.

A `liteServer.partialBlockProof` is a list of links, each from a trusted block to another:
- forward (`blockLinkForward`, to a newer block): `config_proof` proves the source key block's
  config (its root hash is the source's id; the config sits in its `McBlockExtra`), from which
  the masterchain validators of the destination's catchain are computed; `dest_proof` proves
  the destination's header (its validator-set hash, catchain seqno and key-block flag); the
  signature set must be by those validators, over the destination's id, with more than 2/3 of
  their weight. Only a key block can be a forward link's source, and the destination's
  `prev_key_block_seqno` must be the source: a link that skips a key block (whose validator set
  could differ) is refused even when its signatures check.
- backward (`blockLinkBack`, to an older block): `proof` proves the source's header (its state
  hash), `state_proof` the source's masterchain state down to `prev_blocks`, which must list
  the destination (seqno and both hashes); `dest_proof` proves the destination's header.
The liteserver builds them as TON's `LiteQuery::construct_proof_chain` does: back to the key
block at or before the source, forward from key block to key block, forward to the target; at
most 16 links an answer (then `complete` is false and the client asks again from where it got).
Every failure is a `LiteProofError` naming the link.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping, Sequence
from typing import Any

import attrs
from pytoniq_core import Cell, Slice

from cocoon.ton.lite.blocks import MASTERCHAIN, BlockId, BuiltBlock, PrunedBlock, SyntheticChain
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
from cocoon.ton.lite.proofs import BlockHeader, header_of_proof, header_proof_boc
from cocoon.ton.lite.validators import (
    CONFIG_CATCHAIN,
    CONFIG_CUR_TEMP_VALIDATORS,
    CONFIG_CUR_VALIDATORS,
    CandidateBlock,
    SignatureSet,
    ValidatorSet,
    check_signatures,
    masterchain_signers,
    parse_shuffle_flag,
    parse_validator_set,
    validator_set_hash,
)

MAX_LINKS = 16  # TON's liteserver stops a chain after this many links


# --- provers (the liteserver's side) ----------------------------------------------------


def _mc_block_extra(block_root: Cell) -> Cell:
    extra = block_root.refs[3]
    return extra.refs[3]  # in_msg, out_msg, account_blocks, then custom (McBlockExtra)


def key_block_config_proof(block: BuiltBlock) -> Cell:
    """Merkle proof of a key block keeping its header and its config's params 35 (looked up,
    absent here), 34 (the validator set, whole) and 28 (catchain config): a forward link's
    `config_proof`."""
    root = block.root
    info, update, extra = root.refs[0], root.refs[2], root.refs[3]
    mc_extra = _mc_block_extra(root)
    config_root = mc_extra.refs[-1]
    # TON's checker unpacks the McBlockExtra record, its ^[prev_blk_signatures ...] cell too.
    keep = [root, *subtree(info), update, extra, mc_extra, mc_extra.refs[-2]]
    for param in (CONFIG_CUR_TEMP_VALIDATORS, CONFIG_CUR_VALIDATORS, CONFIG_CATCHAIN):
        path: list[Cell] = []
        leaf = lookup(config_root, param, 32, path=path)
        keep += path
        if leaf is not None:
            keep += subtree(leaf.preload_ref())
    return merkle_proof(root, path_keeper(keep))


def prev_block_state_proof(block: BuiltBlock, target_seqno: int) -> Cell:
    """Merkle proof of a masterchain block's state down to `prev_blocks` entries of
    `target_seqno` and of the zero state: a backward link's `state_proof`."""
    state = block.state
    custom = state.refs[3]
    more = custom.refs[-1]
    keep = [state, state.refs[2], custom, more]
    prev_blocks = more.begin_parse()
    prev_blocks.skip_bits(16 + 32 + 32 + 1)
    root = prev_blocks.load_ref() if prev_blocks.load_bit() else None
    for seqno in {target_seqno, 0}:
        path: list[Cell] = []
        lookup(root, seqno, 32, skip_extra=_skip_key_max_lt, path=path)
        keep += path
    return merkle_proof(state, path_keeper(keep))


def _whole(block: BuiltBlock | PrunedBlock) -> BuiltBlock:
    if not isinstance(block, BuiltBlock):
        raise ValueError(f"the state of masterchain block {block.id.seqno} was pruned")
    return block


def forward_link(
    chain: SyntheticChain, source: BuiltBlock | PrunedBlock, dest: BuiltBlock | PrunedBlock
) -> dict[str, Any]:
    """`liteServer.blockLinkForward` from key block `source` to `dest`."""
    source = _whole(source)
    signatures = chain.signatures[dest.id.seqno]
    return {
        "@type": "liteServer.blockLinkForward",
        "to_key_block": dest.id.seqno in chain.key_blocks,
        "from": source.id.to_tl(),
        "to": dest.id.to_tl(),
        "dest_proof": header_proof_boc(dest),
        "config_proof": to_boc_multi([key_block_config_proof(source)]),
        "signatures": signatures.to_tl(),
    }


def backward_link(
    chain: SyntheticChain, source: BuiltBlock | PrunedBlock, dest: BuiltBlock | PrunedBlock
) -> dict[str, Any]:
    """`liteServer.blockLinkBack` from `source` to the older `dest`."""
    source = _whole(source)
    return {
        "@type": "liteServer.blockLinkBack",
        "to_key_block": dest.id.seqno in chain.key_blocks,
        "from": source.id.to_tl(),
        "to": dest.id.to_tl(),
        "dest_proof": header_proof_boc(dest),
        "proof": header_proof_boc(source),
        "state_proof": to_boc_multi([prev_block_state_proof(source, dest.id.seqno)]),
    }


def prove_block_chain(
    chain: SyntheticChain, known: BlockId, target: BlockId, *, max_links: int = MAX_LINKS
) -> dict[str, Any]:
    """`liteServer.partialBlockProof` from `known` to `target` (both blocks of `chain`), built
    as TON's liteserver builds it. Raises `ValueError` for a block the chain does not have."""
    blocks = {b.id.seqno: b for b in chain.mc_blocks}
    for b in (known, target):
        if blocks.get(b.seqno) is None or blocks[b.seqno].id != b:
            raise ValueError(f"masterchain block {b.seqno} with these hashes is unknown")
    links: list[dict[str, Any]] = []
    cur = blocks[known.seqno]
    keys = chain.key_blocks
    while len(links) < max_links and cur.id != target:
        if target.seqno < cur.id.seqno:
            nxt = blocks[target.seqno]
        else:
            prev_key = max((k for k in keys if k <= cur.id.seqno), default=0)
            if prev_key != cur.id.seqno:
                if prev_key == 0:
                    raise ValueError("no key block before the known block")
                nxt = blocks[prev_key]
            else:
                next_key = min((k for k in keys if k > cur.id.seqno), default=None)
                nxt = blocks[next_key] if next_key is not None else blocks[target.seqno]
        if nxt.id.seqno > cur.id.seqno:
            links.append(forward_link(chain, cur, nxt))
        else:
            links.append(backward_link(chain, cur, nxt))
        cur = nxt
    return {
        "@type": "liteServer.partialBlockProof",
        "complete": cur.id == target,
        "from": known.to_tl(),
        "to": cur.id.to_tl(),
        "steps": links,
    }


# --- checkers (the client's side) -------------------------------------------------------


@attrs.frozen
class ProvenChain:
    """What a checked proof chain establishes: `to` is trusted (as the known block was), and
    `key_block` is the newest key block on the chain, past the known one."""

    to: BlockId
    to_header: BlockHeader | None  # None when the chain has no links
    key_block: BlockId | None  # the newest key block the chain proves (None: none on it)
    complete: bool
    links: int


def _skip_currency(s: Slice) -> None:
    s.load_coins()
    if s.load_bit():
        s.load_ref()


def _skip_key_max_lt(s: Slice) -> None:
    s.load_bit()
    s.load_uint(64)


def _one_root(boc: bytes, what: str) -> Cell:
    roots = from_boc_multi(boc, what)
    if len(roots) != 1:
        raise LiteProofError(f"{what}: expected one root, got {len(roots)}")
    return roots[0]


@attrs.frozen
class KeyBlockConfig:
    """What a key block's proven config says about the masterchain validators."""

    validators: ValidatorSet
    shuffle: bool


def read_key_block_config(block_root: Cell) -> KeyBlockConfig:
    """The validator set (param 35 if present, else 34) and the shuffle flag (param 28) of a
    proven key block's config (`McBlockExtra.config`)."""
    try:
        e = ordinary_slice(block_root.refs[3], "BlockExtra")
        if e.load_uint(32) != 0x4A33F6FD:
            raise LiteProofError("not a BlockExtra")
        e.load_ref()
        e.load_ref()
        e.load_ref()
        e.skip_bits(512)  # rand_seed, created_by
        if not e.load_bit():
            raise LiteProofError("the block has no McBlockExtra")
        m = ordinary_slice(e.load_ref(), "McBlockExtra")
        if m.load_uint(16) != 0xCCA5:
            raise LiteProofError("not a McBlockExtra")
        if not m.load_bit():
            raise LiteProofError("the source of a forward link is not a key block")
        if m.load_bit():  # shard_hashes
            m.load_ref()
        if m.load_bit():  # shard_fees root
            m.load_ref()
        _skip_currency(m)  # ShardFeeCreated: fees
        _skip_currency(m)  # and created
        m.load_ref()  # ^[prev_blk_signatures recover_create_msg mint_msg]
        m.skip_bits(256)  # config_addr
        config_root = m.load_ref()
        vset_leaf = lookup(config_root, CONFIG_CUR_TEMP_VALIDATORS, 32)
        if vset_leaf is None:
            vset_leaf = lookup(config_root, CONFIG_CUR_VALIDATORS, 32)
        if vset_leaf is None:
            raise LiteProofError("the key block's config has no validator set")
        vset = parse_validator_set(vset_leaf.load_ref())
        cc_leaf = lookup(config_root, CONFIG_CATCHAIN, 32)
        shuffle = parse_shuffle_flag(None if cc_leaf is None else cc_leaf.load_ref())
    except LiteProofError:
        raise
    except Exception as exc:
        raise LiteProofError(f"malformed key block config: {exc}") from exc
    return KeyBlockConfig(vset, shuffle)


def _prev_block_named(state_root: Cell, source: BlockId, dest: BlockId) -> bool:
    """Whether a proven masterchain state of `source` lists `dest` in `prev_blocks`."""
    try:
        s = ordinary_slice(state_root, "the masterchain state")
        if s.load_uint(32) != 0x9023AFE2:
            raise LiteProofError("not a ShardStateUnsplit")
        s.load_int(32)
        s.skip_bits(2 + 6 + 32 + 64)  # shard_ident
        if s.load_uint(32) != source.seqno:
            raise LiteProofError("the state is of another block")
        if len(state_root.refs) < 4:
            raise LiteProofError("the masterchain state has no McStateExtra")
        x = ordinary_slice(state_root.refs[3], "McStateExtra")
        if x.load_uint(16) != 0xCC26:
            raise LiteProofError("not a McStateExtra")
        if x.load_bit():
            x.load_ref()  # shard_hashes
        x.skip_bits(256)
        x.load_ref()  # config
        more = ordinary_slice(x.load_ref(), "McStateExtra's validator_info and prev_blocks")
        more.skip_bits(16 + 32 + 32 + 1)
        root = more.load_ref() if more.load_bit() else None
        leaf = lookup(root, dest.seqno, 32, skip_extra=_skip_key_max_lt)
        if leaf is None:
            return False
        leaf.load_bit()  # key
        end_lt, seqno = leaf.load_uint(64), leaf.load_uint(32)
        del end_lt
        return (seqno, leaf.load_bytes(32), leaf.load_bytes(32)) == (
            dest.seqno,
            dest.root_hash,
            dest.file_hash,
        )
    except LiteProofError:
        raise
    except Exception as exc:
        raise LiteProofError(f"malformed masterchain state: {exc}") from exc


def check_forward_link(
    link: Mapping[str, Any],
    source: BlockId,
    configs: MutableMapping[BlockId, KeyBlockConfig] | None = None,
) -> BlockHeader:
    """Check a `blockLinkForward` from the trusted key block `source`; the destination's
    header. `configs` caches the validators of key blocks whose config proof checked once:
    a link from one of them is checked against the cached set, its `config_proof` (the whole
    validator set, the bulk of a mainnet answer) not parsed again."""
    dest = BlockId.from_tl(link["to"])
    config = None if configs is None else configs.get(source)
    if config is None:
        source_header, source_root = header_of_proof(
            _one_root(link["config_proof"], "config proof"), source
        )
        if not source_header.key_block:
            raise LiteProofError(f"forward link from block {source.seqno}, not a key block")
        config = read_key_block_config(source_root)
        if configs is not None:
            configs[source] = config
    header, _ = header_of_proof(_one_root(link["dest_proof"], "destination proof"), dest)
    if header.key_block != bool(link["to_key_block"]):
        raise LiteProofError(f"block {dest.seqno}: to_key_block disagrees with its header")
    if header.prev_key_block_seqno != source.seqno:
        raise LiteProofError(
            f"forward link from key block {source.seqno} to block {dest.seqno}, whose previous "
            f"key block is {header.prev_key_block_seqno}: it skips a key block"
        )
    nodes = masterchain_signers(config.validators, header.catchain_seqno, shuffle=config.shuffle)
    if validator_set_hash(header.catchain_seqno, nodes) != header.validator_list_hash:
        raise LiteProofError(
            f"block {dest.seqno} names a validator set other than key block {source.seqno}'s"
        )
    sig_set = SignatureSet.from_tl(link["signatures"])
    named = CandidateBlock(
        dest.workchain, dest.shard_signed, dest.seqno, dest.root_hash, dest.file_hash
    )
    try:
        check_signatures(sig_set, nodes, header.catchain_seqno, named)
    except LiteProofError as e:
        raise LiteProofError(f"signatures of block {dest.seqno}: {e}") from None
    return header


def check_backward_link(link: Mapping[str, Any], source: BlockId) -> BlockHeader:
    """Check a `blockLinkBack` from the trusted `source`; the destination's header."""
    dest = BlockId.from_tl(link["to"])
    source_header, _ = header_of_proof(_one_root(link["proof"], "source proof"), source)
    state = proof_root(
        _one_root(link["state_proof"], "state proof"), source_header.state_hash, "source state"
    )
    if not _prev_block_named(state, source, dest):
        raise LiteProofError(
            f"block {source.seqno}'s state does not list block {dest.seqno} with these hashes"
        )
    header, _ = header_of_proof(_one_root(link["dest_proof"], "destination proof"), dest)
    if header.key_block != bool(link["to_key_block"]):
        raise LiteProofError(f"block {dest.seqno}: to_key_block disagrees with its header")
    return header


def check_block_proof(
    answer: Mapping[str, Any],
    known: BlockId,
    *,
    target: BlockId | None = None,
    configs: MutableMapping[BlockId, KeyBlockConfig] | None = None,
) -> ProvenChain:
    """Check a `liteServer.partialBlockProof` asked from the trusted key block `known` (to
    `target`, or to the server's head). Each link starts where the last ended; forward links
    start at key blocks. The chain's end is then as trusted as `known`. `configs`: see
    `check_forward_link`."""
    if BlockId.from_tl(answer["from"]) != known:
        raise LiteProofError("the block proof starts from another block than the one asked")
    steps: Sequence[Mapping[str, Any]] = answer["steps"]
    cur, header = known, None
    key_block: BlockId | None = None
    for i, link in enumerate(steps, 1):
        source, dest = BlockId.from_tl(link["from"]), BlockId.from_tl(link["to"])
        where = f"link {i} ({source.seqno} -> {dest.seqno})"
        if source != cur:
            raise LiteProofError(f"{where} does not start where the chain is")
        if dest.workchain != MASTERCHAIN or source.shard != dest.shard or dest.seqno == 0:
            raise LiteProofError(f"{where}: not a masterchain block")
        forward = link["@type"] == "liteServer.blockLinkForward"
        if forward != (dest.seqno > source.seqno) or dest.seqno == source.seqno:
            raise LiteProofError(f"{where} goes the wrong way for its kind")
        try:
            if forward:
                header = check_forward_link(link, source, configs)
            else:
                header = check_backward_link(link, source)
        except LiteProofError as e:
            raise LiteProofError(f"{where}: {e}") from None
        if header.key_block and dest.seqno > max(known.seqno, key_block.seqno if key_block else 0):
            key_block = dest
        cur = dest
    if BlockId.from_tl(answer["to"]) != cur:
        raise LiteProofError("the block proof ends at another block than its links")
    complete = bool(answer["complete"])
    if complete and target is not None and cur != target:
        raise LiteProofError("a complete block proof that ends short of the target")
    return ProvenChain(cur, header, key_block, complete, len(steps))
