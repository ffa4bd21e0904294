"""TON's masterchain validators and their block signatures (sans-IO): validator sets as config
param 34 holds them, the subset that signs masterchain blocks, the validator-set hash a block
header names, the messages validators sign, and the check of a signature set.

Facts from TON's sources (crypto/block/block.tlb, mc-config.cpp, block.cpp, signature-set.cpp):
- `validators_ext#12 utime_since utime_until total:(## 16) main:(## 16) total_weight:uint64
  list:(HashmapE 16 ValidatorDescr)`, each `validator#53 public_key:SigPubKey weight:uint64` or
  `validator_addr#73 ... adnl_addr:bits256`, `ed25519_pubkey#8e81278a pubkey:bits256`. A key
  block's config param 35 (temporary validators) is used before 34 when present.
- The masterchain's signers for catchain seqno `cc`: the first `min(main, total)` validators of
  the list, shuffled by a SHA-512 stream over (seed 0, shard, workchain, cc) when config param
  28 says `shuffle_mc_validators`.
- A validator is named by `node_id_short` = sha256 of TL `pub.ed25519 key:int256` (boxed).
- The block header's `gen_validator_list_hash_short` is CRC-32C of
  `-1877581587 ++ cc ++ n ++ (key ++ weight:int64 ++ adnl_addr) * n` (little-endian TL).
- Ordinary signatures (catchain consensus) sign TL `ton.blockId root_hash file_hash` (boxed:
  `70 6e 0b c5 ++ root ++ file`). Simplex consensus, TON's newer one, signs
  `consensus.dataToSign session_id data:(consensus.simplex.finalizeVote
  (consensus.candidateId slot sha256(candidate)))`, where `candidate` is the boxed TL
  `consensus.CandidateHashData` naming the block.
- A set is good when every signer is distinct and in the set, every signature checks, and the
  signers' weight is more than 2/3 of the set's total (`3 * signed > 2 * total`).
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable, Mapping, Sequence

import attrs
from nacl.exceptions import CryptoError
from nacl.signing import SigningKey, VerifyKey
from pytoniq_core import Cell, begin_cell
from pytoniq_core.crypto.crc import crc32c

from cocoon.ton.lite.dicts import hashmap, lookup
from cocoon.ton.lite.errors import LiteProofError
from cocoon.ton.lite.merkle import ordinary_slice

# TL constructor ids (CRC-32 of the schema lines; a test recomputes them from TON's schema).
TL_PUB_ED25519 = 0x4813B4C6
TL_TON_BLOCK_ID = 0xC50B6E70
TL_CANDIDATE_ID = 0xB691CD3F
TL_CANDIDATE_PARENT = 0x1A4B9AF1
TL_CANDIDATE_WITHOUT_PARENTS = 0x22CBCCA9
TL_CANDIDATE_HASH_DATA_ORDINARY = 0xE8F9BCDC
TL_CANDIDATE_HASH_DATA_EMPTY = 0x72B4D933
TL_SIMPLEX_FINALIZE_VOTE = 0x40A7E105
TL_DATA_TO_SIGN = 0xA8E33DF8
VSET_HASH_MAGIC = -1877581587  # "inherited from test0.validatorSet"

CONFIG_CATCHAIN = 28
CONFIG_CUR_VALIDATORS = 34
CONFIG_CUR_TEMP_VALIDATORS = 35
MASTERCHAIN_SHARD = (-1, 0x8000000000000000)


@attrs.frozen
class Validator:
    """One `ValidatorDescr`."""

    public_key: bytes
    weight: int
    adnl_addr: bytes = bytes(32)

    @property
    def node_id(self) -> bytes:
        return node_id_short(self.public_key)


@attrs.frozen
class ValidatorSet:
    """A `ValidatorSet` (config param 34/35)."""

    utime_since: int
    utime_until: int
    validators: tuple[Validator, ...]
    main: int

    @property
    def total_weight(self) -> int:
        return sum(v.weight for v in self.validators)


def node_id_short(public_key: bytes) -> bytes:
    """The short id of an ed25519 key: sha256 of the boxed TL `pub.ed25519`."""
    return hashlib.sha256(struct.pack("<I", TL_PUB_ED25519) + public_key).digest()


# --- cells -------------------------------------------------------------------------------


def validator_set_cell(vset: ValidatorSet) -> Cell:
    """`validators_ext#12`; validators with an ADNL address are written `validator_addr#73`."""
    if not 1 <= vset.main <= len(vset.validators):
        raise ValueError("main must be 1..total")
    entries = {}
    for i, v in enumerate(vset.validators):
        if len(v.public_key) != 32 or v.weight <= 0:
            raise ValueError("a validator needs a 32-byte key and a positive weight")
        b = begin_cell()
        if v.adnl_addr == bytes(32):
            b.store_uint(0x53, 8)
        else:
            b.store_uint(0x73, 8)
        b.store_uint(0x8E81278A, 32).store_bytes(v.public_key).store_uint(v.weight, 64)
        if v.adnl_addr != bytes(32):
            b.store_bytes(v.adnl_addr)
        entries[i] = b.end_cell()
    b = begin_cell().store_uint(0x12, 8)
    b.store_uint(vset.utime_since, 32).store_uint(vset.utime_until, 32)
    b.store_uint(len(vset.validators), 16).store_uint(vset.main, 16)
    b.store_uint(vset.total_weight, 64).store_maybe_ref(hashmap(entries, 16))
    return b.end_cell()


def catchain_config_cell(*, shuffle_mc_validators: bool, mc_catchain_lifetime: int = 250) -> Cell:
    """`catchain_config_new#c2` (config param 28)."""
    return (
        begin_cell()
        .store_uint(0xC2, 8)
        .store_uint(0, 7)
        .store_bit(shuffle_mc_validators)
        .store_uint(mc_catchain_lifetime, 32)
        .store_uint(250, 32)
        .store_uint(1000, 32)
        .store_uint(7, 32)
        .end_cell()
    )


def parse_validator_set(cell: Cell) -> ValidatorSet:
    """Read `validators#11` or `validators_ext#12` as TON's `unpack_validator_set` does: keys
    0..total-1 all present, ed25519 keys, positive weights, the stated total weight."""
    try:
        s = ordinary_slice(cell, "the validator set")
        tag = s.load_uint(8)
        if tag not in (0x11, 0x12):
            raise LiteProofError("not a ValidatorSet")
        since, until = s.load_uint(32), s.load_uint(32)
        total, main = s.load_uint(16), s.load_uint(16)
        if not 1 <= main <= total:
            raise LiteProofError("a validator set with main outside 1..total")
        stated = None
        if tag == 0x12:
            stated = s.load_uint(64)
            if not stated:
                raise LiteProofError("a validator set of zero total weight")
            if not s.load_bit():
                raise LiteProofError("a validator set with no validators")
            root = s.load_ref()
        else:
            root = s.to_cell()  # Hashmap 16 in place
        validators = []
        for i in range(total):
            d = lookup(root, i, 16)
            if d is None:
                raise LiteProofError(f"validator #{i} is missing from the set")
            vtag = d.load_uint(8)
            if vtag not in (0x53, 0x73) or d.load_uint(32) != 0x8E81278A:
                raise LiteProofError(f"validator #{i} has no ed25519 key")
            key, weight = d.load_bytes(32), d.load_uint(64)
            adnl = d.load_bytes(32) if vtag == 0x73 else bytes(32)
            if weight == 0:
                raise LiteProofError(f"validator #{i} has zero weight")
            validators.append(Validator(key, weight, adnl))
        if lookup(root, total, 16) is not None:
            raise LiteProofError("a validator set with more validators than its total")
    except LiteProofError:
        raise
    except Exception as exc:
        raise LiteProofError(f"malformed validator set: {exc}") from exc
    vset = ValidatorSet(since, until, tuple(validators), main)
    if stated is not None and stated != vset.total_weight:
        raise LiteProofError("a validator set whose total weight is not its validators' sum")
    return vset


def parse_shuffle_flag(cell: Cell | None) -> bool:
    """`shuffle_mc_validators` of config param 28 (False when absent or the old layout)."""
    if cell is None:
        return False
    try:
        s = ordinary_slice(cell, "the catchain config")
        tag = s.load_uint(8)
        if tag == 0xC1:
            return False
        if tag != 0xC2:
            raise LiteProofError("not a CatchainConfig")
        s.load_uint(7)
        return bool(s.load_bit())
    except LiteProofError:
        raise
    except Exception as exc:
        raise LiteProofError(f"malformed catchain config: {exc}") from exc


# --- the masterchain's signers ----------------------------------------------------------


class _Prng:
    """TON's `ValidatorSetPRNG` with a zero seed: SHA-512 over (seed, shard, workchain,
    cc_seqno), all big-endian, read as eight big-endian uint64s; the seed counts up after
    each hash."""

    def __init__(self, workchain: int, shard: int, cc_seqno: int) -> None:
        self._seed = 0
        self._tail = struct.pack(">QiI", shard, workchain, cc_seqno)
        self._longs: list[int] = []

    def next_ulong(self) -> int:
        if not self._longs:
            digest = hashlib.sha512(self._seed.to_bytes(32, "big") + self._tail).digest()
            self._seed = (self._seed + 1) % (1 << 256)
            self._longs = [int.from_bytes(digest[i : i + 8], "big") for i in range(0, 64, 8)]
        return self._longs.pop(0)

    def next_ranged(self, n: int) -> int:
        return (n * self.next_ulong()) >> 64


def masterchain_signers(vset: ValidatorSet, cc_seqno: int, *, shuffle: bool) -> list[Validator]:
    """The validators that sign masterchain blocks of catchain `cc_seqno`."""
    count = min(vset.main, len(vset.validators))
    if not shuffle:
        return list(vset.validators[:count])
    prng = _Prng(*MASTERCHAIN_SHARD, cc_seqno)
    idx = [0] * count
    for i in range(count):
        j = prng.next_ranged(i + 1)
        idx[i] = idx[j]
        idx[j] = i
    return [vset.validators[i] for i in idx]


def validator_set_hash(cc_seqno: int, nodes: Sequence[Validator]) -> int:
    """`compute_validator_set_hash`: what a block header's `gen_validator_list_hash_short`
    and a signature set's `validator_set_hash` hold."""
    data = struct.pack("<iII", VSET_HASH_MAGIC, cc_seqno & 0xFFFFFFFF, len(nodes))
    for v in nodes:
        data += v.public_key + struct.pack("<Q", v.weight) + v.adnl_addr
    return int.from_bytes(crc32c(data), "little")


