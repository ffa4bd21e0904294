"""Validator sets, the masterchain's signers and block signatures (`cocoon.ton.lite.validators`)
against TON's formats: the TL ids from TON's schema lines, param 34 as pytoniq-core reads it,
pytoniq-core's own check of ordinary signatures, and every refusal of a bad signature set."""

from __future__ import annotations

import hashlib

import pytest
from nacl.signing import SigningKey
from pytoniq_core.proof import check_block_signatures
from pytoniq_core.tl.block import BlockIdExt as PBlockIdExt
from pytoniq_core.tlb.config import ConfigParam28, ConfigParam34

from cocoon.tl.schema import parse_schema
from cocoon.ton.lite import validators as v
from cocoon.ton.lite.errors import LiteProofError

# Lines of TON's tl/generate/scheme/ton_api.tl (facts: the ids are their CRC-32).
TON_API_LINES = """
pub.ed25519 key:int256 = PublicKey;
ton.blockId root_cell_hash:int256 file_hash:int256 = ton.BlockId;
consensus.candidateId slot:int hash:int256 = consensus.CandidateId;
consensus.candidateParent id:consensus.CandidateId = consensus.CandidateParent;
consensus.candidateWithoutParents = consensus.CandidateParent;
consensus.candidateHashDataOrdinary block:tonNode.blockIdExt collated_file_hash:int256 parent:consensus.CandidateParent = consensus.CandidateHashData;
consensus.candidateHashDataEmpty block:tonNode.blockIdExt parent:consensus.candidateId = consensus.CandidateHashData;
consensus.simplex.finalizeVote id:consensus.CandidateId = consensus.simplex.UnsignedVote;
consensus.dataToSign session_id:int256 data:bytes = consensus.DataToSign;
"""

KEYS = [SigningKey(hashlib.sha256(b"validator %d" % i).digest()) for i in range(6)]
WEIGHTS = [30, 25, 20, 10, 10, 5]
VSET = v.ValidatorSet(
    100,
    200,
    tuple(v.Validator(bytes(k.verify_key), w) for k, w in zip(KEYS, WEIGHTS, strict=True)),
    main=4,
)
BLOCK = v.CandidateBlock(
    -1, -(2**63), 77, hashlib.sha256(b"r").digest(), hashlib.sha256(b"f").digest()
)


def test_tl_ids_are_the_crc_of_tons_schema_lines() -> None:
    ids = {c.name: c.id for c in parse_schema(TON_API_LINES)}
    assert ids["pub.ed25519"] == v.TL_PUB_ED25519
    assert ids["ton.blockId"] == v.TL_TON_BLOCK_ID
    assert ids["consensus.candidateId"] == v.TL_CANDIDATE_ID
    assert ids["consensus.candidateParent"] == v.TL_CANDIDATE_PARENT
    assert ids["consensus.candidateWithoutParents"] == v.TL_CANDIDATE_WITHOUT_PARENTS
    assert ids["consensus.candidateHashDataOrdinary"] == v.TL_CANDIDATE_HASH_DATA_ORDINARY
    assert ids["consensus.candidateHashDataEmpty"] == v.TL_CANDIDATE_HASH_DATA_EMPTY
    assert ids["consensus.simplex.finalizeVote"] == v.TL_SIMPLEX_FINALIZE_VOTE
    assert ids["consensus.dataToSign"] == v.TL_DATA_TO_SIGN
    # The ordinary message starts with the bytes TON's sources and pytoniq-core write.
    assert v.ordinary_message(bytes(32), bytes(32))[:4] == bytes.fromhex("706e0bc5")


def test_param_34_and_28_read_as_pytoniq_core_reads_them() -> None:
    cell = v.validator_set_cell(VSET)
    theirs = ConfigParam34.deserialize(cell.begin_parse()).cur_validators
    assert (theirs.type_, theirs.total, theirs.main, theirs.total_weight) == (
        "validators_ext", 6, 4, sum(WEIGHTS),
    )  # fmt: skip
    assert [d.public_key.pubkey for d in theirs.list.values()] == [
        bytes(k.verify_key) for k in KEYS
    ]
    assert v.parse_validator_set(cell) == VSET
    cc = ConfigParam28.deserialize(v.catchain_config_cell(shuffle_mc_validators=True).begin_parse())
    assert cc.shuffle_mc_validators is True
    assert v.parse_shuffle_flag(v.catchain_config_cell(shuffle_mc_validators=False)) is False


def test_masterchain_signers_are_the_main_validators_shuffled_per_catchain() -> None:
    plain = v.masterchain_signers(VSET, 5, shuffle=False)
    assert plain == list(VSET.validators[:4])
    shuffled = {tuple(v.masterchain_signers(VSET, cc, shuffle=True)) for cc in range(8)}
    assert all(sorted(s, key=VSET.validators.index) == plain for s in shuffled)
    assert len(shuffled) > 1  # the order depends on the catchain seqno
    again = v.masterchain_signers(VSET, 3, shuffle=True)
    assert again == v.masterchain_signers(VSET, 3, shuffle=True)
    # The hash names the catchain, the nodes and their order.
    assert v.validator_set_hash(1, plain) != v.validator_set_hash(2, plain)
    assert v.validator_set_hash(1, plain) != v.validator_set_hash(1, plain[::-1])