# --- what is signed ----------------------------------------------------------------------


def ordinary_message(root_hash: bytes, file_hash: bytes) -> bytes:
    """What catchain validators sign for a block: boxed `ton.blockId`."""
    return struct.pack("<I", TL_TON_BLOCK_ID) + root_hash + file_hash


def _tl_bytes(data: bytes) -> bytes:
    if len(data) < 254:
        out = bytes([len(data)]) + data
    else:
        out = b"\xfe" + len(data).to_bytes(3, "little") + data
    return out + bytes(-len(out) % 4)


def _block_id_ext(workchain: int, shard: int, seqno: int, root: bytes, file: bytes) -> bytes:
    return struct.pack("<iqi", workchain, shard, seqno) + root + file


def simplex_candidate(
    workchain: int,
    shard_signed: int,
    seqno: int,
    root_hash: bytes,
    file_hash: bytes,
    *,
    collated_file_hash: bytes = bytes(32),
    parent: tuple[int, bytes] | None = None,
) -> bytes:
    """Boxed `consensus.candidateHashDataOrdinary` for a block (what a simplex signature
    set's `candidate` carries)."""
    out = struct.pack("<I", TL_CANDIDATE_HASH_DATA_ORDINARY)
    out += _block_id_ext(workchain, shard_signed, seqno, root_hash, file_hash)
    out += collated_file_hash
    if parent is None:
        out += struct.pack("<I", TL_CANDIDATE_WITHOUT_PARENTS)
    else:
        slot, h = parent
        out += struct.pack("<IIi", TL_CANDIDATE_PARENT, TL_CANDIDATE_ID, slot) + h
    return out


@attrs.frozen
class CandidateBlock:
    """The block a simplex candidate names."""

    workchain: int
    shard_signed: int
    seqno: int
    root_hash: bytes
    file_hash: bytes


def parse_simplex_candidate(candidate: bytes) -> CandidateBlock:
    """The block named by a boxed `consensus.CandidateHashData` (ordinary or empty)."""
    try:
        (tag,) = struct.unpack_from("<I", candidate, 0)
        if tag == TL_CANDIDATE_HASH_DATA_ORDINARY:
            tail = 4 + 80 + 32  # tag, tonNode.blockIdExt, collated_file_hash
            (ptag,) = struct.unpack_from("<I", candidate, tail)
            if ptag == TL_CANDIDATE_WITHOUT_PARENTS:
                end = tail + 4
            elif ptag == TL_CANDIDATE_PARENT:
                if struct.unpack_from("<I", candidate, tail + 4)[0] != TL_CANDIDATE_ID:
                    raise ValueError("bad candidate parent")
                end = tail + 4 + 4 + 4 + 32
            else:
                raise ValueError("bad candidate parent")
        elif tag == TL_CANDIDATE_HASH_DATA_EMPTY:
            end = 4 + 80 + 4 + 32  # tag, block, consensus.candidateId (bare)
        else:
            raise ValueError("not a consensus.CandidateHashData")
        if len(candidate) != end:
            raise ValueError("trailing or missing bytes")
        wc, shard, seqno = struct.unpack_from("<iqi", candidate, 4)
        root, file = candidate[20:52], candidate[52:84]
    except (struct.error, ValueError) as exc:
        raise LiteProofError(f"simplex signature set: malformed candidate: {exc}") from exc
    return CandidateBlock(wc, shard, seqno, root, file)