def _nodes() -> list[v.Validator]:
    return v.masterchain_signers(VSET, 9, shuffle=False)  # weights 30, 25, 20, 10 of 85


def _sign(keys: list[SigningKey], *, simplex: tuple[bytes, int] | None = None) -> v.SignatureSet:
    return v.sign_block(keys, _nodes(), 9, BLOCK, simplex=simplex)


@pytest.mark.parametrize("simplex", [None, (b"s" * 32, 12)])
def test_a_signature_set_of_more_than_two_thirds_checks(simplex) -> None:
    sigs = _sign(KEYS[:3], simplex=simplex)  # 75 of 85
    assert v.check_signatures(sigs, _nodes(), 9, BLOCK) == 75
    assert v.SignatureSet.from_tl(sigs.to_tl()) == sigs


def test_ordinary_signatures_check_with_pytoniq_core_too() -> None:
    sigs = _sign(KEYS[:3])
    theirs = ConfigParam34.deserialize(v.validator_set_cell(VSET).begin_parse()).cur_validators
    blk = PBlockIdExt(
        workchain=-1, shard=-(2**63), seqno=77, root_hash=BLOCK.root_hash, file_hash=BLOCK.file_hash
    )
    check_block_signatures(
        list(theirs.list.values())[:4],
        [{"node_id_short": n.hex(), "signature": s} for n, s in sigs.signatures],
        blk,
    )


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: _sign(KEYS[:2]), "not more than 2/3"),  # 55 of 85
        (lambda: _sign([KEYS[1], KEYS[2], KEYS[3]]), "not more than 2/3"),  # 55 of 85
        (lambda: _forged(_sign(KEYS[:3])), "forged signature"),
        (lambda: _sign([*KEYS[:3], KEYS[5]]), "not a validator of the set"),  # #5 is not main
        (lambda: _sign([*KEYS[:3], SigningKey.generate()]), "not a validator of the set"),
        (lambda: _doubled(_sign(KEYS[:3])), "two signatures"),
        (lambda: _other_cc(_sign(KEYS[:3])), "catchain"),
        (lambda: _other_block(_sign(KEYS[:4], simplex=(b"s" * 32, 1))), "another block"),
        (lambda: _other_block(_sign(KEYS[:4])), "forged signature"),
    ],
)
def test_bad_signature_sets_are_refused(make, message: str) -> None:
    with pytest.raises(LiteProofError, match=message):
        v.check_signatures(make(), _nodes(), 9, BLOCK)


def _forged(s: v.SignatureSet) -> v.SignatureSet:
    (node, sig), *rest = s.signatures
    return v.SignatureSet(
        s.cc_seqno, s.validator_set_hash, ((node, bytes([sig[0] ^ 1]) + sig[1:]), *rest), s.simplex
    )


def _doubled(s: v.SignatureSet) -> v.SignatureSet:
    return v.SignatureSet(
        s.cc_seqno, s.validator_set_hash, (*s.signatures, s.signatures[0]), s.simplex
    )


def _other_cc(s: v.SignatureSet) -> v.SignatureSet:
    return v.SignatureSet(s.cc_seqno + 1, s.validator_set_hash, s.signatures, s.simplex)


def _other_block(s: v.SignatureSet) -> v.SignatureSet:
    """Signatures of BLOCK's sibling: the same seqno, another root hash."""
    other = v.CandidateBlock(-1, -(2**63), 77, hashlib.sha256(b"x").digest(), BLOCK.file_hash)
    simplex = None if s.simplex is None else s.simplex[:2]
    return v.sign_block(KEYS[:4], _nodes(), 9, other, simplex=simplex)


def test_exactly_two_thirds_is_not_enough() -> None:
    nodes = [v.Validator(bytes(k.verify_key), 1) for k in KEYS[:3]]
    sigs = v.sign_block(KEYS[:2], nodes, 0, BLOCK)
    with pytest.raises(LiteProofError, match="not more than 2/3"):
        v.check_signatures(sigs, nodes, 0, BLOCK)
    assert v.check_signatures(v.sign_block(KEYS[:3], nodes, 0, BLOCK), nodes, 0, BLOCK) == 3


def test_simplex_candidate_reads_back_the_block() -> None:
    c = v.simplex_candidate(
        BLOCK.workchain, BLOCK.shard_signed, BLOCK.seqno, BLOCK.root_hash, BLOCK.file_hash
    )
    assert v.parse_simplex_candidate(c) == BLOCK
    with_parent = v.simplex_candidate(
        -1, -(2**63), 77, BLOCK.root_hash, BLOCK.file_hash, parent=(11, bytes(32))
    )
    assert v.parse_simplex_candidate(with_parent) == BLOCK
    with pytest.raises(LiteProofError, match="malformed candidate"):
        v.parse_simplex_candidate(c + b"\0")