def simplex_message(session_id: bytes, slot: int, candidate: bytes) -> bytes:
    """What simplex validators sign to finalize a candidate: boxed `consensus.dataToSign`."""
    candidate_id = struct.pack("<IIi", TL_SIMPLEX_FINALIZE_VOTE, TL_CANDIDATE_ID, slot)
    candidate_id += hashlib.sha256(candidate).digest()
    return struct.pack("<I", TL_DATA_TO_SIGN) + session_id + _tl_bytes(candidate_id)


# --- signature sets ----------------------------------------------------------------------


@attrs.frozen
class SignatureSet:
    """`liteServer.SignatureSet`, either format. `simplex` holds (session_id, slot,
    candidate) for the newer one, None for ordinary signatures."""

    cc_seqno: int
    validator_set_hash: int
    signatures: tuple[tuple[bytes, bytes], ...]  # (node_id_short, signature)
    simplex: tuple[bytes, int, bytes] | None = None

    def to_tl(self) -> dict:
        sigs = [{"node_id_short": n, "signature": s} for n, s in self.signatures]
        if self.simplex is None:
            return {
                "@type": "liteServer.signatureSet.ordinary",
                "validator_set_hash": _signed32(self.validator_set_hash),
                "catchain_seqno": _signed32(self.cc_seqno),
                "signatures": sigs,
            }
        session_id, slot, candidate = self.simplex
        return {
            "@type": "liteServer.signatureSet.simplex",
            "cc_seqno": _signed32(self.cc_seqno),
            "validator_set_hash": _signed32(self.validator_set_hash),
            "signatures": sigs,
            "session_id": session_id,
            "slot": _signed32(slot),
            "candidate": candidate,
        }

    @classmethod
    def from_tl(cls, d: Mapping) -> SignatureSet:
        sigs = tuple((bytes(s["node_id_short"]), bytes(s["signature"])) for s in d["signatures"])
        if d["@type"] == "liteServer.signatureSet.ordinary":
            return cls(d["catchain_seqno"] & 0xFFFFFFFF, d["validator_set_hash"] & 0xFFFFFFFF, sigs)
        if d["@type"] == "liteServer.signatureSet.simplex":
            return cls(
                d["cc_seqno"] & 0xFFFFFFFF,
                d["validator_set_hash"] & 0xFFFFFFFF,
                sigs,
                (bytes(d["session_id"]), d["slot"] & 0xFFFFFFFF, bytes(d["candidate"])),
            )
        raise LiteProofError(f"unknown signature set {d['@type']}")


def _signed32(v: int) -> int:
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v >= 1 << 31 else v


def message_to_sign(sig_set: SignatureSet, block: CandidateBlock) -> bytes:
    """The bytes every signature of the set must sign for `block`."""
    if sig_set.simplex is None:
        return ordinary_message(block.root_hash, block.file_hash)
    session_id, slot, candidate = sig_set.simplex
    named = parse_simplex_candidate(candidate)
    if named != block:
        raise LiteProofError("simplex signature set: the candidate names another block")
    return simplex_message(session_id, slot, candidate)


def sign_block(
    keys: Iterable[SigningKey],
    nodes: Sequence[Validator],
    cc_seqno: int,
    block: CandidateBlock,
    *,
    simplex: tuple[bytes, int] | None = None,
) -> SignatureSet:
    """A signature set by `keys` (validators of `nodes`) for `block`: ordinary, or simplex
    with (session_id, slot)."""
    vhash = validator_set_hash(cc_seqno, nodes)
    simplex_fields = None
    if simplex is None:
        message = ordinary_message(block.root_hash, block.file_hash)
    else:
        session_id, slot = simplex
        candidate = simplex_candidate(
            block.workchain, block.shard_signed, block.seqno, block.root_hash, block.file_hash
        )
        simplex_fields = (session_id, slot, candidate)
        message = simplex_message(session_id, slot, candidate)
    sigs = tuple((node_id_short(bytes(k.verify_key)), k.sign(message).signature) for k in keys)
    return SignatureSet(cc_seqno, vhash, sigs, simplex_fields)


def check_signatures(
    sig_set: SignatureSet, nodes: Sequence[Validator], cc_seqno: int, block: CandidateBlock
) -> int:
    """Check a signature set for `block` against the validators `nodes` of catchain
    `cc_seqno`, as TON's `BlockSignatureSet::check_signatures` does; returns the signed weight.
    Raises `LiteProofError` naming what is wrong."""
    if sig_set.cc_seqno != cc_seqno:
        raise LiteProofError(
            f"signatures of catchain {sig_set.cc_seqno}, the block is of catchain {cc_seqno}"
        )
    if sig_set.validator_set_hash != validator_set_hash(cc_seqno, nodes):
        raise LiteProofError("signatures name another validator set than the block's")
    message = message_to_sign(sig_set, block)
    by_id = {v.node_id: v for v in nodes}
    seen: set[bytes] = set()
    weight = 0
    for node, signature in sig_set.signatures:
        if node in seen:
            raise LiteProofError(f"two signatures by validator {node.hex()}")
        seen.add(node)
        validator = by_id.get(node)
        if validator is None:
            raise LiteProofError(f"a signature by {node.hex()}, not a validator of the set")
        try:
            VerifyKey(validator.public_key).verify(message, signature)
        except (CryptoError, ValueError, TypeError) as exc:
            raise LiteProofError(f"a forged signature of validator {node.hex()}") from exc
        weight += validator.weight
    total = sum(v.weight for v in nodes)
    if weight * 3 <= total * 2:
        raise LiteProofError(
            f"signatures of {weight} of the validators' {total} weight: not more than 2/3"
        )
    return weight
